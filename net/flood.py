"""What the network lets the Byzantine nodes do: the flood bounds and the fairness bound K.

The adversary writes a Byzantine node's bytes when the schedule delivers one of its *slots* (one per
(Byzantine node, honest receiver) when honest traffic of a new (instance, round) appears). The
network then enforces, whatever the attack returns:

- ``per_kind[kind]`` (B): messages one sender may usefully send one receiver per (instance, round,
  kind). A protocol machine takes at most one message per (sender, instance, round, kind); so B = 1
  for every kind of the shipped protocols. A further message of an authenticated sender for a key
  of which the receiver already took B over Byzantine links is dropped unread and counted as
  ``flood``. (Messages the receiver refused do not count towards B: each one cost a delivery, which
  the per-slot cap bounds, and the network keeps no state for them.)
- ``per_slot`` (C): messages one slot may carry. A slot is read lazily (an attack may return a list,
  a tuple or any iterator, e.g. ``itertools.repeat(data, 10**6)`` or a generator): the network takes
  at most C items, and drops the rest unread (counted as ``flood``: exactly for a list, tuple or any
  iterator with a length hint, at least one for a bare generator, which is closed). Default
  C = (number of kinds) x n + I: one message of each kind on behalf of each of the n identities
  (its own, and relays of others' signed messages) plus I invalid ones.
- the same bytes twice in one slot: delivered once (the copies are ``flood``).
- ``invalid_per_slot`` (I): messages that fail validation a slot may carry (two samples of each way a
  message can be malformed); further invalid ones are dropped, counted as ``flood``.
- ``fairness`` (K): while an honest message is in flight to a running receiver, at most K Byzantine
  messages are delivered in a row; the next delivery is then the oldest such honest message (the
  schedule's pick waits), and the rest of a slot that would exceed K is dropped (``flood``). Default
  K = f (n - f) C: one full slot for every (Byzantine, honest) pair.
- ``slots_per_round``: an attack opens at most one slot per (Byzantine node, honest receiver) pair
  per (instance, round), f (n - f) in all; duplicate or foreign pairs are dropped (``flood``).

Byzantine deliveries never count as honest progress (``run.max_steps`` counts honest deliveries);
with K they are at most K per honest delivery, so no attack can turn a run that terminates into a
stalled one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterable, Mapping

from agreement.messages import WIRE_REJECTIONS

INVALID_PER_SLOT = 2 * len(WIRE_REJECTIONS)
"""I: two samples of each way a message can fail validation (18)."""


@dataclass(frozen=True)
class FloodBounds:
    per_kind: Mapping[str, int] = field(default_factory=dict)
    per_slot: int = 64
    invalid_per_slot: int = INVALID_PER_SLOT
    fairness: int = 1 << 20
    slots_per_round: int = 1 << 20
    default_per_kind: int = 1

    def bound(self, kind: str) -> int:
        """B for ``kind`` (kinds the protocol does not name: :attr:`default_per_kind`)."""
        return self.per_kind.get(kind, self.default_per_kind)

    @classmethod
    def for_protocol(cls, kinds: Iterable[str], n: int, f: int, per_kind: Mapping[str, int] | None = None,
                     invalid_per_slot: int = INVALID_PER_SLOT) -> "FloodBounds":
        """The defaults (module docstring) for a protocol whose messages have ``kinds``: B = 1 per kind
        unless ``per_kind`` says otherwise, C = sum(B) n + I, K = f (n - f) C."""
        kinds = list(kinds)
        pk = {k: 1 for k in kinds}
        pk.update(per_kind or {})
        per_slot = sum(pk.values()) * n + invalid_per_slot
        h = n - f
        return cls(per_kind=MappingProxyType(pk), per_slot=per_slot, invalid_per_slot=invalid_per_slot,
                   fairness=max(1, f * h * per_slot), slots_per_round=max(0, f * h))

    def describe(self) -> dict:
        return {"per_kind": dict(self.per_kind), "per_slot": self.per_slot, "invalid_per_slot": self.invalid_per_slot,
                "fairness_K": self.fairness, "slots_per_round": self.slots_per_round}
