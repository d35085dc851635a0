"""Wire format of a signed message, canonical: exactly one encoding of each content is accepted.

Layout (all little-endian)::

    u32 H | msgpack header (H bytes) | raw float64 array bytes ... | 64-byte Ed25519 signature

The header is ``[1, kind, sender, round, instance, scalars, arrays]`` where ``scalars`` is a map of
the payload's non-array values and ``arrays`` a list of ``[name, "<f8", shape]``; the arrays' raw
little-endian float64 bytes follow the header in that order. The signature covers everything before
it.

Canonical form (:func:`parse` refuses anything else, with :attr:`Rejection.NON_CANONICAL`): the
header is byte for byte what :func:`encode_unsigned` writes for the decoded content (msgpack's
shortest integer, string and binary forms, float64 floats, no map key twice, no array name twice or
also a scalar, version the integer 1), ``sender``, ``round`` and ``instance`` are integers (a boolean
is not), the array bytes end exactly where the signature starts (no trailing bytes, no padding), and
nothing follows the signature. The order of payload fields is checked against the protocol's schema
by :class:`net.validate.Verifier` (scalar fields, then vector fields, each in the schema's order).
A message is therefore exactly its header, its vectors and its signature: a decoded array (a
zero-copy, read-only view of the received bytes) keeps alive nothing but its own bytes and the
header and signature around them.
"""
from __future__ import annotations

import struct

import msgpack
import numpy as np

from agreement.messages import Envelope, Rejection
from net.keys import SIGNATURE_SIZE, Signer

VERSION = 1
_U32 = struct.Struct("<I")
F64 = np.dtype("<f8")
F64_NAME = "<f8"


class WireError(ValueError):
    """Raised by :func:`parse` and :func:`split` with ``reason`` (a :class:`Rejection`) naming why the
    bytes are not a valid message."""

    def __init__(self, reason: Rejection, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason


def _pack(obj) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def encode_unsigned(env: Envelope) -> bytes:
    scalars, arrays, blobs = {}, [], []
    for name, value in env.payload.items():
        if isinstance(value, np.ndarray):
            a = value if (value.dtype == F64 and value.flags.c_contiguous) else np.ascontiguousarray(value, dtype=F64)
            arrays.append([name, F64_NAME, list(a.shape)])
            blobs.append(a.data.cast("B") if a.size else b"")
        else:
            scalars[name] = value
    header = _pack([VERSION, env.kind, env.sender, env.round, env.instance, scalars, arrays])
    return b"".join([_U32.pack(len(header)), header, *blobs])


def encode(env: Envelope, signer: Signer) -> bytes:
    """Signed bytes of ``env``: body then signature of the body by ``signer``."""
    return signer.seal(encode_unsigned(env))


def _header(data: bytes) -> tuple[list, int, int]:
    """(header list, its length H, end of the body) of signed bytes; checks only the framing."""
    n = len(data)
    if n < 4 + 1 + SIGNATURE_SIZE:
        raise WireError(Rejection.UNDECODABLE, "too short")
    (hlen,) = _U32.unpack_from(data, 0)
    end = n - SIGNATURE_SIZE
    if 4 + hlen > end:
        raise WireError(Rejection.UNDECODABLE, "header length past the end")
    try:
        header = msgpack.unpackb(memoryview(data)[4 : 4 + hlen], raw=False, strict_map_key=True)
    except Exception:  # msgpack raises several types (ExtraData, FormatError, ValueError, ...)
        raise WireError(Rejection.UNDECODABLE, "header is not one msgpack object") from None
    if type(header) is not list or len(header) != 7:
        raise WireError(Rejection.BAD_SCHEMA, "header is not [1, kind, sender, round, instance, scalars, arrays]")
    return header, hlen, end


def split(data: bytes) -> tuple[memoryview, bytes, int]:
    """(body, signature, claimed sender) of signed bytes, checking only the framing."""
    header, _, end = _header(data)
    sender = header[2]
    if type(sender) is not int:
        raise WireError(Rejection.BAD_SCHEMA, "sender is not an integer")
    return memoryview(data)[:end], data[end:], sender


def parse(data: bytes) -> Envelope:
    """The envelope of signed bytes, refusing every non-canonical encoding (module docstring). The
    signature is NOT checked here (see :mod:`net.validate`). Raises :class:`WireError`."""
    if type(data) is not bytes:
        raise WireError(Rejection.UNDECODABLE, type(data).__name__)
    header, hlen, end = _header(data)
    version, kind, sender, rnd, instance, scalars, arrays = header
    if type(version) is not int or version != VERSION:
        raise WireError(Rejection.NON_CANONICAL if version == VERSION else Rejection.BAD_SCHEMA, "version")
    if not (type(kind) is str and type(sender) is int and type(rnd) is int and type(instance) is int
            and type(scalars) is dict and type(arrays) is list):
        raise WireError(Rejection.BAD_SCHEMA, "field types")
    payload = dict(scalars)
    descriptors = []
    offset = 4 + hlen
    for item in arrays:
        if not (type(item) is list and len(item) == 3 and type(item[0]) is str and type(item[1]) is str
                and type(item[2]) is list and all(type(s) is int and s >= 0 for s in item[2])):
            raise WireError(Rejection.BAD_SCHEMA, "array descriptor")
        name, dtype, shape = item
        if dtype != F64_NAME:
            raise WireError(Rejection.WRONG_DTYPE, f"{dtype!r} instead of '<f8'")
        if name in payload:
            raise WireError(Rejection.NON_CANONICAL, f"field {name!r} twice")
        count = 1
        for s in shape:
            count *= s
        if offset + 8 * count > end:
            raise WireError(Rejection.BAD_SCHEMA, "array bytes past the end")
        payload[name] = np.frombuffer(data, dtype=F64, count=count, offset=offset).reshape(shape)
        offset += 8 * count
        descriptors.append([name, F64_NAME, shape])
    if offset != end:
        raise WireError(Rejection.NON_CANONICAL, "bytes between the arrays and the signature")
    if _pack([VERSION, kind, sender, rnd, instance, scalars, descriptors]) != data[4 : 4 + hlen]:
        raise WireError(Rejection.NON_CANONICAL, "the header is not the canonical encoding of its content")
    return Envelope(kind, sender, rnd, instance, payload)


def decode(data: bytes) -> Envelope:
    """Envelope of signed bytes (signature NOT checked; see :mod:`net.validate`): :func:`parse`."""
    return parse(data)
