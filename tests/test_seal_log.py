"""The seal log (net.keys.SealLog): bytes the run's own signer sealed skip the curve arithmetic, and
nothing else does. Each test would fail if the log vouched for something Ed25519 would refuse."""
import numpy as np
from hypothesis import given, settings, strategies as st

from agreement.messages import Envelope, Rejection
from net import wire
from net.keys import Keyring, SealLog
from net.validate import VECTOR, Verifier
from scenarios.run.execute import execute
from scenarios.spec.resolve import resolve

D = 3
SCHEMAS = {"VEC": {"x": VECTOR}}
HONEST, BYZANTINE = [0, 1, 2], [3]


def setup():
    keys = Keyring(seed=5, n=4)
    hl, bl = SealLog(HONEST), SealLog(BYZANTINE)
    v = Verifier(keys, D, SCHEMAS, seals=(hl, bl))
    signers = {i: keys.signer(i, hl if i in HONEST else bl) for i in range(4)}
    return keys, hl, bl, v, signers


def env(sender, x=None, rnd=0):
    return Envelope("VEC", sender, rnd, 0, {"x": np.zeros(D) if x is None else np.asarray(x, dtype=float)})


def test_sealed_honest_message_is_vouched_once_and_equals_ed25519():
    keys, hl, bl, v, s = setup()
    data = wire.encode(env(1, [1.0, 2.0, 3.0]), s[1])
    assert len(hl) == 1
    e, reason = v.check(data)
    assert reason is None and e.sender == 1 and v.vouched == 1 and len(hl) == 0
    # the plain verifier (no log) agrees: the signature is real
    assert Verifier(keys, D, SCHEMAS).check(data)[1] is None


@settings(max_examples=60, deadline=None)
@given(pos=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_of_sealed_bytes_is_not_vouched(pos, bit):
    keys, hl, bl, v, s = setup()
    data = wire.encode(env(0, [0.5, -1.0, 2.0]), s[0])
    b = bytearray(data)
    b[pos % len(b)] ^= 1 << bit
    e, reason = v.check(bytes(b))
    plain = Verifier(keys, D, SCHEMAS).check(bytes(b))
    assert v.vouched == 0
    assert (e is None) == (plain[0] is None) and reason == plain[1]


def test_byzantine_log_cannot_vouch_for_an_honest_sender():
    keys, hl, bl, v, s = setup()
    # the adversary seals a message claiming honest sender 0 with its own key ...
    forged = wire.encode(env(0, [9.0, 9.0, 9.0]), s[3])
    # ... and even writes into its own log that node 0 sealed it
    bl._log[forged] = 0
    bl.nodes = frozenset(range(4))
    bl.add(0, forged)
    assert v.check(forged) == (None, Rejection.BAD_SIGNATURE)
    assert v.vouched == 0


def test_entry_must_name_the_claimed_sender():
    keys, hl, bl, v, s = setup()
    data = wire.encode(env(2), s[1])  # sealed by 1, claims 2: Ed25519 refuses it, so must the log
    assert v.check(data) == (None, Rejection.BAD_SIGNATURE)


def test_byzantine_sealed_message_vouched_for_its_own_sender():
    keys, hl, bl, v, s = setup()
    data = wire.encode(env(3, [1.0, 1.0, 1.0]), s[3])
    assert v.check(data)[1] is None and v.vouched == 1


def test_log_is_bounded_and_forget_discards():
    log = SealLog([0], budget=1000)
    for i in range(50):
        log.add(0, bytes([i]) * 100)
    assert log._bytes <= 1000 and len(log) == 10
    keys, hl, bl, v, s = setup()
    data = wire.encode(env(1), s[1])
    v.forget(data)
    assert len(hl) == 0
    assert v.check(data)[1] is None and v.vouched == 0  # verified by Ed25519 instead


def test_runs_with_and_without_the_log_are_identical(monkeypatch):
    """Same digest, outputs and rejection counts when every signature is verified by Ed25519."""
    data = {"scenario": {"name": "seal", "seed": 3}, "system": {"n": 7, "f": 1, "dim": 2},
            "algorithm": {"name": "icwtm", "t": 2}, "adversary": {"attack": "garbage", "schedule": "random"}}
    a = execute(resolve(data), progress=False)
    monkeypatch.setattr(SealLog, "vouches", lambda self, sender, data: False)
    b = execute(resolve(data), progress=False)
    assert a["trace_digest"] == b["trace_digest"]
    assert a["messages"]["rejected"] == b["messages"]["rejected"]
    assert a["messages"]["signatures_vouched"] > 0 and b["messages"]["signatures_vouched"] == 0
    assert a["messages"]["signature_verifications"] == b["messages"]["signature_verifications"]
