"""Wire format of a signed message.

Layout (all little-endian)::

    u32 H | msgpack header (H bytes) | raw float64 array bytes ... | 64-byte Ed25519 signature

The header is ``[1, kind, sender, round, instance, scalars, arrays]`` where ``scalars`` is a map of
the payload's non-array values and ``arrays`` a list of ``[name, dtype, shape]`` (dtype ``"<f8"``); the arrays' raw
little-endian float64 bytes follow the header in that order. Decoding builds each array with
``np.frombuffer`` on the received bytes: no copy. The signature covers everything before it.
"""
from __future__ import annotations

import struct

import msgpack
import numpy as np

from agreement.messages import Envelope
from net.keys import SIGNATURE_SIZE, Signer

VERSION = 1
_U32 = struct.Struct("<I")
F64 = np.dtype("<f8")


class WireError(ValueError):
    """Raised by :func:`decode` with ``reason`` naming why the bytes are not a valid message."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def encode_unsigned(env: Envelope) -> bytes:
    scalars, arrays, blobs = {}, [], []
    for name, value in env.payload.items():
        if isinstance(value, np.ndarray):
            a = value if (value.dtype == F64 and value.flags.c_contiguous) else np.ascontiguousarray(value, dtype=F64)
            arrays.append([name, "<f8", list(a.shape)])
            blobs.append(a.data.cast("B") if a.size else b"")
        else:
            scalars[name] = value
    header = msgpack.packb([VERSION, env.kind, env.sender, env.round, env.instance, scalars, arrays],
                           use_bin_type=True)
    return b"".join([_U32.pack(len(header)), header, *blobs])


def encode(env: Envelope, signer: Signer) -> bytes:
    """Signed bytes of ``env``: body then signature of the body by ``signer``."""
    body = encode_unsigned(env)
    return body + signer.sign(body)


def split(data: bytes) -> tuple[memoryview, bytes, int]:
    """(body, signature, claimed sender) of signed bytes, checking only the framing."""
    if len(data) < 4 + SIGNATURE_SIZE + 1:
        raise WireError("undecodable", "too short")
    mv = memoryview(data)
    (hlen,) = _U32.unpack_from(mv, 0)
    if 4 + hlen > len(data) - SIGNATURE_SIZE:
        raise WireError("undecodable", "header length past the end")
    try:
        header = msgpack.unpackb(mv[4 : 4 + hlen], raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several types
        raise WireError("undecodable", type(exc).__name__) from None
    if not (isinstance(header, list) and len(header) == 7 and header[0] == VERSION):
        raise WireError("bad_schema", "header is not [1, kind, sender, round, instance, scalars, arrays]")
    sender = header[2]
    if not isinstance(sender, int) or isinstance(sender, bool):
        raise WireError("bad_schema", "sender is not an integer")
    return mv[: len(data) - SIGNATURE_SIZE], bytes(mv[len(data) - SIGNATURE_SIZE :]), sender


def decode(data: bytes) -> Envelope:
    """Envelope of signed bytes (signature NOT checked here; see :mod:`net.validate`)."""
    mv = memoryview(data)
    (hlen,) = _U32.unpack_from(mv, 0)
    header = msgpack.unpackb(mv[4 : 4 + hlen], raw=False, strict_map_key=True)
    _, kind, sender, rnd, instance, scalars, arrays = header
    if not (isinstance(kind, str) and isinstance(rnd, int) and isinstance(instance, int)
            and isinstance(scalars, dict) and isinstance(arrays, list)):
        raise WireError("bad_schema", "field types")
    payload = dict(scalars)
    offset = 4 + hlen
    end = len(data) - SIGNATURE_SIZE
    for item in arrays:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and isinstance(item[2], list) and all(isinstance(s, int) and s >= 0 for s in item[2])):
            raise WireError("bad_schema", "array descriptor")
        name, dtype, shape = item
        if dtype != "<f8":
            raise WireError("wrong_dtype", f"{dtype!r} instead of '<f8'")
        count = int(np.prod(shape)) if shape else 1
        nbytes = count * 8
        if offset + nbytes > end:
            raise WireError("bad_schema", "array bytes past the end")
        payload[name] = np.frombuffer(data, dtype=F64, count=count, offset=offset).reshape(shape)
        offset += nbytes
    if offset != end:
        raise WireError("bad_schema", "trailing bytes before the signature")
    return Envelope(kind, sender, rnd, instance, payload)
