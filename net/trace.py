"""The delivery trace: one record per delivery, the same data the network's trace digest hashes.

Recorded only when a run asks for it (``run.record_trace``, ``jungle run --trace``); when it is off
the network never calls into this module. A record is a list (its verdict is filled in after the
receiver has handled the message)::

    [step, sender, receiver, kind, round, instance, size, sent, forced, verdict, value, signature]

- ``step``, ``sender``, ``receiver``, ``kind``, ``round``, ``instance``, ``size``: what
  :meth:`net.network.Network._trace` hashes, in the trace's clock (every delivery, honest and
  Byzantine);
- ``sent``: the step at which the message was sent (an honest broadcast) or its slot opened (a
  Byzantine slot, whose bytes are written at delivery time); ``step - sent`` is how long it was in
  flight, so a message the schedule held back shows as a long arrow;
- ``forced``: ``"liveness"`` when the schedule withheld everything and the network delivered the
  oldest useful message, ``"fairness"`` when the fairness bound K made the network deliver an honest
  message instead of the schedule's Byzantine pick, else None;
- ``verdict``: ``"accepted"``, ``"held"`` (an honest message beyond its receiver's window, held by
  the network and offered again later) or the rejection reason (:class:`~agreement.messages.Rejection`);
- ``value``: for each vector field of the payload, its value when d <= :data:`FULL_VALUE_MAX_D`,
  otherwise ``{"norm": ||x||, "proj": <x, u>}`` with ``u`` the direction of the honest spread (set by
  the runner, :attr:`DeliveryTrace.direction`; without one only the norm); None for a message that
  carries no vector or does not validate;
- ``signature``: the message's last 64 bytes (its signature), which the digest also hashes.

Honest messages that are never delivered (pruned as stale once their receiver moved past their
round, dropped because their receiver had its output, or still in flight at the end) are kept apart
in :attr:`DeliveryTrace.dropped` (:data:`DROPPED_FIELDS`): they are not deliveries, and not hashed.

The digest can be recomputed from the records and the outputs (:func:`digest_of`). The network calls
this module only from ``if self.record_trace`` branches: a run that does not record pays one
attribute test per delivery, and recording changes nothing the run computes or counts (the verifier
verdict it reads is the one the receiver reads next).
"""
from __future__ import annotations

import hashlib
import math
import struct
from typing import Any, Callable, Iterable

import numpy as np

FULL_VALUE_MAX_D = 4
"""Up to this dimension a record carries the vector itself; above it, its norm and projection."""

FIELDS = ("step", "sender", "receiver", "kind", "round", "instance", "size", "sent", "forced", "verdict",
          "value", "signature")
"""The names of a record's positions (the keys of a JSON Lines record)."""

DROPPED_FIELDS = ("sender", "receiver", "kind", "round", "instance", "sent", "step", "why")
ACCEPTED = "accepted"
SUMMARY_CACHE = 1 << 16
"""Distinct messages whose summary is kept for their next deliveries (then the cache starts over)."""
HELD = "held"

_TRACE = struct.Struct("<qiiqqI")


class DeliveryTrace:
    """Builds the records of one network's deliveries (the network calls it only when recording).

    ``check(data) -> (envelope | None, reason | None)`` is the network's verifier (a cached verdict:
    calling it right before the receiver does changes nothing the run counts). ``sink(record)``
    receives each finished record (default: ``records.append``)."""

    def __init__(self, check: Callable[[bytes], tuple[Any, Any]], sink: Callable[[list], None] | None = None):
        self.check = check
        self.records: list[list] = []
        self.sink = sink if sink is not None else self.records.append
        self.direction: np.ndarray | None = None
        self._sent: dict[tuple[int, int], int] = {}
        self._current_sent = 0
        self._forced: tuple[Any, str] | None = None
        self._forced_now: str | None = None
        self._last: list | None = None
        self.closed = False
        self.dropped: list[list] = []
        """Honest messages never delivered: [sender, receiver, kind, round, instance, sent, step, why]
        (:data:`DROPPED_FIELDS`)."""
        self._last_step = 0
        self._seen: dict[bytes, tuple[Any, str]] = {}
        self.outputs: list[bytes] = []
        self.digest: str | None = None
        self.on_close: Callable[["DeliveryTrace"], None] | None = None

    # -- hooks the network calls ----------------------------------------------------------------
    def sent(self, sender: int, seq: int, step: int) -> None:
        """Message (sender, seq) was sent (or its slot opened) at ``step``."""
        self._sent[(sender, seq)] = step

    def force(self, d: Any, why: str) -> None:
        """The network, not the schedule, chose delivery ``d`` (``why``: liveness or fairness)."""
        self._forced = (d, why)

    def picked(self, d: Any) -> None:
        """Delivery ``d`` is being delivered now (its records follow)."""
        key = d[0]
        self._current_sent = self._sent.get((key[0], key[1]), -1)
        f = self._forced
        self._forced_now = f[1] if f is not None and f[0] is d else None
        self._forced = None

    def delivered(self, step: int, sender: int, receiver: int, kind: str, round_: int, instance: int,
                  data: bytes) -> None:
        if self._last is not None:
            self.sink(self._last)
        self._last_step = step
        sig = data[-64:]
        hit = self._seen.get(sig)  # a broadcast's n - 1 deliveries share one summary
        if hit is None:
            env, _ = self.check(data)
            hit = (None if env is None else self._summary(env.payload), sig.hex())
            if len(self._seen) >= SUMMARY_CACHE:
                self._seen.clear()
            self._seen[sig] = hit
        self._last = [step, sender, receiver, kind, round_, instance, len(data), self._current_sent,
                      self._forced_now, ACCEPTED, hit[0], hit[1]]

    def verdict(self, reason: str, held: bool = False) -> None:
        """The receiver refused the message being delivered (or, ``held``, the network holds it)."""
        if self._last is not None:
            self._last[9] = HELD if held else str(reason)

    def undelivered(self, d: Any, step: int, why: str) -> None:
        """Honest delivery ``d`` will never be delivered (``why``: pruned_stale, after_output,
        in_flight_at_end); not a delivery, so not in the digest."""
        if d[7]:
            return  # a Byzantine slot never delivered: nothing was ever written for it
        key = d[0]
        self.dropped.append([d[1], d[2], d[3], d[4], d[5], self._sent.get((key[0], key[1]), -1), step, why])

    def close(self, outputs: list[bytes] | None = None, digest: str | None = None, in_flight=()) -> None:
        """The run is over: flush the last record; ``outputs`` (the honest outputs' bytes, in honest
        order) and ``digest`` are what the network hashed last and what it reported; ``in_flight``:
        the deliveries still in flight."""
        if self._last is not None:
            self.sink(self._last)
            self._last = None
        step = self._last_step
        for d in sorted(in_flight, key=lambda d: d[0]):
            self.undelivered(d, step, "in_flight_at_end")
        self.outputs, self.digest = list(outputs or []), digest
        self.closed = True
        if self.on_close is not None:
            self.on_close(self)

    # -- values ---------------------------------------------------------------------------------
    def _summary(self, payload) -> dict[str, Any] | None:
        out = {}
        for name, v in payload.items():
            if isinstance(v, np.ndarray) and v.ndim == 1:
                out[name] = summarize(v, self.direction)
        return out or None


def summarize(x: np.ndarray, direction: np.ndarray | None) -> Any:
    """A vector as a trace records it: itself (a list) when small, else its norm and projection."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] <= FULL_VALUE_MAX_D:
        return [float(v) for v in x]
    out = {"norm": math.sqrt(float(x @ x))}
    if not math.isfinite(out["norm"]):
        out["norm"] = float(np.linalg.norm(x))  # overflowing squares: the scaled computation
    if direction is not None and direction.shape == x.shape:
        out["proj"] = float(x @ direction)
    return out


def as_dict(record: list) -> dict[str, Any]:
    return dict(zip(FIELDS, record))


def digest_of(records: Iterable[dict[str, Any]], outputs: Iterable[bytes]) -> str:
    """The trace digest recomputed from JSON records (:func:`as_dict`) and the honest outputs' bytes,
    the way :meth:`net.network.Network._trace` and ``finish_digest`` hash them."""
    h = hashlib.blake2b(digest_size=32)
    for r in records:
        h.update(_TRACE.pack(r["step"], r["sender"], r["receiver"], r["round"], r["instance"], r["size"]))
        h.update(r["kind"].encode())
        h.update(bytes.fromhex(r["signature"]))
    for b in outputs:
        h.update(b)
    return h.hexdigest()
