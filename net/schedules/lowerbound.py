"""Schedules of the agreement paper's lower-bound proofs (pair each with its attack in
``nodes.attacks.lowerbound``).

Both are *gated*: a message of iteration k (honest or a Byzantine slot) is delivered only once every
honest node has sent its iteration-k vector, so the Byzantine payloads are written from the whole
round (a rushing, omniscient adversary), and in a fixed order (no randomness: the proofs' schedule
is deterministic). Held messages are never picked by the schedule: with the proofs' counts every
receiver gathers q messages without them (the network's liveness rule would deliver them only if a
receiver could not progress otherwise).

- ``theorem5``: L = first 2f honest, R = last 2f, M = the rest. The last f nodes of R are never
  heard by L, the first f nodes of L never by R (eq. 161); Byzantine slots first. Nodes of M hear
  everyone, alternating L and R senders first, so that MDA's lexicographic tie rule keeps a
  symmetric subset (the proof assumes the rigorous all-minimal average; both give 0 there).
- ``theorem4``: the last h + f - q honest nodes are never heard by the first q - f (proof of
  Theorem 4); Byzantine slots first.
- ``split``: proof of Theorem 9: two groups of honest nodes, each receiver hears the Byzantine
  nodes, then its own group, then the other group (see :class:`SplitSchedule`).
"""
from __future__ import annotations

import heapq

from pydantic import Field

from net.params import PluginParams, check_honest_ids
from net.schedules.base import NodeIds, Schedule


class GatedSchedule(Schedule):
    """Deliver, among the messages not held back whose iteration every honest node has sent (the
    *ready* groups), the one with the smallest key (round, instance) + :meth:`rank` + (receiver,
    delivery key); messages to finished receivers are never picked.

    Kept as one heap per (round, instance) group and a heap of the ready groups, so a pick costs
    O(log pending) instead of a scan of every pending message; the choice is the same as the scan's
    (keys are unique and static, readiness only turns on, finished receivers stay finished)."""

    name = "gated"

    def bind(self, net, rng):
        super().bind(net, rng)
        self._sent: dict[tuple[int, int], set[int]] = {}
        self._groups_ready = False
        self._heaps: dict[tuple[int, int], list] = {}   # (round, instance) -> heap of (key, delivery)
        self._ready: list[tuple[int, int]] = []          # heap of ready (round, instance) with items
        self._queued: set[tuple[int, int]] = set()       # the groups now in self._ready

    def _setup(self) -> None:
        """Compute the groups (may read ``net.adversary``, e.g. for q); called once, lazily."""

    def _ensure(self) -> None:
        if not self._groups_ready:
            self._setup()
            self._groups_ready = True

    def _queue(self, g: tuple[int, int]) -> None:
        if g not in self._queued and self._heaps.get(g) and self._is_ready(g):
            heapq.heappush(self._ready, g)
            self._queued.add(g)

    def on_submit(self, d):
        self._ensure()
        if not d.slot:
            sent = self._sent.setdefault((d.instance, d.round), set())
            before = len(sent)
            sent.add(d.sender)
            if len(sent) != before and len(sent) >= len(self.net.honest):
                self._queue((d.round, d.instance))
        if not self.holds(d):
            g = (d.round, d.instance)
            heapq.heappush(self._heaps.setdefault(g, []), (self.rank(d) + (d.receiver, d.key), d))
            self._queue(g)

    def _is_ready(self, g: tuple[int, int]) -> bool:
        return len(self._sent.get((g[1], g[0]), ())) >= len(self.net.honest)

    def ready(self, d) -> bool:
        return self._is_ready((d.round, d.instance))

    def holds(self, d) -> bool:
        return False

    def rank(self, d) -> tuple:
        return (0 if d.slot else 1, d.sender)

    def pick(self):
        self._ensure()
        done = self.net.done
        while self._ready:
            g = self._ready[0]
            h = self._heaps[g]
            while h and (not h[0][1].pending or h[0][1].receiver in done):
                heapq.heappop(h)
            if h:
                return h[0][1]
            heapq.heappop(self._ready)
            self._queued.discard(g)
            del self._heaps[g]
        return None


class Theorem5Schedule(GatedSchedule):
    name = "theorem5"

    def _setup(self):
        hon, f = list(self.net.honest), len(self.net.byzantine)
        self.L, self.R = set(hon[: 2 * f]), set(hon[len(hon) - 2 * f :])
        self.M = set(hon) - self.L - self.R
        self.far_from_L = set(hon[len(hon) - f :])  # last f of R, never heard by L
        self.far_from_R = set(hon[:f])              # first f of L, never heard by R
        Ls, Rs, Ms = sorted(self.L), sorted(self.R), sorted(self.M)
        order = [x for pair in zip(Ls, Rs) for x in pair] + Ms
        self.m_rank = {s: i for i, s in enumerate(order)}

    def holds(self, d):
        if d.slot:
            return False
        return (d.receiver in self.L and d.sender in self.far_from_L) or (d.receiver in self.R and d.sender in self.far_from_R)

    def rank(self, d):
        if d.slot:
            return (0, d.sender)
        if d.receiver in self.M:
            return (1, self.m_rank.get(d.sender, d.sender))
        return (1, d.sender)


class Theorem4Schedule(GatedSchedule):
    name = "theorem4"

    class Params(PluginParams):
        q: int | None = Field(None, ge=1)
        """The q of the construction (default: the scenario's, as the adversary knows it)."""

    def _setup(self):
        hon = list(self.net.honest)
        q = self.params.q if self.params.q is not None else int(getattr(self.net.adversary, "q", len(hon)))
        f = len(self.net.byzantine)
        self.early = set(hon[: q - f])
        self.late = set(hon[q - f :])

    def holds(self, d):
        return (not d.slot) and d.sender in self.late and d.receiver in self.early


class SplitSchedule(GatedSchedule):
    """Proof of Theorem 9 (Lemma 16), deterministic: honest nodes form groups (``groups`` param,
    default the first floor(h/2) and the rest, as ``partition``); in every iteration each receiver
    gets the Byzantine slots first, then its own group, then the other groups, so that it gathers
    its own group (at least q - 2f when q <= 3f), f Byzantine vectors and only as many vectors of
    the other group as it still needs. Nothing is held back: the order alone does it. Pair it with
    the ``theorem9`` attack (or the core's ``split`` with ``split_mode = "halves"``)."""

    name = "split"

    class Params(PluginParams):
        groups: list[NodeIds] | None = Field(None, min_length=1)

        def check(self, *, n, f, q, d):
            check_honest_ids("adversary.schedule_params.groups", self.groups, n - f)

    def _setup(self):
        hon = list(self.net.honest)
        groups = self.params.groups or [hon[: len(hon) // 2], hon[len(hon) // 2 :]]
        self.group_of = {i: g for g, members in enumerate(groups) for i in members}

    def rank(self, d):
        if d.slot:
            return (0, d.sender)
        same = self.group_of.get(d.sender) == self.group_of.get(d.receiver)
        return (1 if same else 2, d.sender)


SCHEDULES = {cls.name: cls for cls in (Theorem5Schedule, Theorem4Schedule, SplitSchedule)}
