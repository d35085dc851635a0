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
    left. Cost: O(q d) with ``np.partition`` (no full sort); needs q > 2f.
    """
    q = np.shape(X)[0]
    X = _check(X, f, 2 * f + 1, "cwtm")
    if f == 0:
        return X.mean(axis=0)
    # After partitioning at kth = (f, q-f-1) (inclusive), rows [f, q-f) hold exactly the kept values.
    P = np.partition(X, (f - 1, q - f), axis=0)
    return P[f : q - f].mean(axis=0)


def trimmed_middle(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Broadcast-based rule (agreement paper, section 6.1): per coordinate drop the f smallest and
    f largest values and output the midpoint of the remaining min and max. Cost: O(q d)."""
    q = np.shape(X)[0]
    X = _check(X, f, 2 * f + 1, "trimmed_middle")
    if f == 0:
        return 0.5 * (X.min(axis=0) + X.max(axis=0))
    P = np.partition(X, (f, q - f - 1), axis=0)
    return 0.5 * (P[f] + P[q - f - 1])


def cwmed(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Coordinate-wise median (NNM paper, CWMed). Cost: O(q d) with ``np.partition``."""
    X = _check(X, f, 1, "cwmed")
    return np.median(X, axis=0)


def mean(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Plain average: not robust at all; the baseline that shows an attack bites. Cost: O(q d)."""
    X = _check(X, f, 1, "mean")
    return X.mean(axis=0)
