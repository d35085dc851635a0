"""MeaMed, mean around the median (Xie et al.; NNM paper, section 15.1.3).

Per coordinate: the median of the q values, then the mean of the q - f values closest to it (ties
in distance: lower row index). Non-finite values are infinitely far from the median (the median
itself is taken over the finite values of the coordinate). The NNM paper gives no kappa for it.
Cost: O(q d log q) (a sort of the q deviations per coordinate). With numba (d >= KERNEL_MIN_D =
8192) a compiled sorting-network kernel computes the same numbers in one pass over X
(:func:`agreement.rules.select_kernels.meamed_source`).
"""
from __future__ import annotations

import numpy as np

from agreement.rules import trimmed
from agreement.rules.overflow import needs_rescue, scaled


KERNEL_MIN_D: int = 8192
"""Smallest d for the compiled kernel: compiling it takes about a minute at q = 31 (once per machine and
(q, f); numba's on-disk cache keeps it), against about 150x ``numpy.mean`` per call for numpy at
d = 100,000 (17x with the kernel)."""


def meamed(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """MeaMed: per coordinate, the mean of the q - f values closest to the median. Cost O(q d log q)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"meamed: X must be q x d, got shape {X.shape}")
    q = X.shape[0]
    if q - f < 1:
        raise ValueError(f"meamed: needs q > f, got q = {q}, f = {f}")
    fin = np.isfinite(X)
    if fin.all() and X.shape[1] >= KERNEL_MIN_D and trimmed._use_kernel(X, 1, True) and (out := trimmed._kernels().meamed(
            np.ascontiguousarray(X), f)) is not None:
        if needs_rescue(out, X):
            return scaled(lambda Y: meamed(Y, f, own), X)
        return out
    if fin.all():
        with np.errstate(over="ignore", invalid="ignore"):
            med = np.median(X, axis=0)
    else:
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(fin, X, np.nan), axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        dev = np.abs(X - med)
    if fin.all() and not (np.isfinite(med).all() and np.isfinite(dev).all()):
        return scaled(lambda Y: meamed(Y, f, own), X)  # the median or a deviation overflowed
    dev[~fin] = np.inf
    sel = np.argsort(dev, axis=0, kind="stable")[: q - f]
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.take_along_axis(X, sel, axis=0).mean(axis=0)
    if needs_rescue(out, X):
        return scaled(lambda Y: meamed(Y, f, own), X)
    return out


RULES = {"meamed": meamed}
