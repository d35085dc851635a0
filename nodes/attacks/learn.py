"""Attacks on LEARN (NNM paper, section 14.3), in both phases of Algorithm 1: the gradient phase
(instance 2t) and the parameter phase (instance 2t + 1) (see :func:`agreement.learn.phase_of`).

ALIE, FOE and SF send B = s + eta a, with s the mean of the honest vectors of the same
(instance, round) and a the attack direction:

* ``alie``: a = coordinate-wise std of the honest vectors, eta = ``alie_z`` (default the z_max of
  Baruch et al.: z = Phi^-1((n - s') / n), s' = floor(n/2 + 1) - f);
* ``foe``: a = -s, eta = ``foe_eta`` (default 1.1, i.e. B = -0.1 s, Xie et al.'s epsilon = 0.1);
* ``sf`` (``sign_flip``): a = -s, eta = 2, B = -s;
* ``alie-opt`` / ``foe-opt``: eta by line search over a grid maximising ||R(gathered) - s|| for the
  rule R actually in use (NNM 14.3, "optimised"), the gathered vectors being the first q - f honest
  vectors seen so far (by sender id; padded with s while fewer were sent) and f copies of B, with s as
  the pivot of rules that use one: the server's view of NNM, computed once per (instance, round,
  number of honest vectors seen) and sent to every recipient (a per-recipient search with each
  recipient's own vector as pivot costs h times more and changed little in trials);
* ``lf`` (``label_flip``): every Byzantine node b runs LEARN honestly on its own data shard with
  labels 9 - l: in the gradient phase it sends its gradient on flipped labels at its estimate of
  theta_t, in the parameter phase theta_t - eta_LEARN g_lf (its honest-looking theta_{t+1/2}). Its
  estimate of theta_t is the mean of the honest vectors of round t - 1's parameter phase (theta_1 at
  t = 1, which the shared seed makes public). With LEARN's ``momentum`` beta > 0 (D-SHB) it sends its
  flipped momentum m_b = beta m_b + (1 - beta) g_lf instead, as an honest node would;
* ``mimic``: every Byzantine node sends the vector of one honest node, chosen per phase at the first
  iteration it attacks as the honest node farthest from the honest mean (a simple stand-in for the
  heuristic of Karimireddy et al., which also picks a node along the direction of largest spread),
  and kept for the rest of the run;
* ``gaussian``: B ~ N(s, ``gaussian_std``^2 I) per recipient (default std 1.0).

The LEARN context (workload, eta, theta_1, the rule) is the adversary's read-only
``context.learn`` (:class:`nodes.context.LearnContext`), built by the LEARN runner. The core's ``split``, ``equivocate``,
``noise``, ``far``, ``silent`` work on any VEC message, hence on LEARN as they are.

Schedule: the attacks are rushing and use the honest vectors of the same (instance, round) seen so
far. A Byzantine slot is created when the first honest vector of an (instance, round) is sent, so at
least one is always seen; with the ``random`` schedule (the default of the LEARN scenarios) a slot is
delivered after a random share of that round's honest vectors were sent, which keeps both the
estimate s and the chance that the Byzantine vector counts among the recipient's first q.
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np
from pydantic import Field

from agreement.learn import PHASE_GRAD, PHASE_PARAM, instance_of, phase_of
from agreement.rules import get_rule
from net.params import PluginParams
from nodes.adversary import Attack
from nodes.context import LearnContext


def learn_context(adv) -> LearnContext | None:
    """The LEARN context of the run (None outside LEARN)."""
    return adv.context.learn


def honest_matrix(adv, instance: int, round_: int) -> np.ndarray | None:
    """Honest vectors of this (instance, round) seen so far, by sender order; else of the previous
    round of the same instance; else None."""
    for r in (round_, round_ - 1):
        if r < 0:
            continue
        s = adv.seen(instance, r)
        if s:
            return np.stack([s[k] for k in sorted(s)])
    return None


def alie_z(n: int, f: int) -> float:
    """z_max of "A Little Is Enough" (Baruch et al. 2019): s' = floor(n/2 + 1) - f, z = Phi^-1((n - s')/n)."""
    s = n // 2 + 1 - f
    p = min(max((n - s) / n, 1e-6), 1 - 1e-6)
    return NormalDist().inv_cdf(p)


class _Primitive(Attack):
    """B = s + eta a (NNM 14.3), the same vector to every recipient unless ``per_recipient``."""

    def direction(self, X: np.ndarray, s: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def eta(self) -> float:
        raise NotImplementedError

    def write(self, b, r, instance, round_):
        X = honest_matrix(self.adv, instance, round_)
        if X is None:
            return []
        s = X.mean(axis=0)
        return [self.vec(b, instance, round_, s + self.eta() * self.direction(X, s))]


class Alie(_Primitive):
    name = "alie"

    class Params(PluginParams):
        alie_z: float | None = None
        """eta; None: the z_max of Baruch et al. for (n, f)."""

    def direction(self, X, s):
        return X.std(axis=0)

    def eta(self):
        z = self.adv.params.alie_z
        return z if z is not None else alie_z(self.adv.n, self.adv.f)


class Foe(_Primitive):
    name = "foe"

    class Params(PluginParams):
        foe_eta: float = 1.1

    def direction(self, X, s):
        return -s

    def eta(self):
        return self.adv.params.foe_eta


class SignFlip(Foe):
    name = "sf"
    Params = PluginParams

    def eta(self):
        return 2.0


class SignFlipLong(SignFlip):
    name = "sign_flip"


class _Optimised(_Primitive):
    """Line search of eta per recipient against the rule in use (NNM 14.3, "optimised")."""

    grid: tuple[float, ...] = ()
    Params = PluginParams
    """eta comes from the line search (no parameter)."""

    def bind(self, adv):
        super().bind(adv)
        self._cache: dict[tuple, np.ndarray] = {}

    def _rule(self):
        ctx = learn_context(self.adv)
        return ctx.rule if ctx is not None else get_rule("cwtm")

    def write(self, b, r, instance, round_):
        adv = self.adv
        seen = adv.seen(instance, round_)
        X = honest_matrix(adv, instance, round_)
        if X is None:
            return []
        key = (instance, round_, len(seen))
        B = self._cache.get(key)
        if B is None:
            s = X.mean(axis=0)
            a = self.direction(X, s)
            rows = [seen[k] for k in sorted(seen)][: adv.q - adv.f]
            rows += [s] * (adv.q - adv.f - len(rows))  # not all honest vectors sent yet: fill with s
            rule, best, B = self._rule(), -1.0, s
            for e in self.grid:
                cand = s + e * a
                G = np.stack(rows + [cand] * adv.f)
                dmg = float(np.linalg.norm(rule(G, adv.f, s) - s))
                if dmg > best:
                    best, B = dmg, cand
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = B
        return [self.vec(b, instance, round_, B)]


class AlieOpt(_Optimised, Alie):
    name = "alie-opt"
    grid = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class FoeOpt(_Optimised, Foe):
    name = "foe-opt"
    grid = (0.5, 0.9, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0)


class LabelFlip(Attack):
    """Byzantine nodes run LEARN honestly on their own shard with flipped labels (see module doc)."""

    name = "lf"

    def bind(self, adv):
        super().bind(adv)
        self._g: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._rng = {}
        self._m: dict[int, np.ndarray] = {}

    def _theta_estimate(self, t: int) -> np.ndarray | None:
        adv, ctx = self.adv, learn_context(self.adv)
        if t <= 1:
            return None if ctx is None else np.asarray(ctx.theta1)
        inst = instance_of(t - 1, PHASE_PARAM)
        last = None
        k = 0
        while adv.seen(inst, k):
            last = adv.seen(inst, k)
            k += 1
        if not last:
            return None
        return np.mean([last[j] for j in sorted(last)], axis=0)

    def _state(self, b: int, t: int):
        key = (b, t)
        if key not in self._g:
            ctx = learn_context(self.adv)
            w = ctx.workload if ctx is not None else None
            theta = self._theta_estimate(t)
            if w is None or theta is None or not hasattr(w, "flipped_grad"):
                return None
            rng = self._rng.setdefault(b, np.random.default_rng(self.adv.rng.integers(2**63)))
            g = w.flipped_grad(b, theta, t, rng)
            beta = ctx.momentum
            if beta:
                prev = self._m.get(b)
                g = self._m[b] = (1.0 - beta) * g if prev is None else beta * prev + (1.0 - beta) * g
            self._g = {k: v for k, v in self._g.items() if k[1] >= t - 1}
            self._g[key] = (theta, g)
        return self._g[key]

    def write(self, b, r, instance, round_):
        t, phase = phase_of(instance)
        st = self._state(b, t)
        if st is None:
            X = honest_matrix(self.adv, instance, round_)
            return [] if X is None else [self.vec(b, instance, round_, X.mean(axis=0))]
        theta, g = st
        if phase == PHASE_GRAD:
            return [self.vec(b, instance, round_, g)]
        ctx = learn_context(self.adv)
        eta = ctx.eta if ctx is not None else 0.0
        return [self.vec(b, instance, round_, theta - eta * g)]


class LabelFlipLong(LabelFlip):
    name = "label_flip"


class Mimic(Attack):
    """Copy one honest node's vector (chosen per phase once, farthest from the honest mean)."""

    name = "mimic"

    def bind(self, adv):
        super().bind(adv)
        self.target: dict[int, int] = {}

    def write(self, b, r, instance, round_):
        adv = self.adv
        _, phase = phase_of(instance)
        seen = adv.seen(instance, round_)
        if not seen:
            return []
        if phase not in self.target:
            X = np.stack([seen[k] for k in sorted(seen)])
            dist = np.linalg.norm(X - X.mean(axis=0), axis=1)
            self.target[phase] = sorted(seen)[int(np.argmax(dist))]
        tgt = self.target[phase]
        x = seen.get(tgt)
        if x is None:  # the target has not sent this round yet: copy the first honest sender seen
            x = seen[sorted(seen)[0]]
        return [self.vec(b, instance, round_, x)]


class Gaussian(Attack):
    """B ~ N(s, sigma^2 I), drawn per recipient (param ``gaussian_std``, default 1.0)."""

    name = "gaussian"

    class Params(PluginParams):
        gaussian_std: float = Field(1.0, ge=0.0)

    def write(self, b, r, instance, round_):
        X = honest_matrix(self.adv, instance, round_)
        if X is None:
            return []
        sd = self.adv.params.gaussian_std
        return [self.vec(b, instance, round_, X.mean(axis=0) + sd * self.adv.rng.standard_normal(self.adv.d))]


LEARN = (Alie, Foe, SignFlip, SignFlipLong, AlieOpt, FoeOpt, LabelFlip, LabelFlipLong, Mimic, Gaussian)
