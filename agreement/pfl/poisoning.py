"""From gradient attack to model attack to data poisoning (poisoning paper, sections 5.2-5.3,
appendices D and K), and the optima the claims are measured against.

* Proposition 4: theta_spade = theta_dagger - g_s_inf / (2 lambda) makes rho* = theta_dagger (l2sq).
  Section 5.2's text writes theta_dagger - g/2, equal only for lambda = 1 (its proof also writes the
  gradient of lambda ||rho - theta_spade||^2 at theta_dagger as lambda (theta_dagger - theta_spade):
  it is 2 lambda (theta_dagger - theta_spade)).
* Theorem 5 (appendix K): with g = grad Loss*_{-s}(theta_dagger) and theta_spade = theta_dagger +
  g/(2 lambda), the single point (Q, A) = (g, g^T theta_spade + 1) gives rho* = theta_dagger exactly.
  The printed point (g, g^T theta_spade - 1) has the wrong sign: its gradient at theta_spade is +g,
  which adds to grad_theta R = g instead of cancelling it.
* Corollaries 1-2 (appendix D): the two-world constructions. Appendix D.2's "|rho| <= F/(N - F)"
  (from |rho|^2 <= eps) should read |rho| <= sqrt(eps).
"""
from __future__ import annotations

import math

import numpy as np

from agreement.pfl.licchavi import Users, solve_l2sq
from agreement.pfl.regularizers import R_value, honest_gradient, local_exact


def prop4_model(target: np.ndarray, g_inf: np.ndarray, lam: float) -> np.ndarray:
    """Proposition 4: theta_spade = theta_dagger - g_s_inf / (2 lambda)."""
    return target - g_inf / (2.0 * lam)


def section52_model(target: np.ndarray, g_inf: np.ndarray) -> np.ndarray:
    """Section 5.2's printed theta_spade = theta_dagger - g/2 (Proposition 4 only when lambda = 1)."""
    return target - 0.5 * g_inf


def optimum_l2sq(H: np.ndarray, b: np.ndarray, lam: float, models: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rho*, theta*) of eq. 1 with l2sq (no rho regularisation), least-squares users (H, b) and users
    reporting fixed ``models`` (the modified loss of eq. 2)."""
    d = H.shape[1]
    k = 0 if models is None else len(models)
    N = len(H) + k
    Hs = np.concatenate([H, np.zeros((k, d, d))]) if k else H
    bs = np.concatenate([b, np.zeros((k, d))]) if k else b
    w = np.concatenate([np.zeros((len(H), d)), models]) if k else np.zeros((N, d))
    fixed = np.arange(N) >= len(H)
    return solve_l2sq(Users(Hs, bs, np.full(N, float(lam)), fixed, w, np.ones((N, d))), 0.0, np.ones(d))


def envelope_grad(kind: str, lam: float, H: np.ndarray, b: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """g = grad_rho Loss*_{-s}(rho) = sum_n grad_rho min_theta [L_n(theta) + R(rho, theta)] (eq. 175)."""
    return sum(honest_gradient(kind, lam, rho, local_exact(kind, lam, H[n], b[n], rho), H[n], b[n])
               for n in range(len(H)))


def envelope_value(kind: str, lam: float, H: np.ndarray, b: np.ndarray, c: np.ndarray, rho: np.ndarray) -> float:
    total = 0.0
    for n in range(len(H)):
        th = local_exact(kind, lam, H[n], b[n], rho)
        total += 0.5 * th @ H[n] @ th - b[n] @ th + c[n] + R_value(kind, lam, rho - th)
    return float(total)


def theorem5_point(g: np.ndarray, theta_spade: np.ndarray, sign: float = 1.0) -> tuple[np.ndarray, float]:
    """Theorem 5's single data point (Q, A) = (g, g^T theta_spade + sign); sign = +1 is the corrected
    one, sign = -1 the printed one."""
    return np.array(g, dtype=np.float64), float(g @ theta_spade + sign)


def _R_hessian(kind: str, lam: float, z: np.ndarray) -> np.ndarray | None:
    """Hessian of R in z = rho - theta (None for l2 at z = 0, where R is not twice differentiable)."""
    d = len(z)
    if kind == "l2sq":
        return 2.0 * lam * np.eye(d)
    nz2 = float(z @ z)
    if kind == "l2":
        if nz2 == 0.0:
            return None
        nz = math.sqrt(nz2)
        return lam * (np.eye(d) / nz - np.outer(z, z) / nz ** 3)
    s = math.sqrt(1.0 + nz2)
    return lam * (np.eye(d) / s - np.outer(z, z) / s ** 3)


def envelope_hessian(kind: str, lam: float, H: np.ndarray, b: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Hessian of sum_n min_theta [L_n(theta) + R(rho - theta)]: per user M - M (H_n + M)^-1 M with M
    the Hessian of R at z = rho - theta*_n (implicit function theorem); H_n where theta*_n = rho (l2)."""
    out = np.zeros((len(rho), len(rho)))
    for n in range(len(H)):
        th = local_exact(kind, lam, H[n], b[n], rho)
        M = _R_hessian(kind, lam, rho - th)
        out += H[n] if M is None else M - M @ np.linalg.solve(H[n] + M, M)
    return out


def clean_optimum(kind: str, lam: float, H: np.ndarray, b: np.ndarray, c: np.ndarray, rho0: np.ndarray,
                  iters: int = 100) -> np.ndarray:
    """rho of the honest users alone: the minimiser of the (convex, C^1) envelope sum. l2sq: a linear
    solve; d = 1: bisection on the (monotone) envelope derivative; otherwise damped Newton with the
    envelope's exact Hessian (:func:`envelope_hessian`), stopping when no step decreases the value."""
    if kind == "l2sq":
        return optimum_l2sq(H, b, lam)[0]
    if len(rho0) == 1:
        return np.array([_bisect_1d(lambda x: float(envelope_grad(kind, lam, H, b, np.array([x]))[0]), float(rho0[0]))])
    r = np.array(rho0, dtype=np.float64)
    scale = 1.0 + float(np.max(np.linalg.norm(b, axis=-1)))
    for _ in range(iters):
        g = envelope_grad(kind, lam, H, b, r)
        if np.linalg.norm(g) <= 1e-12 * scale:
            break
        Hs = envelope_hessian(kind, lam, H, b, r)
        step = np.linalg.lstsq(Hs + 1e-12 * np.eye(len(r)), g, rcond=None)[0]
        v0, a = envelope_value(kind, lam, H, b, c, r), 1.0
        while envelope_value(kind, lam, H, b, c, r - a * step) > v0 - 1e-4 * a * (g @ step):
            a *= 0.5
            if a < 1e-8:
                return r  # no decrease along the Newton direction: at the optimum up to rounding
        r = r - a * step
        if a * np.linalg.norm(step) <= 1e-15 * (1.0 + np.linalg.norm(r)):
            break
    return r


def _bisect_1d(deriv, x0: float) -> float:
    """The zero of a non-decreasing derivative (a convex function's minimiser on the line)."""
    lo, hi, w = x0 - 1.0, x0 + 1.0, 1.0
    while deriv(lo) > 0:
        w *= 2
        lo = x0 - w
    while deriv(hi) < 0:
        w *= 2
        hi = x0 + w
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if deriv(mid) > 0:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-15 * max(1.0, abs(mid)):
            break
    return 0.5 * (lo + hi)


def geometric_median(points: np.ndarray, weights: np.ndarray | None = None, iters: int = 10000,
                     tol: float = 1e-14) -> np.ndarray:
    """argmin_rho sum_h w_h ||rho - theta_h||_2 (rho*_H of LICCHAVI's eq. 11 for the l2 norm and
    lambda_0 = 0): Weiszfeld's iteration with the Vardi-Zhang step at a data point."""
    X = np.asarray(points, dtype=np.float64)
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    for k in range(len(X)):  # a data point is the median iff the others' unit pulls sum to <= its weight
        diff = X[k] - np.delete(X, k, axis=0)
        dist = np.linalg.norm(diff, axis=1)
        if np.all(dist > 0) and np.linalg.norm((np.delete(w, k)[:, None] * diff / dist[:, None]).sum(axis=0)) <= w[k]:
            return X[k].copy()
    y = np.average(X, axis=0, weights=w)
    for _ in range(iters):
        dist = np.linalg.norm(X - y, axis=1)
        at = dist <= 1e-300
        inv = np.where(at, 0.0, w / np.where(at, 1.0, dist))
        T = (inv[:, None] * X).sum(axis=0) / inv.sum()
        if at.any():
            R = (inv[:, None] * (X - y)).sum(axis=0)
            r = np.linalg.norm(R)
            eta = w[at].sum()
            T = y if r <= eta else (1 - eta / r) * T + min(1.0, eta / r) * y
        if np.linalg.norm(T - y) <= tol * (1.0 + np.linalg.norm(y)):
            return T
        y = T
    return y


def two_worlds(N: int, F: int, construction: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Appendix D: (theta_dagger per user in world 1, honest mask 1, theta_dagger in world 2, honest
    mask 2, the honest mean gap). The reported data coincide between worlds (the Byzantine users of
    one world behave as the honest users of the other).

    corollary2: theta = 0 for users 1..N-F and 1 for the last F; world 1: H = first N - F (all at 0),
    world 2: H = the last N - F (mean F/(N - F), heterogeneity 1).
    corollary1 (F >= N/2): H0 = floor(N/2) users at -1, H0 at +1, the rest at 0; world 1 honest = the
    first H0, world 2 honest = the next H0 (their means differ by 2)."""
    if construction == "corollary2":
        theta = np.concatenate([np.zeros(N - F), np.ones(F)])
        m1 = np.arange(N) < N - F
        m2 = np.arange(N) >= F
        return theta, m1, theta, m2, F / (N - F)
    H0 = N // 2
    theta = np.concatenate([-np.ones(H0), np.ones(H0), np.zeros(N - 2 * H0)])
    m1 = np.arange(N) < H0
    m2 = (np.arange(N) >= H0) & (np.arange(N) < 2 * H0)
    return theta, m1, theta, m2, 2.0


def corollary2_bound(N: int, F: int) -> float:
    """Corollary 2: no (F, N, C)-Byzantine learning with C < F/(N - F)."""
    return F / (N - F) if N > F else math.inf
