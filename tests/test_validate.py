"""Every rejection reason is produced, counted, and never raised into a node; verdicts are cached
per distinct signed bytes."""
import struct

import msgpack
import numpy as np
from hypothesis import given, settings, strategies as st

from agreement.iterate import IterateRule
from agreement.messages import Envelope
from agreement.rules.trimmed import cwtm
from net import wire
from net.keys import Keyring
from net.validate import VECTOR, Verifier

D = 4
KEYS = Keyring(seed=3, n=4)
SCHEMAS = {"VEC": {"x": VECTOR}}


def verifier():
    return Verifier(KEYS, D, SCHEMAS)


def good(sender=1, rnd=0, x=None):
    return wire.encode(Envelope("VEC", sender, rnd, 0, {"x": np.zeros(D) if x is None else x}), KEYS.signer(sender))


def test_good_message_passes():
    env, reason = verifier().check(good())
    assert reason is None and env.sender == 1


def test_tampered_byte_is_bad_signature():
    data = bytearray(good())
    data[-70] ^= 0x10  # a byte of the vector
    assert verifier().check(bytes(data)) == (None, "bad_signature")


def test_tampered_signature_is_bad_signature():
    data = bytearray(good())
    data[-1] ^= 0x01
    assert verifier().check(bytes(data))[1] == "bad_signature"


def test_wrong_key_claiming_another_sender():
    body = wire.encode_unsigned(Envelope("VEC", 1, 0, 0, {"x": np.zeros(D)}))
    data = body + KEYS.signer(3).sign(body)  # signed by 3, claims 1
    assert verifier().check(data)[1] == "bad_signature"


def test_unknown_sender():
    body = wire.encode_unsigned(Envelope("VEC", 99, 0, 0, {"x": np.zeros(D)}))
    assert verifier().check(body + KEYS.signer(0).sign(body))[1] == "unknown_sender"


def test_non_finite_values():
    for bad in (np.nan, np.inf, -np.inf):
        x = np.zeros(D)
        x[2] = bad
        assert verifier().check(good(x=x))[1] == "non_finite"


def test_wrong_shape_and_dtype():
    assert verifier().check(good(x=np.zeros(D + 1)))[1] == "wrong_shape"
    assert verifier().check(good(x=np.zeros((2, 2))))[1] == "wrong_shape"
    header = msgpack.packb([wire.VERSION, "VEC", 1, 0, 0, {}, [["x", "<f4", [D]]]], use_bin_type=True)
    body = struct.pack("<I", len(header)) + header + np.zeros(D, dtype="<f4").tobytes()
    assert verifier().check(body + KEYS.signer(1).sign(body))[1] == "wrong_dtype"
    body = wire.encode_unsigned(Envelope("VEC", 1, 0, 0, {"x": "not a vector"}))
    assert verifier().check(body + KEYS.signer(1).sign(body))[1] == "wrong_dtype"


def test_bad_schema():
    data = wire.encode(Envelope("VEC", 1, 0, 0, {"y": np.zeros(D)}), KEYS.signer(1))
    assert verifier().check(data)[1] == "bad_schema"
    data = wire.encode(Envelope("OTHER", 1, 0, 0, {"x": np.zeros(D)}), KEYS.signer(1))
    assert verifier().check(data)[1] == "bad_schema"


def test_oversized():
    body = wire.encode_unsigned(Envelope("VEC", 1, 0, 0, {"x": np.zeros(D), "pad": b"\0" * 200_000}))
    assert verifier().check(body + KEYS.signer(1).sign(body))[1] == "oversized"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_bytes_never_raise(blob):
    env, reason = verifier().check(blob)
    assert env is None and reason in ("undecodable", "bad_schema", "unknown_sender", "bad_signature")


@settings(max_examples=200, deadline=None)
@given(pos=st.integers(0, 10**6), bit=st.integers(0, 7))
def test_any_flipped_bit_is_rejected(pos, bit):
    data = bytearray(good(x=np.arange(D, dtype=float)))
    pos %= len(data)
    data[pos] ^= 1 << bit
    env, reason = verifier().check(bytes(data))
    assert env is None and reason is not None


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=100))
def test_non_bytes_and_truncations_never_raise(tail):
    v = verifier()
    assert v.check(None) == (None, "undecodable")
    data = good()
    for cut in (0, 3, 10, len(data) // 2, len(data) - 1):
        assert v.check(data[:cut] + tail)[0] is None or data[:cut] + tail == data


def test_cache_verifies_once_per_distinct_bytes():
    v = verifier()
    data = good()
    for _ in range(10):
        env, reason = v.check(data)
        assert reason is None
    assert v.verifications == 1
    assert v.check(good(sender=2))[1] is None
    assert v.verifications == 2
    bad = bytearray(data)
    bad[-1] ^= 1
    for _ in range(5):
        assert v.check(bytes(bad))[1] == "bad_signature"
    assert v.verifications == 3


def test_machine_rejects_replay_stale_and_out_of_range():
    m = IterateRule(0, np.zeros(D), n=4, f=1, q=3, rule=cwtm, iterations=2)
    m.start()
    v = verifier()
    env, _ = v.check(good(sender=1, rnd=0))
    assert m.feed(env).rejected is None
    assert m.feed(env).rejected == "duplicate"            # replay in the same round
    env2, _ = v.check(good(sender=2, rnd=0))
    step = m.feed(env2)                                   # completes round 0 -> round 1
    assert step.rejected is None and m.round == 1
    assert m.feed(v.check(good(sender=3, rnd=0))[0]).rejected == "stale_round"
    assert m.feed(v.check(good(sender=3, rnd=5))[0]).rejected == "round_out_of_range"
    own = v.check(good(sender=0, rnd=1))
    assert own[1] is None  # well-signed by node 0 itself, but a node never takes its own echo
    assert m.feed(own[0]).rejected == "own_message"
