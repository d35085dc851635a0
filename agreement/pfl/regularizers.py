"""The regularisations of personalised federated learning (poisoning paper, eq. 1) and the exact local
models of least-squares users.

R(rho, theta) with z = rho - theta: lambda ||z||^2 ("l2sq"), lambda ||z|| ("l2"), lambda sqrt(1 + ||z||^2)
("smooth_l2"). grad_rho R = 2 lambda z, lambda z/||z||, lambda z/sqrt(1 + ||z||^2). GRAD(rho), the
closure of the plausible gradients, is R^d for l2sq and the closed ball B(0, lambda) for the others
(section 2.2); the server drops a gradient outside it.

Local losses are SUMS over data (eq. 5 with nu = 0): L_n(theta) = 1/2 theta^T H theta - b^T theta + c,
H = sum Q Q^T, b = sum A Q.
"""
from __future__ import annotations

import math

import numpy as np

REGULARIZERS = ("l2sq", "l2", "smooth_l2")


def R_value(kind: str, lam: float, z: np.ndarray) -> float:
    nz = float(np.linalg.norm(z))
    if kind == "l2sq":
        return lam * nz * nz
    if kind == "l2":
        return lam * nz
    if kind == "smooth_l2":
        return lam * math.sqrt(1.0 + nz * nz)
    raise ValueError(f"unknown regularization {kind!r}; use one of {', '.join(REGULARIZERS)}")


def grad_rho(kind: str, lam: float, z: np.ndarray) -> np.ndarray:
    """grad_rho R(rho, theta) at z = rho - theta (l2 at z = 0: the subgradient 0)."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "l2sq":
        return 2.0 * lam * z
    nz = float(np.linalg.norm(z))
    if kind == "l2":
        return lam * z / nz if nz > 0 else np.zeros_like(z)
    if kind == "smooth_l2":
        return lam * z / math.sqrt(1.0 + nz * nz)
    raise ValueError(f"unknown regularization {kind!r}; use one of {', '.join(REGULARIZERS)}")


def plausible(kind: str, lam: float, g: np.ndarray, rtol: float = 1e-9) -> bool:
    """g in GRAD(rho): always for l2sq, ||g|| <= lambda for l2 and smooth-l2 (with a relative
    tolerance for the rounding of a projected gradient)."""
    return kind == "l2sq" or float(np.linalg.norm(g)) <= lam * (1.0 + rtol)


def project_grad(kind: str, lam: float, h: np.ndarray) -> np.ndarray:
    """The orthogonal projection of h on GRAD (Proposition 2): h for l2sq, h min(1, lambda/||h||)
    otherwise."""
    h = np.asarray(h, dtype=np.float64)
    if kind == "l2sq":
        return h.copy()
    nh = float(np.linalg.norm(h))
    return h if nh <= lam else h * (lam / nh)


def project_grad_slow(kind: str, lam: float, h: np.ndarray, samples: int = 20000, seed: int = 0) -> np.ndarray:
    """The projection by brute force: the closest of many points of GRAD (the ball's boundary on a
    dense random set, plus h when it is inside) -- the reference of :func:`project_grad`."""
    h = np.asarray(h, dtype=np.float64)
    if kind == "l2sq" or np.linalg.norm(h) <= lam:
        return h.copy()
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((samples, len(h)))
    u = lam * u / np.linalg.norm(u, axis=1, keepdims=True)
    return u[int(np.argmin(np.linalg.norm(u - h, axis=1)))]


# ------------------------------------------------------------------------------------------------
# exact local models: theta*(rho) = argmin_theta L(theta) + R(rho, theta)
# ------------------------------------------------------------------------------------------------
def local_exact(kind: str, lam: float, H: np.ndarray, b: np.ndarray, rho: np.ndarray,
                theta0: np.ndarray | None = None) -> np.ndarray:
    """The exact local model of a least-squares user given rho (Theorem 4's setting)."""
    if kind == "l2sq":
        return np.linalg.solve(H + 2.0 * lam * np.eye(len(rho)), b + 2.0 * lam * rho)
    if kind == "l2":
        return _local_l2(lam, H, b, rho)
    if kind == "smooth_l2":
        return _local_smooth(lam, H, b, rho, theta0)
    raise ValueError(f"unknown regularization {kind!r}")


def _local_l2(lam: float, H: np.ndarray, b: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """argmin 1/2 theta^T H theta - b^T theta + lambda ||rho - theta||: theta = rho when
    ||H rho - b|| <= lambda; else theta = rho - p(mu), p(mu) = (H + mu I)^-1 r, r = H rho - b, with
    mu > 0 the root of mu ||p(mu)|| = lambda (increasing in mu from 0 to ||r||). Solved in H's
    eigenbasis as the secular equation F(mu) = 1/||p(mu)|| - mu/lambda = 0 (nearly linear in mu) by
    safeguarded Newton."""
    r = H @ rho - b
    nr = float(np.linalg.norm(r))
    if nr <= lam:
        return rho.copy()
    ev, V = np.linalg.eigh(H)
    r2 = (V.T @ r) ** 2

    def F(mu):
        S = float(np.sum(r2 / (ev + mu) ** 2))
        return 1.0 / math.sqrt(S) - mu / lam, S ** -1.5 * float(np.sum(r2 / (ev + mu) ** 3)) - 1.0 / lam

    lo, hi = 0.0, 1.0
    while F(hi)[0] > 0:
        lo, hi = hi, 2.0 * hi
    mu = 0.5 * (lo + hi)
    for _ in range(100):
        val, der = F(mu)
        if val > 0:
            lo = mu
        else:
            hi = mu
        nxt = mu - val / der if der < 0 else 0.5 * (lo + hi)
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi)
        if abs(nxt - mu) <= 1e-15 * mu:
            mu = nxt
            break
        mu = nxt
    return rho - V @ ((V.T @ r) / (ev + mu))


def _local_smooth(lam: float, H: np.ndarray, b: np.ndarray, rho: np.ndarray, theta0: np.ndarray | None) -> np.ndarray:
    """Newton with backtracking on 1/2 theta^T H theta - b^T theta + lambda sqrt(1 + ||rho - theta||^2)."""
    d = len(rho)
    th = np.array(rho if theta0 is None else theta0, dtype=np.float64)

    def value(t):
        z = rho - t
        return 0.5 * t @ H @ t - b @ t + lam * math.sqrt(1.0 + z @ z)

    for _ in range(100):
        z = rho - th
        s = math.sqrt(1.0 + z @ z)
        Ht = H @ th
        grad = Ht - b - lam * z / s
        if np.linalg.norm(grad) <= 1e-14 * (np.linalg.norm(Ht) + np.linalg.norm(b) + lam):
            break
        hess = H + lam * (np.eye(d) / s - np.outer(z, z) / s ** 3)
        step = np.linalg.solve(hess, grad)
        v0, a = value(th), 1.0
        while value(th - a * step) > v0 - 0.25 * a * (grad @ step) and a > 1e-6:
            a *= 0.5
        th = th - a * step
        if a * np.linalg.norm(step) <= 1e-15 * (1.0 + np.linalg.norm(th)):
            break
    return th


def honest_gradient(kind: str, lam: float, rho: np.ndarray, theta: np.ndarray, H: np.ndarray | None = None,
                    b: np.ndarray | None = None) -> np.ndarray:
    """What an honest user reports: grad_rho R(rho, theta). For l2 at theta = rho with the exact
    local model, the subgradient H rho - b (= grad L(theta*), the envelope's gradient)."""
    z = rho - theta
    if kind == "l2" and not np.any(z) and H is not None:
        return H @ theta - b
    return grad_rho(kind, lam, z)
