"""Closest-Vectors Averaging (agreement paper, section 5.4, eq. 163 and 164).

At node i, CVA keeps the q - f gathered vectors closest (l2) to the node's OWN vector x_i and
outputs their mean. Ties in distance go to the lower row index (stable sort). Rows with a
non-finite coordinate are infinitely far (never kept while q - f finite rows exist). When ``own``
is None (a rule called outside a node), the pivot falls back to the coordinate-wise median of the
finite rows, a documented choice, not the paper's. Cost: O(q d) for the distances + O(q log q).
"""
from __future__ import annotations

import numpy as np

from agreement.rules.overflow import safe_mean, safe_median, squares_underflow, to_extended


def cva_select(X: np.ndarray, f: int, own: np.ndarray | None) -> np.ndarray:
    """Row indices (in order of distance, ties by index) of the q - f vectors closest to ``own``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"cva: X must be q x d, got shape {X.shape}")
    q = X.shape[0]
    k = q - f
    if k < 1:
        raise ValueError(f"cva: needs q > f, got q = {q}, f = {f}")
    finite = np.isfinite(X).all(axis=1)
    if own is None:
        if not finite.any():
            raise ValueError("cva: no finite vector")
        own = safe_median(X[finite], axis=0)
    own = np.asarray(own, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        diff = X - own
        dist = np.einsum("ij,ij->i", diff, diff)
    if np.isfinite(own).all() and (not np.isfinite(dist[finite]).all()
                                   or squares_underflow(np.vstack([X[finite], own]))):  # extended precision
        Y, _ = to_extended(np.vstack([X[finite], own]))
        diff = Y[:-1] - Y[-1]
        ext = np.full(q, np.inf, dtype=Y.dtype)
        ext[finite] = np.einsum("ij,ij->i", diff, diff)
        dist = ext
    dist[~finite] = np.inf
    return np.argsort(dist, kind="stable")[:k]


def cva(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """CVA (eq. 163-164): mean of the q - f vectors closest to own. Cost O(q d + q log q)."""
    X = np.asarray(X, dtype=np.float64)
    return safe_mean(X[cva_select(X, f, own)])


RULES = {"cva": cva}
