"""Closest-Vectors Averaging (agreement paper, section 5.4, eq. 163 and 164).

At node i, CVA keeps the q - f gathered vectors closest (l2) to the node's OWN vector x_i and
outputs their mean. Ties in distance go to the lower row index (stable sort). Rows with a
non-finite coordinate are infinitely far (never kept while q - f finite rows exist). When ``own``
is None (a rule called outside a node), the pivot falls back to the coordinate-wise median of the
finite rows, a documented choice, not the paper's. Cost: O(q d) for the distances + O(q log q).
"""
from __future__ import annotations

import numpy as np


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
        own = np.median(X[finite], axis=0)
    diff = X - np.asarray(own, dtype=np.float64)
    dist = np.einsum("ij,ij->i", diff, diff)
    dist[~finite] = np.inf
    return np.argsort(dist, kind="stable")[:k]


def cva(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """CVA (eq. 163-164): mean of the q - f vectors closest to own. Cost O(q d + q log q)."""
    X = np.asarray(X, dtype=np.float64)
    return X[cva_select(X, f, own)].mean(axis=0)


RULES = {"cva": cva}
