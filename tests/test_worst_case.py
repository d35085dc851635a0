"""``jungle worst-case``: the exact one-step factor (agreement.worstcase) against a slow brute force
over a fine grid, the issue's expected values, the lemma bounds, and the replay of the worst
configuration in the simulator."""
from __future__ import annotations

import importlib.util
import itertools
import json

import numpy as np
import pytest

from agreement.rules import get_rule
from agreement.worstcase import default_q, factor, lemma_factor, one_step_factor, worst_case
from agreement.worstcase.orderstat import ORDER_STATISTIC_RULES
from scenarios.cli.main import main
from scenarios.explore.worst_case import replay, run_worst_case, write_scenario


# -- slow brute force (independent of agreement.worstcase) ---------------------------------------
def brute_force(rule_name, n, f, q, include_self, K, byz):
    """max over honest inputs on the grid {0, 1/K, ..., 1} with min 0 and max 1 (sorted: honest ids
    are exchangeable), over every sender set and every Byzantine tuple from ``byz``, of the honest
    spread after one iteration of the real rule: max_{i != k} (max output of i - min output of k)."""
    rule = get_rule(rule_name)
    h = n - f
    k_others = q - f - int(include_self)
    best = 0.0
    for mid in itertools.combinations_with_replacement([j / K for j in range(K + 1)], h - 2):
        x = [0.0, *mid, 1.0]
        hi, lo = [], []
        for i in range(h):
            outs = []
            for S in itertools.combinations([j for j in range(h) if j != i], k_others):
                honest = ([x[i]] if include_self else []) + [x[j] for j in S]
                for B in itertools.combinations_with_replacement(byz, f):
                    rows = np.array(honest + list(B), dtype=float)[:, None]
                    outs.append(float(rule(rows, f, np.array([x[i]]))[0]))
            hi.append(max(outs))
            lo.append(min(outs))
        best = max(best, max(hi[i] - lo[k] for i in range(h) for k in range(h) if i != k))
    return best


BYZ_GRID = [-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]


@pytest.mark.parametrize("rule", ["cwtm", "cwmed", "trimmed_middle"])
@pytest.mark.parametrize("n,f,include_self,K", [(4, 1, True, 4), (5, 1, True, 4), (6, 1, True, 4), (7, 1, True, 3),
                                                (6, 1, False, 4), (7, 2, True, 3), (8, 2, True, 2)])
def test_order_statistics_equal_brute_force(rule, n, f, include_self, K):
    q = default_q(n, f, include_self)
    if q <= 2 * f:
        pytest.skip("q <= 2f")
    wc = worst_case(rule, n, f, include_self=include_self)
    bf = brute_force(rule, n, f, q, include_self, K, BYZ_GRID)
    assert wc.exact and wc.attained
    # no configuration of the grid (interior inputs, Byzantine values beyond the honest range) beats
    # the 0/1 search, and the grid contains the 0/1 configurations, so the two are equal
    assert bf == pytest.approx(wc.factor, abs=1e-12)
    assert factor(wc.config, get_rule(wc.rule)) == pytest.approx(wc.factor, abs=1e-15)


def test_brute_force_can_tell_rules_apart():
    """The brute force is not blind: it separates cwtm from the median where the exact values differ."""
    assert brute_force("cwtm", 6, 1, 5, True, 4, BYZ_GRID) == pytest.approx(2 / 3)
    assert brute_force("cwmed", 6, 1, 5, True, 4, BYZ_GRID) == pytest.approx(1.0)


# -- the issue's expected values, each with a replayable configuration -------------------------
@pytest.mark.parametrize("n,f,expected", [(5, 1, 1.0), (6, 1, 2 / 3), (9, 2, 1.0), (10, 2, 1.0), (11, 2, 4 / 5)])
def test_icwtm_done_when_values_and_replay(n, f, expected, tmp_path):
    rep = run_worst_case("icwtm", n, f, out=tmp_path)
    assert rep["exact"] is True and rep["q"] == n - f and rep["include_self"] is True
    assert rep["factor"] == pytest.approx(expected, abs=1e-15)
    assert (rep["factor"] < 1) == (expected < 1)
    assert rep["replay"]["holds"] is True
    assert rep["replay"]["measured"] == pytest.approx(expected, abs=1e-15)


def test_icwtm_lemma_applicability_at_the_issue_values():
    assert lemma_factor("icwtm", 5, 1, 4).factor is None and "Assumption 6" in lemma_factor("icwtm", 5, 1, 4).note
    assert lemma_factor("icwtm", 6, 1, 5).factor == pytest.approx(5 / 6)
    assert lemma_factor("icwtm", 11, 2, 9).factor == pytest.approx(0.9)


@pytest.mark.parametrize("f", [1, 2, 3])
@pytest.mark.parametrize("include_self", [True, False])
def test_icwtm_factor_never_exceeds_lemma_15(f, include_self):
    checked = 0
    for n in range(4 * f + 1, 12 * f + 3):
        for q in range(2 * f + 1, default_q(n, f, include_self) + 1):
            lem = lemma_factor("icwtm", n, f, q)
            wc = worst_case("icwtm", n, f, q=q, include_self=include_self)
            if lem.factor is not None:
                assert wc.factor <= lem.factor + 1e-12, (n, f, q)
                checked += 1
            # Lemma 15's own construction of the bound: outputs stay in the honest range
            assert 0.0 <= wc.factor <= 1.0
    assert checked > 0


@pytest.mark.parametrize("rule", ["cwtm", "trimmed_middle"])
def test_no_contraction_exactly_when_lemma_16_splits_the_honest_nodes(rule):
    """Lemma 16 / Theorem 9: if the h honest nodes hold two groups of >= q - 2f nodes each
    (h >= 2(q - 2f)), the Byzantine nodes keep each group on its value: factor 1. The exact search
    finds that this is the only obstacle: below it both rules contract in one step. (With q = n - f
    and the own vector counted: contraction iff n >= 5f + 1, not the headline's 4f + 1.)"""
    for f in (1, 2, 3):
        for n in range(3 * f + 1, 9 * f + 2):
            for include_self in (True, False):
                for q in range(2 * f + 1, default_q(n, f, include_self) + 1):
                    wc = worst_case(rule, n, f, q=q, include_self=include_self)
                    assert (wc.factor == 1.0) == (n - f >= 2 * (q - 2 * f)), (n, f, q, include_self, wc.factor)
                    assert wc.factor <= 1.0


def test_the_median_never_contracts_in_one_step():
    for f in (1, 2):
        for n in range(3 * f + 1, 12 * f):
            assert worst_case("median", n, f).factor == 1.0


# -- MDA and CVA: MILP against brute force on small n --------------------------------------------
needs_scipy = pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="the MILP needs scipy")


@needs_scipy
@pytest.mark.parametrize("rule,n,f", [("mda", 4, 1), ("mda", 5, 1), ("cva", 4, 1), ("cva", 5, 1)])
def test_milp_supremum_is_above_every_grid_configuration(rule, n, f):
    wc = worst_case(rule, n, f, time_limit=120)
    assert wc.exact
    bf = brute_force(rule, n, f, n - f, True, 4, [v / 4 for v in range(-4, 9)])
    assert bf <= wc.factor + 1e-9
    assert bf >= 0.5 * wc.factor  # the grid finds real attacks too
    # the configuration is real: the rule reaches (or approaches within 1e-6) the supremum
    assert factor(wc.config, get_rule(rule)) == pytest.approx(wc.factor, abs=1e-6)


@needs_scipy
@pytest.mark.parametrize("rule", ["cwtm", "trimmed_middle"])
def test_milp_agrees_with_the_order_statistic_proof(rule):
    from agreement.worstcase import milp

    for n in (4, 5):
        res = milp.solve(rule, n, 1, n - 1, True, time_limit=60)
        assert res.optimal
        assert res.value == pytest.approx(worst_case(rule, n, 1).factor, abs=1e-5)  # HiGHS's tolerance


@needs_scipy
@pytest.mark.parametrize("rule,n,f", [("mda", 6, 1), ("cva", 5, 1)])
def test_window_rules_never_exceed_their_lemma(rule, n, f):
    wc = worst_case(rule, n, f, time_limit=120)
    lem = lemma_factor(rule, n, f, n - f)
    assert lem.factor is not None
    assert wc.factor <= lem.factor + 1e-9
    assert wc.exact


def test_mda_lemma_not_applicable_below_eq_129():
    lem = lemma_factor("mda", 5, 1, 4)
    assert lem.factor is None and "2(q - 2f) > h" in lem.note


# -- replay in the simulator ---------------------------------------------------------------------
def test_replay_check_can_fail(tmp_path):
    wc = worst_case("icwtm", 6, 1)
    wc.replayed_factor = 0.5  # a wrong claim
    res = replay(write_scenario(wc, tmp_path / "wrong.toml"))
    chk = res["checks"]["worst_case_replay"]
    assert chk["holds"] is False and chk["measured"] == pytest.approx(2 / 3)


def test_worst_case_attack_runs_several_iterations(tmp_path):
    """Later iterations replay the pattern, affinely mapped (not a worst case for them): the run
    terminates and iteration 1 still shows the one-step factor."""
    import tomllib

    from scenarios.run.execute import execute
    from scenarios.spec.resolve import resolve

    p = write_scenario(worst_case("icwtm", 5, 1), tmp_path / "w.toml")
    data = tomllib.loads(p.read_text())
    data["algorithm"]["iterations"] = 4
    res = execute(resolve(data), progress=False)
    assert res["checks"]["termination"]["holds"]
    rows = res["iterations"]
    assert len(rows) == 5 and rows[1]["diameter"] / rows[0]["diameter"] == 1.0  # no contraction at n = 4f + 1


def test_cli_json_contract(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["worst-case", "icwtm", "--n", "6", "--f", "1", "--json", str(out), "--out", str(tmp_path)]) == 0
    rep = json.loads(out.read_text())
    for key in ("factor", "lemma_factor", "exact", "scenario_file", "configuration"):
        assert key in rep
    assert rep["factor"] == pytest.approx(2 / 3) and rep["lemma_factor"] == pytest.approx(5 / 6)
    assert rep["exact"] is True and rep["replay"]["holds"] is True
    text = capsys.readouterr().out
    assert "2/3" in text and "EXACT" in text and "Lemma 15" in text


def test_cli_refuses_q_at_most_2f(capsys):
    assert main(["worst-case", "icwtm", "--n", "6", "--f", "3"]) == 2
    assert "2f < q" in capsys.readouterr().err


def test_one_step_factor_for_thresholds():
    row = one_step_factor("icwtm", 11, 2)
    assert row["factor"] == pytest.approx(0.8) and row["exact"] and row["lemma_factor"] == pytest.approx(0.9)
    assert one_step_factor("broadcast", 4, 1)["factor"] is None
    assert set(ORDER_STATISTIC_RULES) <= {"cwtm", "cwmed", "median", "trimmed_middle"}


@needs_scipy
@pytest.mark.parametrize("rule,n,f", [("mda", 7, 1), ("mda", 9, 1), ("mda", 11, 2), ("mda", 13, 2),
                                      ("cva", 8, 1), ("cva", 11, 2), ("cva", 15, 2)])
def test_window_rules_meet_their_lemma_where_it_applies(rule, n, f):
    """The structured search reaches the proven bound (so the factor is exact and the lemma tight)."""
    wc = worst_case(rule, n, f, time_limit=30)
    lem = lemma_factor(rule, n, f, n - f)
    assert wc.exact and wc.factor == pytest.approx(lem.factor, abs=1e-12)
    assert wc.replayed_factor == pytest.approx(wc.factor, abs=1e-6) and wc.replayed_factor <= wc.factor + 1e-12


@needs_scipy
def test_mda_supremum_replays_in_the_simulator(tmp_path):
    """MDA at n = 6f - 1 = 11 (f = 2): one iteration EXPANDS the spread by 8/7 (Lemma 12's factor,
    here tight); a supremum the strict configuration approaches within 1e-6."""
    rep = run_worst_case("mda", 11, 2, out=tmp_path, time_limit=30)
    assert rep["exact"] and rep["fraction"] == "8/7"
    assert rep["replay"]["holds"] and rep["replay"]["measured"] == pytest.approx(8 / 7, abs=1e-6)


def test_cli_table_mode(tmp_path, capsys):
    out, md = tmp_path / "t.json", tmp_path / "t.md"
    assert main(["worst-case", "icwtm,median", "--f", "1", "--n", "5-6", "--no-replay", "--out", str(tmp_path),
                 "--json", str(out), "--markdown", str(md)]) == 0
    rows = json.loads(out.read_text())
    assert [(r["algorithm"], r["n"], r["factor"]) for r in rows] == [
        ("icwtm", 5, 1.0), ("icwtm", 6, pytest.approx(2 / 3)), ("median", 5, 1.0), ("median", 6, 1.0)]
    assert md.read_text().count("\n") == 6 and "2/3" in md.read_text()


# -- typed parameters, the scenario file, the thresholds column -----------------------------------
def test_written_scenario_validates_against_the_json_schema_and_replays(tmp_path):
    import tomllib

    jsonschema = pytest.importorskip("jsonschema")
    from scenarios.spec.jsonschema import scenario_schema

    p = write_scenario(worst_case("icwtm", 6, 1), tmp_path / "w.toml")
    data = tomllib.loads(p.read_text())
    jsonschema.Draft202012Validator(scenario_schema()).validate(data)
    assert data["adversary"]["attack"] == data["adversary"]["schedule"] == "worst-case"
    assert main(["run", str(p), "--quiet", "--json", str(tmp_path / "r.json")]) == 0
    chk = json.loads((tmp_path / "r.json").read_text())["checks"]["worst_case_replay"]
    assert chk["holds"] and chk["measured"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("key,value,needle", [
    ("worst_case_values", "[[1.0, 2.0]]", "f x h"),
    ("worst_case_order", "[[1, 2]]", "worst_case_order"),
    ("worst_case_factor", '"big"', "worst_case_factor"),
    ("worst_case_fator", "1.0", "worst_case_factor"),
])
def test_worst_case_parameters_are_typed(key, value, needle, tmp_path, capsys):
    import tomllib

    p = write_scenario(worst_case("icwtm", 6, 1), tmp_path / "w.toml")
    data = tomllib.loads(p.read_text())
    assert main(["run", str(p), "--quiet", "--set", f"adversary.{key}={value}"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and needle in err, err
    assert data["adversary"]["worst_case_factor"] == pytest.approx(2 / 3)


def test_worst_case_schedule_takes_its_order_as_a_schedule_parameter(tmp_path):
    import tomllib

    from scenarios.run.execute import execute
    from scenarios.spec.resolve import resolve

    p = write_scenario(worst_case("icwtm", 6, 1), tmp_path / "w.toml")
    data = tomllib.loads(p.read_text())
    data["adversary"]["schedule_params"] = {"order": data["adversary"]["worst_case_order"]}
    res = execute(resolve(data), progress=False)
    assert res["checks"]["worst_case_replay"]["holds"]


def test_thresholds_one_step_column():
    from scenarios.explore.thresholds import Options, markdown, summarise

    o = Options(fs=[1], algorithms=["icwtm", "broadcast"])
    units = [{"algorithm": a, "f": 1, "n": n, "status": "pass", "runs": 1, "seconds": 0.0}
             for a, n in (("icwtm", 6), ("broadcast", 4))]
    rows = summarise(units, o)["rows"]
    icwtm, broadcast = rows
    assert icwtm["one_step"]["n"] == 6 and icwtm["one_step"]["fraction"] == "2/3" and icwtm["one_step"]["exact"]
    assert broadcast["one_step"]["factor"] is None
    md = markdown({"rows": rows})
    assert "one-step factor" in md.splitlines()[0] and "| 2/3 (n = 6) |" in md


def test_the_replay_check_fails_when_one_iteration_misses_the_factor():
    """worst_case_replay can fail: a (hand-made) iteration whose D2 ratio is not the configuration's
    factor FAILS it; a run that is not the configuration's single iteration gets no such check."""
    from types import SimpleNamespace

    from scenarios.run.checks.worstcase import worst_case_checks

    sc = SimpleNamespace(adversary=SimpleNamespace(attack="worst-case", params=SimpleNamespace(worst_case_factor=0.5)),
                         algorithm=SimpleNamespace(iterations=1), system=SimpleNamespace(h=3))
    rows = [{"iteration": 0, "diameter": 1.0, "nodes": 3}, {"iteration": 1, "diameter": 0.75, "nodes": 3}]
    c = worst_case_checks(sc, rows, outputs=3)["worst_case_replay"]
    assert c["holds"] is False and c["measured"] == 0.75
    rows[1]["diameter"] = 0.5
    assert worst_case_checks(sc, rows, outputs=3)["worst_case_replay"]["holds"] is True
    assert worst_case_checks(sc, rows, outputs=2) == {}
