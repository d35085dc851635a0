"""The rules benchmark's rows carry issue 14's targets (timings are never asserted)."""
from scenarios.bench.rules import TARGETS, bench_rules, row_targets


def test_rows_carry_their_targets():
    r = bench_rules(q=31, f=5, d=1_000, repeat=1, rules=("cwtm", "cva"))
    rows = {row["rule"]: row for row in r["rules"]}
    (t,) = rows["cwtm"]["targets"]
    assert set(t) == {"figure", "value", "target", "met"} and t["target"] == TARGETS[(31, 5, 1_000)]["cwtm"]
    assert t["met"] == (rows["cwtm"]["ratio_to_mean"] <= t["target"]) and isinstance(t["met"], bool)
    assert rows["cva"]["targets"] == [] and r["targets"] == [t] and r["targets_met"] == t["met"]


def test_no_target_at_other_sizes():
    assert row_targets("cwtm", 1.0, 21, 5, 20_000) == []
    assert [x["met"] for x in row_targets("mda", 9.9, 31, 5, 100_000) + row_targets("mda", 10.1, 31, 5, 100_000)] == [True, False]
