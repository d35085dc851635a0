"""Broadcast-based agreement (section 6): the machine alone, end-to-end trio runs per attack, the
Theorem 7 failure below the threshold, the theory and the one-line error."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.broadcast import BroadcastAgreement, digest
from agreement.broadcast.witness import parse_report
from agreement.messages import BROADCAST
from agreement.rules.trimmed import trimmed_middle
from agreement.theory.broadcast import theory
from nodes.attacks import BROADCAST_ATTACKS as ATTACKS
from scenarios.errors import ScenarioError
from scenarios.run.agreement import run_agreement

from conftest import scenario

TRACE_CHECKS = ("rb_consistency", "rb_totality", "rb_validity", "witness_overlap", "validity_box")


def run(n, f, attack, schedule="random", seed=1, t=1, **alg):
    cfg = scenario(seed=seed, system={"n": n, "f": f, "dim": 3}, algorithm={"name": "broadcast", "t": t, **alg},
                   inputs={"kind": "gaussian"}, adversary={"attack": attack, "schedule": schedule})
    return run_agreement(cfg)


# -- the machine alone ---------------------------------------------------------------------------
def drive(X0: np.ndarray, n: int, f: int, iterations: int, seed: int) -> list[BroadcastAgreement]:
    """Honest nodes 0 .. h-1 (Byzantine silent), messages delivered in a random order."""
    h = n - f
    rng = np.random.default_rng(seed)
    ms = [BroadcastAgreement(j, X0[j], n=n, f=f, rule=trimmed_middle, iterations=iterations) for j in range(h)]
    pending = []

    def emit(j, step):
        for out in step.send:
            assert out.to == BROADCAST
            pending.extend((r, out.envelope) for r in range(h) if r != j)

    for j in range(h):
        emit(j, ms[j].start())
    while pending:
        r, env = pending.pop(int(rng.integers(len(pending))))
        step = ms[r].feed(env)
        assert step.rejected is None
        emit(r, step)
    return ms


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([(4, 1), (7, 2), (5, 1)]), st.integers(0, 2**32 - 1))
def test_machine_halves_every_coordinate_and_stays_in_the_box(nf, seed):
    n, f = nf
    h = n - f
    X0 = np.random.default_rng(seed).normal(size=(h, 3))
    ms = drive(X0, n, f, 3, seed)
    assert all(m.done for m in ms)
    for k in range(3):
        Xk = np.stack([m.xs[k] for m in ms])
        Y = np.stack([m.xs[k + 1] for m in ms])
        assert np.all(Y >= Xk.min(axis=0) - 1e-12) and np.all(Y <= Xk.max(axis=0) + 1e-12)
        w, w1 = Xk.max(axis=0) - Xk.min(axis=0), Y.max(axis=0) - Y.min(axis=0)
        assert np.all(w1 <= 0.5 * w + 1e-12)  # proof of Theorem 6: each coordinate diameter halves
        shared = min(len(set(a.used[k]) & set(b.used[k])) for a in ms for b in ms)
        assert shared >= n - f
    # every honest RB instance delivered by everyone, with the value its broadcaster held
    for m in ms:
        for k in range(3):
            for j in range(h):
                assert m.delivered_log[(k, j)] == digest(ms[j].xs[k])


def test_parse_report_rejects_malformed_reports():
    dg = b"x" * 32
    assert parse_report(4, 1, [0, 1, 2], dg * 3, 32)[1] is None
    for ids, dgs in (([0, 1], dg * 2), ([0, 0, 1], dg * 3), ([0, 1, 9], dg * 3), ([0, 1, 2], dg * 2),
                     ([0, 1, "2"], dg * 3), ([0, 1, True], dg * 3)):
        assert parse_report(4, 1, ids, dgs, 32) == (None, "bad_report")


# -- end to end ----------------------------------------------------------------------------------
@pytest.mark.parametrize("attack", sorted(a for a in ATTACKS if a != "theorem7"))
def test_end_to_end_every_attack_n4(attack):
    r = run(4, 1, attack)
    bad = {k: c for k, c in r["checks"].items() if not c["holds"]}
    assert not bad, bad
    for k in ("contraction", "averaging", "termination", *TRACE_CHECKS):
        assert k in r["checks"]


def test_end_to_end_n7_equivocation_and_rejections_counted():
    r = run(7, 2, "forged-sender")
    assert all(c["holds"] for c in r["checks"].values()), r["checks"]
    rej = r["messages"]["rejected"]
    assert rej.get("bad_signature", 0) > 0 and rej.get("not_broadcaster", 0) > 0
    r = run(7, 2, "equivocate", seed=3)
    assert all(c["holds"] for c in r["checks"].values()), r["checks"]


def test_message_complexity_counts():
    n, f = 4, 1
    h = n - f
    r = run(n, f, "follow")
    rows = r["complexity"]["per_iteration"]
    assert [row["iteration"] for row in rows] == list(range(r["scenario"]["algorithm"]["iterations"]))
    for row in rows:
        assert row["INITIAL"] == h * (n - 1) and row["REPORT"] == h * (n - 1)
        # every honest node echoes and readies each of the n instances once (Byzantine ones included)
        assert row["ECHO"] <= h * n * (n - 1) and row["READY"] <= h * n * (n - 1)
        assert row["messages"] == sum(row[k] for k in ("INITIAL", "ECHO", "READY", "REPORT"))
        assert row["n3"] == n ** 3 and row["bytes"] > 0


def test_determinism_same_digest():
    a, b = run(4, 1, "equivocate", seed=5), run(4, 1, "equivocate", seed=5)
    assert a["trace_digest"] == b["trace_digest"]
    assert a["complexity"] == b["complexity"]


def test_below_threshold_theorem7_fails_from_the_run():
    r = run(3, 1, "theorem7", schedule="partition", t=3, allow_below_threshold=True)
    c = r["checks"]
    assert c["termination"]["holds"]
    assert not c["contraction"]["holds"] and c["contraction"]["measured"] > 1  # diameter grew
    assert not c["averaging"]["holds"]
    assert not c["rb_consistency"]["holds"]  # the Byzantine values differ between the halves


def test_below_threshold_is_a_one_line_error():
    with pytest.raises(ScenarioError) as e:
        run(6, 2, "none")
    msg = str(e.value)
    assert "\n" not in msg and "3f + 1" in msg and "allow_below_threshold" in msg


# -- theory --------------------------------------------------------------------------------------
def test_theory_formulas():
    for n, f in ((4, 1), (7, 2), (10, 3), (13, 4), (20, 3)):
        h = n - f
        th = theory(n, f, n - f, 5, 3)
        assert th.holds
        assert th.iterations == 3 + math.ceil(math.log2(h))
        assert th.C == pytest.approx(2 * math.sqrt(h))
        # eq. 165: with N = t + ceil(log2 h), h / 2^N <= 2^-t
        assert h / 2 ** th.iterations <= 2 ** -3
    th = theory(6, 2, 4, 5, 3)
    assert not th.holds and "n >= 3f + 1 = 7" in th.reason and th.C is None
    assert not theory(7, 2, 4, 5, 3).holds  # Theorem 6 is stated for q = n - f
