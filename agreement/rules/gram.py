"""Squared distances by one Gram product (BLAS) with rigorous error bounds, for rules that only
COMPARE distances (mda, krum, multi-krum) and must compare them exactly as their reference
computation does.

At q = 31, d = 100,000 the Gram product ``X @ X.T`` costs a few ``numpy.mean`` (one pass over X,
q^2 d flops in BLAS) where q x q exact pairwise differences cost about 50. The Gram numbers differ from
the reference numbers in the last bits, so a rule uses them only where a rigorous bound proves the
comparison it needs comes out the same, and computes the reference numbers otherwise.

Bounds (standard floating-point error analysis, valid for any summation order, with or without
FMA; u = 2^-53, gamma_n = n u / (1 - n u)), for rows x_i with T_ij = |x_i - x_j|^2 in exact
arithmetic and n_i the computed squared norms of the rows the Gram product is taken on:

- Gram on the rows themselves, G = fl(n_i + n_j - 2 fl(x_i . x_j)):
  |G - T| <= (2 gamma_d + 2u)(n_i + n_j)(1 + gamma_d) + 2u |G|  (:func:`gram`).
- Gram on centered rows c = fl(x - m) (any m; :func:`agreement.diameters.pairwise_sq_distances`):
  the same bound against T_c = |c_i - c_j|^2, and |sqrt(T_c) - sqrt(T)| <= e = u (|c_i| + |c_j|)
  (1 + gamma_d) / (1 - u), so |T_c - T| <= 2 sqrt(T_c) e + 3 e^2 (:func:`centered_reference_error`).
- Direct differences (sum of d non-negative rounded terms): |D - T| <= gamma_(d+2) T.

Every bound is then doubled, plus an absolute 8 (d + 4) 2^-1022 for subnormal rounding (at most
2^-1074 per product). Inputs must be finite with squared norms below 1e300 (:func:`gram` returns None
otherwise) and not all tiny (the references switch to extended precision then:
:func:`agreement.rules.overflow.squares_underflow`).
"""
from __future__ import annotations

import numpy as np

from agreement.rules.overflow import squares_underflow

U = 2.0 ** -53
"""Unit roundoff of float64."""


def gamma(n: int) -> float:
    return n * U / (1.0 - n * U)


def _tiny(d: int) -> float:
    return 8.0 * (d + 4) * 2.0 ** -1022


def gram(X: np.ndarray, n: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(G, E, n) for the rows of X (no centering, no q x d temporary): G the squared distances from
    one Gram product, E with |G - T| <= E (T exact), n the computed squared norms (computed here
    unless given: any summation order will do). None when a norm
    is not finite or above 1e300 (a non-finite or huge value: the caller takes its reference path)
    or when every value is so small that the references compute in extended precision."""
    q, d = X.shape
    with np.errstate(over="ignore", invalid="ignore"):
        n = np.einsum("ij,ij->i", X, X) if n is None else n
        if not (np.isfinite(n).all() and n.max(initial=0.0) < 1e300):
            return None
        # squares_underflow(X) is possible only if no |x|^2 reaches 2^-960
        if not n.max(initial=0.0) > 1.01 * d * 2.0 ** -960 and squares_underflow(X):
            return None
        G = n[:, None] + n[None, :] - 2.0 * (X @ X.T)
    if not np.isfinite(G).all():
        return None
    iu, ju = np.triu_indices(q, 1)
    G[ju, iu] = G[iu, ju]  # exactly symmetric (BLAS may or may not mirror), zero diagonal
    np.fill_diagonal(G, 0.0)
    gd = gamma(d)
    E = (2.0 * gd + 2.0 * U) * (n[:, None] + n[None, :]) * (1.0 + gd) + 2.0 * U * np.abs(G)
    E = 2.0 * E + _tiny(d)
    np.fill_diagonal(E, 0.0)
    return G, E, n


def direct_difference_error(G: np.ndarray, E: np.ndarray, d: int) -> np.ndarray:
    """Bound on |G - D| for D the squared distances by direct differences
    (:func:`agreement.rules.mda.pairwise_sq_exact`), given |G - T| <= E."""
    out = E + 2.0 * gamma(d + 2) * (np.abs(G) + E)
    np.fill_diagonal(out, 0.0)
    return out


def centered_reference_error(G: np.ndarray, E: np.ndarray, n: np.ndarray, d: int) -> np.ndarray:
    """Bound on |G - R| for R = :func:`agreement.diameters.pairwise_sq_distances` (Gram on rows
    centered at their computed mean m, clipped at 0, zero diagonal), given |G - T| <= E and the rows'
    squared norms n. R's centered norms are not computed: |c_i| <= (1 + u)(|x_i| + |m|) with
    |m| <= (1 + gamma_q) sqrt(sum_j |x_j|^2) (each coordinate of the mean is at most the largest in
    magnitude)."""
    q = n.size
    gd = gamma(d)
    xn = np.sqrt(n * (1.0 + gd))
    mn = (1.0 + gamma(q)) * np.sqrt(n.sum() * (1.0 + gd))
    cn = (1.0 + U) * (xn + mn) * (1.0 + 2.0 * U)
    NC = cn * cn
    A = (2.0 * gd + 2.0 * U) * (NC[:, None] + NC[None, :]) * (1.0 + gd)
    Tup = np.abs(G) + E
    e = U * (cn[:, None] + cn[None, :]) * (1.0 + gd) / (1.0 - U)
    R = A + 2.0 * U * (Tup + A) + 2.0 * np.sqrt(Tup + A) * e + 3.0 * e * e
    out = E + 2.0 * R + _tiny(d)
    np.fill_diagonal(out, 0.0)
    return out
