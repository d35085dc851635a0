"""LICCHAVI's Theorem 10 instance (appendix D.6) and its true optimum.

d = 2, N = 2, lambda_1 = lambda_2 = lambda_0 = 1, Delta = I, p_0 = 2, A > 1,
eps = min((A - 1)/2, 1/(2(A + 1))), user 1's loss (eq. 129)
    L_1(theta) = 1/2 (A theta_11 - theta_12)^2 + theta_12 + eps (theta_11^2 + theta_12^2) + 1/(4 eps),
and user 2 (strategic, true preference theta_2_dagger = (0, 1)) reports w: eq. 130 is
    1/2 (A theta_11 - theta_12)^2 + theta_12 + eps||theta_1||^2 + |rho_1 - theta_11| + |rho_2 - theta_12|
    + |rho_1 - w_1| + |rho_2 - w_2| + rho_1^2 + rho_2^2 (+ const).
Variables z = (rho_1, rho_2, theta_11, theta_12).

Erratum: the paper's point rho = theta_1 = w = ((1 + 2 eps)/A, 1) is not optimal. It picks the
subgradient of |rho_2 - theta_12| independently in d/drho_2 (eq. 140) and in d/dtheta_12 (eq. 142);
one value s must serve both: d/drho_2 = 2 + s + t = 0 forces s = t = -1, then d/dtheta_12 = 1 - s = 2.
The true optimum at that w is rho* = theta_1* = (x, y), x = 1/(A^2 + 2 + 2 eps - A^2/(3 + 2 eps)),
y = A x/(3 + 2 eps) ((15/77, 9/77) at A = 2), and the gain is 1.106, 1.088, 1.025 at A = 2, 5, 20,
not A/(1 + 2 eps).
"""
from __future__ import annotations

import math

import numpy as np

from agreement.pfl.piecewise import PiecewiseQP, kkt_residual, solve_exact

THETA_DAGGER = np.array([0.0, 1.0])


def eps_of(A: float) -> float:
    return min((A - 1.0) / 2.0, 1.0 / (2.0 * (A + 1.0)))


def instance(A: float, w: np.ndarray) -> PiecewiseQP:
    """Eq. 130 as a :class:`PiecewiseQP` in z = (rho_1, rho_2, theta_11, theta_12)."""
    e = eps_of(A)
    P = np.zeros((4, 4))
    P[0, 0] = P[1, 1] = 2.0
    P[2:, 2:] = [[A * A + 2 * e, -A], [-A, 1 + 2 * e]]
    c = np.array([0.0, 0.0, 0.0, 1.0])
    Bm = np.array([[1.0, 0, -1, 0], [0, 1, 0, -1], [1, 0, 0, 0], [0, 1, 0, 0]])
    return PiecewiseQP(P, c, np.ones(4), Bm, np.array([0.0, 0.0, w[0], w[1]]), 1.0 / (4 * e))


def paper_w(A: float) -> np.ndarray:
    """The strategic report of the proof: w = ((1 + 2 eps)/A, 1)."""
    return np.array([(1 + 2 * eps_of(A)) / A, 1.0])


def paper_point(A: float) -> np.ndarray:
    """The point the proof claims optimal at paper_w: rho = theta_1 = w."""
    w = paper_w(A)
    return np.concatenate([w, w])


def true_optimum(A: float) -> np.ndarray:
    """The closed form at paper_w: rho* = theta_1* = (x, y) (valid while x < w_1 and y < w_2 = 1)."""
    e = eps_of(A)
    x = 1.0 / (A * A + 2 + 2 * e - A * A / (3 + 2 * e))
    y = A * x / (3 + 2 * e)
    return np.array([x, y, x, y])


def distance(z: np.ndarray) -> float:
    """The strategic user's N-distance: ||rho - theta_2_dagger||_2 + ||theta_1 - theta_2_dagger||_2."""
    return float(np.linalg.norm(z[:2] - THETA_DAGGER) + np.linalg.norm(z[2:] - THETA_DAGGER))


def gain(A: float, w: np.ndarray) -> float:
    """distance under the truthful report / distance under w (> 1: w pays)."""
    truthful = distance(solve_exact(instance(A, THETA_DAGGER))[0])
    return truthful / distance(solve_exact(instance(A, np.asarray(w, float)))[0])


def best_gain(A: float, grid: int = 21, span: float = 3.0, rounds: int = 3) -> tuple[float, np.ndarray]:
    """The largest gain over reports w found by a grid on [-span, span]^2 refined around the best
    point ``rounds`` times (a search: a lower estimate of the supremum)."""
    truthful = distance(solve_exact(instance(A, THETA_DAGGER))[0])
    centre, half = np.zeros(2), span
    best_g, best_w, hint = 1.0, THETA_DAGGER.copy(), None
    for _ in range(rounds):
        for u in np.linspace(-half, half, grid):
            for v in np.linspace(-half, half, grid):
                w = centre + np.array([u, v])
                z, hint = solve_exact(instance(A, w), hint=hint)
                dist = distance(z)
                g = truthful / dist if dist > 0 else math.inf
                if g > best_g:
                    best_g, best_w = g, w
        centre, half = best_w, half * 4.0 / grid
    return best_g, best_w


def report(A: float) -> dict:
    """The finding at one A: the paper's point's KKT residual, the solver's optimum against the
    closed form, the gains."""
    w = paper_w(A)
    qp = instance(A, w)
    z, pattern = solve_exact(qp)
    closed = true_optimum(A)
    truthful_z = solve_exact(instance(A, THETA_DAGGER))[0]
    return {
        "A": A, "eps": eps_of(A), "w": w.tolist(),
        "paper_point": paper_point(A).tolist(), "paper_kkt_residual": kkt_residual(qp, paper_point(A)),
        "solver_optimum": z.tolist(), "solver_kkt_residual": kkt_residual(qp, z), "pattern": list(pattern),
        "closed_form": closed.tolist(), "closed_form_kkt_residual": kkt_residual(qp, closed),
        "solver_vs_closed_form": float(np.max(np.abs(z - closed))),
        "truthful_optimum": truthful_z.tolist(),
        "gain_true": distance(truthful_z) / distance(z),
        "gain_claimed": A / (1 + 2 * eps_of(A)),
        "value_paper_point": qp.value(paper_point(A)), "value_optimum": qp.value(z),
    }
