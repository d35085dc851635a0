"""The personalised-learning workload of LEARN (``workload = "pfl"``): the parameter is the common model
rho; honest node j holds least-squares data (a SUM loss, poisoning paper eq. 5) and, as its gradient
oracle, updates its local model theta_j exactly from rho (Theorem 4's setting) and returns
grad_rho R(rho, theta_j). Its local loss is then the envelope min_theta L_j(theta) + R(rho, theta),
whose gradient is that report; LEARN's gradient-phase agreement replaces the trusted server's sum.
The Byzantine nodes' counter-gradient payload is :class:`nodes.attacks.cga.CounterGradient`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from agreement.pfl.licchavi import Users, draw_data, rho_H, solve_l1_cw, stats_from_data
from agreement.pfl.poisoning import clean_optimum, envelope_value
from agreement.pfl.regularizers import honest_gradient, local_exact, project_grad
from nodes.workloads import Workload


class PersonalisedLeastSquares(Workload):
    name = "pfl"

    def __init__(self, h: int, d: int, samples: int, noise: float, hetero: float, kind: str, lam: float,
                 target: float, rng: np.random.Generator):
        super().__init__("full")
        self.h, self.d, self.kind, self.lam = h, d, kind, float(lam)
        self.truth = hetero * rng.standard_normal((h, d))
        Q = rng.standard_normal((h, samples, d))
        A = np.einsum("hmd,hd->hm", Q, self.truth) + noise * rng.standard_normal((h, samples))
        self.H = np.einsum("hmd,hme->hde", Q, Q)
        self.b = np.einsum("hmd,hm->hd", Q, A)
        self.c = 0.5 * np.einsum("hm,hm->h", A, A)
        self.target = float(target) * np.ones(d)
        self.radius = None if kind == "l2sq" else self.lam
        """GRAD is R^d for l2sq, the ball B(0, lambda) otherwise."""
        self.L = {"l2sq": 2 * self.lam, "smooth_l2": self.lam}.get(kind) or float(max(np.linalg.eigvalsh(self.H)[:, -1]))
        self._clean: np.ndarray | None = None

    def grad(self, j: int, theta: np.ndarray) -> np.ndarray:
        rho = np.asarray(theta, dtype=np.float64)
        local = local_exact(self.kind, self.lam, self.H[j], self.b[j], rho)
        return honest_gradient(self.kind, self.lam, rho, local, self.H[j], self.b[j])

    def loss(self, j: int, theta: np.ndarray) -> float:
        return envelope_value(self.kind, self.lam, self.H[j:j + 1], self.b[j:j + 1], self.c[j:j + 1], np.asarray(theta))

    def project_grad(self, g: np.ndarray) -> np.ndarray:
        return project_grad(self.kind, self.lam, g)

    def clean_optimum(self) -> np.ndarray:
        """rho minimising the honest envelopes' sum (no Byzantine node)."""
        if self._clean is None:
            self._clean = clean_optimum(self.kind, self.lam, self.H, self.b, self.c, self.truth.mean(axis=0))
        return self._clean

    def extra_checks(self, X: np.ndarray, *, f: int = 0, rule: str = "") -> dict[str, Any]:
        """Does the honest output resist the counter-gradient attack? ||mean(theta_out) - theta_dagger||
        against half the honest optimum's distance to the target."""
        m = X.mean(axis=0)
        dist = float(np.linalg.norm(m - self.target))
        ref = float(np.linalg.norm(self.clean_optimum() - self.target))
        return {"resists_cga": {"holds": bool(dist >= 0.5 * ref), "measured": dist, "bound": 0.5 * ref,
                                "detail": "||mean(honest output) - theta_dagger|| >= half the honest optimum's distance "
                                          "to the target (measured >= bound); fails = hijacked",
                                "distance_to_clean_optimum": float(np.linalg.norm(m - self.clean_optimum()))}}

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out.update(regularization=self.kind, lam=self.lam, target=self.target.tolist(), radius=self.radius)
        return out


class LicchaviL1(Workload):
    """LICCHAVI's strategyproof form in LEARN (``[pfl] regularization = "l1"``): coordinate-wise
    least-squares data (Assumption 4), lambda ||theta - rho||_1 (p = 1, Delta = I) and lambda_0 ||rho||^2
    shared by the h honest nodes. Node j's oracle returns grad_rho of its envelope, clip(a_j (rho -
    theta_hat_j), -lambda, lambda) + 2 lambda_0 rho / h: GRAD is the box [-lambda, lambda]^d (plus
    that known term). At a stationary point of the honest gradients plus plausible Byzantine ones, rho
    is LICCHAVI's optimum for some Byzantine models: Theorem 12 (eq. 159) applies."""

    name = "pfl-l1"

    def __init__(self, h: int, d: int, samples: int, noise: float, hetero: float, lam: float, lam0: float,
                 target: float, rng: np.random.Generator):
        super().__init__("full")
        self.h, self.d, self.lam, self.lam0 = h, d, float(lam), float(lam0)
        self.truth = hetero * rng.standard_normal((h, d))
        self.a, self.bb = np.zeros((h, d)), np.zeros((h, d))
        for j in range(h):
            Q, A = draw_data(self.truth[j], samples, rng, noise, coordinate=True)
            Hs, bs = stats_from_data(Q, A)
            self.a[j], self.bb[j] = np.diag(Hs), bs
        self.target = float(target) * np.ones(d)
        self.L = float(self.a.max()) + 2 * self.lam0 / h
        self.radius = self.lam

    def _centre(self, j: int) -> np.ndarray:
        return np.divide(self.bb[j], self.a[j], out=np.zeros(self.d), where=self.a[j] > 0)

    def grad(self, j: int, theta: np.ndarray) -> np.ndarray:
        rho = np.asarray(theta, dtype=np.float64)
        g = np.clip(self.a[j] * (rho - self._centre(j)), -self.lam, self.lam)
        return g + 2.0 * self.lam0 * rho / self.h

    def local_models(self, rho: np.ndarray) -> np.ndarray:
        """theta*_j(rho) = rho + soft-threshold(theta_hat_j - rho, lambda / a_j)."""
        out = np.empty((self.h, self.d))
        for j in range(self.h):
            z = self._centre(j) - rho
            thr = np.divide(self.lam, self.a[j], out=np.full(self.d, np.inf), where=self.a[j] > 0)
            out[j] = rho + np.sign(z) * np.maximum(np.abs(z) - thr, 0.0)
        return out

    def loss(self, j: int, theta: np.ndarray) -> float:
        rho = np.asarray(theta, dtype=np.float64)
        th = self.local_models(rho)[j]
        return float(0.5 * self.a[j] @ th ** 2 - self.bb[j] @ th + self.lam * np.abs(th - rho).sum()
                     + self.lam0 * rho @ rho / self.h)

    def project_grad(self, g: np.ndarray) -> np.ndarray:
        return np.clip(g, -self.lam, self.lam)

    def clean_optimum(self) -> np.ndarray:
        u = Users(np.stack([np.diag(x) for x in self.a]), self.bb, np.full(self.h, self.lam), np.zeros(self.h, bool),
                  np.zeros((self.h, self.d)), np.ones((self.h, self.d)))
        return solve_l1_cw(u, self.lam0, np.ones(self.d))[0]

    def extra_checks(self, X: np.ndarray, *, f: int = 0, rule: str = "") -> dict[str, Any]:
        """resists_cga as for l2, and LICCHAVI's Theorem 12 (eq. 159) at the honest output rho, with the
        honest exact local models theta*_H(rho): it applies when the aggregation is the (plausible)
        mean, whose fixed point is LICCHAVI's optimum for some Byzantine models (not applicable for a
        robust rule, whose fixed point is another point). ``f``: the Byzantine nodes, ``rule``: the
        aggregation rule in use."""
        m = X.mean(axis=0)
        dist = float(np.linalg.norm(m - self.target))
        ref = float(np.linalg.norm(self.clean_optimum() - self.target))
        out: dict[str, Any] = {"resists_cga": {
            "holds": bool(dist >= 0.5 * ref), "measured": dist, "bound": 0.5 * ref,
            "detail": "||mean(honest output) - theta_dagger|| >= half the honest optimum's distance to the target "
                      "(measured >= bound)"}}
        theta = self.local_models(m)
        rhoH = rho_H(theta, np.full(self.h, self.lam), np.ones((self.h, self.d)), self.lam0, np.ones(self.d))
        DH = float(np.max(np.abs(theta - rhoH).sum(axis=1)))
        lH, lO = self.h * self.lam, f * self.lam
        bound = 4 * lH / (lH - lO) * DH if lH > lO else None
        measured = float(np.abs(m - rhoH).sum())
        cap = (lH - lO) / (4.0 * float(np.linalg.norm(rhoH))) if np.any(rhoH) else np.inf
        why = None
        if not (rule == "mean" or (rule.startswith("plausible") and rule.endswith("+mean"))):
            why = f"the aggregation {rule!r} is not the mean: its fixed point is not LICCHAVI's optimum"
        elif bound is None:
            why = "no honest majority of voting power"
        elif self.lam0 > cap:
            why = f"lambda_0 > {cap:.3g} (Theorem 12's premise)"
        out["theorem12_decentralised"] = {
            "holds": None if why else bool(measured <= bound), "measured": measured, "bound": bound, "Delta_H": DH,
            "detail": "N(rho - rho*_H(theta*_H(rho))) <= 4 lambda_H/(lambda_H - lambda_-H) Delta_H, N = l1 "
                      "(LICCHAVI eq. 159) at the honest output", **({"applicable": False, "reason": why} if why else {})}
        return out
