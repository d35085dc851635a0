"""The schedule of a worst-case configuration (``jungle worst-case``, :mod:`agreement.worstcase`).

Gated (a round's messages go out once every honest node has sent its vector of that round, so the
rushing adversary writes from the whole round), deterministic: honest node i receives, in this
order, exactly the senders listed in ``worst_case_order[i]`` (the ``[adversary]`` table, read from
the adversary; or ``order`` in ``[adversary.schedule_params]``), Byzantine and honest alike, which
are its q gathered vectors (its own first when counted). Every other message to i is held back; the
network's liveness rule would deliver one only if i could not progress without it, which never
happens with a valid configuration. Pair it with the ``worst-case`` attack. Without an order it is
the plain ``gated`` schedule.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from net.params import PluginParams
from net.schedules.lowerbound import GatedSchedule

_LATE = 1 << 30


class WorstCaseScheduleParams(PluginParams):
    """Parameters of the ``worst-case`` schedule: ``order`` (h lists of senders, as
    ``worst_case_order``; default: the attack's)."""

    order: list[list[Annotated[int, Field(ge=0)]]] | None = None

    def check(self, *, n, f, q, d):
        h = n - f
        if self.order is None:
            return
        if len(self.order) != h:
            raise ValueError(f"adversary.schedule_params.order must be h = n - f = {h} lists, got {len(self.order)}")
        bad = sorted({s for row in self.order for s in row if s >= n})
        if bad:
            raise ValueError(f"adversary.schedule_params.order names node {bad[0]}, not a node id (0..{n - 1})")


class WorstCaseSchedule(GatedSchedule):
    name = "worst-case"
    Params = WorstCaseScheduleParams

    def _setup(self):
        order = self.params.order
        if order is None:
            adv = getattr(self.net, "adversary", None)
            order = getattr(getattr(adv, "params", None), "worst_case_order", None)
        if order is None:  # no configuration: the plain gated schedule
            order = []
        honest = list(self.net.honest)
        self.pos = {r: {int(s): k for k, s in enumerate(row)} for r, row in zip(honest, order)}

    def holds(self, d):
        self._ensure()
        rank = self.pos.get(d.receiver)
        return rank is not None and d.sender not in rank

    def rank(self, d):
        return (self.pos.get(d.receiver, {}).get(d.sender, _LATE),)


SCHEDULES = {WorstCaseSchedule.name: WorstCaseSchedule}
