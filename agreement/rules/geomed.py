"""Geometric median by smoothed Weiszfeld iterations (NNM paper, section 8.1.3; smoothing as in RFA).

GM(x) = argmin_y sum_i ||y - x_i||. Iteration: z <- sum_i w_i x_i / sum_i w_i with
w_i = 1 / ||z - x_i|| over the rows farther than nu from z; when some rows coincide with z (within
nu), the Vardi-Zhang modification moves z off a data point that is not the median (plain Weiszfeld
can stall there). Start at the coordinate-wise median. Stated tolerance: stop when
||z_new - z|| <= TOL * s, with s the mean distance of the rows to the starting point (the data's
scale; 1 if that is 0), TOL = 1e-10, smoothing nu = 1e-12 * s, at most MAX_ITER = 2000 iterations.
Rows with a non-finite coordinate are dropped first (they can never be honest). With q inputs,
GM is (f, kappa)-robust with kappa = 4 (1 + f/(q - 2f))^2 (Proposition 4, n := q).
Cost: O(q d) per iteration. When a distance overflows (values beyond about 1e154), the iterations
are run again in extended precision (:mod:`agreement.rules.overflow`) and the result rounded back.
"""
from __future__ import annotations

import numpy as np

from agreement.rules.overflow import EXTENDED, scaled, squares_underflow

TOL = 1e-10
NU = 1e-12
MAX_ITER = 2000


def geomed(X: np.ndarray, f: int = 0, own: np.ndarray | None = None, *, tol: float = TOL, nu: float = NU,
           max_iter: int = MAX_ITER) -> np.ndarray:
    """Geometric median of the finite rows (smoothed Weiszfeld). ``f`` is unused. Cost O(q d) per step."""
    X = np.asarray(X, dtype=np.float64)
    X = X[np.isfinite(X).all(axis=1)]
    if X.shape[0] == 0:
        raise ValueError("geomed: no finite vector")
    with np.errstate(over="ignore", invalid="ignore"):
        z = None if squares_underflow(X) else _weiszfeld(X, tol, nu, max_iter)
    if z is None:  # a distance overflowed: the same iterations in extended precision
        if EXTENDED is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                z = _weiszfeld(X.astype(EXTENDED), tol, nu, max_iter)
        if z is None:
            k = int(np.frexp(np.max(np.abs(X)))[1]) - 500
            k = max(2, k) if not squares_underflow(X) else k
            with np.errstate(over="ignore", invalid="ignore"):
                z = scaled(lambda Y: _weiszfeld(Y, tol, nu, max_iter), X, k)
        z = np.asarray(z, dtype=np.float64)
    return z


def _weiszfeld(X: np.ndarray, tol: float, nu: float, max_iter: int) -> np.ndarray | None:
    """The iterations of :func:`geomed` in X's precision; None as soon as a distance is not finite."""
    z = np.median(X, axis=0)
    diff = X - z
    dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    if not np.isfinite(dist).all():
        return None
    s = dist.mean() or 1.0  # in X's precision (a float() of an extended one could overflow)
    for _ in range(max_iter):
        near = dist <= nu * s  # rows that coincide with z
        far = ~near
        if not far.any():
            break
        w = 1.0 / dist[far]
        T = (w @ X[far]) / w.sum()
        eta = int(near.sum())
        if eta:
            # Vardi-Zhang step: z may sit on a data point that is not the median; move off it
            r = np.linalg.norm(w @ (X[far] - z))
            g = min(1.0, eta / r) if r > 0 else 1.0
            z_new = (1.0 - g) * T + g * z
        else:
            z_new = T
        step = np.linalg.norm(z_new - z)
        z = z_new
        diff = X - z
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        if not np.isfinite(dist).all():
            return None
        if step <= tol * s:
            break
    return z


def kappa_gm(n: int, f: int) -> float:
    """4 (1 + f/(n - 2f))^2 (NNM paper, Proposition 4; also CWMed, Proposition 5)."""
    return 4 * (1 + f / (n - 2 * f)) ** 2


RULES = {"geomed": geomed, "gm": geomed}
