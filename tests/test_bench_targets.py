"""jungle bench's targets are computed from the measured figures, never typed in."""
import json

from scenarios.bench.targets import targets


def _results(tasks_ps, ratio_tasks, mem_ratio, mda_ratio):
    return {
        "network": {"rows": [{"n": 100, "tasks_per_second": tasks_ps, "inline_per_second": 2 * tasks_ps}]},
        "end_to_end": {"n": 100, "d": 1000, "tasks": {"ratio": ratio_tasks}, "inline": {"ratio": 1.5}},
        "memory": {"n": 100, "d": 100_000, "tasks": {"ratio": mem_ratio}, "inline": {"ratio": mem_ratio}},
        "rules": {"d": 100_000, "rules": [{"rule": "mda", "ratio_to_mean": mda_ratio}, {"rule": "cwtm", "ratio_to_mean": 1.4}]},
    }


def by_figure(rows):
    return {r["figure"]: r for r in rows}


def test_met_and_not_met_follow_the_values(tmp_path):
    good = by_figure(targets(_results(60_000, 1.9, 2.5, 9.0), tmp_path / "none.json"))
    bad = by_figure(targets(_results(40_000, 2.1, 3.5, 11.0), tmp_path / "none.json"))
    for name in ("deliveries/s, n = 100, d = 10, node tasks",
                 "end to end ICwTM n = 100, d = 1,000, t = 3 (tasks): wall / compute floor",
                 "peak memory above the interpreter / (h d 8), ICwTM n = 100, d = 100,000 (tasks)",
                 "mda / numpy.mean, q = 31, d = 100,000"):
        assert good[name]["met"] is True and bad[name]["met"] is False, name
    assert good["deliveries/s, n = 100, d = 10, inline dispatch"]["met"] is True   # 120k >= 100k
    assert bad["deliveries/s, n = 100, d = 10, inline dispatch"]["met"] is False   # 80k < 100k


def test_unmeasured_figures_are_not_applicable(tmp_path):
    rows = targets({"rules": {"d": 20_000, "rules": [{"rule": "mda", "ratio_to_mean": 1.0}]}}, tmp_path / "none.json")
    assert all(r["met"] is None and r["value"] is None for r in rows)  # quick sizes are not the targets' sizes


def test_thresholds_time_is_read_from_the_committed_run(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"command": "jungle thresholds --f 1,2,3", "wall_seconds": 1500, "options": {},
                             "rows": [{"f": 1}, {"f": 2}, {"f": 3}]}))
    row = by_figure(targets({}, p))["jungle thresholds --f 1,2,3, 2 worker processes (minutes)"]
    assert row["value"] == 25 and row["met"] is True
    p.write_text(json.dumps({"command": "jungle thresholds --f 1,2", "wall_seconds": 100, "rows": [{"f": 1}, {"f": 2}]}))
    row = by_figure(targets({}, p))["jungle thresholds --f 1,2,3, 2 worker processes (minutes)"]
    assert row["met"] is None  # a run that did not cover f = 3 proves nothing about it
