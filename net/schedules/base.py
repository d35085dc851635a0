"""Schedules: the adversary's choice of which message in flight is delivered next.

Writing a schedule
------------------
Subclass :class:`Schedule` and register it in :data:`net.schedules.SCHEDULES` (inside jungle) or
under the ``jungle.schedules`` entry point group (in your own package)::

    class MySchedule(Schedule):
        name = "mine"
        def pick(self):            # -> a pending Delivery, or None to withhold everything
            ...

``self.net`` is the network's read-only face (:class:`~net.network.NetworkView`: ``net.pool.items``
the deliveries in flight, ``net.honest``, ``net.byzantine``, ``net.done``, ``net.n``, ``net.step``);
a :class:`~net.pool.Delivery` is immutable, and ``d.pending`` says whether it is still in flight;
``self.rng`` is the schedule's own seeded stream; ``on_submit(d)`` is called for every new delivery;
``self.params`` holds the schedule's typed parameters (the scenario's ``[adversary.schedule_params]``,
its own deep copy), declared as a nested ``Params`` model (:class:`net.params.PluginParams`) with their
defaults. A schedule chooses; it cannot change a message, a node or the network. A schedule cannot deadlock a run: when it returns
None while messages are still in flight, the network itself delivers the oldest one whose receiver
is still running (liveness is enforced by the network, never trusted to the schedule). A schedule
may thus withhold a message exactly as long as its receiver can progress without it.

:class:`HoldingSchedule` covers the common case: say which deliveries to hold back (``holds``), the
rest are delivered in uniformly random order.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from pydantic import Field

from net.params import PluginParams, check_honest_ids, params_of
from net.pool import Delivery, Fifo, Pool

NodeIds = list[int]
"""A list of node ids (``senders``, ``receivers``, one group of ``groups``)."""


class Schedule:
    name = "base"
    Params = PluginParams
    """The schedule's parameters (none by default)."""

    def __init__(self, params: PluginParams | Mapping[str, Any] | None = None):
        # its own copy: the scenario the result reports stays as run
        self.params = params_of(type(self), params).model_copy(deep=True)

    def bind(self, net, rng: np.random.Generator) -> None:
        self.net, self.rng = net, rng
        self._u = np.empty(0)
        self._ui = 0

    def uniform_index(self, size: int) -> int:
        """A uniform index in [0, size) from the schedule's stream, drawn in blocks (a numpy call
        per pick would cost more than the rest of the pick)."""
        if self._ui >= len(self._u):
            self._u = self.rng.random(4096)
            self._ui = 0
        u = self._u[self._ui]
        self._ui += 1
        return min(int(u * size), size - 1)

    def on_submit(self, d: Delivery) -> None:
        pass

    def pick(self) -> Delivery | None:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **self.params.model_dump()}


class FifoSchedule(Schedule):
    """Deliver in the order messages were sent (a benign network)."""

    name = "fifo"

    def bind(self, net, rng):
        super().bind(net, rng)
        self._fifo = Fifo()

    def on_submit(self, d):
        self._fifo.add(d)

    def pick(self):
        return self._fifo.first()


class RandomSchedule(Schedule):
    """Deliver a uniformly random message in flight (seeded)."""

    name = "random"

    def pick(self):
        items = self.net.pool.items
        if not items:
            return None
        return items[self.uniform_index(len(items))]


class HoldingSchedule(Schedule):
    """Random order among the deliveries not held back; held ones only when liveness forces it.

    Param ``byzantine_first`` (default false; true for ``partition`` and ``byzantine-first``):
    deliver Byzantine messages before any honest one, so that they always count among a receiver's
    first q.
    """

    name = "holding"

    class Params(PluginParams):
        byzantine_first: bool = False

    def bind(self, net, rng):
        super().bind(net, rng)
        self._free = Pool()
        self._byz = Pool()
        self.byzantine_first = self.params.byzantine_first

    def holds(self, d: Delivery) -> bool:
        return False

    def on_submit(self, d):
        if self.byzantine_first and d.slot:
            self._byz.add(d)
        elif not self.holds(d):
            self._free.add(d)

    def pick(self):
        for pool in (self._byz, self._free):
            while pool.items:
                d = pool.items[self.uniform_index(len(pool.items))]
                pool.remove(d)
                if d.pending:
                    return d
        return None


class StarveSchedule(HoldingSchedule):
    """Hold back chosen honest senders from chosen receivers as long as liveness allows.

    Params: ``senders`` (default: the first ceil(h/3) honest nodes), ``receivers`` (default: every
    other honest node).
    """

    name = "starve"

    class Params(HoldingSchedule.Params):
        senders: NodeIds | None = None
        receivers: NodeIds | None = None

        def check(self, *, n, f, q, d):
            check_honest_ids("adversary.schedule_params.senders", [self.senders or []], n - f)
            check_honest_ids("adversary.schedule_params.receivers", [self.receivers or []], n - f)

    def bind(self, net, rng):
        super().bind(net, rng)
        h = len(net.honest)
        p = self.params
        self.senders = set(net.honest[: max(1, -(-h // 3))] if p.senders is None else p.senders)
        self.receivers = set([i for i in net.honest if i not in self.senders] if p.receivers is None else p.receivers)

    def holds(self, d):
        return (not d.slot) and d.sender in self.senders and d.receiver in self.receivers


class PartitionSchedule(HoldingSchedule):
    """Split honest nodes into groups that hear only their own group plus the Byzantine nodes
    (proof of Theorem 9); cross-group messages arrive only when liveness forces them.

    Params: ``groups`` (list of lists of honest ids; default: first floor(h/2) and the rest).
    """

    name = "partition"

    class Params(HoldingSchedule.Params):
        byzantine_first: bool = True
        groups: list[NodeIds] | None = Field(None, min_length=1)

        def check(self, *, n, f, q, d):
            check_honest_ids("adversary.schedule_params.groups", self.groups, n - f)

    def bind(self, net, rng):
        super().bind(net, rng)
        honest = list(net.honest)
        groups = self.params.groups or [honest[: len(honest) // 2], honest[len(honest) // 2 :]]
        self.group_of = {i: g for g, members in enumerate(groups) for i in members}

    def holds(self, d):
        if d.slot or d.sender not in self.group_of:
            return False
        return self.group_of.get(d.receiver) != self.group_of[d.sender]


class ByzantineFirstSchedule(HoldingSchedule):
    """Deliver Byzantine messages before honest ones (random order within each), so that they
    always count among a receiver's first q: the rushing adversary's favourite."""

    name = "byzantine-first"

    class Params(HoldingSchedule.Params):
        byzantine_first: bool = True


CORE = (FifoSchedule, RandomSchedule, StarveSchedule, PartitionSchedule, ByzantineFirstSchedule)
