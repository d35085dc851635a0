"""The protocol-level message and the step a sans-IO machine returns.

An :class:`Envelope` is what a protocol machine reads and writes; ``net.wire`` turns it into signed
bytes and back. Arrays in ``payload`` are float64 numpy arrays; every other payload value is a
msgpack-able scalar, string, bytes or list of those.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Rejection(enum.StrEnum):
    """Every reason a message can be refused, in one place: the wire format and the validator
    (``net``), the network's flood control, and every protocol machine return one of these, and each
    one reaches the result's ``messages.rejected`` under its value. A protocol plugin that needs a
    reason of its own adds it here (one enumeration, never strings scattered in modules)."""

    # -- bytes and signature (net.wire, net.validate) ------------------------------------------
    OVERSIZED = "oversized"
    """Longer than the largest canonical message of the protocol."""
    UNDECODABLE = "undecodable"
    """Not a ``bytes`` object (bytearray, str, None, a bytes subclass, ...), or no framing or header
    can be read."""
    NON_CANONICAL = "non_canonical"
    """Decodes, but is not THE encoding of its content (extra or repeated fields, another integer
    width, a boolean for an integer, fields out of the schema's order, trailing bytes, ...)."""
    BAD_SCHEMA = "bad_schema"
    """Unknown kind, missing or extra payload fields, a field of the wrong type, a negative round."""
    UNKNOWN_SENDER = "unknown_sender"
    BAD_SIGNATURE = "bad_signature"
    WRONG_SHAPE = "wrong_shape"
    WRONG_DTYPE = "wrong_dtype"
    NON_FINITE = "non_finite"
    # -- the network's flood control (net.network) ---------------------------------------------
    FLOOD = "flood"
    """Beyond what the protocol lets one sender usefully send one receiver (per kind, instance and
    round), beyond a slot's cap, or past the fairness bound: dropped by the network unread."""
    # -- protocol machines ---------------------------------------------------------------------
    DUPLICATE = "duplicate"
    STALE_ROUND = "stale_round"
    ROUND_OUT_OF_RANGE = "round_out_of_range"
    BEYOND_WINDOW = "beyond_window"
    """A later round or instance than the machine buffers (its window); an honest message is held
    by the network until the receiver gets there, a Byzantine one is refused."""
    WRONG_KIND = "wrong_kind"
    OWN_MESSAGE = "own_message"
    BAD_INSTANCE = "bad_instance"
    NOT_BROADCASTER = "not_broadcaster"
    NOT_FROM_SERVER = "not_from_server"
    """A model that does not come from the trusted server (:mod:`agreement.server`)."""
    BAD_DIGEST = "bad_digest"
    BAD_REPORT = "bad_report"


WIRE_REJECTIONS = (Rejection.OVERSIZED, Rejection.UNDECODABLE, Rejection.NON_CANONICAL,
                   Rejection.BAD_SCHEMA, Rejection.UNKNOWN_SENDER, Rejection.BAD_SIGNATURE, Rejection.WRONG_SHAPE,
                   Rejection.WRONG_DTYPE, Rejection.NON_FINITE)
"""The reasons a message is invalid whatever its receiver's state (what the validator decides)."""


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
    (the message was well-formed on the wire but refused by the protocol, e.g.
    :attr:`Rejection.STALE_ROUND`, :attr:`Rejection.DUPLICATE`), the output once the machine is done,
    and ``dropped``: the reasons of messages the machine had accepted earlier (buffered for a later
    round or instance) and refused only now, so that every refusal is counted once."""

    send: list[Outgoing] = field(default_factory=list)
    rejected: Rejection | None = None
    done: bool = False
    output: Any = None
    dropped: tuple[Rejection, ...] = ()
