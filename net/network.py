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
they reach the receiver at once.
"""
from __future__ import annotations

import hashlib
import struct
from collections import Counter
from typing import Any, Callable

import outcome
from trio.lowlevel import Abort, current_task, reschedule, wait_task_rescheduled

from net.pool import Delivery, Fifo, Pool
from net.schedules.base import Schedule
from net.validate import Verifier

_START = object()


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


class Network:
    def __init__(self, n: int, honest: list[int], byzantine: list[int], schedule: Schedule, verifier: Verifier,
                 rng, *, record_trace: bool = False, max_steps: int = 50_000_000,
                 progress: Callable[[int], None] | None = None):
        self.n = n
        self.honest, self.byzantine = list(honest), list(byzantine)
        self.is_honest = [False] * n
        for i in honest:
            self.is_honest[i] = True
        self.schedule, self.verifier = schedule, verifier
        self.pool, self.fifo = Pool(), Fifo()
        self.record_trace, self.trace = record_trace, []
        self.max_steps = max_steps
        self.progress = progress
        self.step = 0
        self._digest = hashlib.blake2b(digest_size=32)
        self._tbuf = bytearray()
        self._seq = [0] * n
        self._refs: dict[int, int] = {}  # id(data) -> pending deliveries sharing it
        self._rounds_seen: set[tuple[int, int]] = set()
        self.done: set[int] = set()
        self.stalled = False
        self.sent = Counter()        # by kind, per recipient
        self.bytes_sent = Counter()  # by kind, per recipient
        self.delivered = 0
        self.to_byzantine = 0
        self.dropped_after_output = 0
        self.pruned_stale = 0
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
        self._byz_out: list[bytes] = []
        schedule.bind(self, rng)

    # -- used by node tasks ---------------------------------------------------------------------
    def open_inbox(self, node: int) -> "Inbox":
        box = Inbox()
        self._inbox[node] = box
        return box

    def settled(self) -> None:
        """A node task calls this when it has fully processed the item it was given."""
        reschedule(self._coordinator)

    def reject(self, reason: str) -> None:
        self.rejected[reason] += 1

    def node_done(self, node: int) -> None:
        self.done.add(node)

    def submit(self, sender: int, to: int, env, data: bytes) -> None:
        """An honest node sends ``data`` (the signed bytes of envelope ``env``) to ``to`` (a node
        id, or -1 for every other node). Every recipient's delivery shares the one ``data`` object."""
        kind, round_, instance = env.kind, env.round, env.instance
        receivers = range(self.n) if to < 0 else (to,)
        if self.adversary is not None:
            self.adversary.observe(sender, to, env, data)
        key = (instance, round_)
        if key not in self._rounds_seen:
            self._rounds_seen.add(key)
            if self.adversary is not None:
                for b, r in self.adversary.slots(instance, round_):
                    self._add(Delivery((b, self._next_seq(b), r), b, r, "slot", round_, instance, None, True))
        seq = self._next_seq(sender)
        size = len(data)
        add = self._add_honest
        count = 0
        for r in receivers:
            if r == sender:
                continue
            count += 1
            if not self.is_honest[r]:
                self.to_byzantine += 1  # the adversary already read it in observe()
                continue
            add(Delivery((sender, seq, r), sender, r, kind, round_, instance, data))
        self.sent[kind] += count
        self.bytes_sent[kind] += count * size

    def byzantine_emit(self, data: bytes) -> None:
        """A Byzantine node task hands over the bytes it wrote for the slot being delivered."""
        self._byz_out.append(data)

    # -- internals ------------------------------------------------------------------------------
    def _next_seq(self, node: int) -> int:
        self._seq[node] += 1
        return self._seq[node]

    def _add(self, d: Delivery) -> None:
        if d.data is not None:
            k = id(d.data)
            self._refs[k] = self._refs.get(k, 0) + 1
        self.pool.add(d)
        self.fifo.add(d)
        self.schedule.on_submit(d)

    def _add_honest(self, d: Delivery) -> None:
        k = id(d.data)
        refs = self._refs
        refs[k] = refs.get(k, 0) + 1
        self.pool.add(d)
        self.fifo.add(d)
        self.schedule.on_submit(d)
        if not self.prune_enabled:
            return
        key = (d.receiver, d.instance, d.round)
        lst = self._by_round.get(key)
        if lst is None:
            self._by_round[key] = [d]
        else:
            lst.append(d)

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
        for r in range(start, below):
            for d in pop((node, instance, r), ()):
                if d.pending:
                    d.pending = False
                    self.pool.remove(d)
                    self.pruned_stale += 1
                    self._release(d)

    def _take(self, d: Delivery) -> None:
        d.pending = False
        self.pool.remove(d)

    def _release(self, d: Delivery) -> None:
        """After ``d`` was handled: forget the cached verdict once no delivery of its bytes is left."""
        if d.data is not None:
            k = id(d.data)
            left = self._refs[k] - 1
            if left:
                self._refs[k] = left
            else:
                del self._refs[k]
                self.verifier.forget(d.data)

    def _pick(self) -> Delivery | None:
        d = self.schedule.pick()
        if d is not None and d.pending and d in self.pool:
            return d
        # Liveness: the schedule withholds everything; deliver the oldest message still useful.
        if self.serve_after_output:
            return self.fifo.first()
        return self.fifo.first(lambda x: x.receiver not in self.done)

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
            self.trace.append((self.step, sender, receiver, kind, round_, instance, len(data)))

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

    # -- the coordinator ------------------------------------------------------------------------
    async def run(self, start_order: list[int]) -> None:
        """Start every honest node (in id order), then deliver until all honest nodes are done."""
        self._coordinator = current_task()
        for node in start_order:
            await self._give(node, _START)
        honest_total = len(self.honest)
        while len(self.done) < honest_total:
            if self.step >= self.max_steps:
                self.stalled = True
                break
            d = self._pick()
            if d is None:
                self.stalled = True
                break
            self._take(d)
            if d.receiver in self.done and not self.serve_after_output:
                self.dropped_after_output += 1
                self._release(d)
                continue
            if d.slot:
                self._byz_out.clear()
                await self._give(d.sender, d)  # the Byzantine task writes its bytes now
                for data in list(self._byz_out):
                    env, _ = self.verifier.check(data)
                    kind = env.kind if env is not None else "invalid"
                    self.sent[kind] += 1
                    self.bytes_sent[kind] += len(data) if isinstance(data, (bytes, bytearray)) else 0
                    await self._deliver_bytes(d.sender, d.receiver, kind, d.round, d.instance, data)
                    if id(data) not in self._refs:
                        self.verifier.release(data)
            else:
                await self._deliver_bytes(d.sender, d.receiver, d.kind, d.round, d.instance, d.data)
                self._release(d)
            if self.progress is not None and self.step % 4096 == 0:
                self.progress(self.step)

    def finish_digest(self, outputs: list[bytes]) -> str:
        self._digest.update(self._tbuf)
        self._tbuf.clear()
        for b in outputs:
            self._digest.update(b)
        return self._digest.hexdigest()

    def message_counts(self) -> dict[str, Any]:
        return {
            "sent": int(sum(self.sent.values())),
            "delivered": self.delivered,
            "rejected": {k: int(v) for k, v in sorted(self.rejected.items())},
            "by_kind": {k: int(v) for k, v in sorted(self.sent.items())},
            "bytes_by_kind": {k: int(v) for k, v in sorted(self.bytes_sent.items())},
            "bytes": int(sum(self.bytes_sent.values())),
            "to_byzantine": self.to_byzantine,
            "dropped_after_output": self.dropped_after_output,
            "pruned_stale": self.pruned_stale,
            "undelivered_at_end": len(self.pool),
            "signature_verifications": self.verifier.verifications,
        }


START = _START
