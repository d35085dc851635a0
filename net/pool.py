"""Messages in flight: a pool with O(1) add, remove and uniform pick, and a FIFO view.

A :class:`Delivery` is one message on its way to one receiver. An honest broadcast becomes n - 1
deliveries that share one ``data`` bytes object (no per-recipient copy). A Byzantine *slot* is a
delivery whose bytes the adversary writes only when the schedule delivers it (a rushing adversary).
"""
from __future__ import annotations

from collections import deque


class Delivery:
    __slots__ = ("key", "sender", "receiver", "kind", "round", "instance", "data", "slot", "pending")

    def __init__(self, key, sender, receiver, kind, round_, instance, data=None, slot=False):
        self.key = key                  # (sender, per-sender counter, receiver): never a global counter
        self.sender, self.receiver = sender, receiver
        self.kind, self.round, self.instance = kind, round_, instance
        self.data = data                # signed bytes (shared by every recipient of a broadcast)
        self.slot = slot                # True: a Byzantine slot, bytes written at delivery time
        self.pending = True

    def __repr__(self) -> str:
        what = "slot" if self.slot else self.kind
        return f"<{what} {self.sender}->{self.receiver} r{self.round} i{self.instance}>"


class Pool:
    """Unordered set of pending deliveries with O(1) add/remove/index (swap-remove).

    A delivery may sit in several pools at once (the network's and a schedule's): each pool keeps
    its own positions."""

    def __init__(self) -> None:
        self.items: list[Delivery] = []
        self._pos: dict[Delivery, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, d: Delivery) -> None:
        self._pos[d] = len(self.items)
        self.items.append(d)

    def remove(self, d: Delivery) -> None:
        i = self._pos.pop(d, None)
        if i is None:
            return
        last = self.items.pop()
        if last is not d:
            self.items[i] = last
            self._pos[last] = i

    def __contains__(self, d: Delivery) -> bool:
        return d in self._pos


class Fifo:
    """Pending deliveries in submission order (lazy deletion of the ones already delivered)."""

    def __init__(self) -> None:
        self._q: deque[Delivery] = deque()

    def add(self, d: Delivery) -> None:
        self._q.append(d)

    def first(self, accept=None) -> Delivery | None:
        q = self._q
        while q and not q[0].pending:
            q.popleft()
        if accept is None:
            return q[0] if q else None
        for d in q:
            if d.pending and accept(d):
                return d
        return None
