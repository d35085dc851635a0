"""Validation of signed bytes: every way a message can be bad has a named reason (a
:class:`~agreement.messages.Rejection`).

:class:`Verifier` checks what depends only on the bytes (type, size, canonical framing, schema and
field order, sender, array shape and finiteness, signature) and caches the verdict per distinct
signed bytes, so a message broadcast to n nodes is verified once, not n times; every recipient still
gets the verdict. The cheap checks come first and the signature last, so that junk costs a parse,
not a signature verification. What depends on the recipient's state (duplicate, stale or
out-of-range round, beyond the window) is judged by its protocol machine, which returns the reason in
its :class:`~agreement.messages.Step`.

Nothing here raises into a node: :meth:`Verifier.check` returns ``(envelope, None)`` or
``(None, reason)`` for ANY object, bytes or not.

Schemas map a kind to ``{field: spec}``; a spec is :data:`VECTOR` (float64 array of shape (d,),
finite), a Python type (``int`` excludes ``bool``), a tuple of types, or a :class:`Field` such as
:class:`Bytes` (exact length) and :class:`IntList` (exact length, bounded values). Exact specs let
the verifier compute the largest canonical message of the protocol: anything longer is refused as
``oversized`` before it is parsed.
"""
from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import msgpack
import numpy as np

from agreement.messages import Envelope, Rejection
from net.keys import SIGNATURE_SIZE, Keyring, SealLog
from net.wire import F64_NAME, VERSION, WireError, parse

REASONS = tuple(Rejection)
"""Every rejection reason a run can count (:class:`~agreement.messages.Rejection`)."""

VECTOR = "vector"
_NOT_BYTES = (None, Rejection.UNDECODABLE)
_OVERSIZED = (None, Rejection.OVERSIZED)

ENTRY_OVERHEAD = 360
"""Bytes a cached verdict costs besides its message and decoded objects: the cache's and the
eviction queue's hash-table slots (each table keeps about a third of its slots free) and the
verdict tuple (measured with ``tracemalloc``; :meth:`Verifier.entry_cost` adds the message and the
decoded envelope, payload and arrays)."""


LOOSE_BUDGET = 16 << 20
"""Real cost (:meth:`Verifier.entry_cost`) the verdicts of Byzantine messages may keep (at least four
of the largest messages): beyond it the oldest are evicted and would be verified again if resent."""


class Field:
    """A payload field spec with its own check and a bound on its encoded size."""

    def check(self, value: Any) -> bool:
        raise NotImplementedError

    def largest(self) -> Any:
        """A value of the largest canonical encoding (to bound the message size)."""
        raise NotImplementedError


class Bytes(Field):
    """``bytes`` of exactly ``size`` bytes (a digest, a list of digests)."""

    def __init__(self, size: int):
        self.size = int(size)

    def check(self, value):
        return type(value) is bytes and len(value) == self.size

    def largest(self):
        return b"\0" * self.size

    def __repr__(self):
        return f"Bytes({self.size})"


class IntList(Field):
    """A list of exactly ``length`` integers in ``[lo, hi]`` (booleans are not integers)."""

    def __init__(self, length: int, lo: int, hi: int):
        self.length, self.lo, self.hi = int(length), int(lo), int(hi)

    def check(self, value):
        return (type(value) is list and len(value) == self.length
                and all(type(v) is int and self.lo <= v <= self.hi for v in value))

    def largest(self):
        return [max(abs(self.lo), abs(self.hi))] * self.length

    def __repr__(self):
        return f"IntList({self.length}, {self.lo}, {self.hi})"


def _spec_ok(spec, value) -> bool:
    if isinstance(spec, Field):
        return spec.check(value)
    if isinstance(value, np.ndarray):
        return False
    types = spec if isinstance(spec, tuple) else (spec,)
    if type(value) is bool and bool not in types:
        return False  # a boolean is not an integer here
    return isinstance(value, types)


def canonical_order(schema: dict[str, Any]) -> tuple[str, ...]:
    """The payload field order of the canonical encoding: scalar fields, then vectors, each in the
    schema's order (what :func:`net.wire.encode_unsigned` writes for a payload in schema order)."""
    return (tuple(k for k, s in schema.items() if s != VECTOR) + tuple(k for k, s in schema.items() if s == VECTOR))


def in_canonical_order(env: Envelope, order: tuple[str, ...] | None) -> Envelope:
    """``env`` with its payload fields in ``order`` (the one encoding the validator accepts); ``env``
    itself when it is already so, or when its fields are not those of ``order``."""
    if order is None or tuple(env.payload) == order or env.payload.keys() != set(order):
        return env
    return Envelope(env.kind, env.sender, env.round, env.instance, {k: env.payload[k] for k in order})


def largest_message(kind: str, schema: dict[str, Any], d: int) -> int | None:
    """Bytes of the largest canonical message of ``kind`` (None when a field has no size bound)."""
    scalars = {}
    arrays = []
    for name in canonical_order(schema):
        spec = schema[name]
        if spec == VECTOR:
            arrays.append([name, F64_NAME, [d]])
        elif isinstance(spec, Field):
            scalars[name] = spec.largest()
        else:
            return None
    big = -(2 ** 63)  # the longest msgpack integer
    header = msgpack.packb([VERSION, kind, big, big, big, scalars, arrays], use_bin_type=True)
    return 4 + len(header) + 8 * d * len(arrays) + SIGNATURE_SIZE


class Verifier:
    """Shared by all nodes of one simulation. ``schemas`` maps kind -> {field: spec} (module doc)."""

    def __init__(self, keyring: Keyring, d: int, schemas: dict[str, dict[str, Any]], max_bytes: int | None = None,
                 seals: tuple[SealLog, ...] = ()):
        self.keyring, self.d, self.schemas = keyring, d, schemas
        self.seals = tuple((log, frozenset(log.nodes)) for log in seals)
        """The run's :class:`~net.keys.SealLog` s, each with the senders it may vouch for, read once
        here (an adversary that rewrites its own log's ``nodes`` later changes nothing)."""
        self.order = {kind: canonical_order(sch) for kind, sch in schemas.items()}
        if max_bytes is None:
            sizes = [largest_message(kind, sch, d) for kind, sch in schemas.items()]
            if sizes and all(s is not None for s in sizes):
                max_bytes = max(sizes)
            else:  # a field without a size bound: the former generous bound
                n_vectors = max((sum(1 for s in sch.values() if s == VECTOR) for sch in schemas.values()), default=1)
                max_bytes = 4096 + 8 * d * max(1, n_vectors) + 64 * 1024
        self.max_bytes = max_bytes
        self._cache: dict[bytes, tuple[Envelope | None, Rejection | None]] = {}
        self._loose: dict[bytes, int] = {}  # entries with no pending-delivery count, oldest first -> cost
        self._loose_bytes = 0
        self.loose_budget = max(LOOSE_BUDGET, 4 * self.entry_cost_bound())
        """Bytes (real cost, :meth:`entry_cost`) the verdicts of messages no pending delivery refers
        to may take; the oldest are evicted first."""
        self.verifications = 0
        """How many signatures were checked (once per distinct message while it is cached)."""
        self.vouched = 0
        """Of those, how many were bytes the run's own signer sealed (:class:`~net.keys.SealLog`):
        valid without running Ed25519 again."""

    # -- memory accounting --------------------------------------------------------------------
    def entry_cost(self, data: bytes, verdict: tuple[Envelope | None, Rejection | None]) -> int:
        """What one cached verdict keeps alive: the message, the decoded envelope, its payload dict and
        arrays (views of the message: their object headers only), and :data:`ENTRY_OVERHEAD`."""
        cost = sys.getsizeof(data) + ENTRY_OVERHEAD
        env = verdict[0]
        if env is not None:
            cost += sys.getsizeof(env) + sys.getsizeof(env.payload)
            for v in env.payload.values():
                cost += sys.getsizeof(v)  # an ndarray view: its header (its bytes are the message's)
                if isinstance(v, list):
                    cost += 32 * len(v)
        return cost

    def entry_cost_bound(self) -> int:
        """An upper bound of :meth:`entry_cost` for a message of at most ``max_bytes`` bytes."""
        fields = max((len(s) for s in self.schemas.values()), default=1)
        return self.max_bytes + ENTRY_OVERHEAD + 1024 + 256 * fields

    def cache_bytes(self) -> int:
        """Real cost of the verdicts kept for messages no pending delivery refers to."""
        return self._loose_bytes

    # -- the verdict --------------------------------------------------------------------------
    def check(self, data: Any) -> tuple[Envelope | None, Rejection | None]:
        if type(data) is not bytes:  # bytearray (unhashable), str, None, a bytes subclass with its own __eq__ ...
            return _NOT_BYTES
        hit = self._cache.get(data)
        if hit is None:
            if len(data) > self.max_bytes:  # decided by the length alone: nothing worth caching
                return _OVERSIZED
            hit = self._check(data)
            self._cache[data] = hit
        return hit

    def forget(self, data: bytes) -> None:
        """Drop the cached verdict of ``data`` once no delivery of it is pending."""
        self._cache.pop(data, None)
        for log, _ in self.seals:
            log.discard(data)

    def release(self, data: Any) -> None:
        """``data`` is not tracked by pending deliveries (a Byzantine message written at delivery
        time, which the adversary may send again): keep its verdict while the cache stays within
        ``loose_budget`` bytes of real cost, evicting the oldest such entries first."""
        if type(data) is not bytes or data in self._loose:
            return
        verdict = self._cache.get(data)
        if verdict is None:
            return
        cost = self.entry_cost(data, verdict)
        self._loose[data] = cost
        self._loose_bytes += cost
        while self._loose_bytes > self.loose_budget and self._loose:
            old = next(iter(self._loose))
            self._loose_bytes -= self._loose.pop(old)
            self._cache.pop(old, None)

    def _check(self, data: bytes) -> tuple[Envelope | None, Rejection | None]:
        if len(data) > self.max_bytes:
            return None, Rejection.OVERSIZED
        try:
            env = parse(data)
        except WireError as exc:
            return None, exc.reason
        except Exception:  # defensive: parse is meant to raise WireError only
            return None, Rejection.UNDECODABLE
        reason = self._check_schema(env)
        if reason is not None:
            return None, reason
        if not self.keyring.knows(env.sender):
            return None, Rejection.UNKNOWN_SENDER
        self.verifications += 1
        for log, senders in self.seals:
            if env.sender in senders and log.vouches(env.sender, data):
                self.vouched += 1
                return env, None
        end = len(data) - SIGNATURE_SIZE
        if not self.keyring.verify(env.sender, data[end:], memoryview(data)[:end]):
            return None, Rejection.BAD_SIGNATURE
        return env, None

    def _check_schema(self, env: Envelope) -> Rejection | None:
        schema = self.schemas.get(env.kind)
        if schema is None:
            return Rejection.BAD_SCHEMA
        payload = env.payload
        if payload.keys() != schema.keys():
            return Rejection.BAD_SCHEMA
        if env.round < 0 or env.instance < 0:
            return Rejection.BAD_SCHEMA
        for name, spec in schema.items():
            value = payload[name]
            if spec == VECTOR:
                if not isinstance(value, np.ndarray):
                    return Rejection.WRONG_DTYPE
                if value.shape != (self.d,):
                    return Rejection.WRONG_SHAPE
                if not np.isfinite(value).all():
                    return Rejection.NON_FINITE
            elif not _spec_ok(spec, value):
                return Rejection.BAD_SCHEMA
        if tuple(payload) != self.order[env.kind]:
            return Rejection.NON_CANONICAL
        return None


class RejectionCounter(Counter):
    """Counts of rejected messages by reason, for the run's results."""

    def as_dict(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in sorted(self.items())}
