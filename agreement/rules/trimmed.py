"""Coordinate-wise order-statistic rules: trimmed mean, median, trimmed middle.

Every rule has the signature ``rule(X, f, own) -> vector`` with ``X`` the ``q x d`` array of gathered
vectors (own vector included when the node counts it), ``f`` the number of tolerated Byzantine
nodes, and ``own`` the node's own current vector (unused by symmetric rules).
"""
from __future__ import annotations

import numpy as np


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
    left. Cost: O(q log q d) with one ``np.sort`` along axis 0; needs q > 2f. (A sort of each
    column measured several times faster than ``np.partition`` with two kth on this axis; see
    ``jungle bench --only rules``.)
    """
    q = np.shape(X)[0]
    X = _check(X, f, 2 * f + 1, "cwtm")
    if f == 0:
        return X.mean(axis=0)
    return np.sort(X, axis=0)[f : q - f].mean(axis=0)


def trimmed_middle(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Broadcast-based rule (agreement paper, section 6.1): per coordinate drop the f smallest and
    f largest values and output the midpoint of the remaining min and max. Cost: O(q d)."""
    q = np.shape(X)[0]
    X = _check(X, f, 2 * f + 1, "trimmed_middle")
    if f == 0:
        return 0.5 * (X.min(axis=0) + X.max(axis=0))
    S = np.sort(X, axis=0)
    return 0.5 * (S[f] + S[q - f - 1])


def cwmed(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Coordinate-wise median (NNM paper, CWMed). Cost: O(q log q d), one ``np.sort`` along axis 0
    (faster than ``np.median``'s partition on this axis)."""
    X = _check(X, f, 1, "cwmed")
    q = X.shape[0]
    S = np.sort(X, axis=0)
    return S[q // 2] if q % 2 else 0.5 * (S[q // 2 - 1] + S[q // 2])


def mean(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Plain average: not robust at all; the baseline that shows an attack bites. Cost: O(q d)."""
    X = _check(X, f, 1, "mean")
    return X.mean(axis=0)


# In-place variants: ``rule.owned(X, f, own)`` may overwrite X (sort it in place), saving one q x d
# copy; "iterate a rule" machines call it on the array they have just stacked themselves.
def _cwtm_owned(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    q = X.shape[0]
    if f == 0 or q <= 2 * f:
        return cwtm(X, f, own)
    X.sort(axis=0)
    return X[f : q - f].mean(axis=0)


def _trimmed_middle_owned(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    q = X.shape[0]
    if f == 0 or q <= 2 * f:
        return trimmed_middle(X, f, own)
    X.sort(axis=0)
    return 0.5 * (X[f] + X[q - f - 1])


def _cwmed_owned(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    q = X.shape[0]
    X.sort(axis=0)
    return X[q // 2].copy() if q % 2 else 0.5 * (X[q // 2 - 1] + X[q // 2])


cwtm.owned = _cwtm_owned
trimmed_middle.owned = _trimmed_middle_owned
cwmed.owned = _cwmed_owned
