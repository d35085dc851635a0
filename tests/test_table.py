"""The LEARN table (jungle table): every cell runs once, the table holds their accuracies, and a saved
table prints again without running anything."""
import json

from scenarios.cli.main import main
from scenarios.explore.executor import Executor
from scenarios.explore.table import run_table


def test_every_cell_once_and_the_worst_case_is_the_minimum():
    sets = ["learn.rounds=2"]
    out = run_table("learn-digits", sets, ["icwtm", "mean"], ["alie", "sf"], 1, Executor(workers=1, progress=False))
    runs = out["runs"]
    assert sorted((r["row"], r["attack"]) for r in runs) == sorted(
        (row, a) for row in ("icwtm", "mean") for a in ("none", "alie", "sf"))
    assert sum("alone" in r for r in runs) == 1  # the first row's clean run trains each node alone
    for row in ("icwtm", "mean"):
        g = out["table"]["grid"][row]
        accs = [r["accuracy"] for r in runs if r["row"] == row and r["attack"] != "none"]
        assert abs(g["worst"] - min(accs)) < 1e-12


def test_a_saved_table_prints_without_running(tmp_path, capsys, monkeypatch):
    sets = ["learn.rounds=2"]
    out = run_table("learn-digits", sets, ["mean"], ["alie"], 1, Executor(workers=1, progress=False))
    path = tmp_path / "t.json"
    path.write_text(json.dumps(out))
    monkeypatch.setattr("scenarios.explore.executor.Executor.run", lambda *a, **k: 1 / 0)
    assert main(["table", "--from-json", str(path)]) == 0
    assert "alie" in capsys.readouterr().out
