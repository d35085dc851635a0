"""LICCHAVI (Farhadkhani, Guerraoui, Hoang): the argmin of eq. 2,

    LOSS(rho, theta) = sum_n L_n(theta_n) + sum_n lambda_n N_n^{p_n}(theta_n - rho) + lambda_0 N_0^{p_0}(rho),

with least-squares losses L_n(theta) = 1/2 theta^T H_n theta - b_n^T theta (+ const), H_n = sum Q Q^T,
b_n = sum A Q. A user may instead report a model w directly (Theorem 6's reduction: the modified
loss LOSS_s of eq. 4); such users are "fixed". Exact solvers:

* :func:`solve_l2sq`: p_n = 2, N_n = ||.||_2, N_0 = ||Delta_0 .||_2, p_0 = 2: one d x d linear solve
  after eliminating theta_n = (H_n + 2 lambda_n I)^-1 (b_n + 2 lambda_n rho);
* :func:`solve_l1_cw`: the strategyproof form (eq. 7) with coordinate-wise data (Assumption 4):
  p_n = 1, N_n = ||Delta_n .||_1, N_0 = ||Delta_0 .||_{p_0}: per coordinate, the rho-derivative of
  the loss with theta minimised is p_0 lambda_0 Delta_0j^p0 sgn(rho)|rho|^{p0-1} + sum_n
  clip(a_nj (rho - theta_hat_nj), -mu_nj, mu_nj) (mu_nj = lambda_n Delta_nj; a fixed user contributes
  mu sgn(rho - w_j)), monotone in rho: its zero is found exactly (p_0 = 2: piecewise linear between
  breakpoints) or by bisection (any p_0 > 1); then theta*_nj = rho_j + soft-threshold(theta_hat_nj -
  rho_j, mu_nj / a_nj).

Errata (docs/seeds.md): Lemma 17 proves -g in the subdifferential in its q > 1 and q = 1 cases and
+g in its q = infinity case, while stating g (:func:`lemma17_x` returns x with lambda grad ||x||_q^p = g
in every case); eq. 115 drops lambda_0 before ||Delta_0 rho||^{p0}; eq. 117 writes |rho_j - theta_nj|
for the strategic user's term, which is |rho_j - w_j|.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


# ------------------------------------------------------------------------------------------------
# norms and Lemma 17
# ------------------------------------------------------------------------------------------------
def norm_q(x: np.ndarray, q: float) -> float:
    return float(np.max(np.abs(x))) if math.isinf(q) else float(np.sum(np.abs(x) ** q) ** (1.0 / q))


def grad_norm_pow(x: np.ndarray, p: float, q: float) -> np.ndarray:
    """grad ||x||_q^p = p sgn(x_j) |x_j|^{q-1} ||x||_q^{p-q} (Lemma 16), for 1 < q < inf and x != 0."""
    x = np.asarray(x, dtype=np.float64)
    nrm = norm_q(x, q)
    if nrm == 0.0:
        return np.zeros_like(x)
    return p * np.sign(x) * np.abs(x) ** (q - 1) * nrm ** (p - q)


def lemma17_x(g: np.ndarray, lam: float, p: float, q: float) -> np.ndarray:
    """Lemma 17 with one sign convention: an x with g in lambda * subdifferential ||x||_q^p (p > 1,
    q in [1, inf]). q > 1: z_j = sgn(g_j)(|g_j| / (lambda p))^{1/(q-1)}, x = ||z||_q^{(q-p)/(p-1)} z;
    q = 1: x = sgn(g_j*)(|g_j*| / (lambda p))^{1/(p-1)} e_j* with |g_j*| = ||g||_inf; q = inf:
    x = (||g||_1 / (lambda p))^{1/(p-1)} sgn(g). (The paper's cases carry -g, -g and +g.)"""
    g = np.asarray(g, dtype=np.float64)
    if p <= 1:
        raise ValueError("Lemma 17 needs p > 1 (with p = 1 the subgradients are bounded: Theorems 9-12)")
    if not np.any(g):
        return np.zeros_like(g)
    if math.isinf(q):
        return (float(np.sum(np.abs(g))) / (lam * p)) ** (1.0 / (p - 1)) * np.sign(g)
    if q == 1:
        j = int(np.argmax(np.abs(g)))
        x = np.zeros_like(g)
        x[j] = math.copysign((abs(g[j]) / (lam * p)) ** (1.0 / (p - 1)), g[j])
        return x
    z = np.sign(g) * (np.abs(g) / (lam * p)) ** (1.0 / (q - 1))
    return norm_q(z, q) ** ((q - p) / (p - 1)) * z


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------
@dataclass
class Users:
    """N users: least-squares statistics (H_n, b_n) for users with data, models w_n for fixed users
    (``fixed[n]`` true), weights lambda_n and diagonal norms Delta_n (rows of ``Delta``)."""

    H: np.ndarray          # N x d x d
    b: np.ndarray          # N x d
    lam: np.ndarray        # N
    fixed: np.ndarray      # N bools
    w: np.ndarray          # N x d (used where fixed)
    Delta: np.ndarray      # N x d, positive

    @property
    def N(self) -> int:
        return int(self.H.shape[0])

    @property
    def d(self) -> int:
        return int(self.H.shape[1])

    def with_model(self, n: int, w: np.ndarray) -> "Users":
        fixed, W = self.fixed.copy(), self.w.copy()
        fixed[n], W[n] = True, np.asarray(w, dtype=np.float64)
        return Users(self.H, self.b, self.lam, fixed, W, self.Delta)

    def subset(self, keep: np.ndarray) -> "Users":
        return Users(self.H[keep], self.b[keep], self.lam[keep], self.fixed[keep], self.w[keep], self.Delta[keep])


def stats_from_data(Q: np.ndarray, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """H = sum Q Q^T and b = sum A Q of one user's data (queries as rows of Q)."""
    return Q.T @ Q, Q.T @ A


def draw_data(theta: np.ndarray, count: int, rng: np.random.Generator, noise: float,
              coordinate: bool) -> tuple[np.ndarray, np.ndarray]:
    """``count`` answers A = Q^T theta + noise xi to queries Q, Gaussian or coordinate-wise
    (Assumption 4: Q = q e_j, j uniform, q ~ N(0, 1))."""
    d = len(theta)
    if coordinate:
        Q = np.zeros((count, d))
        Q[np.arange(count), rng.integers(0, d, size=count)] = rng.standard_normal(count)
    else:
        Q = rng.standard_normal((count, d))
    return Q, Q @ theta + noise * rng.standard_normal(count)


# ------------------------------------------------------------------------------------------------
# p = 2 everywhere: one linear solve
# ------------------------------------------------------------------------------------------------
def solve_l2sq(u: Users, lam0: float, Delta0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rho*, theta*) of eq. 2 with lambda_n ||theta_n - rho||_2^2 and lambda_0 ||Delta_0 rho||_2^2.
    rho solves sum_n 2 lambda_n (rho - theta_n(rho)) + 2 lambda_0 Delta_0^2 rho = 0."""
    d = u.d
    M = 2.0 * lam0 * np.diag(np.asarray(Delta0, dtype=np.float64) ** 2)
    r = np.zeros(d)
    inv = []
    for n in range(u.N):
        two = 2.0 * u.lam[n]
        if u.fixed[n]:
            M += two * np.eye(d)
            r += two * u.w[n]
            inv.append(None)
            continue
        K = np.linalg.inv(u.H[n] + two * np.eye(d))
        inv.append(K)
        M += two * (np.eye(d) - two * K)
        r += two * K @ u.b[n]
    rho = np.linalg.solve(M, r)
    theta = np.stack([u.w[n] if u.fixed[n] else inv[n] @ (u.b[n] + 2.0 * u.lam[n] * rho) for n in range(u.N)])
    return rho, theta


def envelope_grad_l2sq(u: Users, rho: np.ndarray, lam0: float, Delta0: np.ndarray) -> np.ndarray:
    """grad_rho of min_theta LOSS (the gradient g of LOSS*_{-s} of eq. 112 when u excludes s)."""
    g = 2.0 * lam0 * np.asarray(Delta0, dtype=np.float64) ** 2 * rho
    for n in range(u.N):
        two = 2.0 * u.lam[n]
        th = u.w[n] if u.fixed[n] else np.linalg.solve(u.H[n] + two * np.eye(u.d), u.b[n] + two * rho)
        g = g + two * (rho - th)
    return g


def theorem7_w(chi: np.ndarray, g: np.ndarray, lam_s: float, p_s: float = 2.0, q_s: float = 2.0) -> np.ndarray:
    """Theorem 7: the model w that puts rho* exactly at chi, given g = grad_rho LOSS*_{-s}(chi):
    w = chi - x with lambda_s grad ||x||_{q_s}^{p_s} = -g (Lemma 17). For l2^2: w = chi + g/(2 lambda_s)."""
    return np.asarray(chi, dtype=np.float64) - lemma17_x(-np.asarray(g, dtype=np.float64), lam_s, p_s, q_s)


def theorem8_rho(chi: np.ndarray, grad_Lt_at_chi: np.ndarray, lam_t: float, p_t: float = 2.0,
                 q_t: float = 2.0) -> np.ndarray:
    """Theorem 8: the rho that makes theta*_t = chi: rho = chi - x with lambda_t grad N^p(x) = -grad L_t(chi)."""
    return np.asarray(chi, dtype=np.float64) - lemma17_x(-np.asarray(grad_Lt_at_chi), lam_t, p_t, q_t)


def solve_rho_fixed_smooth(u: Users, lam0: float, Delta0: np.ndarray, s: int, w: np.ndarray, p_s: float,
                           q_s: float, rho0: np.ndarray, iters: int = 100) -> np.ndarray:
    """rho* when every user but s is l2^2 and user s reports w with lambda_s ||w - rho||_{q_s}^{p_s}
    (1 < q_s < inf): damped Newton on the strictly convex rho-loss (the others' theta minimised out:
    a quadratic), with a finite-difference Hessian of the exact gradient."""
    others = u.subset(np.arange(u.N) != s)

    def grad(r):
        return envelope_grad_l2sq(others, r, lam0, Delta0) - u.lam[s] * grad_norm_pow(w - r, p_s, q_s)

    r = np.array(rho0, dtype=np.float64)
    for _ in range(iters):
        gr = grad(r)
        if np.linalg.norm(gr) <= 1e-13 * (1 + np.linalg.norm(r)):
            break
        h = 1e-6 * (1 + np.linalg.norm(r))
        Hs = np.stack([(grad(r + h * e) - grad(r - h * e)) / (2 * h) for e in np.eye(len(r))])
        step = np.linalg.solve(0.5 * (Hs + Hs.T), gr)
        r = r - step
    return r


# ------------------------------------------------------------------------------------------------
# p = 1 with coordinate-wise data: exact per coordinate
# ------------------------------------------------------------------------------------------------
def _coord_terms(u: Users, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per user on coordinate j: curvature a, centre theta_hat, threshold mu, fixed flag."""
    a = np.where(u.fixed, np.inf, u.H[:, j, j])
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.where(u.fixed, u.w[:, j], np.where(a > 0, u.b[:, j] / np.where(a > 0, a, 1.0), 0.0))
    return a, centre, u.lam * u.Delta[:, j], u.fixed


def _coord_derivative(r: float, a, centre, mu, lam0: float, d0: float, p0: float, side: int) -> float:
    """The rho-derivative at r (side = -1: left limit, +1: right limit) on one coordinate."""
    val = p0 * lam0 * d0 ** p0 * math.copysign(abs(r) ** (p0 - 1), r) if r != 0 else 0.0
    for ai, ci, mi in zip(a.tolist(), centre.tolist(), mu.tolist()):
        if math.isinf(ai):
            val += mi * (1.0 if r > ci or (r == ci and side > 0) else -1.0)
        elif ai > 0:
            val += min(mi, max(-mi, ai * (r - ci)))
    return val


def _coord_root_exact(a, centre, mu, lam0: float, d0: float) -> float:
    """p_0 = 2: the zero of the monotone piecewise-linear derivative, from its breakpoints."""
    fin = np.isfinite(a) & (a > 0)
    pts = np.concatenate([centre[fin] - mu[fin] / a[fin], centre[fin] + mu[fin] / a[fin], centre[~np.isfinite(a)], [0.0]])
    pts = np.unique(pts)
    F = lambda r, side: _coord_derivative(r, a, centre, mu, lam0, d0, 2.0, side)  # noqa: E731
    for r in pts.tolist():
        if F(r, -1) <= 0 <= F(r, +1):
            return r
    lo_val = F(float(pts[0]), -1)
    if lo_val > 0:  # the zero lies left of every breakpoint: the derivative is linear there
        return _linear_root(F, float(pts[0]) - 1.0, float(pts[0]))
    for x0, x1 in zip(pts[:-1].tolist(), pts[1:].tolist()):
        if F(x0, +1) < 0 < F(x1, -1):
            return _linear_root(F, x0, x1)
    return _linear_root(F, float(pts[-1]), float(pts[-1]) + 1.0)


def _linear_root(F, x0: float, x1: float) -> float:
    """The zero of F on [x0, x1] where F is affine (evaluated at interior points)."""
    a0, a1 = x0 + 0.25 * (x1 - x0), x0 + 0.75 * (x1 - x0)
    f0, f1 = F(a0, 0), F(a1, 0)
    return a0 - f0 * (a1 - a0) / (f1 - f0)


def coord_root_bisect(a, centre, mu, lam0: float, d0: float, p0: float) -> float:
    """Any p_0 > 1: bisection on the monotone derivative (the slow reference for p_0 = 2)."""
    F = lambda r, side: _coord_derivative(r, a, centre, mu, lam0, d0, p0, side)  # noqa: E731
    lo, hi = -1.0, 1.0
    while F(lo, -1) > 0:
        lo *= 2
    while F(hi, +1) < 0:
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if F(mid, -1) > 0:
            hi = mid
        elif F(mid, +1) < 0:
            lo = mid
        else:
            return mid
        if hi - lo <= 1e-15 * max(1.0, abs(mid)):
            break
    return 0.5 * (lo + hi)


def solve_l1_cw(u: Users, lam0: float, Delta0: np.ndarray, p0: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(rho*, theta*) of eq. 7 under Assumption 4 (each H_n diagonal), exact per coordinate."""
    if any(np.any(np.abs(u.H[n] - np.diag(np.diag(u.H[n]))) > 0) for n in range(u.N) if not u.fixed[n]):
        raise ValueError("solve_l1_cw needs coordinate-wise data (Assumption 4): every H_n diagonal")
    rho = np.zeros(u.d)
    theta = np.where(u.fixed[:, None], u.w, 0.0)
    for j in range(u.d):
        a, centre, mu, fixed = _coord_terms(u, j)
        d0 = float(Delta0[j])
        rho[j] = _coord_root_exact(a, centre, mu, lam0, d0) if p0 == 2.0 else coord_root_bisect(a, centre, mu, lam0, d0, p0)
        for n in np.flatnonzero(~fixed).tolist():
            if a[n] > 0:
                z = centre[n] - rho[j]
                theta[n, j] = rho[j] + math.copysign(max(abs(z) - mu[n] / a[n], 0.0), z)
            else:
                theta[n, j] = rho[j]
    return rho, theta


def rho_H(models: np.ndarray, lam: np.ndarray, Delta: np.ndarray, lam0: float, Delta0: np.ndarray,
          p0: float = 2.0) -> np.ndarray:
    """rho*_H (eq. 11) for N = ||Delta .||_1: argmin sum_h lambda_h N(rho - theta_h) + lambda_0 N_0^{p0}(rho)."""
    N, d = models.shape
    u = Users(np.zeros((N, d, d)), np.zeros((N, d)), np.asarray(lam, float), np.ones(N, bool),
              np.asarray(models, float), np.broadcast_to(np.asarray(Delta, float), (N, d)).copy())
    return solve_l1_cw(u, lam0, Delta0, p0)[0]


def rho_fixed_exact(models: np.ndarray, lam: np.ndarray, lam0: float, Delta0: np.ndarray) -> np.ndarray:
    """rho* when every user reports a fixed model and N = ||.||_1 (Delta_n = I), p_0 = 2: per coordinate
    the zero of 2 lambda_0 Delta_0j^2 r + sum_n lambda_n sgn(r - w_nj), found among the sorted models
    (a kink holds it when the jump straddles 0) and the affine pieces between them. Vectorised over
    the models; :func:`rho_H` is the reference."""
    W = np.asarray(models, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    out = np.empty(W.shape[1])
    for j in range(W.shape[1]):
        order = np.argsort(W[:, j])
        w, mu = W[order, j], lam[order]
        a = 2.0 * lam0 * float(Delta0[j]) ** 2
        below = np.concatenate([[0.0], np.cumsum(mu)])      # weight strictly left of piece k
        total = below[-1]
        const = below - (total - below)                       # sum sgn on piece k (between w[k-1] and w[k])
        left, right = a * w + const[:-1], a * w + const[1:]   # F just left / right of each kink
        at = np.flatnonzero((left <= 0) & (right >= 0))
        if at.size:
            out[j] = w[at[0]]
            continue
        r = -const / a                                        # zero of the affine piece k
        lo = np.concatenate([[-np.inf], w])
        hi = np.concatenate([w, [np.inf]])
        k = np.flatnonzero((r > lo) & (r < hi))
        out[j] = r[k[0]]
    return out
