"""The cga, licchavi and gmm scenario kinds: table validation, runners (small instances), checks that
hold, checks that report "not applicable" when their premise fails, determinism, summary, plots."""
import io

import numpy as np
import pytest
from rich.console import Console

from scenarios.errors import ScenarioError
from scenarios.explore.sweep import expand
from scenarios.report.text import print_summary
from scenarios.run.execute import execute
from scenarios.spec.files import load
from scenarios.spec.resolve import resolve


def run(kind, seed=1, **table):
    return execute(resolve({"scenario": {"kind": kind, "name": f"t-{kind}", "seed": seed}, kind: table}), progress=False)


def verdicts(r):
    return {k: v["holds"] for k, v in r["checks"].items()}


def test_tables_are_validated_with_one_line_errors():
    with pytest.raises(ScenarioError, match=r"cga\.rounds"):
        resolve({"scenario": {"kind": "cga"}, "cga": {"rounds": 1.5}})
    with pytest.raises(ScenarioError, match=r"gmm\.bogus"):
        resolve({"scenario": {"kind": "gmm"}, "gmm": {"bogus": 1}})
    with pytest.raises(ScenarioError, match=r"\[system\] is not used"):
        resolve({"scenario": {"kind": "licchavi"}, "system": {"n": 3}})
    with pytest.raises(ScenarioError, match="m_h"):
        resolve({"scenario": {"kind": "gmm"}, "gmm": {"m": 1000}})
    sc = resolve({"scenario": {"kind": "gmm"}, "gmm": {"c": 2}}, seed=7)
    assert sc.scenario.seed == 7 and sc.gmm.k == 10 and sc.gmm.c == 2.0


def test_cga_linreg_small_holds_and_is_deterministic():
    a = run("cga", d=3, honest=5, samples=20, rounds=300)
    assert all(verdicts(a)[k] for k in ("theorem4_target[l2sq]", "theorem4_rate[l2sq]", "resists[l2]",
                                        "proposition3[l2]", "theorem12[l2]", "resists[smooth_l2]"))
    assert verdicts(a)["theorem12[smooth_l2]"] is None  # smooth-l2 is not a norm: not applicable
    cheap = dict(d=3, honest=5, samples=20, rounds=60, regularizations=["l2sq", "smooth_l2"])
    b, b2, c = run("cga", **cheap), run("cga", **cheap), run("cga", seed=2, **cheap)
    assert b["trace_digest"] == b2["trace_digest"] != c["trace_digest"] != a["trace_digest"]


def test_cga_theorem4_premise_and_failure():
    too_fast = run("cga", d=3, honest=5, samples=20, rounds=60, eta=0.2, regularizations=["l2sq"])
    assert too_fast["checks"]["theorem4_target[l2sq]"]["holds"] is None  # eta > 1/(3L)
    short = run("cga", d=3, honest=5, samples=20, rounds=3, regularizations=["l2sq"])
    assert short["checks"]["theorem4_target[l2sq]"]["holds"] is False  # 3 rounds cannot reach 1e-6
    alone = run("cga", d=3, honest=5, samples=20, rounds=5, colluders=0, regularizations=["l2"])
    assert alone["checks"]["attack[l2]"]["holds"] is None


def test_cga_model_attack_single_point_and_corollary():
    r = run("cga", experiment="model_attack", d=3, honest=5, samples=20, rounds=150, lam=2.0, poison_sizes=[10, 100, 1000])
    assert verdicts(r) == {"cga_converged": True, "proposition4": True, "section52_as_printed": False, "lemma2_data": True}
    r = run("cga", experiment="model_attack", d=3, honest=5, samples=20, rounds=150, lam=1.0, poison_sizes=[10, 100, 1000])
    assert verdicts(r)["section52_as_printed"] is True  # lambda = 1: the text's formula is Proposition 4's
    r = run("cga", experiment="single_point", d=3, honest=5, samples=20, growth_honest=[5, 10, 20, 40])
    assert verdicts(r)["theorem5_corrected"] and verdicts(r)["theorem5_as_printed"] is False
    r = run("cga", experiment="corollary2", corollary_N=5, corollary_F=[1, 2], samples=30, regularizations=["l2sq", "l2"])
    assert all(verdicts(r).values()) and "corollary1[F=3]" in r["checks"]


def test_licchavi_experiments_small():
    r = run("licchavi", experiment="manipulable", d=3, users=5, samples=15, answers=[10, 1000, 100000])
    assert all(verdicts(r).values())
    r = run("licchavi", experiment="strategyproof", d=3, users=5, samples=15, queries="coordinate", misreports=60)
    assert verdicts(r) == {"theorem9": True, "manipulable_p2": True}
    r = run("licchavi", experiment="strategyproof", d=3, users=5, samples=15, queries="gaussian", misreports=10)
    assert verdicts(r)["theorem9"] is None  # Assumption 4 fails: not applicable
    r = run("licchavi", experiment="byzantine", d=3, users=7, byzantine=2, samples=20, queries="coordinate",
            random_instances=100)
    assert all(verdicts(r).values())
    r = run("licchavi", experiment="theorem10", A_values=[2.0])
    assert verdicts(r) == {"paper_point_optimal[A=2]": False, "true_optimum[A=2]": True, "claimed_gain[A=2]": False}
    assert r["licchavi"]["reports"][0]["gain_true"] == pytest.approx(1.1058, abs=1e-4)


def test_licchavi_byzantine_needs_coordinate_queries():
    with pytest.raises(ScenarioError, match="coordinate"):
        run("licchavi", experiment="byzantine", queries="gaussian")


def test_gmm_runs_and_premises():
    r = run("gmm", m=10000, attack="silent", c=1.0)
    assert verdicts(r)["collaboration_helps"] and verdicts(r)["upper_bound"]
    r = run("gmm", m=10000, attack="lb", c=1.0, replicates=2)
    assert verdicts(r)["lower_bound"] and len(r["gmm"]["replicate_mse"]) == 2
    r = run("gmm", m=10000, attack="worst", c=2.0, separation=20.0)
    assert verdicts(r)["upper_bound"] is None  # separation < 9 Delta: Theorem 2 does not apply
    r = run("gmm", m=10000, attack="worst", c=6.0)
    assert verdicts(r)["collaboration_beats_alone"] is None  # c/k > 0.5


def test_summary_prints_every_kind():
    for kind, table in (("cga", {"experiment": "single_point", "d": 3, "honest": 4, "samples": 10}),
                        ("licchavi", {"experiment": "theorem10", "A_values": [2.0]}), ("gmm", {"m": 6000})):
        out = io.StringIO()
        print_summary(run(kind, **table), Console(file=out, width=200))
        text = out.getvalue()
        assert "verdicts" in text and "HOLDS" in text


def test_check_names_with_brackets_survive_rich_markup():
    out = io.StringIO()
    print_summary(run("cga", d=3, honest=4, samples=10, rounds=30, regularizations=["l2"]), Console(file=out, width=200))
    assert "resists[l2]" in out.getvalue()


def test_gmm_grid_expands():
    grid = expand(load("scenarios/spec/grids/gmm-figure1a.toml").data)
    assert len(grid.points) == 14 and all(p.scenario is not None for p in grid.points)
    assert sorted({p.values["gmm.c"] for p in grid.points}) == [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_figure1a_lines_carry_the_bounds():
    pytest.importorskip("matplotlib")
    from agreement.pfl import gmm as G
    from scenarios.report.seeds_plots import figure1a

    r = run("gmm", m=10000, attack="worst", c=2.0)
    fig = figure1a([r], deltas=(3.0,))
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    lb = next(v for k, v in lines.items() if k.startswith("lower bound, Theorem 1"))
    x, y = lb.get_data()
    assert np.allclose(y, [G.lower_bound(v * 10, 10)[0] for v in x])
    ub = next(v for k, v in lines.items() if k.startswith("upper bound at delta"))
    assert np.allclose(ub.get_data()[1][::25], [G.upper_bound_finite(v, 3.0, 0.05) for v in ub.get_data()[0][::25]])


def test_the_resolved_seed_kind_is_typed_and_frozen():
    from pydantic import ValidationError

    from scenarios.run.execute import prepare
    from scenarios.spec.schema import CgaTable, PflTable

    sc = resolve({"scenario": {"kind": "cga"}, "cga": {"d": 3}})
    assert isinstance(sc.cga, CgaTable) and sc.cga.d == 3 and sc.cga.rounds == 300
    assert sc.system is None and sc.algorithm is None and sc.gmm is None
    assert set(sc.as_json()) == {"scenario", "cga"}
    with pytest.raises(ValidationError):
        sc.cga.d = 4
    learn = prepare("cga-learn")
    assert isinstance(learn.pfl, PflTable) and learn.pfl.d == learn.system.dim == 5
    assert learn.learn.avg_iterations == "log2" and learn.learn.output == "last"  # the cheaper variant, as pinned
    assert "pfl" not in prepare("learn-quadratic").as_json()  # an agreement or LEARN JSON is as before
