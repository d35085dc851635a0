"""The simulated asynchronous network, driven by the adversary's schedule.

Every node is a trio task with an inbox. The network's coordinator delivers ONE message at a time
and waits until the receiving task has processed it and is blocked again (it acknowledges), before
the schedule picks the next delivery: the system settles between deliveries, so trio's randomised
scheduler never decides anything observable. (This explicit handshake is the cheap equivalent of
``trio.testing.wait_all_tasks_blocked``: only the receiver can run during a step.)

Liveness is the network's: whenever the schedule withholds everything (``pick`` returns None) while
messages are in flight, the oldest delivery to a still-running honest node is delivered. Every run
therefore ends, and a run where honest nodes cannot finish because nothing is left in flight is
reported as ``stalled`` rather than hanging.

Byzantine messages are *slots*: when honest traffic of a new (instance, round) first appears, the
adversary says which (Byzantine sender, receiver) slots it wants; the schedule orders them like any
message; when one is delivered, the Byzantine node task writes its bytes right then (rushing), and
they reach the receiver at once, within the flood bounds and the fairness bound K of
:mod:`net.flood` (floods are dropped unread and counted as ``flood``; Byzantine deliveries never
count as honest progress).

Containment: the schedule sees the network only through :class:`NetworkView` (read-only: the
pending deliveries, which are immutable, the finished nodes, the node ids); the adversary sees honest
messages as :meth:`observed` envelopes whose vectors are read-only views of the honest signed bytes
(immutable), never the honest machines' own arrays.

Windows: a protocol machine buffers only a window of later rounds or instances and refuses the rest
(``beyond_window``). An honest message so refused is not lost: the network holds it and offers it
again once its receiver has moved on (it sends something and its machine ``admits`` it); a Byzantine
one is counted as rejected.
"""
from __future__ import annotations

import hashlib
import struct
from collections import Counter
from itertools import islice
from operator import length_hint
from types import MappingProxyType
from typing import Any, Callable

import numpy as np
import outcome
from trio.lowlevel import Abort, current_task, reschedule, wait_task_rescheduled

from agreement.messages import Envelope, Rejection
from net.flood import FloodBounds
from net.pool import Delivery, Fifo, Pool
from net.schedules.base import Schedule
from net.trace import DeliveryTrace
from net.validate import Verifier
from net.wire import F64

_START = object()
_END = object()
_new_tuple = tuple.__new__
_BEYOND_WINDOW = Rejection.BEYOND_WINDOW  # (an enum member read from the class costs ~0.3 us on 3.11)
INVALID = "invalid"
"""The kind a trace records for a Byzantine message that fails validation."""


def _abort(_raise_cancel) -> Abort:
    return Abort.SUCCEEDED


class Inbox:
    """A node task's mailbox: the coordinator hands over one item at a time and the task parks in
    between (trio's low-level park/reschedule: the cheapest hand-off trio has; a memory channel pair
    costs about 40% more per delivery)."""

    __slots__ = ("task",)

    def __init__(self) -> None:
        self.task = None

    def __aiter__(self) -> "Inbox":
        return self

    async def __anext__(self) -> Any:
        self.task = current_task()
        return await wait_task_rescheduled(_abort)


_TRACE = struct.Struct("<qiiqqI")


def observed(env: Envelope, data: bytes) -> Envelope:
    """What the adversary gets of an honest message: the same envelope with a read-only payload
    mapping whose vectors are views of the signed bytes ``data`` (immutable: their ``base`` is the
    bytes object, whose flags cannot be made writeable) and whose other values are copies; never the
    sending machine's own arrays. Zero-copy for the vectors (the layout of :mod:`net.wire`: the
    vectors end right before the signature, in payload order)."""
    payload = {}
    arrays = []
    for name, v in env.payload.items():
        if isinstance(v, np.ndarray):
            arrays.append(name)
        elif isinstance(v, list):
            payload[name] = list(v)
        elif isinstance(v, dict):
            payload[name] = dict(v)
        else:
            payload[name] = v
    end = len(data) - 64
    views = {}
    for name in reversed(arrays):
        v = env.payload[name]
        count = int(v.size)
        start = end - 8 * count
        views[name] = np.frombuffer(data, dtype=F64, count=count, offset=start).reshape(v.shape)
        end = start
    for name in env.payload:
        if name in views:
            payload[name] = views[name]
    return Envelope(env.kind, env.sender, env.round, env.instance, MappingProxyType(payload))


def network_view(net: "Network") -> "NetworkView":
    """The read-only face of ``net`` that a schedule gets (the network itself lives in closures, not
    in attributes a schedule could reach)."""
    honest, byzantine = tuple(net.honest), tuple(net.byzantine)
    items = net.pool.items  # a ReadOnlyList: len and index at list speed, no mutation

    class PoolView:
        __slots__ = ()

        def __len__(self) -> int:
            return len(items)

        def __contains__(self, d) -> bool:
            return d in net.pool

    PoolView.items = items

    class View(NetworkView):
        __slots__ = ()

        @property
        def done(self) -> frozenset[int]:
            return net.done_frozen

        @property
        def step(self) -> int:
            return net.step

        @property
        def adversary(self):
            return net.adversary

    View.n, View.honest, View.byzantine, View.pool, View.pending = net.n, honest, byzantine, PoolView(), items
    return View()


class NetworkView:
    """What a schedule reads of the network (see :func:`network_view`): ``n``, ``honest``,
    ``byzantine`` (tuples), ``pool.items`` / ``pending`` (the deliveries in flight, a read-only live
    sequence of immutable :class:`~net.pool.Delivery`), ``done`` (a frozenset of finished honest
    nodes), ``step`` and ``adversary`` (the adversary's own object, the schedule's accomplice)."""

    __slots__ = ()


class Network:
    def __init__(self, n: int, honest: list[int], byzantine: list[int], schedule: Schedule, verifier: Verifier,
                 rng, *, record_trace: bool = False, max_steps: int = 50_000_000,
                 progress: Callable[[int], None] | None = None, flood: FloodBounds | None = None):
        self.n = n
        self.honest, self.byzantine = list(honest), list(byzantine)
        self.is_honest = [False] * n
        for i in honest:
            self.is_honest[i] = True
        self._byz_set, self._honest_set = frozenset(self.byzantine), frozenset(self.honest)
        self.schedule, self.verifier = schedule, verifier
        self.flood = flood if flood is not None else FloodBounds.for_protocol(verifier.schemas, n, len(self.byzantine))
        self.pool = Pool()
        self._pending = self.pool.membership()
        self._held: set[Delivery] = set()
        """Every delivery in ``_parked`` (held, to be offered again: it keeps its place in the FIFO)."""
        self.fifo = Fifo(self.pool._pos, retain=self._held.__contains__)
        self.record_trace = record_trace
        self.tracer = DeliveryTrace(verifier.check) if record_trace else None
        """The delivery trace (:mod:`net.trace`), only when recording: the network calls it from
        ``if self.record_trace`` branches, so a run that does not record pays nothing more."""
        self.trace = self.tracer.records if record_trace else []
        self.max_steps = max_steps
        """Cap on HONEST deliveries (Byzantine deliveries have their own budget: at most K per honest one)."""
        self.progress = progress
        self.step = 0
        """Every delivery, honest and Byzantine (the trace's clock)."""
        self.honest_deliveries = 0
        self.byzantine_deliveries = 0
        self._digest = hashlib.blake2b(digest_size=32)
        self._tbuf = bytearray()
        self._seq = [0] * n
        self._refs: dict[int, int] = {}  # id(data) -> pending deliveries sharing it
        self._rounds_seen: set[tuple[int, int]] = set()
        self.done: set[int] = set()
        self.done_frozen: frozenset[int] = frozenset()
        self.stalled = False
        self.sent = Counter()        # by kind, per recipient
        self.bytes_sent = Counter()  # by kind, per recipient
        self.honest_by_round = Counter()
        """(round, kind) -> honest messages sent (one per recipient): the message-complexity table."""
        self.honest_bytes_by_round = Counter()
        self.delivered = 0
        self.to_byzantine = 0
        self.dropped_after_output = 0
        self.pruned_stale = 0
        self.deferred = 0
        """Honest deliveries refused as beyond the receiver's window, held and offered again."""
        self.fairness_forced = 0
        """Times the fairness bound K made the network deliver an honest message instead of the
        schedule's Byzantine pick."""
        self.prune_enabled = False
        """True when every honest machine can say which rounds are stale for it (``stale_below``)."""
        self._by_round: dict[tuple[int, int, int], list[Delivery]] = {}
        self._pruned_to: dict[tuple[int, int], int] = {}
        self.serve_after_output = False
        """True: a node that has its output keeps receiving (and relaying), e.g. reliable broadcast."""
        self.rejected = Counter()
        self.adversary = None
        self._inbox: dict[int, Inbox] = {}
        self.inline: dict[int, Callable[[Any], None]] | None = None
        """``run.dispatch = "inline"``: node id -> its handler, called directly by the coordinator
        instead of waking the node's task (same deliveries in the same order, so the same trace
        digest, without two trio scheduler passes per delivery)."""
        self._coordinator = None
        self._byz_out: list = []
        self._byz_items = None
        self._byz_count: dict[tuple, int] = {}
        """(receiver, sender, instance, round, kind) -> messages of that key the receiver TOOK over
        Byzantine links (refused ones do not count: they cost a delivery each, within the slot cap)."""
        self._refused = False
        self._byz_run = 0
        self._honest_added = 0
        self._no_honest_at = -1
        self._honest_now = 0
        """1 while an honest message is being delivered, 2 when its receiver asked to hold it."""
        self._parked: dict[int, list[Delivery]] = {}
        self._admits: dict[int, Callable[[bytes], bool]] = {}
        self.view = network_view(self)
        schedule.bind(self.view, rng)

    # -- used by node tasks ---------------------------------------------------------------------
    def open_inbox(self, node: int) -> "Inbox":
        box = Inbox()
        self._inbox[node] = box
        return box

    def settled(self) -> None:
        """A node task calls this when it has fully processed the item it was given."""
        reschedule(self._coordinator)

    def set_admits(self, node: int, admits: Callable[[bytes], bool]) -> None:
        """``admits(data)``: whether ``node``'s machine would now take the message (not beyond its window)."""
        self._admits[node] = admits

    def reject(self, reason: str) -> None:
        self._refused = True
        if self.record_trace:
            self.tracer.verdict(reason, held=bool(reason == _BEYOND_WINDOW and self._honest_now))
        if reason == _BEYOND_WINDOW and self._honest_now:
            self._honest_now = 2  # an honest message early for its receiver: held, not refused
            return
        self.rejected[reason] += 1

    def count_rejection(self, reason: str) -> None:
        """Count a refusal of a message delivered earlier (a machine drops what it had buffered)."""
        self.rejected[reason] += 1

    def node_done(self, node: int) -> None:
        self.done.add(node)
        self.done_frozen = frozenset(self.done)

    def submit(self, sender: int, to: int, env, data: bytes) -> None:
        """An honest node sends ``data`` (the signed bytes of envelope ``env``) to ``to`` (a node
        id, or -1 for every other node). Every recipient's delivery shares the one ``data`` object."""
        kind, round_, instance = env.kind, env.round, env.instance
        receivers = range(self.n) if to < 0 else (to,)
        adv = self.adversary
        if adv is not None and adv.observes:
            adv.observe(sender, to, observed(env, data), data)
        if self._parked and sender in self._parked:
            self._reoffer(sender)
        key = (instance, round_)
        if key not in self._rounds_seen:
            self._rounds_seen.add(key)
            if adv is not None and self.byzantine:
                self._open_slots(instance, round_)
        seq = self._next_seq(sender)
        if self.record_trace:
            self.tracer.sent(sender, seq, self.step)
        size = len(data)
        pend = self._pending
        pool_add, fifo_add, on_submit = self.pool.add, self.fifo.add, self.schedule.on_submit
        index = self._by_round if self.prune_enabled else None
        is_honest = self.is_honest
        count = added = 0
        for r in receivers:
            if r == sender:
                continue
            count += 1
            if not is_honest[r]:
                self.to_byzantine += 1  # the adversary already read it in observe()
                continue
            # Delivery(...) without its Python-level __new__ (the hot path: one per recipient)
            d = _new_tuple(Delivery, ((sender, seq, r), sender, r, kind, round_, instance, data, False, pend))
            added += 1
            pool_add(d)
            fifo_add(d)
            on_submit(d)
            if index is not None:
                lst = index.get((r, instance, round_))
                if lst is None:
                    index[(r, instance, round_)] = [d]
                else:
                    lst.append(d)
        if added:
            k = id(data)
            self._refs[k] = self._refs.get(k, 0) + added
            self._honest_added += added
        self.sent[kind] += count
        self.bytes_sent[kind] += count * size
        self.honest_by_round[(round_, kind)] += count
        self.honest_bytes_by_round[(round_, kind)] += count * size

    def byzantine_emit(self, data: Any) -> None:
        """A Byzantine node task hands over one message it wrote for the slot being delivered."""
        self._byz_out.append(data)

    def byzantine_write(self, items: Any) -> None:
        """A Byzantine node task hands over what it writes for the slot being delivered: any
        iterable, read lazily (at most the slot's cap of items is ever taken from it)."""
        self._byz_items = items

    # -- internals ------------------------------------------------------------------------------
    def _next_seq(self, node: int) -> int:
        self._seq[node] += 1
        return self._seq[node]

    def _open_slots(self, instance: int, round_: int) -> None:
        """Ask the adversary which (Byzantine, honest) slots it wants for a new (instance, round): at
        most one per pair, read lazily; anything else is dropped (``flood``)."""
        raw = self.adversary.slots(instance, round_)
        if raw is None:
            return
        limit = self.flood.slots_per_round
        taken: set[tuple[int, int]] = set()
        dropped = 0
        it = iter(raw)
        pulled = 0
        for pair in it:
            pulled += 1
            try:
                b, r = pair
                ok = b in self._byz_set and r in self._honest_set
            except (TypeError, ValueError):
                ok = False
            if ok:
                b, r = int(b), int(r)
                ok = (b, r) not in taken
            if not ok:
                dropped += 1
            else:
                taken.add((b, r))
                self._add(Delivery((b, self._next_seq(b), r), b, r, "slot", round_, instance, None, True, self._pending))
            if len(taken) >= limit or pulled >= limit + self.flood.invalid_per_slot:
                if next(it, _END) is not _END:
                    dropped += 1 + length_hint(it)
                break
        close = getattr(it, "close", None)
        if close is not None:
            close()
        if dropped:
            self.rejected[Rejection.FLOOD] += dropped

    def _add(self, d: Delivery) -> None:
        if self.record_trace:
            self.tracer.sent(d[1], d[0][1], self.step)
        if d.data is not None:
            k = id(d.data)
            self._refs[k] = self._refs.get(k, 0) + 1
        self.pool.add(d)
        self.fifo.add(d)
        self.schedule.on_submit(d)

    def _offer_again(self, d: Delivery) -> None:
        """Put a held honest delivery back in flight (its refs were kept)."""
        self._honest_added += 1
        self.pool.add(d)
        self.fifo.add(d)
        self.schedule.on_submit(d)
        if self.prune_enabled:
            self._by_round.setdefault((d[2], d[5], d[4]), []).append(d)

    def _reoffer(self, node: int) -> None:
        """``node`` has moved on: offer again the held deliveries its machine now admits."""
        held = self._parked.pop(node)
        admits = self._admits.get(node)
        keep = []
        for d in held:
            if admits is None or admits(d[6]):
                self._held.discard(d)
                self._offer_again(d)
            else:
                keep.append(d)
        if keep:
            self._parked[node] = keep

    def _unpark_all(self) -> None:
        for node in sorted(self._parked):
            for d in self._parked[node]:
                self.pool.add(d)
                self.fifo.add(d)
        self._parked.clear()
        self._held.clear()

    def prune_stale(self, node: int, instance: int, below: int) -> None:
        """``node``'s protocol says every message of ``instance`` with round < ``below`` is stale
        for it: drop those still in flight now (they could only be rejected as stale) instead of
        holding their bytes until the schedule happens to pick them. Counted in ``pruned_stale``."""
        key = (node, instance)
        start = self._pruned_to.get(key, 0)
        if below <= start:
            return
        self._pruned_to[key] = below
        pop = self._by_round.pop
        pool = self.pool
        for r in range(start, below):
            for d in pop((node, instance, r), ()):
                if d in pool:
                    pool.remove(d)
                    self.pruned_stale += 1
                    if self.record_trace:
                        self.tracer.undelivered(d, self.step, "pruned_stale")
                    self._release(d)

    def _release(self, d: Delivery) -> None:
        """After ``d`` was handled: forget the cached verdict once no delivery of its bytes is left."""
        data = d[6]
        if data is not None:
            k = id(data)
            left = self._refs[k] - 1
            if left:
                self._refs[k] = left
            else:
                del self._refs[k]
                self.verifier.forget(data)

    def _release_loose(self, data: bytes) -> None:
        if id(data) not in self._refs:
            self.verifier.release(data)

    def _pick(self) -> Delivery | None:
        d = self.schedule.pick()
        if d is not None and type(d) is Delivery and d in self._pending:
            return d
        # Liveness: the schedule withholds everything; deliver the oldest message still useful.
        if self.serve_after_output:
            d = self.fifo.first()
        else:
            d = self.fifo.first(lambda x: x[2] not in self.done)
        if self.record_trace and d is not None:
            self.tracer.force(d, "liveness")
        return d

    def _oldest_honest(self) -> Delivery | None:
        """The oldest honest delivery in flight to a receiver that still takes messages (None: none)."""
        if self._no_honest_at == self._honest_added:
            return None
        if self.serve_after_output:
            d = self.fifo.first(lambda x: not x[7])
        else:
            d = self.fifo.first(lambda x: not x[7] and x[2] not in self.done)
        if d is None:
            self._no_honest_at = self._honest_added
        return d

    def _trace(self, sender: int, receiver: int, kind: str, round_: int, instance: int, data: bytes) -> None:
        """Record one delivery in the digest: (step, sender, receiver, round, instance, size, kind,
        the message's signature). Buffered: the hash sees the same byte stream in larger pieces."""
        self.step += 1
        buf = self._tbuf
        buf += _TRACE.pack(self.step, sender, receiver, round_, instance, len(data))
        buf += kind.encode()
        buf += data[-64:]
        if len(buf) > 65536:
            self._digest.update(buf)
            buf.clear()
        if self.record_trace:
            self.tracer.delivered(self.step, sender, receiver, kind, round_, instance, data)

    async def _give(self, node: int, item: Any) -> None:
        """Hand ``item`` to the node's task and wait until it has processed it (it calls settled())."""
        if self.inline is not None:
            self.inline[node](item)
            return
        box = self._inbox[node]
        task, box.task = box.task, None
        if task is None:
            raise RuntimeError(f"node {node} is not waiting for a message")
        reschedule(task, outcome.Value(item))
        await wait_task_rescheduled(_abort)

    async def _deliver_bytes(self, sender: int, receiver: int, kind: str, round_: int, instance: int,
                             data: bytes) -> None:
        self.delivered += 1
        self._trace(sender, receiver, kind, round_, instance, data)
        await self._give(receiver, data)

    async def _deliver_slot(self, d: Delivery, items: Any) -> None:
        """Deliver what the Byzantine node wrote for slot ``d``, within the flood bounds
        (:mod:`net.flood`): at most C items are read; each must be ``bytes``, and is delivered once per
        slot; at most I invalid ones; at most B taken per (receiver, sender, instance, round, kind);
        at most K Byzantine deliveries in a row while an honest message waits. The rest is dropped
        unread, counted as ``flood``."""
        fb = self.flood
        if items is None:
            return
        it = iter(items)
        batch = list(islice(it, fb.per_slot))
        flood = 0
        if next(it, _END) is not _END:
            flood += 1 + length_hint(it)
        close = getattr(it, "close", None)
        if close is not None:
            close()
        invalid = 0
        receiver = d[2]
        once: set[bytes] = set()
        for i, data in enumerate(batch):
            if self._byz_run >= fb.fairness and self._oldest_honest() is not None:
                flood += len(batch) - i
                break
            if type(data) is not bytes:  # never delivered (nor hashed, nor traced): counted here
                invalid += 1
                if invalid > fb.invalid_per_slot:
                    flood += 1
                else:
                    self.rejected[Rejection.UNDECODABLE] += 1
                continue
            if data in once:  # the same bytes twice in one slot: never useful
                flood += 1
                continue
            once.add(data)
            env, _ = self.verifier.check(data)
            if env is None:
                invalid += 1
                if invalid > fb.invalid_per_slot:
                    flood += 1
                    self._release_loose(data)
                    continue
                kind = INVALID
            else:
                kind = env.kind
                key = (receiver, env.sender, env.instance, env.round, kind)
                c = self._byz_count.get(key, 0)
                if c >= fb.bound(kind):
                    flood += 1
                    self._release_loose(data)
                    continue
            self.sent[kind] += 1
            self.bytes_sent[kind] += len(data)
            self.byzantine_deliveries += 1
            self._byz_run += 1
            self._refused = False
            await self._deliver_bytes(d[1], receiver, kind, d[4], d[5], data)
            if env is not None and not self._refused:  # the receiver took it: one of the B useful ones
                self._byz_count[key] = c + 1
            self._release_loose(data)
        if flood:
            self.rejected[Rejection.FLOOD] += flood

    # -- the coordinator ------------------------------------------------------------------------
    async def run(self, start_order: list[int]) -> None:
        """Start every honest node (in id order), then deliver until all honest nodes are done."""
        self._coordinator = current_task()
        for node in start_order:
            await self._give(node, _START)
        honest_total = len(self.honest)
        fairness = self.flood.fairness
        pool = self.pool
        refs, forget = self._refs, self.verifier.forget
        tracer = self.tracer
        while len(self.done) < honest_total:
            if self.honest_deliveries >= self.max_steps:
                self.stalled = True
                break
            d = self._pick()
            if d is None:
                self.stalled = True
                break
            if d[7] and self._byz_run >= fairness:
                h = self._oldest_honest()
                if h is not None:
                    d = h
                    self.fairness_forced += 1
                    if self.record_trace:
                        self.tracer.force(d, "fairness")
            pool.remove(d)
            if tracer is not None:
                tracer.picked(d)
            _, sender, receiver, kind, round_, instance, data, slot, _ = d
            if receiver in self.done and not self.serve_after_output:
                self.dropped_after_output += 1
                if self.record_trace:
                    self.tracer.undelivered(d, self.step, "after_output")
                self._release(d)
                continue
            if slot:
                self._byz_out.clear()
                self._byz_items = None
                await self._give(sender, d)  # the Byzantine task writes its bytes now
                items = self._byz_items
                if items is None:
                    items = list(self._byz_out)
                self._byz_items = None
                await self._deliver_slot(d, items)
            else:
                self._honest_now = 1
                await self._deliver_bytes(sender, receiver, kind, round_, instance, data)
                park = self._honest_now == 2
                self._honest_now = 0
                self.honest_deliveries += 1
                self._byz_run = 0
                if park:
                    self._parked.setdefault(receiver, []).append(d)
                    self._held.add(d)
                    self.deferred += 1
                else:  # _release(d), inline
                    k = id(data)
                    left = refs[k] - 1
                    if left:
                        refs[k] = left
                    else:
                        del refs[k]
                        forget(data)
            if self.progress is not None and self.step % 4096 == 0:
                self.progress(self.step)
        self._unpark_all()

    def finish_digest(self, outputs: list[bytes]) -> str:
        self._digest.update(self._tbuf)
        self._tbuf.clear()
        for b in outputs:
            self._digest.update(b)
        digest = self._digest.hexdigest()
        if self.record_trace:
            self.tracer.close(outputs, digest, in_flight=self.pool.items)
        return digest

    def message_counts(self) -> dict[str, Any]:
        return {
            "sent": int(sum(self.sent.values())),
            "delivered": self.delivered,
            "rejected": {str(k): int(v) for k, v in sorted(self.rejected.items())},
            "by_kind": {k: int(v) for k, v in sorted(self.sent.items())},
            "bytes_by_kind": {k: int(v) for k, v in sorted(self.bytes_sent.items())},
            "bytes": int(sum(self.bytes_sent.values())),
            "to_byzantine": self.to_byzantine,
            "dropped_after_output": self.dropped_after_output,
            "pruned_stale": self.pruned_stale,
            "undelivered_at_end": len(self.pool),
            "signature_verifications": self.verifier.verifications,
            "signatures_vouched": self.verifier.vouched,
            "honest_deliveries": self.honest_deliveries,
            "byzantine_deliveries": self.byzantine_deliveries,
            "flood": int(self.rejected.get(Rejection.FLOOD, 0)),
            "deferred": self.deferred,
            "fairness_forced": self.fairness_forced,
            "flood_bounds": self.flood.describe(),
        }


START = _START
