"""Envelope round-trip, zero-copy decoding, signatures."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from agreement.messages import Envelope
from net import wire
from net.keys import Keyring

KEYS = Keyring(seed=7, n=5)

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
scalars = st.one_of(st.integers(-2**31, 2**31), st.text(max_size=8), st.binary(max_size=16), finite)


@settings(max_examples=150, deadline=None)
@given(kind=st.text(min_size=1, max_size=8), sender=st.integers(0, 4), rnd=st.integers(0, 10**6),
       inst=st.integers(0, 10**6), x=arrays(np.float64, st.integers(0, 40), elements=finite),
       extra=st.dictionaries(st.sampled_from(["a", "b", "digest"]), scalars, max_size=3))
def test_envelope_round_trip(kind, sender, rnd, inst, x, extra):
    env = Envelope(kind, sender, rnd, inst, {"x": x, **extra})
    data = wire.encode(env, KEYS.signer(sender))
    back = wire.decode(data)
    assert (back.kind, back.sender, back.round, back.instance) == (kind, sender, rnd, inst)
    np.testing.assert_array_equal(back.payload["x"], x)
    assert {k: v for k, v in back.payload.items() if k != "x"} == extra
    body, sig, claimed = wire.split(data)
    assert claimed == sender and KEYS.verify(sender, sig, body)


def test_decoded_vector_is_a_view_of_the_received_bytes():
    x = np.arange(1000, dtype=np.float64)
    data = wire.encode(Envelope("VEC", 1, 0, 0, {"x": x}), KEYS.signer(1))
    v = wire.decode(data).payload["x"]
    assert v.base is not None and not v.flags.owndata  # no copy: a view on `data`
    assert np.shares_memory(v, np.frombuffer(data, dtype=np.uint8))
    assert not v.flags.writeable


def test_multidimensional_and_empty_arrays():
    env = Envelope("M", 0, 1, 2, {"m": np.ones((3, 4)), "e": np.zeros(0)})
    back = wire.decode(wire.encode(env, KEYS.signer(0)))
    assert back.payload["m"].shape == (3, 4) and back.payload["e"].shape == (0,)


def test_signature_does_not_verify_for_another_sender():
    data = wire.encode(Envelope("VEC", 1, 0, 0, {"x": np.zeros(3)}), KEYS.signer(1))
    body, sig, _ = wire.split(data)
    assert KEYS.verify(1, sig, body)
    assert not KEYS.verify(2, sig, body)


def test_keys_are_a_function_of_the_seed():
    a, b, c = Keyring(1, 3), Keyring(1, 3), Keyring(2, 3)
    msg = b"hello"
    sig = a.signer(0).sign(msg)
    assert b.verify(0, sig, msg)
    assert not c.verify(0, sig, msg)
