"""jungle thresholds: claimed thresholds from the theory, a small end-to-end table, replay."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli.main import main
from scenarios.explore.thresholds import Options, claimed_threshold, markdown, n_range, run_thresholds


@pytest.mark.parametrize("f", [1, 2, 3])
def test_claimed_thresholds_are_the_papers(f):
    # Assumption 6 with q = n - f (5f + 1), Assumption 5 (6f + 1), CVA (7f + 1), Theorem 6 (3f + 1)
    assert claimed_threshold("icwtm", f, 2, 1) == 5 * f + 1
    assert claimed_threshold("mda", f, 2, 1) == 6 * f + 1
    assert claimed_threshold("cva", f, 2, 1) == 7 * f + 1
    assert claimed_threshold("broadcast", f, 2, 1) == 3 * f + 1
    assert claimed_threshold("krum", f, 2, 1) is None


def test_n_range_around_the_claim():
    o = Options(below=2, above=1)
    assert n_range("mda", 2, o) == (13, [11, 12, 13, 14])
    assert n_range("broadcast", 1, o) == (4, [3, 4, 5])  # n > 2f only


def test_small_table_end_to_end(tmp_path):
    o = Options(fs=[1], algorithms=["broadcast"], below=1, above=0, seeds=[1], attacks=["equivocate"],
                schedules=["random"], search_budget=0, shrink_evals=4, out=str(tmp_path))
    table = run_thresholds(o, workers=1, progress=False)
    (row,) = table["rows"]
    assert row["claimed"] == 4 and row["largest_broken"] == 3 and row["smallest_pass"] == 4
    u3 = row["per_n"]["3"]
    assert u3["status"] == "broken" and u3["broken_by"].startswith("theorem7")
    assert row["per_n"]["4"]["status"] == "pass"
    ce = u3["counterexample"]
    assert ce["replays"] and not (ce["contraction"]["holds"] and ce["averaging"]["holds"])
    # the saved file replays to the same digest through the CLI
    out = tmp_path / "replay.json"
    assert main(["run", ce["file"], "--seed", str(ce["seed"]), "--quiet", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["trace_digest"] == ce["digest"]
    # the search adversary, told nothing, also broke n = 3f and its counterexample replays
    s = u3["search"]
    assert s["broken"] and s["counterexample"]["replays"]
    assert "| broadcast | 1 |" in markdown(table)
    # every counterexample has its report beside it (jungle explain), and the table links to it
    for c in (ce, s["counterexample"]):
        report = Path(c["report"])
        assert report == Path(c["file"]).with_suffix(".html") and report.exists()
        assert report.with_suffix(".svg").exists() and report.with_suffix(".png").exists()
        assert f"[report]({c['report_link']})" in markdown(table)
        assert (tmp_path / c["report_link"]).exists()


def test_cli_rejects_bad_arguments(capsys):
    assert main(["thresholds", "--f", "0"]) == 2
    assert main(["thresholds", "--algorithms", "nope"]) == 2
