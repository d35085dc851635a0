"""Messages in flight: a pool with O(1) add, remove and uniform pick, and a FIFO view.

A :class:`Delivery` is one message on its way to one receiver. An honest broadcast becomes n - 1
deliveries that share one ``data`` bytes object (no per-recipient copy). A Byzantine *slot* is a
delivery whose bytes the adversary writes only when the schedule delivers it (a rushing adversary).

A delivery is immutable (a tuple): schedules read it, none can redirect, rewrite or cancel it.
Whether it is still in flight (``pending``) is the network's to say: it is membership in the
network's pool, read through a read-only view.
"""
from __future__ import annotations

from collections import deque
from operator import itemgetter
from types import MappingProxyType


class Delivery(tuple):
    """(key, sender, receiver, kind, round, instance, data, slot) and, hidden, the read-only view of
    the network's pending set. ``key`` is (sender, per-sender counter, receiver): never a global
    counter. Equality and hashing are by identity."""

    __slots__ = ()

    def __new__(cls, key, sender, receiver, kind, round_, instance, data=None, slot=False, pending_in=None):
        return tuple.__new__(cls, (key, sender, receiver, kind, round_, instance, data, slot, pending_in))

    key = property(itemgetter(0))
    sender = property(itemgetter(1))
    receiver = property(itemgetter(2))
    kind = property(itemgetter(3))
    round = property(itemgetter(4))
    instance = property(itemgetter(5))
    data = property(itemgetter(6), doc="signed bytes (shared by every recipient of a broadcast); None for a slot")
    slot = property(itemgetter(7), doc="True: a Byzantine slot, bytes written at delivery time")

    @property
    def pending(self) -> bool:
        """Still in flight (not delivered, dropped or held back by the network)."""
        where = self[8]
        return where is not None and self in where

    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__

    def __repr__(self) -> str:
        what = "slot" if self[7] else self[3]
        return f"<{what} {self[1]}->{self[2]} r{self[4]} i{self[5]}>"

    def __reduce__(self):
        raise TypeError("a Delivery belongs to its network")


class ReadOnlyList(list):
    """A list its readers cannot change (len, index and iteration at list speed; every mutating
    method raises). Its owner changes it through ``list``'s own methods."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("read-only: this list belongs to the network")

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


_append, _pop, _set = list.append, list.pop, list.__setitem__
FIFO_SLACK = 1024
"""Deliveries a :class:`Fifo` may hold beyond twice its pending ones before it drops the stale ones."""


class Pool:
    """Unordered set of pending deliveries with O(1) add/remove/index (swap-remove).

    A delivery may sit in several pools at once (the network's and a schedule's): each pool keeps
    its own positions. ``items`` is read-only to everyone but the pool."""

    def __init__(self) -> None:
        self.items: ReadOnlyList = ReadOnlyList()
        self._pos: dict[Delivery, int] = {}

    def membership(self) -> MappingProxyType:
        """A read-only live view: ``d in view`` is ``d in self``."""
        return MappingProxyType(self._pos)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, d: Delivery) -> None:
        self._pos[d] = len(self.items)
        _append(self.items, d)

    def remove(self, d: Delivery) -> None:
        i = self._pos.pop(d, None)
        if i is None:
            return
        last = _pop(self.items)
        if last is not d:
            _set(self.items, i, last)
            self._pos[last] = i

    def __contains__(self, d: Delivery) -> bool:
        return d in self._pos


class Fifo:
    """Pending deliveries in submission order (lazy deletion of the ones no longer pending).
    ``pending_in``: the container whose members are pending (default: each delivery's ``pending``).

    Bounded (the network's, which says what it holds back: ``retain``): when the queue holds more than twice the deliveries still pending (plus
    :data:`FIFO_SLACK`), the ones no longer pending are dropped in one pass (order kept), so a run in
    which the schedule never leaves it to the network's liveness does not keep every delivery it ever
    made, and their messages' bytes, alive (amortised O(1) per delivery)."""

    def __init__(self, pending_in=None, retain=None) -> None:
        self._q: deque[Delivery] = deque()
        self._in = pending_in
        self._retain = retain
        """``retain(d)``: keep ``d`` through a compaction although it is not pending now (a delivery
        the network holds and will offer again keeps its place, exactly as without compaction). Only
        a FIFO given ``retain`` compacts: one without cannot know which deliveries may come back."""
        self._limit = FIFO_SLACK if retain is not None else float("inf")

    def __len__(self) -> int:
        return len(self._q)

    def add(self, d: Delivery) -> None:
        q = self._q
        q.append(d)
        if len(q) > self._limit:
            self._compact()

    def _compact(self) -> None:
        pending, retain = self._pending, self._retain
        self._q = deque(d for d in self._q if pending(d) or (retain is not None and retain(d)))
        self._limit = 2 * len(self._q) + FIFO_SLACK

    def _pending(self, d: Delivery) -> bool:
        return d in self._in if self._in is not None else d.pending

    def first(self, accept=None) -> Delivery | None:
        q = self._q
        where = self._in
        if where is not None:
            while q and q[0] not in where:
                q.popleft()
        else:
            while q and not q[0].pending:
                q.popleft()
        if accept is None:
            return q[0] if q else None
        pending = self._pending
        for d in q:
            if pending(d) and accept(d):
                return d
        return None
