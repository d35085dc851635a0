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


def test_rows_name_the_server_with_its_rule_and_each_algorithm():
    from scenarios.explore.table import row_sets
    assert row_sets("server:nnm+cwtm") == ['algorithm.name="server"', 'algorithm.rule="nnm+cwtm"']
    assert row_sets("server") == ['algorithm.name="server"', 'algorithm.rule="cwtm"']
    assert row_sets("broadcast") == ['algorithm.name="broadcast"']
    assert row_sets("mean") == ['algorithm.name="mean"', 'algorithm.rule="mean"']


def test_at_threshold_each_row_runs_at_the_smallest_n_meeting_its_threshold():
    from agreement.rules import RULES
    from scenarios.explore.table import row_system
    sets = ["system.n=7", "system.f=2"]
    want = {"server:nnm+cwtm": 7, "server:mean": 7, "broadcast": 7, "icwtm": 11, "mean": 7}
    want.update({a: n for a, n in (("mda", 13), ("cva", 15)) if a in RULES})
    for row, n in want.items():
        s = row_system("learn-digits", sets, row, True)
        assert (s["n"], s["f"]) == (n, 2), row
        assert s["holds"] is (None if row in ("mean", "server:mean") else True), row
        assert s["threshold"]
    assert row_system("learn-digits", sets, "icwtm", False)["n"] == 7  # without the option: the scenario's n


def test_the_markdown_table_states_command_variant_seeds_and_n_per_row(tmp_path):
    from scenarios.explore.table import markdown
    out = run_table("learn-digits", ["learn.rounds=2", "system.n=7", "system.f=2"], ["server:nnm+cwtm", "icwtm"],
                    ["sf"], 1, Executor(workers=1, progress=False), at_threshold=True)
    assert {r["n"] for r in out["runs"] if r["row"] == "icwtm"} == {11}
    md = markdown(out, "jungle table --at-threshold")
    assert "`jungle table --at-threshold`" in md and "seeds 1..1" in md and "LEARN variant: Algorithm 1" in md
    assert "| icwtm | 11 | 2 |" in md and "| server:nnm+cwtm | 7 | 2 |" in md
    assert "n >= 3f + 1" in md


def test_the_heatmap_is_the_worst_case_over_attacks_per_f_and_alpha(tmp_path):
    from scenarios.explore.table import run_heatmap
    from scenarios.report.plots import heatmap_plots
    hm = run_heatmap("learn-digits", ["learn.rounds=2", "system.n=5"], ["server:nnm+cwtm"], ["sf", "lf"], [1, 2],
                     [1.0, 0.1], 1, Executor(workers=1, progress=False))
    grid = hm["worst"]["server:nnm+cwtm"]
    assert len(grid) == 2 and all(len(line) == 2 for line in grid)
    for i, f in enumerate((1, 2)):
        for j, alpha in enumerate((1.0, 0.1)):
            accs = [r["accuracy"] for r in hm["runs"] if r["f"] == f and r["alpha"] == alpha and r["attack"] != "none"]
            assert len(accs) == 2 and grid[i][j] == min(accs)
    assert {r["n"] for r in hm["runs"] if r["f"] == 1} == {5} and {r["n"] for r in hm["runs"] if r["f"] == 2} == {7}
    paths = heatmap_plots(hm, tmp_path / "hm")
    assert sorted(p.suffix for p in paths) == [".png", ".svg"] and all(p.stat().st_size > 0 for p in paths)
