"""Personalised federated learning with a trusted server and the counter-gradient attack (poisoning
paper, section 2.2 and section 5.1).

Round t: each honest user updates theta_n from rho^t (exactly, Theorem 4, or one gradient step,
Figure 1) and reports g_n = grad_rho R(rho^t, theta_n); the server drops a gradient outside GRAD and
steps rho^{t+1} = rho^t - eta sum_n g_n.

CGA (eqs. 6-7, Proposition 2): g_hat^1 = 0, g_hat^t = (rho^{t-1} - rho^t)/eta_{t-1} - g_s^{t-1};
h^t = (rho^t - theta_dagger)/eta_t - g_hat^t; report the projection of h^t on GRAD. With f colluders
g_s^{t-1} is their summed applied gradient and each reports the projection of h^t / f. Eq. 7 writes
theta_s^t for the target theta_s_dagger (erratum). Plain gradient descent: eq. 6 inverts the plain
update (Adam would break it). Section 5.4's variant aims at theta_dagger + g_hat/(2 lambda (N - 1)).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from agreement.pfl.regularizers import honest_gradient, local_exact, plausible, project_grad


def cga_estimate(rho_t: np.ndarray, rho_prev: np.ndarray | None, g_s_prev: np.ndarray | None,
                 eta_prev: float) -> np.ndarray:
    """g_hat^t (eq. 6): the others' summed gradient of the previous round, 0 at t = 1."""
    if rho_prev is None or g_s_prev is None:
        return np.zeros_like(rho_t)
    return (rho_prev - rho_t) / eta_prev - g_s_prev


def cga_report(kind: str, lam: float, rho_t: np.ndarray, target: np.ndarray, g_hat: np.ndarray, eta_t: float,
               f: int = 1) -> np.ndarray:
    """What each of f colluders reports (Proposition 2): Proj_GRAD(h / f), h = (rho^t - target)/eta_t - g_hat."""
    h = (rho_t - target) / eta_t - g_hat
    return project_grad(kind, lam, h / f)


def local_variant_target(target: np.ndarray, g_hat: np.ndarray, lam: float, N: int) -> np.ndarray:
    """Section 5.4: aim rho at theta_dagger + g_hat / (2 lambda (N - 1)) to move the others' average
    local model to theta_dagger (l2sq, exact local models)."""
    return target + g_hat / (2.0 * lam * (N - 1))


# ------------------------------------------------------------------------------------------------
# honest users
# ------------------------------------------------------------------------------------------------
class ExactLeastSquares:
    """Honest least-squares users with exact local models given rho (Theorem 4)."""

    def __init__(self, kind: str, lam: float, H: np.ndarray, b: np.ndarray):
        self.kind, self.lam, self.H, self.b = kind, float(lam), H, b

    def update(self, rho: np.ndarray, thetas: np.ndarray, t: int) -> np.ndarray:
        return np.stack([local_exact(self.kind, self.lam, self.H[n], self.b[n], rho, thetas[n])
                         for n in range(len(self.H))])

    def grads(self, rho: np.ndarray, thetas: np.ndarray) -> np.ndarray:
        return np.stack([honest_gradient(self.kind, self.lam, rho, thetas[n], self.H[n], self.b[n])
                         for n in range(len(self.H))])


class OneStep:
    """Honest users taking one gradient step on L_n(theta) + R(rho, theta) per round (Figure 1):
    theta <- theta - lr (grad L_n(theta) - grad_rho R(rho, theta)) (grad_theta R = -grad_rho R).
    ``loss_grads(thetas)`` returns every user's grad L_n at once (h x d)."""

    def __init__(self, kind: str, lam: float, loss_grads: Callable[[np.ndarray], np.ndarray], h: int, lr: float):
        self.kind, self.lam, self.loss_grads, self.h, self.lr = kind, float(lam), loss_grads, h, float(lr)

    def _reg(self, rho: np.ndarray, thetas: np.ndarray) -> np.ndarray:
        Z = rho[None, :] - thetas
        if self.kind == "l2sq":
            return 2.0 * self.lam * Z
        nz = np.linalg.norm(Z, axis=1, keepdims=True)
        if self.kind == "l2":
            return self.lam * np.divide(Z, nz, out=np.zeros_like(Z), where=nz > 0)
        return self.lam * Z / np.sqrt(1.0 + nz * nz)

    def update(self, rho: np.ndarray, thetas: np.ndarray, t: int) -> np.ndarray:
        return thetas - self.lr * (self.loss_grads(thetas) - self._reg(rho, thetas))

    def grads(self, rho: np.ndarray, thetas: np.ndarray) -> np.ndarray:
        return self._reg(rho, thetas)


# ------------------------------------------------------------------------------------------------
# the server loop
# ------------------------------------------------------------------------------------------------
@dataclass
class Trajectory:
    rho: list[np.ndarray] = field(default_factory=list)        # rho^1 .. rho^{T+1}
    g_s: list[np.ndarray] = field(default_factory=list)        # summed applied strategic gradient per round
    g_honest: list[np.ndarray] = field(default_factory=list)   # summed honest gradient per round
    dropped: int = 0
    thetas: np.ndarray | None = None


def run_pfl(rho1: np.ndarray, theta1: np.ndarray, users, kind: str, lam: float, eta: float, T: int,
            target: np.ndarray | None = None, f: int = 1, aim: str = "global", N: int | None = None,
            on_round: Callable[[int, np.ndarray, np.ndarray], None] | None = None) -> Trajectory:
    """T rounds of the trusted-server loop; ``target`` None: no strategic user, else f colluders
    running CGA toward it (``aim`` "global" or "local" for section 5.4's variant, N users in all)."""
    tr = Trajectory(rho=[np.array(rho1, dtype=np.float64)])
    thetas = np.array(theta1, dtype=np.float64)
    rho_prev, g_prev = None, None
    for t in range(1, T + 1):
        rho = tr.rho[-1]
        thetas = users.update(rho, thetas, t)
        G = users.grads(rho, thetas)
        total_h = G.sum(axis=0)
        applied = np.zeros_like(rho)
        if target is not None:
            g_hat = cga_estimate(rho, rho_prev, g_prev, eta)
            aim_at = target if aim == "global" else local_variant_target(target, g_hat, lam, N or (len(G) + f))
            g = cga_report(kind, lam, rho, aim_at, g_hat, eta, f)
            for _ in range(f):
                if plausible(kind, lam, g):
                    applied = applied + g
                else:
                    tr.dropped += 1
        tr.g_s.append(applied)
        tr.g_honest.append(total_h)
        rho_prev, g_prev = rho, applied
        tr.rho.append(rho - eta * (total_h + applied))
        if on_round is not None:
            on_round(t, tr.rho[-1], thetas)
    tr.thetas = thetas
    return tr


# ------------------------------------------------------------------------------------------------
# Theorem 4
# ------------------------------------------------------------------------------------------------
def envelope_smoothness_l2sq(H: np.ndarray, lam: float) -> float:
    """L of Loss_{-s}^rho for least squares and l2sq (appendix H): the Hessian of
    sum_n min_theta L_n + lambda ||rho - theta||^2 is sum_n 2 lambda (I - 2 lambda (H_n + 2 lambda I)^-1),
    at most 2 lambda (N - 1)."""
    d = H.shape[1]
    M = sum(2 * lam * (np.eye(d) - 2 * lam * np.linalg.inv(Hn + 2 * lam * np.eye(d))) for Hn in H)
    return float(np.linalg.eigvalsh(M)[-1])


def local_variant_max_eta(H: np.ndarray, lam: float, N: int) -> float:
    """The step sizes for which section 5.4's variant converges (l2sq, exact local models, no claim in
    the paper): rho^{t+1} = theta_dagger + G^{t-1}/(2 lambda (N - 1)) - eta (G^t - G^{t-1}), G the
    others' gradient sum (Hessian M), has per eigenvalue mu of M the characteristic polynomial
    z^2 + eta mu z - (mu/(2 lambda (N - 1)) + eta mu); its roots lie in the unit disc iff
    2 eta mu < 1 - mu/(2 lambda (N - 1)). Returns min over mu of (1 - mu/(2 lambda (N - 1)))/(2 mu):
    far below Theorem 4's 1/(3L) (the variant diverges there)."""
    d = H.shape[1]
    M = sum(2 * lam * (np.eye(d) - 2 * lam * np.linalg.inv(Hn + 2 * lam * np.eye(d))) for Hn in H)
    mus = np.linalg.eigvalsh(M)
    return float(np.min((1 - mus / (2 * lam * (N - 1))) / (2 * mus)))


def theorem4_ratio(rhos: list[np.ndarray], t0: int = 2, floor: float = 1e-10) -> tuple[float, int]:
    """max over t >= t0 of v_{t+2} / v_t, v_t = u_t + u_{t-1}, u_t = ||rho^{t+1} - rho^t|| (Theorem 4's
    proof: <= 7/9 when eta <= 1/(3L)), over the t whose v_t is above ``floor`` times the largest
    (below it the iterates are at rounding level). Returns (ratio, how many t were compared)."""
    R = np.stack(rhos)
    u = np.linalg.norm(np.diff(R, axis=0), axis=1)      # u[t-1] = ||rho^{t+1} - rho^t|| (t from 1)
    v = {t: u[t - 1] + u[t - 2] for t in range(2, len(u) + 1)}
    top = max(v.values()) if v else 0.0
    ratios = [v[t + 2] / v[t] for t in range(t0, len(u) - 1) if t + 2 in v and v[t] > floor * top]
    return (max(ratios) if ratios else float("nan")), len(ratios)
