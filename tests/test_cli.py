"""The CLI contract: `jungle list`, `jungle run ... --json`, `--check-determinism`, one-line errors."""
import json

import pytest

from scenarios.cli.main import main

CONTRACT_KEYS = {"scenario", "seed", "trace_digest", "iterations", "checks", "messages"}
FAST = ["--set", "system.n=11", "--set", "system.f=2", "--set", "algorithm.iterations=6", "--quiet"]


def test_list_shows_builtins(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "icwtm-contraction" in out and "icwtm-below-threshold" in out


def test_run_writes_every_contract_key(tmp_path, capsys):
    path = tmp_path / "out.json"
    assert main(["run", "icwtm-contraction", *FAST, "--json", str(path)]) == 0
    r = json.loads(path.read_text())
    assert CONTRACT_KEYS <= set(r)
    assert {"contraction", "averaging"} <= set(r["checks"])
    for c in ("contraction", "averaging"):
        assert {"holds", "measured", "bound"} <= set(r["checks"][c])
    assert {"sent", "delivered", "rejected"} <= set(r["messages"])
    assert {"iteration", "diameter", "cw_diameter", "avg_error"} <= set(r["iterations"][0])
    sc = r["scenario"]
    assert sc["system"]["n"] == 11 and sc["system"]["q"] == 9 and sc["algorithm"]["iterations"] == 6
    assert r["include_self"] is True and r["seed"] == 1
    # the verdicts are computed from the measured numbers
    c = r["checks"]["contraction"]
    assert c["measured"] == pytest.approx(r["iterations"][-1]["diameter"] / r["iterations"][0]["diameter"])
    assert c["holds"] == (c["measured"] <= c["bound"])


def test_check_determinism_and_seed(tmp_path, capsys):
    p1, p2, p3 = (tmp_path / f"{i}.json" for i in range(3))
    assert main(["run", "icwtm-contraction", *FAST, "--check-determinism", "--json", str(p1)]) == 0
    r1 = json.loads(p1.read_text())
    assert r1["determinism"]["holds"] is True
    assert main(["run", "icwtm-contraction", *FAST, "--json", str(p2)]) == 0
    assert main(["run", "icwtm-contraction", *FAST, "--seed", "2", "--json", str(p3)]) == 0
    r2, r3 = json.loads(p2.read_text()), json.loads(p3.read_text())
    assert r1["trace_digest"] == r2["trace_digest"]
    assert r3["trace_digest"] != r1["trace_digest"] and r3["seed"] == 2


@pytest.mark.parametrize("args,needle", [
    (["run", "no-such-scenario"], "unknown scenario"),
    (["run", "icwtm-contraction", "--set", "system.n=20"], "allow_below_threshold"),
    (["run", "icwtm-contraction", "--set", "system.q=99"], "system.q"),
    (["run", "icwtm-contraction", "--set", "adversary.attack=nope"], "adversary.attack"),
    (["run", "icwtm-contraction", "--set", "adversary.schedule=nope"], "adversary.schedule"),
    (["run", "icwtm-contraction", "--set", "system.f=30"], "system.f"),
    (["run", "icwtm-contraction", "--set", "system.n=x"], "system.n"),
    (["run", "icwtm-contraction", "--set", "nodot"], "KEY=VALUE"),
    (["run", "icwtm-contraction", "--set", "inputs.kind=zzz"], "inputs.kind"),
])
def test_bad_input_is_a_one_line_error_with_status_2(args, needle, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jungle: error:") and needle in err and "\n" not in err


def test_bad_toml_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[system\nn = 3\n")
    assert main(["run", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_scenario_file_with_inline_values(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("""
[scenario]
name = "mine"
[system]
n = 6
f = 1
dim = 2
[algorithm]
name = "icwtm"
t = 2
[inputs]
kind = "values"
values = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]
[adversary]
attack = "far"
schedule = "fifo"
""")
    out = tmp_path / "r.json"
    assert main(["run", str(f), "--quiet", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["iterations"][0]["diameter"] == pytest.approx(2 ** 0.5)
    assert r["checks"]["contraction"]["holds"] and r["checks"]["averaging"]["holds"]


def test_the_papers_headline_runs_with_a_warning_and_below_it_is_refused(capsys):
    """ICwTM at n = 4f + 1 (the headline) runs although Assumption 6 needs 5f + 1, naming the unmet
    assumption; n = 4f is refused (one line, status 2) unless allow_below_threshold."""
    from scenarios.run.execute import prepare

    sc = prepare("icwtm-contraction", ["system.n=21", "system.f=5"], None)
    assert not sc.algorithm.theory.holds and sc.algorithm.theory.headline_n == 21
    assert "headline threshold n >= 21" in sc.algorithm.warning and "Assumption 6" in sc.algorithm.warning
    assert main(["run", "icwtm-contraction", "--quiet", "--set", "system.n=20", "--set", "system.f=5"]) == 2
    assert "allow_below_threshold" in capsys.readouterr().err
    for alg, n, f in (("mda", 13, 2), ("broadcast", 7, 2)):
        th = prepare("icwtm-contraction", [f"algorithm.name=\"{alg}\"", f"system.n={n}", f"system.f={f}",
                                            "adversary.attack=\"silent\""],
                     None).algorithm.theory
        assert th.headline_n == n
