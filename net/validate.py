"""Validation of signed bytes: every way a message can be bad has a named reason.

:class:`Verifier` checks what depends only on the bytes (framing, schema, sender, signature, array
shape and finiteness, size) and caches the verdict per distinct signed bytes, so a message broadcast
to n nodes is verified once, not n times; every recipient still gets the verdict. What depends on the
recipient's state (duplicate, stale or out-of-range round) is judged by its protocol machine, which
returns the reason in its :class:`~agreement.messages.Step`.

Nothing here raises into a node: :meth:`Verifier.check` returns ``(envelope, None)`` or
``(None, reason)``.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from agreement.messages import Envelope
from net.keys import Keyring
from net.wire import WireError, decode, split

REASONS = (
    "oversized", "undecodable", "bad_schema", "unknown_sender", "bad_signature", "wrong_shape",
    "wrong_dtype", "non_finite", "duplicate", "stale_round", "round_out_of_range", "wrong_kind",
    "own_message",
)
"""Every rejection reason a run can count (protocol machines may add their own)."""

VECTOR = "vector"


class Verifier:
    """Shared by all nodes of one simulation. ``schemas`` maps kind -> {field: spec}; a spec is
    ``"vector"`` (float64 array of shape (d,), finite), a python type, or a tuple of types."""

    def __init__(self, keyring: Keyring, d: int, schemas: dict[str, dict[str, Any]], max_bytes: int | None = None):
        self.keyring, self.d, self.schemas = keyring, d, schemas
        n_vectors = max((sum(1 for s in sch.values() if s == VECTOR) for sch in schemas.values()), default=1)
        self.max_bytes = max_bytes if max_bytes is not None else 4096 + 8 * d * max(1, n_vectors) + 64 * 1024
        self._cache: dict[bytes, tuple[Envelope | None, str | None]] = {}
        self._loose: dict[bytes, int] = {}  # entries with no pending-delivery count, oldest first
        self._loose_bytes = 0
        self.loose_budget = max(64 << 20, 4 * self.max_bytes)
        self.verifications = 0
        """How many signature verifications ran (not served from the cache)."""

    def check(self, data: Any) -> tuple[Envelope | None, str | None]:
        if not isinstance(data, (bytes, bytearray)):
            return None, "undecodable"
        hit = self._cache.get(data)
        if hit is None:
            hit = self._check(bytes(data))
            self._cache[data] = hit
        return hit

    def forget(self, data: bytes) -> None:
        """Drop the cached verdict of ``data`` once no delivery of it is pending."""
        self._cache.pop(data, None)

    def release(self, data: bytes) -> None:
        """``data`` is not tracked by pending deliveries (a Byzantine message written at delivery
        time, which the adversary may send again): keep its verdict while the cache stays within
        ``loose_budget`` bytes, evicting the oldest such entries first."""
        if data in self._loose or data not in self._cache:
            return
        self._loose[data] = len(data)
        self._loose_bytes += len(data)
        while self._loose_bytes > self.loose_budget and self._loose:
            old = next(iter(self._loose))
            self._loose_bytes -= self._loose.pop(old)
            self._cache.pop(old, None)

    def _check(self, data: bytes) -> tuple[Envelope | None, str | None]:
        if len(data) > self.max_bytes:
            return None, "oversized"
        try:
            body, sig, sender = split(data)
        except WireError as exc:
            return None, exc.reason
        if not self.keyring.knows(sender):
            return None, "unknown_sender"
        self.verifications += 1
        if not self.keyring.verify(sender, sig, body):
            return None, "bad_signature"
        try:
            env = decode(data)
        except WireError as exc:
            return None, exc.reason
        except Exception:
            return None, "undecodable"
        return self._check_schema(env)

    def _check_schema(self, env: Envelope) -> tuple[Envelope | None, str | None]:
        schema = self.schemas.get(env.kind)
        if schema is None:
            return None, "bad_schema"
        if set(env.payload) != set(schema):
            return None, "bad_schema"
        if env.round < 0 or env.instance < 0:
            return None, "bad_schema"
        for name, spec in schema.items():
            value = env.payload[name]
            if spec == VECTOR:
                if not isinstance(value, np.ndarray):
                    return None, "wrong_dtype"
                if value.shape != (self.d,):
                    return None, "wrong_shape"
                if not np.isfinite(value).all():
                    return None, "non_finite"
            elif isinstance(value, np.ndarray) or not isinstance(value, spec) or isinstance(value, bool) and spec is int:
                return None, "bad_schema"
        return env, None


class RejectionCounter(Counter):
    """Counts of rejected messages by reason, for the run's results."""

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in sorted(self.items())}
