"""Byzantine payloads of the agreement paper's lower-bound proofs, so that a run shows the theorem.

- ``theorem5`` (proof of Theorem 5, MDA): honest nodes are split into L (first 2f), M (the middle
  h - 4f) and R (last 2f). Each Byzantine node sends to every node of L the vector
  xL + (1 - delta)/2 (xL - xR) (with xL, xR the current means of L and R; -2 + delta when xL = -1,
  xR = 1, as in eq. 161), to every node of R the mirror image, and nothing to M. ``delta`` is
  ``theorem5_delta`` (default 1/f, the proof's). Pair it with the ``theorem5`` schedule.
- ``theorem4`` (proof of Theorem 4): every Byzantine node acts exactly like the first honest node
  (one of the q - 2f zeros): it sends that node's current vector of the same round. Pair it with the
  ``theorem4`` schedule (the last h + f - q honest nodes are never heard by the first q - f).
- ``theorem9`` (proof of Theorem 9 / Lemma 16): honest nodes are split into two groups (adversary
  param ``groups``, default the first floor(h/2) and the rest, as the ``partition`` schedule does);
  each Byzantine node sends to a node the current mean of that node's own group ("f Byzantine
  inputs equal to x"), so each group only sees its own value confirmed. Pair it with ``partition``.
  Against two-point inputs the core's ``split`` attack with ``split_mode = "halves"`` writes the
  same values (the honest min and max are the two groups' values); ``theorem9`` also works for
  inputs that are not two points, and against any rule.

The checks of the first two (the theorem's claim, measured) are computed from the recorded run by
:mod:`scenarios.run.checks.lowerbound`, not here.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from net.params import PluginParams, check_honest_ids
from nodes.adversary import Attack


def _current(adv, instance: int, round_: int, nodes: list[int]) -> np.ndarray | None:
    """The round's vectors of ``nodes`` (the latest one for a node that has not sent that round)."""
    seen = adv.seen(instance, round_)
    rows = [seen.get(i, adv.latest.get(i)) for i in nodes]
    rows = [r for r in rows if r is not None]
    return np.stack(rows) if rows else None


class Theorem5(Attack):
    name = "theorem5"
    seen_window = 10**9
    """Keep every round seen: a slot of an old round delivered late is written from that round's
    vectors, not each node's latest (the pinned trace digests depend on it)."""

    class Params(PluginParams):
        theorem5_delta: float | None = Field(None, gt=0.0)
        """The proof's delta (None: 1/f)."""

    def groups(self) -> tuple[list[int], list[int], list[int]]:
        hon, f = self.adv.honest, self.adv.f
        return hon[: 2 * f], hon[2 * f : len(hon) - 2 * f], hon[len(hon) - 2 * f :]

    def slots(self, instance, round_):
        L, _, R = self.groups()
        return [(b, r) for b in self.adv.byzantine for r in L + R]

    def write(self, b, r, instance, round_):
        adv = self.adv
        L, _, R = self.groups()
        xl, xr = _current(adv, instance, round_, L), _current(adv, instance, round_, R)
        if xl is None or xr is None:
            return []
        cl, cr = xl.mean(axis=0), xr.mean(axis=0)
        delta = adv.params.theorem5_delta
        delta = 1.0 / adv.f if delta is None else delta
        if r in L:
            return [self.vec(b, instance, round_, cl + 0.5 * (1.0 - delta) * (cl - cr))]
        return [self.vec(b, instance, round_, cr + 0.5 * (1.0 - delta) * (cr - cl))]


class Theorem4(Attack):
    name = "theorem4"
    seen_window = 10**9
    """Keep every round seen: a slot of an old round delivered late is written from that round's
    vectors, not each node's latest (the pinned trace digests depend on it)."""

    def write(self, b, r, instance, round_):
        adv = self.adv
        x = _current(adv, instance, round_, [adv.honest[0]])
        return [] if x is None else [self.vec(b, instance, round_, x[0])]


class Theorem9(Attack):
    name = "theorem9"

    class Params(PluginParams):
        groups: list[list[int]] | None = Field(None, min_length=1)
        """The honest groups (None: the schedule's ``groups``, else the first floor(h/2) and the rest)."""

        def check(self, *, n, f, q, d):
            check_honest_ids("adversary.groups", self.groups, n - f)

    def groups(self) -> list[list[int]]:
        hon = list(self.adv.honest)
        g = self.adv.params.groups or getattr(self.adv.context.schedule_params, "groups", None)
        return [list(x) for x in g] if g else [hon[: len(hon) // 2], hon[len(hon) // 2 :]]

    def write(self, b, r, instance, round_):
        for g in self.groups():
            if r in g:
                x = _current(self.adv, instance, round_, g)
                return [] if x is None else [self.vec(b, instance, round_, x.mean(axis=0))]
        return []


LOWER_BOUND = (Theorem5, Theorem4, Theorem9)
