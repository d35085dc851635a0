"""Krum and Multi-Krum, in the NNM paper's variant (section 8.1.2).

Score of row j: the sum of squared distances to its q - f nearest rows, ITSELF INCLUDED (the
original Krum uses n - f - 2 neighbours, self excluded). Krum outputs the row of minimal score
(ties: lowest index); Multi-Krum outputs the mean of the q - f rows of smallest scores (ties: lowest
index). Rows with a non-finite coordinate are infinitely far from every row. With q inputs and at
most f Byzantine, Krum is (f, kappa)-robust with kappa = 6 (1 + f/(q - 2f)) (Proposition 3, n := q).
Cost: O(q^2 d) for the distances (one Gram product) + O(q^2 log q). When the Gram product
overflows (values beyond about 1e154), the distances are recomputed in extended precision by direct
differences (:mod:`agreement.rules.overflow`), and the mean of Multi-Krum is taken overflow-safe.
"""
from __future__ import annotations

import numpy as np

from agreement.diameters import pairwise_sq_distances
from agreement.rules.overflow import safe_mean, sq_distances_extended, squares_underflow


def sq_distances_finite(X: np.ndarray) -> np.ndarray:
    """Squared distances by one Gram product on the finite rows; +inf to and from non-finite rows
    (0 on the diagonal). O(q^2 d)."""
    X = np.asarray(X, dtype=np.float64)
    q = X.shape[0]
    fin = np.isfinite(X).all(axis=1)
    D = np.full((q, q), np.inf)
    idx = np.flatnonzero(fin)
    if idx.size:
        with np.errstate(over="ignore", invalid="ignore"):
            block = pairwise_sq_distances(X[idx])
        if not np.isfinite(block).all() or squares_underflow(X[idx]):  # overflow or underflow: extended precision
            block = sq_distances_extended(X[idx])
            D = D.astype(block.dtype)
        D[np.ix_(idx, idx)] = block
    np.fill_diagonal(D, 0.0)
    return D


def krum_scores(X: np.ndarray, f: int) -> np.ndarray:
    """Score of each row: sum of the squared distances to its q - f nearest rows (itself included)."""
    X = np.asarray(X, dtype=np.float64)
    q = X.shape[0]
    if q - f < 1:
        raise ValueError(f"krum: needs q > f, got q = {q}, f = {f}")
    D = sq_distances_finite(X)
    near = np.sort(D, axis=1)[:, : q - f]
    with np.errstate(invalid="ignore"):
        return near.sum(axis=1)


def krum(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Krum (NNM paper's variant): the row of minimal score. Cost O(q^2 d)."""
    X = np.asarray(X, dtype=np.float64)
    return X[int(np.argmin(krum_scores(X, f)))].copy()


def multikrum(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Multi-Krum: mean of the q - f rows of smallest Krum score (ties: lowest index). Cost O(q^2 d)."""
    X = np.asarray(X, dtype=np.float64)
    q = X.shape[0]
    sel = np.argsort(krum_scores(X, f), kind="stable")[: q - f]
    return safe_mean(X[sel])


def kappa_krum(n: int, f: int) -> float:
    """6 (1 + f/(n - 2f)) (NNM paper, Proposition 3), n the number of inputs."""
    return 6 * (1 + f / (n - 2 * f))


RULES = {"krum": krum, "multikrum": multikrum, "multi-krum": multikrum}
