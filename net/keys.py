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

    def signer(self, node: int) -> "Signer":
        """The signing capability of one node (given to that node's task only)."""
        return Signer(node, self._private[node])

    def knows(self, node: int) -> bool:
        return 0 <= node < self.n

    def verify(self, node: int, signature: bytes, data: bytes | memoryview) -> bool:
        try:
            self._public[node].verify(signature, data)
            return True
        except InvalidSignature:
            return False


class Signer:
    __slots__ = ("node", "_key")

    def __init__(self, node: int, key: Ed25519PrivateKey):
        self.node, self._key = node, key

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)
