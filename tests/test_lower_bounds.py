"""The lower-bound constructions happen in runs: Theorem 5 (MDA at n = 6f - 1), Theorem 4 (averaging
constant), Theorem 9 (split at q <= 3f)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agreement.diameters import d2
from scenarios.errors import ScenarioError
from scenarios.run.agreement import run_agreement
from scenarios.run.execute import execute, prepare
from scenarios.spec.constructions import theorem4, theorem5, theorem9
from scenarios.spec.resolve import resolve


def run(name, *sets, seed=None):
    return execute(prepare(name, list(sets), seed), progress=False)


@pytest.mark.parametrize("rule", ["mda", "mda-all-minimal"])
def test_mda_theorem5_no_contraction_at_6f_minus_1(rule):
    r = run("mda-theorem5", "algorithm.iterations=6", f"algorithm.rule=\"{rule}\"")
    D = [row["diameter"] for row in r["iterations"]]
    assert len(D) == 7 and D[0] == pytest.approx(2.0)
    assert all(abs(x - D[0]) <= 1e-9 for x in D)                   # no contraction at all
    assert r["checks"]["theorem5_d2_never_shrinks"]["holds"]
    assert not r["checks"]["contraction"]["holds"]
    assert not r["theory"]["holds"]


def test_mda_theorem5_contracts_at_6f_plus_1_within_lemma12():
    r = run("mda-theorem5", "system.n=13")
    th = r["theory"]
    assert th["holds"] and r["scenario"]["algorithm"]["iterations"] == th["iterations"]
    D = [row["diameter"] for row in r["iterations"]]
    for k, x in enumerate(D):
        assert x <= th["per_iteration"] ** k * D[0] * (1 + 1e-9)
    assert r["checks"]["contraction"]["holds"] and r["checks"]["lemma12_per_iteration"]["holds"]
    assert not r["checks"]["theorem5_d2_never_shrinks"]["holds"]
    # the same attack: one iteration multiplies D2 by (4f - 1)/(4f + 1) (f = 2)
    assert D[1] / D[0] == pytest.approx(7 / 9)


def test_averaging_lower_bound_for_every_algorithm():
    r = run("averaging-lower-bound", "algorithm.t=2")
    bound = (13 + 4 - 13) / 13
    names = []
    for v in r["variants"]:
        names.append(v["scenario"]["algorithm"]["name"])
        c = v["checks"]["averaging_lower_bound"]
        assert c["lower_bound"] == pytest.approx(bound) and c["bound"] == pytest.approx(bound - c["slack"])
        assert c["holds"]
        assert c["measured"] == pytest.approx(bound, abs=0.02)   # the error approaches (h+2f-q)/h
        assert v["checks"]["averaging"]["measured"] == pytest.approx(c["measured"])
    assert names == ["icwtm", "mda", "cva"]


@pytest.mark.parametrize("rule", ["cwtm", "mda", "cva", "krum", "meamed", "nnm+cwtm"])
@pytest.mark.parametrize("attack,extra,schedule", [("theorem9", {}, "split"), ("theorem9", {}, "partition"),
                                                   ("split", {"split_mode": "halves"}, "partition")])
def test_theorem9_split_stops_every_rule_at_q_3f(rule, attack, extra, schedule):
    cfg = resolve({"scenario": {"name": "t9", "seed": 2},
                   "system": {"n": 8, "f": 2, "q": 6, "dim": 2},
                   "algorithm": {"name": rule, "iterations": 4, "allow_below_threshold": True},
                   "inputs": {"kind": "theorem9"},
                   "adversary": {"attack": attack, "schedule": schedule, **extra}})
    r = run_agreement(cfg)
    D = [row["diameter"] for row in r["iterations"]]
    assert D[-1] == pytest.approx(D[0]) and D[0] == pytest.approx(1.0)


@pytest.mark.parametrize("schedule", ["split", "partition"])
@pytest.mark.parametrize("rule", ["cwtm", "mda", "cva"])
def test_theorem9_mimic_on_noisy_clusters(rule, schedule):
    """Not two points: the group-mimic payload still keeps the two groups apart (q = 3f)."""
    cfg = resolve({"scenario": {"name": "t9c", "seed": 4},
                   "system": {"n": 8, "f": 2, "q": 6, "dim": 5},
                   "algorithm": {"name": rule, "iterations": 5, "allow_below_threshold": True},
                   "inputs": {"kind": "clusters"},
                   "adversary": {"attack": "theorem9", "schedule": schedule}})
    r = run_agreement(cfg)
    assert r["iterations"][-1]["diameter"] >= 0.5 * r["iterations"][0]["diameter"]


def test_constructions():
    x = theorem5(11, 2, 9, 3)
    assert x.shape == (9, 3) and list(x[:, 0]) == [-1] * 4 + [0] + [1] * 4 and not x[:, 1:].any()
    x = theorem4(15, 2, 13, 1)
    assert list(x[:, 0]) == [0] * 9 + [1] * 4
    assert list(theorem9(8, 2, 6, 1)[:, 0]) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ScenarioError):
        theorem5(9, 2, 7, 1)
    assert d2(theorem5(13, 2, 11, 1)) == 2.0


def test_determinism_of_the_constructions():
    a = run("mda-theorem5", "algorithm.iterations=3")
    b = run("mda-theorem5", "algorithm.iterations=3")
    assert a["trace_digest"] == b["trace_digest"]


# -- every check can fail, and says "not applicable" when its premise fails --------------------------
def _fams(*diameters):
    """Hand-made honest families on the first axis: iteration k spans [0, diameters[k]]."""
    return {k: np.array([[0.0], [float(D)]]) for k, D in enumerate(diameters)}


def test_lemma12_fails_on_a_hand_made_trace_that_does_not_shrink():
    from scenarios.run.checks.lowerbound import theorem5_checks

    fams = _fams(1.0, 1.0, 1.0)  # n = 13, f = 2, q = 11: factor 7/9 < 1, yet D2 stays 1
    c = theorem5_checks(13, 2, 11, fams, fams[2], rule="mda")
    assert c["lemma12_per_iteration"]["holds"] is False and c["lemma12_per_iteration"]["margin"] < 0
    assert c["theorem5_d2_never_shrinks"]["holds"] is True


def test_lemma12_is_not_applicable_where_its_factor_bounds_nothing_or_for_another_rule():
    from scenarios.run.checks.lowerbound import theorem5_checks

    fams = _fams(1.0, 0.5)
    c = theorem5_checks(11, 2, 9, fams, fams[1], rule="mda")  # factor (8 + 9 - 9)/7 = 8/7 >= 1
    assert c["lemma12_per_iteration"]["holds"] is None and "bounds nothing" in c["lemma12_per_iteration"]["reason"]
    c = theorem5_checks(13, 2, 11, fams, fams[1], rule="cwtm")
    assert c["lemma12_per_iteration"]["holds"] is None and "MDA" in c["lemma12_per_iteration"]["reason"]
    assert c["theorem5_d2_never_shrinks"]["holds"] is False  # D2 halved: the construction did not stop it


def test_theorem4_check_fails_when_the_error_is_below_the_lower_bound():
    from scenarios.run.checks.lowerbound import theorem4_checks

    x0 = np.array([[0.0], [0.0], [1.0]])
    out = np.full((3, 1), x0.mean())  # exact averaging: error 0 < (h + 2f - q)/h - 0
    c = theorem4_checks(5, 1, 3, {0: x0, 1: out}, out)["averaging_lower_bound"]
    assert c["holds"] is False and c["measured"] == 0.0


def test_equal_inputs_make_contraction_not_applicable():
    r = run("icwtm-contraction", "inputs.kind=\"values\"", "system.dim=1",
            "inputs.values=" + str([[0.5]] * 21), "adversary.attack=\"silent\"")
    c = r["checks"]["contraction"]
    assert c["holds"] is None and "D2(initial) = 0" in c["reason"]
    assert r["checks"]["termination"]["holds"]


def test_averaging_fails_and_below_threshold_is_not_applicable():
    # broadcast at n = 3f + 1 held; a committed counterexample at n = 5, f = 2 (n <= 3f) breaks it, but
    # there the theorem's C guarantees nothing: not applicable, the numbers still shown
    r = run(str(Path(__file__).resolve().parent.parent / "docs/thresholds/counterexamples/broadcast-f2-n5.toml"))
    c = r["checks"]["averaging"]
    assert c["holds"] is None and c["applicable"] is False and c["measured"] > 0
    assert r["checks"]["contraction"]["holds"] is False
    # above the threshold, the same check can fail: a C of 0 cannot be met by any moving run
    from scenarios.run.checks import agreement_checks

    sc = prepare("icwtm-contraction", [], None)
    th = sc.algorithm.theory.__class__(**{**sc.algorithm.theory.as_dict(), "C": 0.0})
    sc = sc.updated("algorithm", theory=th)
    rows = [{"iteration": 0, "diameter": 1.0, "avg_error": 0.0, "nodes": sc.system.h},
            {"iteration": sc.algorithm.iterations, "diameter": 0.1, "avg_error": 0.3, "nodes": sc.system.h}]
    c = agreement_checks(rows, sc, stalled=False, outputs=sc.system.h)
    assert c["averaging"]["holds"] is False and c["contraction"]["holds"] is True
    c = agreement_checks(rows, sc, stalled=True, outputs=sc.system.h - 1)
    assert c["termination"]["holds"] is False and c["contraction"]["holds"] is False


def test_one_relative_tolerance_for_bounds_met_exactly():
    from scenarios.run.checks.verdict import RELATIVE_TOLERANCE, at_least, at_most

    assert at_most(0.3076923076923077, 0.3076923076923077, "")["holds"]
    assert at_least(0.4 - 3e-15, 0.4, "")["holds"]
    assert not at_least(0.4 * (1 - 10 * RELATIVE_TOLERANCE), 0.4, "")["holds"]
    assert not at_most(float("nan"), 1.0, "")["holds"]
