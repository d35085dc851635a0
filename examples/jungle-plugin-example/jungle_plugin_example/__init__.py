"""A jungle plugin in its own package: jungle is not edited, the entry points in pyproject.toml
register everything here (groups ``jungle.attacks``, ``jungle.schedules``, ``jungle.rules``,
``jungle.workloads``, ``jungle.commands``)."""
from __future__ import annotations

import numpy as np

from net.params import PluginParams
from net.schedules import HoldingSchedule
from nodes.adversary import Attack
from nodes.workloads import Workload


class Mirror(Attack):
    """Send each honest node the reflection of its own vector through the honest mean, scaled by
    ``[adversary] mirror_gain`` (typed and checked by jungle like its own attacks' parameters)."""

    class Params(PluginParams):
        mirror_gain: float = 1.0

    def write(self, b, r, instance, round_):
        seen = self.adv.seen(instance, round_)  # honest vectors of this round, by sender (read-only)
        if r not in seen:
            return []  # silence
        mean = np.mean(list(seen.values()), axis=0)
        return [self.vec(b, instance, round_, mean + self.adv.params.mirror_gain * (mean - seen[r]))]


class Starve0(HoldingSchedule):
    """Hold back everything honest node 0 sends, as long as liveness allows."""

    def holds(self, d):
        return not d.slot and d.sender == 0


def midrange(X, f, own=None):
    """Coordinate-wise midpoint of the extreme values (not robust: a Byzantine value moves it)."""
    X = np.asarray(X, dtype=np.float64)
    return 0.5 * (X.min(axis=0) + X.max(axis=0))


class Blobs(Workload):
    """Logistic regression on a synthetic binary task (the workload interface of docs/workloads.md).

    Every node k = 0..n-1 holds ``learn.samples`` points x ~ N(0, I_d) labelled y = [<w*, x> + noise > 0];
    shard k's points are shifted by ``learn.hetero`` * u_k (u_k a random unit vector), so the shards
    differ. The honest nodes are 0..h-1; a Byzantine node b >= h uses its own shard for the ``lf``
    attack (labels flipped). L_j(theta) = mean_i log(1 + exp(-s_i <theta, x_i>)) + lam/2 ||theta||^2,
    s_i = 2 y_i - 1; its gradient is L-Lipschitz with L = lambda_max(X_j^T X_j) / (4 m) + lam.
    """

    name = "blobs"

    def __init__(self, n, h, d, m, hetero, lam, rng, batch="full", batch0=8):
        super().__init__(batch, batch0)
        self.h, self.d, self.m, self.lam = h, d, m, lam
        w_star = rng.standard_normal(d)
        shift = rng.standard_normal((n, 1, d))
        shift *= hetero / np.linalg.norm(shift, axis=2, keepdims=True)
        self.X = rng.standard_normal((n, m, d)) + shift
        self.s = np.where(self.X @ w_star + 0.3 * rng.standard_normal((n, m)) > 0, 1.0, -1.0)
        self.Xt = rng.standard_normal((1000, d))
        self.yt = self.Xt @ w_star > 0
        self.L = max(np.linalg.eigvalsh(x.T @ x / (4 * m))[-1] for x in self.X[:h]) + lam

    def _loss(self, X, s, theta):
        return float(np.mean(np.logaddexp(0.0, -s * (X @ theta))) + 0.5 * self.lam * theta @ theta)

    def _grad(self, X, s, theta):
        p = 0.5 * (1.0 - np.tanh(0.5 * s * (X @ theta)))  # sigmoid(-s z), overflow-free
        return -(X.T @ (s * p)) / len(s) + self.lam * theta

    def loss(self, j, theta):
        return self._loss(self.X[j], self.s[j], theta)

    def grad(self, j, theta):
        return self._grad(self.X[j], self.s[j], theta)

    def stoch_grad(self, j, theta, t, rng):
        idx = rng.choice(self.m, size=self.batch_size(self.m, t), replace=False)
        return self._grad(self.X[j][idx], self.s[j][idx], theta)

    def flipped_grad(self, j, theta, t, rng):
        """What the ``lf`` attack's Byzantine node j sends: its shard's gradient with flipped labels."""
        idx = rng.choice(self.m, size=self.batch_size(self.m, t), replace=False)
        return self._grad(self.X[j][idx], -self.s[j][idx], theta)

    def accuracy(self, theta):
        return float(np.mean((self.Xt @ theta > 0) == self.yt))

    def describe(self):
        return {**super().describe(), "samples": self.m, "lam": self.lam}


def make_blobs(scenario, rng):
    """The ``jungle.workloads`` entry point: build the workload from the resolved scenario (d is
    ``system.dim``) and the run's data stream ``rng``."""
    s, lc = scenario.system, scenario.learn
    return Blobs(s.n, s.h, s.dim, lc.samples, lc.hetero, lc.lam, rng, batch=lc.batch, batch0=lc.batch0)


def register_hello(sub) -> None:
    sp = sub.add_parser("hello", help="say which plugins are loaded")
    sp.set_defaults(func=_hello)


def _hello(args) -> int:
    from nodes.attacks import ATTACKS

    print("hello from jungle-plugin-example; mirror registered:", "mirror" in ATTACKS)
    return 0
