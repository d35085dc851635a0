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

    def extra_checks(self, X: np.ndarray) -> dict[str, Any]:
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
