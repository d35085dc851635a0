"""Coordinate-wise order-statistic rules: trimmed mean, median, trimmed middle.

Every rule has the signature ``rule(X, f, own) -> vector`` with ``X`` the ``q x d`` array of gathered
vectors (own vector included when the node counts it), ``f`` the number of tolerated Byzantine
nodes, and ``own`` the node's own current vector (unused by symmetric rules).

Speed: the numpy code below is the reference. When numba is importable, ``cwtm``, ``cwmed`` and
``trimmed_middle`` (and their ``.owned`` variants) run a compiled sorting-network kernel instead
(:mod:`agreement.rules.select_kernels`; about 2x ``numpy.mean`` at q = 31, d = 100,000 instead of
11x-12x for ``np.sort``), bit for bit the same result; see :func:`_use_kernel` for when.
``JUNGLE_NUMPY_RULES=1`` in the environment (or ``USE_KERNELS = False`` here) forces numpy.

Overflow: for finite inputs up to the float maximum a sum or midpoint that overflows is recomputed
on the inputs scaled by a power of two (:mod:`agreement.rules.overflow`), through the same dispatch,
so kernel and numpy stay bit-identical there too; ordinary inputs never take that path.
"""
from __future__ import annotations

import os

import numpy as np

from agreement.rules.overflow import needs_rescue, safe_mean, scaled

_kernels_module = None


def _kernels():
    """:mod:`agreement.rules.select_kernels`, imported on first use: importing numba costs about a
    second, which every process (CLI, sweep workers) would pay although only d >= KERNEL_MIN_D
    calls use it."""
    global _kernels_module
    if _kernels_module is None:
        from agreement.rules import select_kernels  # heavy (numba): on first use only

        _kernels_module = select_kernels
    return _kernels_module


# numba is a core dependency; JUNGLE_NUMPY_RULES=1 in the environment makes numpy do the work
USE_KERNELS: bool = os.environ.get("JUNGLE_NUMPY_RULES", "") != "1"
# Smallest d for the kernel. Steady state it beats np.sort from d = 16 (2.4 us against 13 us at q = 31;
# at d = 1000: 27 us against 127 us, numpy.mean 12 us). Each (rule, q, f) is compiled once per machine
# (1-6 s, then kept in numba's on-disk cache: scenarios.kernel_cache); a process that uses a kernel
# pays importing numba and loading it (about 1-1.5 s, once), which small-d runs (d < 512, where a call
# saves under 50 us) would rarely repay.
KERNEL_MIN_D: int = 512


def _use_kernel(X: np.ndarray, f: int, sums: bool) -> bool:
    """Whether the kernel computes this call (on ``np.ascontiguousarray(X)``). Not when: kernels are
    off; X is not a float64 2-D array (the ``.owned`` variants see X before conversion); q or d is
    out of range; f = 0 (numpy's mean / min / max do not sort and are O(q d) already); or the rule
    ``sums`` rows (cwtm) and numpy's own reduction would be pairwise instead of row after row, which
    happens when its sorted copy of X is Fortran-ordered (|stride 0| <= |stride 1|) or d = 1."""
    if not USE_KERNELS or f == 0 or X.ndim != 2 or X.dtype != np.float64:
        return False
    q, d = X.shape
    if d < max(KERNEL_MIN_D, 2) or not 1 <= q <= _kernels().Q_MAX:
        return False
    return X.flags.c_contiguous or not sums or abs(X.strides[0]) > abs(X.strides[1])


def _check(X: np.ndarray, f: int, need: int, name: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name}: X must be q x d, got shape {X.shape}")
    if X.shape[0] < need:
        raise ValueError(f"{name}: needs at least {need} vectors for f = {f}, got {X.shape[0]}")
    return X


def cwtm(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Coordinate-wise trimmed mean (agreement paper, section 7.1; NNM paper, CWTM).

    Per coordinate, drop the f smallest and the f largest of the q values and average the q - 2f
    left; needs q > 2f. Cost: O(q log q d) with one ``np.sort`` along axis 0; with numba (d >=
    512, KERNEL_MIN_D) the sorting-network kernel, O(q log^2 q d) vector compare-exchanges, about 2x
    ``numpy.mean``. (A sort of each column measured several times faster than ``np.partition``
    with two kth on this axis; see ``jungle bench --only rules`` and the module docstring.)
    """
    q = np.shape(X)[0]
    X = _check(X, f, 2 * f + 1, "cwtm")
    if f == 0:
        return safe_mean(X)
    if _use_kernel(X, f, True) and (out := _kernels().cwtm(np.ascontiguousarray(X), f)) is not None:
        pass
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.sort(X, axis=0)[f : q - f].mean(axis=0)
    if needs_rescue(out, X):
        return scaled(lambda Y: cwtm(Y, f, own), X)
    return out


def trimmed_middle(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Broadcast-based rule (agreement paper, section 6.1): per coordinate drop the f smallest and
    f largest values and output the midpoint of the remaining min and max. Cost: one ``np.sort``
    along axis 0 for f > 0 (O(q log q d)); with numba the pruned sorting-network kernel (module
    docstring), about 2x ``numpy.mean``."""
    q = np.shape(X)[0]
    X = _check(X, f, 2 * f + 1, "trimmed_middle")
    if f == 0:
        with np.errstate(over="ignore", invalid="ignore"):
            out = 0.5 * (X.min(axis=0) + X.max(axis=0))
    elif _use_kernel(X, f, False) and (out := _kernels().trimmed_middle(np.ascontiguousarray(X), f)) is not None:
        pass
    else:
        S = np.sort(X, axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            out = 0.5 * (S[f] + S[q - f - 1])
    if needs_rescue(out, X):
        return scaled(lambda Y: trimmed_middle(Y, f, own), X)
    return out


def cwmed(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Coordinate-wise median (NNM paper, CWMed). Cost: O(q log q d), one ``np.sort`` along axis 0
    (faster than ``np.median``'s partition on this axis); with numba the pruned sorting-network
    kernel (module docstring), about 2x ``numpy.mean``."""
    X = _check(X, f, 1, "cwmed")
    q = X.shape[0]
    if _use_kernel(X, 1, False) and (out := _kernels().cwmed(np.ascontiguousarray(X))) is not None:
        pass  # (f = 1 above: the median sorts whatever f is)
    else:
        S = np.sort(X, axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            out = S[q // 2] if q % 2 else 0.5 * (S[q // 2 - 1] + S[q // 2])
    if needs_rescue(out, X):
        return scaled(lambda Y: cwmed(Y, f, own), X)
    return out


def mean(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Plain average: not robust at all; the baseline that shows an attack bites. Cost: O(q d)."""
    X = _check(X, f, 1, "mean")
    return safe_mean(X)


# In-place variants: ``rule.owned(X, f, own)`` may overwrite X (sort it in place), saving one q x d
# copy; "iterate a rule" machines call it on the array they have just stacked themselves. The
# kernel path needs no copy at all and leaves X as it is.
def _cwtm_owned(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    q = X.shape[0]
    if f == 0 or q <= 2 * f or _use_kernel(X, f, True):
        return cwtm(X, f, own)
    X.sort(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        out = X[f : q - f].mean(axis=0)
    if needs_rescue(out, X):
        return scaled(lambda Y: cwtm(Y, f, own), X)
    return out


def _trimmed_middle_owned(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    q = X.shape[0]
    if f == 0 or q <= 2 * f or _use_kernel(X, f, False):
        return trimmed_middle(X, f, own)
    X.sort(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        out = 0.5 * (X[f] + X[q - f - 1])
    if needs_rescue(out, X):
        return scaled(lambda Y: trimmed_middle(Y, f, own), X)
    return out


def _cwmed_owned(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    q = X.shape[0]
    if _use_kernel(X, 1, False):
        return cwmed(X, f, own)
    X.sort(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        out = X[q // 2].copy() if q % 2 else 0.5 * (X[q // 2 - 1] + X[q // 2])
    if needs_rescue(out, X):
        return scaled(lambda Y: cwmed(Y, f, own), X)
    return out


cwtm.owned = _cwtm_owned
trimmed_middle.owned = _trimmed_middle_owned
cwmed.owned = _cwmed_owned
