"""Ed25519 keys for every node, derived from the run's seed (the `cryptography` package).

Every node knows every public key (the :class:`Keyring`); a node holds only its own private key.
The adversary holds the private keys of the f Byzantine identities and no honest one.
"""
from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_SIZE = 64


def private_key(seed: int, node: int) -> Ed25519PrivateKey:
    """The private key of ``node`` in the run with master ``seed`` (a hash of both, 32 bytes)."""
    raw = hashlib.sha256(f"jungle-key/{seed}/{node}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(raw)


class Keyring:
    """Public keys of nodes ``0 .. n-1``; ``verify`` is the only thing a receiver needs."""

    def __init__(self, seed: int, n: int):
        self.n = n
        self._private = [private_key(seed, i) for i in range(n)]
        self._public: list[Ed25519PublicKey] = [k.public_key() for k in self._private]

    def signer(self, node: int, log: SealLog | None = None) -> "Signer":
        """The signing capability of one node (given to that node's task only); ``log``: the
        :class:`SealLog` its sealed messages are recorded in."""
        return Signer(node, self._private[node], log)

    def knows(self, node: int) -> bool:
        return 0 <= node < self.n

    def verify(self, node: int, signature: bytes, data: bytes | memoryview) -> bool:
        try:
            self._public[node].verify(signature, data)
            return True
        except InvalidSignature:
            return False


class SealLog:
    """Signed messages that this run's own signing code produced for the nodes ``nodes``, not yet
    checked by a receiver: ``data -> signer``.

    A message whose bytes are EXACTLY bytes that node s sealed (signed with its own key, see
    :meth:`Signer.seal`) and that claims sender s carries a valid signature: Ed25519 verification is
    a pure function of (public key, body, signature) and our own signing produced that signature for
    that body with s's key. The verifier (:class:`net.validate.Verifier`) therefore takes the verdict
    from the log instead of running the curve arithmetic again (the dominant cost of a small-d run).
    Anything else (other bytes, another claimed sender, a sender outside ``nodes``, an entry evicted
    by the budget) is verified by Ed25519 as before.

    Containment: a run keeps two logs, one written only by the honest nodes' signers (which the
    adversary never holds) and one by the Byzantine signers, whose entries vouch only for Byzantine
    senders: an adversary that writes into its own log can make nothing pass that it could not sign
    itself, and never a message claiming an honest sender.

    Bounded: an entry leaves when a receiver checks it or when its bytes are released; beyond
    ``budget`` bytes the oldest entries are dropped (they are then verified the usual way)."""

    __slots__ = ("nodes", "budget", "_log", "_bytes")

    def __init__(self, nodes, budget: int = 16 << 20):
        self.nodes = frozenset(nodes)
        self.budget = budget
        self._log: dict[bytes, int] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._log)

    def add(self, node: int, data: bytes) -> None:
        if node not in self.nodes or data in self._log:
            return
        self._log[data] = node
        self._bytes += len(data)
        while self._bytes > self.budget and self._log:
            old = next(iter(self._log))
            del self._log[old]
            self._bytes -= len(old)

    def vouches(self, sender: int, data: bytes) -> bool:
        """True when ``data`` is bytes that ``sender`` (one of ``nodes``) sealed; the entry is used up."""
        node = self._log.get(data)
        if node is None or node != sender or sender not in self.nodes:
            return False
        del self._log[data]
        self._bytes -= len(data)
        return True

    def discard(self, data: bytes) -> None:
        if self._log.pop(data, None) is not None:
            self._bytes -= len(data)


class Signer:
    __slots__ = ("node", "_key", "_log")

    def __init__(self, node: int, key: Ed25519PrivateKey, log: SealLog | None = None):
        self.node, self._key, self._log = node, key, log

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of ``data`` (64 bytes)."""
        return self._key.sign(data)

    def seal(self, body: bytes) -> bytes:
        """``body`` followed by its signature (the signed message), recorded in this signer's
        :class:`SealLog` if it has one."""
        data = body + self._key.sign(body)
        if self._log is not None:
            self._log.add(self.node, data)
        return data
