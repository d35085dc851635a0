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
from agreement.rules.mda import _rows_mean
from agreement.rules.gram import centered_reference_error, gamma, gram
from agreement.rules.overflow import sq_distances_extended, squares_underflow

FAST_MIN = 1 << 20
"""Smallest q^2 d for :func:`_fast_order` (below, the reference is cheap)."""


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


def _fast_order(X: np.ndarray, f: int, count: int) -> np.ndarray | None:
    """The first ``count`` entries of ``np.argsort(krum_scores(X, f), kind="stable")``, or None when
    this cannot be decided cheaply (then the caller computes the scores).

    The scores are sums of the q - f smallest entries of each row of the reference distances R
    (:func:`sq_distances_finite`: a Gram product on centered rows). Instead: one Gram product on the
    rows themselves (no centering, no q x d temporary) with a rigorous bound B on |G - R|
    (:mod:`agreement.rules.gram`); a sum of the k smallest entries is monotone in the entries, so
    each score lies in [sum_k(G - B) (1 - gamma_k), sum_k(G + B) (1 + gamma_k)] (gamma_k: the
    rounding of the reference's sum). When those intervals put the first ``count`` rows in a strict
    order, each strictly below all the rows after it, that is the reference order (no tie to
    break); otherwise None."""
    q, d = X.shape
    k = q - f
    if q < 2 or q * q * d < FAST_MIN or not 1 <= count < q:
        return None
    gb = gram(X)
    if gb is None:
        return None
    G, E, n = gb
    if not n.sum() < 1e290:  # the reference's centered Gram could overflow (it then computes in extended precision)
        return None
    B = centered_reference_error(G, E, n, d)
    lo = np.sort(np.maximum(G - B, 0.0), axis=1)[:, :k].sum(axis=1) * (1.0 - 2.0 * gamma(k + 1))
    hi = np.sort(G + B, axis=1)[:, :k].sum(axis=1) * (1.0 + 2.0 * gamma(k + 1))
    order = np.argsort(lo, kind="stable")
    for p in range(count):
        if not hi[order[p]] < lo[order[p + 1 :]].min():
            return None
    return order[:count]


def krum(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Krum (NNM paper's variant): the row of minimal score. Cost O(q^2 d)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2 and 0 <= f < X.shape[0] and (sel := _fast_order(X, f, 1)) is not None:
        return X[int(sel[0])].copy()
    return X[int(np.argmin(krum_scores(X, f)))].copy()


def multikrum(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """Multi-Krum: mean of the q - f rows of smallest Krum score (ties: lowest index). Cost O(q^2 d)."""
    X = np.asarray(X, dtype=np.float64)
    q = X.shape[0]
    sel = _fast_order(X, f, q - f) if X.ndim == 2 and 0 <= f < q else None
    if sel is None:
        sel = np.argsort(krum_scores(X, f), kind="stable")[: q - f]
    return _rows_mean(X, sel)


def kappa_krum(n: int, f: int) -> float:
    """6 (1 + f/(n - 2f)) (NNM paper, Proposition 3), n the number of inputs."""
    return 6 * (1 + f / (n - 2 * f))


RULES = {"krum": krum, "multikrum": multikrum, "multi-krum": multikrum}
