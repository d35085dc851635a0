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

from agreement.rules import trimmed
from agreement.rules.overflow import EXTENDED, TINY, scaled, squares_underflow

TOL = 1e-10
NU = 1e-12
MAX_ITER = 2000


def geomed(X: np.ndarray, f: int = 0, own: np.ndarray | None = None, *, tol: float = TOL, nu: float = NU,
           max_iter: int = MAX_ITER) -> np.ndarray:
    """Geometric median of the finite rows (smoothed Weiszfeld). ``f`` is unused. Cost O(q d) per step."""
    X = np.asarray(X, dtype=np.float64)
    fin = np.isfinite(X).all(axis=1)
    if not (fin.all() and X.flags.c_contiguous):  # (no copy when every row is finite: the same numbers)
        X = X[fin]
    if X.shape[0] == 0:
        raise ValueError("geomed: no finite vector")
    with np.errstate(over="ignore", invalid="ignore"):
        top = np.maximum(X.max(), -X.min())  # max |X| (squares_underflow's test, without a temporary)
        # every point of the rows' bounding box is at a finite distance from every row: the distances
        # after the last step cannot overflow, so they need not be computed
        bounded = bool(4.0 * X.shape[1] * top * top < 1e300)
        z = None if 0.0 < top < TINY else _weiszfeld(X, tol, nu, max_iter, bounded)
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
    return _data_point_if_optimal(X, z)


def _data_point_if_optimal(X: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The row x_k nearest to ``z`` when it IS the geometric median, else ``z``. Optimality of a data
    point (Vardi and Zhang 2000, eq. 2.3): with m rows equal to x_k, x_k minimises sum_i ||y - x_i||
    iff ||sum_{x_j != x_k} (x_j - x_k) / ||x_j - x_k|| || <= m, and is the only minimiser when the
    inequality is strict (only then is ``z`` replaced: at equality the minimisers may form a segment,
    and Weiszfeld's point on it is kept). Weiszfeld converges to such a point
    only sublinearly and stops on its step tolerance short of it (at the float maximum, 0.2% of the
    data's scale away); the test is scale-free, so it runs on X scaled by a power of two when the
    distances could overflow. Cost O(q d), once."""
    q = X.shape[0]
    if q < 2:
        return z
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        top = float(np.max(np.abs(X)))
        k = int(np.frexp(top)[1]) - 500 if top > 1e150 else 0
        Y, w = (np.ldexp(X, -k), np.ldexp(z, -k)) if k else (X, z)
        near = int(np.argmin(np.einsum("ij,ij->i", Y - w, Y - w)))
        diff = Y - Y[near]
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        same = dist == 0.0
        others = ~same
        if not others.any():
            return X[near].copy()
        u = (diff[others] / dist[others, None]).sum(axis=0)
        if np.isfinite(u).all() and float(np.linalg.norm(u)) < int(same.sum()):
            return X[near].copy()
    return z


def _median(X: np.ndarray) -> np.ndarray:
    """``np.median(X, axis=0)``, by the compiled median kernel when the trimmed rules would use it
    (the same numbers: the middle value, or the two middle values' sum halved; a NaN or mixed signs of
    zero send it back to numpy), else numpy (O(q d) strided partitions, about 40x ``numpy.mean``)."""
    if X.dtype == np.float64 and X.flags.c_contiguous and trimmed._use_kernel(X, 1, False):
        out = trimmed._kernels().cwmed(X)
        if out is not None:
            return out
    return np.median(X, axis=0)


def _sq_dist(X: np.ndarray, z: np.ndarray, buf: np.ndarray | None) -> np.ndarray:
    """``einsum("ij,ij->i", X - z, X - z)``, the same numbers, two rows at a time in ``buf`` (2 x d,
    cache-resident) instead of a q x d temporary: einsum's sum over a row does not depend on the
    other rows as long as it is given at least two (one row alone is summed differently)."""
    q = X.shape[0]
    if buf is None or q < 2:
        diff = X - z
        return np.einsum("ij,ij->i", diff, diff)
    out = np.empty(q, dtype=X.dtype)
    for i in range(0, q, 2):
        j = min(i, q - 2)
        np.subtract(X[j : j + 2], z, out=buf)
        out[j : j + 2] = np.einsum("ij,ij->i", buf, buf)
    return out


def _weiszfeld(X: np.ndarray, tol: float, nu: float, max_iter: int, bounded: bool = False) -> np.ndarray | None:
    """The iterations of :func:`geomed` in X's precision; None as soon as a distance is not finite.
    ``bounded``: no distance from a point of the rows' bounding box can overflow (each iterate is a
    convex combination of the rows), so the last step's distances are not computed."""
    z = _median(X)
    # (checked for float64; below d = 8192 the q x d temporary is cheaper than the Python loop)
    two_rows = X.dtype == np.float64 and X.shape[0] >= 2 and X.shape[1] >= 8192 and X.flags.c_contiguous
    buf = np.empty((2, X.shape[1])) if two_rows else None
    dist = np.sqrt(_sq_dist(X, z, buf))
    if not np.isfinite(dist).all():
        return None
    s = dist.mean() or 1.0  # in X's precision (a float() of an extended one could overflow)
    for _ in range(max_iter):
        near = dist <= nu * s  # rows that coincide with z
        far = ~near
        if not far.any():
            break
        eta = int(near.sum())
        Xf = X[far] if eta else X  # (no copy when every row is far: the same numbers)
        w = 1.0 / dist[far]
        T = (w @ Xf) / w.sum()
        if eta:
            # Vardi-Zhang step: z may sit on a data point that is not the median; move off it
            r = np.linalg.norm(w @ (Xf - z))
            g = min(1.0, eta / r) if r > 0 else 1.0
            z_new = (1.0 - g) * T + g * z
        else:
            z_new = T
        step = np.linalg.norm(z_new - z)
        z = z_new
        if bounded and step <= tol * s:
            break
        dist = np.sqrt(_sq_dist(X, z, buf))
        if not np.isfinite(dist).all():
            return None
        if step <= tol * s:
            break
    return z


def kappa_gm(n: int, f: int) -> float:
    """4 (1 + f/(n - 2f))^2 (NNM paper, Proposition 4; also CWMed, Proposition 5)."""
    return 4 * (1 + f / (n - 2 * f)) ** 2


RULES = {"geomed": geomed, "gm": geomed}
