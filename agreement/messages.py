"""The protocol-level message and the step a sans-IO machine returns.

An :class:`Envelope` is what a protocol machine reads and writes; ``net.wire`` turns it into signed
bytes and back. Arrays in ``payload`` are float64 numpy arrays; every other payload value is a
msgpack-able scalar, string, bytes or list of those.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BROADCAST = -1
"""``Outgoing.to`` value meaning "every other node" (one payload object shared by all recipients)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One protocol message: ``kind`` (e.g. ``"VEC"``), ``sender`` id, ``round`` (iteration),
    ``instance`` (which agreement instance, e.g. a LEARN phase), and ``payload``."""

    kind: str
    sender: int
    round: int
    instance: int = 0
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Outgoing:
    """A message a machine wants sent: to one node id, or to :data:`BROADCAST` (all others)."""

    envelope: Envelope
    to: int = BROADCAST


@dataclass(slots=True)
class Step:
    """What a machine returns after being fed: messages to send, an optional rejection reason
    (the message was well-formed on the wire but refused by the protocol, e.g. ``"stale_round"``,
    ``"duplicate"``), and the output once the machine is done."""

    send: list[Outgoing] = field(default_factory=list)
    rejected: str | None = None
    done: bool = False
    output: Any = None
