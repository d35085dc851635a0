"""Rules that do not overflow: the overflow path every rule falls back to.

Every rule of the zoo is positively homogeneous: rule(s X, f, s own) = s rule(X, f, own) for s > 0
(means, order statistics, medians, distance comparisons, subsets of minimal diameter). For finite
inputs up to the float maximum M the exact result is finite (it lies in the inputs' box), so a
non-finite intermediate is an overflow of the arithmetic, never of the answer. Each rule computes
as it always did (ordinary inputs give bit for bit the results they gave before, and the numba
kernels stay bit-identical to numpy) and only when it meets a non-finite value it did not get as
input takes the overflow path:

- sums and midpoints (cwtm, trimmed_middle, cwmed, mean, meamed, the means of selected rows):
  recompute on X 2^-k, with 2^k >= 4 q, and multiply back by 2^k: scaling by a power of two is
  exact (except for values below 2^(k - 1022), which the huge ones swamp anyway), so the result is
  the one the same arithmetic would give without overflow (:func:`scaled`, :func:`safe_mean`);
- squared distances (krum, multi-krum, nnm, cva, mda, geomed): recompute in extended precision
  (also when all the data is below 2^-480, where float64 squares underflow: :func:`squares_underflow`)
  (``np.longdouble``: 64-bit mantissa and 15-bit exponent on x86, so (2M)^2 d fits and nothing
  underflows) by direct differences, where distances are compared (:func:`sq_distances_extended`).
  On a platform whose long double is a double, the fallback scales by a power of two instead
  (comparisons among the huge distances then stay exact, tiny ones may round to zero).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

TINY = 2.0 ** -480
"""Below this magnitude squares underflow float64 (to subnormals or zero): distances of data that
small are computed in extended precision too."""

EXTENDED = np.longdouble if np.finfo(np.longdouble).maxexp > np.finfo(np.float64).maxexp else None
"""The extended float type of this platform (None when long double is a double)."""


def squares_underflow(X: np.ndarray) -> bool:
    """True when every value of ``X`` is so small (but not all zero) that squared distances underflow."""
    if X.size == 0:
        return False
    top = float(np.maximum(X.max(), -X.min()))  # max |X| without a |X| temporary (a NaN stays a NaN)
    return 0.0 < top < TINY


def scale_exponent(q: int) -> int:
    """k with 2^k >= 4 q: sums of q values scaled by 2^-k stay below M / 4."""
    return max(2, math.ceil(math.log2(max(1, q))) + 2)


def needs_rescue(out, X: np.ndarray) -> bool:
    """True when ``out`` has a non-finite value although every value of ``X`` is finite (an
    overflow of the arithmetic)."""
    return not np.isfinite(out).all() and bool(np.isfinite(X).all())


def scaled(fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, k: int | None = None) -> np.ndarray:
    """2^k fn(X 2^-k) (exact power-of-two scaling), for a positively homogeneous ``fn``."""
    X = np.asarray(X, dtype=np.float64)
    k = scale_exponent(X.shape[0]) if k is None else k
    return np.ldexp(np.asarray(fn(np.ldexp(X, -k)), dtype=np.float64), k)


def safe_mean(X: np.ndarray, axis: int = 0) -> np.ndarray:
    """``X.mean(axis)``; recomputed scaled when the sum overflowed (finite X)."""
    with np.errstate(over="ignore", invalid="ignore"):
        m = X.mean(axis=axis)
    if np.isfinite(m).all():
        return m
    if not np.isfinite(X).all():
        return m
    k = scale_exponent(X.shape[axis])
    return np.ldexp(np.ldexp(X, -k).mean(axis=axis), k)


def safe_median(X: np.ndarray, axis: int = 0) -> np.ndarray:
    """``np.median(X, axis)``; recomputed scaled when the midpoint of the two middle values overflowed."""
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.median(X, axis=axis)
    if np.isfinite(m).all() or not np.isfinite(X).all():
        return m
    return np.ldexp(np.median(np.ldexp(X, -2), axis=axis), 2)


def to_extended(X: np.ndarray) -> tuple[np.ndarray, int]:
    """X in the extended type (exact), or, without one, X 2^-k in float64 with k such that squared
    distances cannot overflow; returns (array, k) (k = 0 in extended precision)."""
    X = np.asarray(X, dtype=np.float64)
    if EXTENDED is not None:
        return X.astype(EXTENDED), 0
    top = float(np.max(np.abs(X), initial=0.0))
    if top == 0.0:
        return X.copy(), 0
    d = max(1, X.shape[-1])
    k = math.frexp(top)[1] + 1 + math.ceil(math.log2(d)) // 2 + 1 - 511
    if top >= TINY:
        k = max(0, k)
    return np.ldexp(X, -k), k


def sq_distances_extended(X: np.ndarray) -> np.ndarray:
    """Squared l2 distances between rows by direct differences in extended precision (q x q, exactly
    symmetric, zero diagonal). O(q^2 d), one row at a time. Values are those of X 2^-k (squared) on
    a platform without extended precision; only comparisons are meant to be taken from it."""
    Y, _ = to_extended(X)
    q = Y.shape[0]
    D = np.zeros((q, q), dtype=Y.dtype)
    for i in range(q - 1):
        diff = Y[i + 1:] - Y[i]
        D[i, i + 1:] = np.einsum("ij,ij->i", diff, diff)
    return D + D.T
