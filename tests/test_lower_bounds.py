"""The lower-bound constructions happen in runs: Theorem 5 (MDA at n = 6f - 1), Theorem 4 (averaging
constant), Theorem 9 (split at q <= 3f)."""
from __future__ import annotations

import numpy as np
import pytest

from agreement.diameters import d2
from scenarios.run.execute import execute, prepare
from scenarios.errors import ScenarioError
from scenarios.spec.constructions import theorem4, theorem5, theorem9
from scenarios.spec.resolve import resolve
from scenarios.run.agreement import run_agreement


def run(name, *sets, seed=None):
    return execute(prepare(name, list(sets), seed), progress=False)


@pytest.mark.parametrize("rule", ["mda", "mda-all-minimal"])
def test_mda_theorem5_no_contraction_at_6f_minus_1(rule):
    r = run("mda-theorem5", "algorithm.iterations=6", f"algorithm.rule=\"{rule}\"")
    D = [row["diameter"] for row in r["iterations"]]
    assert len(D) == 7 and D[0] == pytest.approx(2.0)
    assert all(abs(x - D[0]) <= 1e-9 for x in D)                   # no contraction at all
    assert r["checks"]["theorem5_no_contraction"]["holds"]
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
    assert not r["checks"]["theorem5_no_contraction"]["holds"]
    # the same attack: one iteration multiplies D2 by (4f - 1)/(4f + 1) (f = 2)
    assert D[1] / D[0] == pytest.approx(7 / 9)


def test_averaging_lower_bound_for_every_algorithm():
    r = run("averaging-lower-bound", "algorithm.t=2")
    bound = (13 + 4 - 13) / 13
    names = []
    for v in r["variants"]:
        names.append(v["scenario"]["algorithm"]["name"])
        c = v["checks"]["averaging_lower_bound"]
        assert c["bound"] == pytest.approx(bound)
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
