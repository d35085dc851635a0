"""The search adversary's schedule: hold back a chosen set of honest links (found by the optimiser
in :mod:`scenarios.explore.search`), as long as liveness allows.

Params (``[adversary.schedule_params]``):

- ``holds``: list of ``[sender, receiver]`` honest node ids: messages from sender to receiver are
  delivered only when the network's liveness rule forces them;
- ``byzantine_first`` (default false): Byzantine slots are delivered before honest messages;
- ``gated`` (default false): a message of round k is delivered only once every honest node has
  sent its round-k message (the rushing adversary writes its payloads from the whole round), in an
  order fixed at the start (a seeded random priority per link); otherwise uniformly random order.

With no params it is the ``random`` schedule.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from net.params import PluginParams, check_honest_ids
from net.schedules.base import HoldingSchedule, Schedule
from net.schedules.lowerbound import GatedSchedule

Link = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]
"""A ``[sender, receiver]`` pair of node ids."""


class SearchParams(PluginParams):
    """Parameters of the ``search`` schedule (see the module docstring)."""

    holds: list[Link] = []
    byzantine_first: bool = False
    gated: bool = False

    def check(self, *, n, f, q, d):
        check_honest_ids("adversary.schedule_params.holds", self.holds, n - f)


class _Holding(HoldingSchedule):
    Params = SearchParams

    def bind(self, net, rng):
        super().bind(net, rng)
        self._holds = {(int(s), int(r)) for s, r in self.params.holds}

    def holds(self, d):
        return (not d.slot) and (d.sender, d.receiver) in self._holds


class _Gated(GatedSchedule):
    Params = SearchParams

    def bind(self, net, rng):
        super().bind(net, rng)
        self._holds = {(int(s), int(r)) for s, r in self.params.holds}
        self._bf = self.params.byzantine_first
        n = net.n if hasattr(net, "n") else len(net.honest) + len(net.byzantine)
        perm = rng.permutation(n * n)
        self._prio = {(s, r): int(perm[s * n + r]) for s in range(n) for r in range(n)}

    def holds(self, d):
        return (not d.slot) and (d.sender, d.receiver) in self._holds

    def rank(self, d):
        return (0 if (d.slot and self._bf) else 1, self._prio.get((d.sender, d.receiver), 0))


class SearchSchedule(Schedule):
    name = "search"
    Params = SearchParams

    def bind(self, net, rng):
        super().bind(net, rng)
        self._inner = (_Gated if self.params.gated else _Holding)(self.params)
        self._inner.bind(net, rng)

    def on_submit(self, d):
        self._inner.on_submit(d)

    def pick(self):
        return self._inner.pick()


SCHEDULES = {SearchSchedule.name: SearchSchedule}
