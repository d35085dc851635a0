"""`jungle bench --quick` runs every section and writes them as JSON (timings are never asserted)."""
import json

from scenarios.cli.main import main


def test_bench_quick_runs_every_section(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    for section in ("messages", "network", "rules", "mda", "end_to_end", "memory", "growth"):
        assert section in r, section
    assert all(row["same_digest"] for row in r["network"]["rows"])  # tasks and inline: same trace
    assert r["mda"]["same_subset_matrix"]
    assert r["end_to_end"]["tasks"]["digest"] == r["end_to_end"]["inline"]["digest"]
    assert r["memory"]["tasks"]["digest"] == r["memory"]["inline"]["digest"]
    assert {row["n"] for row in r["growth"]["icwtm"]["rows"]} == {10, 31}
    # every issue-14 target is listed, each with its value (or None: not measured at --quick sizes)
    figures = [t["figure"] for t in r["targets"]]
    assert len(figures) == len(set(figures)) >= 14
    assert all(t["met"] in (True, False, None) for t in r["targets"])
    assert r["end_to_end"]["tasks"]["mean_floor_seconds"] > 0
