"""The counter-gradient attack on LEARN over the personalised-learning workload (poisoning paper,
eqs. 6-7, Proposition 2, carried to decentralised learning).

In the gradient phase of round t, an honest node's AVG output is (about) the mean of the q vectors it
gathers, f of them Byzantine; the attack wants that mean to be gamma* = (theta_t - theta_dagger) / eta
(so that theta_{t+1/2} = theta_t - eta gamma* = theta_dagger), and reads the honest vectors of the
same (instance, round) directly (rushing) instead of estimating them by eq. 6: each Byzantine node
sends Proj_GRAD((q gamma* - (q - f) s) / f), s the mean of the honest vectors seen. theta_t is
estimated as the mean of the honest vectors of round t - 1's parameter phase (theta_1 at t = 1, public
through the shared seed). In the parameter phase it sends the honest mean (it attacks gradients only).
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from agreement.learn import PHASE_GRAD, PHASE_PARAM, instance_of, phase_of
from net.params import PluginParams
from nodes.adversary import Attack
from nodes.attacks.learn import honest_matrix, learn_context


def theta_estimate(adv, t: int) -> np.ndarray | None:
    """The honest parameter theta_t as the adversary sees it (mean of round t - 1's last parameter-phase
    honest vectors; theta_1 at t = 1)."""
    if t <= 1:
        ctx = learn_context(adv)
        return None if ctx is None else np.asarray(ctx.theta1)
    inst, last, k = instance_of(t - 1, PHASE_PARAM), None, 0
    while adv.seen(inst, k):
        last = adv.seen(inst, k)
        k += 1
    return None if not last else np.mean([last[j] for j in sorted(last)], axis=0)


class CounterGradient(Attack):
    """Reads the LEARN context (:class:`nodes.context.LearnContext`): ``target`` (theta_dagger),
    ``eta``, ``theta1`` and ``project_grad``; outside LEARN, or on a workload without a target, it
    sends the honest mean."""

    name = "cga"

    class Params(PluginParams):
        cga_project: bool = Field(True, description="project the payload on the plausible gradients GRAD "
                                                    "(false: the raw counter-gradient, which a plausibility "
                                                    "filter can drop)")

    def write(self, b, r, instance, round_):
        X = honest_matrix(self.adv, instance, round_)
        if X is None:
            return []
        s = X.mean(axis=0)
        t, phase = phase_of(instance)
        ctx = learn_context(self.adv)
        theta = theta_estimate(self.adv, t)
        if phase != PHASE_GRAD or ctx is None or ctx.target is None or theta is None:
            return [self.vec(b, instance, round_, s)]
        q, f = self.adv.q, max(1, self.adv.f)
        desired = (theta - ctx.target) / float(ctx.eta)
        payload = (q * desired - (q - f) * s) / f
        if self.adv.params.cga_project and ctx.project_grad is not None:
            payload = ctx.project_grad(payload)
        return [self.vec(b, instance, round_, payload)]


CGA = (CounterGradient,)
