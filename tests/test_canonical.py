"""Canonical messages (issue 12, item 4): the wire format accepts exactly one encoding of each content,
and anything that is not ``bytes`` is refused as invalid and counted, never raised."""
from __future__ import annotations

import struct

import msgpack
import numpy as np
import pytest

from agreement.messages import Envelope, Rejection
from net import wire
from net.keys import Keyring
from net.validate import VECTOR, Bytes, IntList, Verifier
from nodes.adversary import Attack
from nodes.attacks import ATTACKS
from scenarios.run.agreement import run_agreement
from scenarios.spec.resolve import resolve

D = 4
KEYS = Keyring(seed=5, n=5)
SCHEMAS = {"VEC": {"x": VECTOR}, "REP": {"ids": IntList(3, 0, 4), "dg": Bytes(8)}}


def verifier():
    return Verifier(KEYS, D, SCHEMAS)


def signed(header: list, tail: bytes = b"", signer: int = 1) -> bytes:
    hb = msgpack.packb(header, use_bin_type=True)
    body = struct.pack("<I", len(hb)) + hb + tail
    return body + KEYS.signer(signer).sign(body)


X = np.arange(D, dtype="<f8").tobytes()
GOOD = [1, "VEC", 1, 3, 0, {}, [["x", "<f8", [D]]]]


def test_the_canonical_encoding_is_accepted():
    data = signed(GOOD, X)
    assert data == wire.encode(Envelope("VEC", 1, 3, 0, {"x": np.arange(D, dtype=float)}), KEYS.signer(1))
    assert verifier().check(data)[1] is None


@pytest.mark.parametrize("field,value", [(3, True), (3, 3.0), (3, "3"), (4, False), (2, True), (0, True), (0, 1.0)])
def test_integers_must_be_integers(field, value):
    h = list(GOOD)
    h[field] = value
    env, reason = verifier().check(signed(h, X))
    assert env is None and reason in (Rejection.BAD_SCHEMA, Rejection.NON_CANONICAL)


def test_a_longer_integer_form_is_not_canonical():
    hb = bytearray(msgpack.packb(GOOD, use_bin_type=True))
    long_form = b"\x97\x01\xa3VEC\x01\xce\x00\x00\x00\x03" + bytes(hb[8:])  # round 3 as uint32
    assert msgpack.unpackb(long_form) == msgpack.unpackb(bytes(hb))          # the same content...
    body = struct.pack("<I", len(long_form)) + long_form + X
    data = body + KEYS.signer(1).sign(body)
    assert verifier().check(data)[1] == Rejection.NON_CANONICAL             # ...another encoding


def test_no_repeated_extra_or_trailing_bytes():
    v = verifier()
    rep = list(GOOD)
    rep[6] = GOOD[6] + GOOD[6]
    assert v.check(signed(rep, X + X))[1] in (Rejection.NON_CANONICAL, Rejection.OVERSIZED)   # an array twice
    with pytest.raises(wire.WireError) as e:
        wire.parse(signed(rep, X + X))
    assert e.value.reason == Rejection.NON_CANONICAL
    extra = list(GOOD)
    extra[5] = {"pad": b"\0" * 10}
    assert v.check(signed(extra, X))[1] in (Rejection.BAD_SCHEMA, Rejection.OVERSIZED)
    assert v.check(signed(GOOD, X + b"\0" * 8))[1] == Rejection.NON_CANONICAL  # padding before the signature
    assert v.check(signed(GOOD, X) + b"\0")[1] in (Rejection.BAD_SIGNATURE, Rejection.NON_CANONICAL,
                                                    Rejection.OVERSIZED)   # a byte after it


def test_a_map_key_twice_is_not_canonical():
    inner = b"\x82\xa3ids\x93\x00\x01\x02\xa3ids\x93\x00\x01\x02"              # {"ids": ..., "ids": ...}
    hb = b"\x97\x01\xa3REP\x01\x00\x00" + inner + b"\x90"
    body = struct.pack("<I", len(hb)) + hb
    assert verifier().check(body + KEYS.signer(1).sign(body))[1] in (Rejection.NON_CANONICAL, Rejection.BAD_SCHEMA)


def test_fields_in_the_schema_order_only():
    v = verifier()
    ok = signed([1, "REP", 1, 0, 0, {"ids": [0, 1, 2], "dg": b"\0" * 8}, []])
    swapped = signed([1, "REP", 1, 0, 0, {"dg": b"\0" * 8, "ids": [0, 1, 2]}, []])
    assert v.check(ok)[1] is None
    assert v.check(swapped)[1] == Rejection.NON_CANONICAL


def test_exact_sizes_bound_the_message():
    v = verifier()
    assert v.check(signed([1, "REP", 1, 0, 0, {"ids": [0, 1, 2], "dg": b"\0" * 9}, []]))[1] == Rejection.BAD_SCHEMA
    assert v.check(signed([1, "REP", 1, 0, 0, {"ids": [0, 1, True], "dg": b"\0" * 8}, []]))[1] == Rejection.BAD_SCHEMA
    assert v.max_bytes < 300   # the largest canonical message of these two kinds


class _Liar(bytes):
    def __eq__(self, other):
        return True

    def __hash__(self):
        return hash(b"")


@pytest.mark.parametrize("thing", [bytearray(b"abc"), memoryview(b"abc"), "abc", None, 7, [b"abc"], object(),
                                   _Liar(b"x")])
def test_non_bytes_are_refused_never_raised(thing):
    v = verifier()
    v.check(signed(GOOD, X))
    assert v.check(thing) == (None, Rejection.UNDECODABLE)


class NonBytes(Attack):
    """Writes everything but bytes (and one good vector): nothing may raise, every item is counted."""

    name = "non-bytes"

    def write(self, b, r, instance, round_):
        return [bytearray(b"\x00" * 40), "text", None, 3.5, object(), memoryview(b"abc"), _Liar(b"x"),
                self.vec(b, instance, round_, np.zeros(self.adv.d)), Envelope("VEC", b, round_, instance, {"x": object()})]


def test_an_attack_returning_non_bytes_is_counted_not_raised():
    with ATTACKS.temporarily(NonBytes.name, NonBytes):
        cfg = resolve({"scenario": {"name": "non-bytes", "seed": 2}, "system": {"n": 7, "f": 1, "dim": 3},
                       "algorithm": {"name": "icwtm", "t": 2, "allow_below_threshold": True},
                       "adversary": {"attack": NonBytes.name, "schedule": "random"}})
        r = run_agreement(cfg)
    assert r["checks"]["termination"]["holds"]
    assert r["messages"]["rejected"]["undecodable"] >= 8 * r["messages"]["by_kind"]["VEC"] // 10
