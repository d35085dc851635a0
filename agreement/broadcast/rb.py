"""Bracha's reliable broadcast as a sans-IO state machine, one per (broadcaster, iteration) instance.

Agreement paper, section 6.1 (after Abraham, Amit and Dolev 2004), Bracha (1987). Every message is
signed (``net.wire``); this machine sees only authenticated senders. Thresholds for n nodes, f of
them Byzantine:

- on INITIAL(x) from the broadcaster (first one only): send ECHO(x);
- on more than (n + f)/2 ECHOs, i.e. ``floor((n + f)/2) + 1``, carrying one digest, or on f + 1
  READYs for one digest: send READY(digest) (once);
- on 2f + 1 READYs for one digest, once the vector with that digest is known: deliver it.

Message contents. ECHO carries the whole vector, READY only its digest (a hash of the vector's
bytes, computed locally by the receiver: a vector is self-certifying). This is Bracha's ECHO with a
short READY: a node that collects 2f + 1 READYs for a digest whose INITIAL it never received still
learns the vector, because the first honest READY for a digest follows more than (n + f)/2 ECHOs, so
at least one honest node echoed the vector to everyone, and honest messages are eventually delivered.

Below the threshold (n <= 3f, only when the user allows it) the echo and delivery thresholds are
capped at n - f so that the protocol stays live when the Byzantine nodes are silent; consistency is
then lost, which is what Theorem 7 says must happen to some property. For n >= 3f + 1 the caps are
inactive (floor((n + f)/2) + 1 <= n - f and 2f + 1 <= n - f).

The machine's own messages count for itself at once (a node hears itself): ``own_*`` methods.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from agreement.messages import Rejection

# enum members read once (a read from the class costs ~0.3 us on Python 3.11)
_NOT_BROADCASTER = Rejection.NOT_BROADCASTER
_DUPLICATE = Rejection.DUPLICATE
_OWN_MESSAGE = Rejection.OWN_MESSAGE
_BAD_DIGEST = Rejection.BAD_DIGEST

DIGEST_SIZE = 32


def digest(x: np.ndarray) -> bytes:
    """BLAKE2b-256 of the float64 little-endian bytes of ``x`` (the value's name in READY/REPORT)."""
    a = np.ascontiguousarray(x, dtype="<f8")
    return hashlib.blake2b(a.tobytes(), digest_size=DIGEST_SIZE).digest()


@dataclass(frozen=True)
class Thresholds:
    echo: int
    """ECHOs for one digest that make a node send READY."""
    amplify: int
    """READYs for one digest that make a node send READY (f + 1)."""
    deliver: int
    """READYs for one digest that make a node deliver (2f + 1)."""

    @classmethod
    def of(cls, n: int, f: int) -> "Thresholds":
        h = n - f
        return cls(echo=min((n + f) // 2 + 1, h), amplify=f + 1, deliver=min(2 * f + 1, h))


@dataclass
class RBOut:
    """What one feed produced: ``echo`` (a vector to ECHO to all), ``ready`` (a digest to READY to all),
    ``delivered`` (True when this feed delivered), ``rejected`` (a reason, or None)."""

    echo: np.ndarray | None = None
    ready: bytes | None = None
    delivered: bool = False
    rejected: Rejection | None = None


@dataclass
class RBInstance:
    """The state of one reliable-broadcast instance at one node."""

    node: int
    broadcaster: int
    th: Thresholds
    initial_seen: bool = False
    echoed: bool = False
    readied: bool = False
    echo_from: dict[int, bytes] = field(default_factory=dict)
    ready_from: dict[int, bytes] = field(default_factory=dict)
    echo_count: dict[bytes, int] = field(default_factory=dict)
    ready_count: dict[bytes, int] = field(default_factory=dict)
    vectors: dict[bytes, np.ndarray] = field(default_factory=dict)
    delivered: tuple[bytes, np.ndarray] | None = None

    # -- inputs ---------------------------------------------------------------------------------
    def on_initial(self, sender: int, x: np.ndarray) -> RBOut:
        if sender != self.broadcaster:
            return RBOut(rejected=_NOT_BROADCASTER)
        if self.initial_seen:
            return RBOut(rejected=_DUPLICATE)
        self.initial_seen = True
        dg = digest(x)
        self.vectors.setdefault(dg, x)
        out = RBOut()
        if not self.echoed:
            self.echoed = True
            out.echo = x
            self._echo(self.node, dg, x, out)  # our own ECHO counts for us
        self._try_deliver(out)
        return out

    def on_echo(self, sender: int, x: np.ndarray) -> RBOut:
        if sender == self.node:
            return RBOut(rejected=_OWN_MESSAGE)
        if sender in self.echo_from:
            return RBOut(rejected=_DUPLICATE)
        out = RBOut()
        self._echo(sender, digest(x), x, out)
        self._try_deliver(out)
        return out

    def on_ready(self, sender: int, dg: bytes) -> RBOut:
        if sender == self.node:
            return RBOut(rejected=_OWN_MESSAGE)
        if len(dg) != DIGEST_SIZE:
            return RBOut(rejected=_BAD_DIGEST)
        if sender in self.ready_from:
            return RBOut(rejected=_DUPLICATE)
        out = RBOut()
        self._ready(sender, dg, out)
        self._try_deliver(out)
        return out

    # -- internals ------------------------------------------------------------------------------
    def _echo(self, sender: int, dg: bytes, x: np.ndarray, out: RBOut) -> None:
        self.echo_from[sender] = dg
        self.vectors.setdefault(dg, x)
        c = self.echo_count.get(dg, 0) + 1
        self.echo_count[dg] = c
        if c >= self.th.echo:
            self._send_ready(dg, out)

    def _ready(self, sender: int, dg: bytes, out: RBOut) -> None:
        self.ready_from[sender] = dg
        c = self.ready_count.get(dg, 0) + 1
        self.ready_count[dg] = c
        if c >= self.th.amplify:
            self._send_ready(dg, out)

    def _send_ready(self, dg: bytes, out: RBOut) -> None:
        if self.readied:
            return
        self.readied = True
        out.ready = dg
        self._ready(self.node, dg, out)  # our own READY counts for us

    def _try_deliver(self, out: RBOut) -> None:
        if self.delivered is not None:
            return
        for dg in sorted(self.ready_count):
            if self.ready_count[dg] >= self.th.deliver and dg in self.vectors:
                self.delivered = (dg, self.vectors[dg])
                out.delivered = True
                return
