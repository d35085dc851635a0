"""The performance targets of ``jungle bench`` (issue 14), each computed from the figures measured
in the same run: value, target, met / not met (``None``: the section that measures it did not run).

Every figure is a ratio or a rate measured beside its baseline in the same process (DESIGN.md: never
an absolute claim on a machine nobody else has); the explorer's wall time is read from the committed
``docs/thresholds/thresholds.json`` of the checkout, when there is one (it is a 30-minute run, not
part of ``jungle bench``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.table import Table

from scenarios.bench.rules import TARGETS as RULE_TARGETS

THRESHOLDS_JSON = Path("docs") / "thresholds" / "thresholds.json"

_RULE_NAMES = {("cwtm", 1_000): ("CwTM", ""), ("cwtm", 100_000): ("CwTM", " (keep)"),
               ("cwmed", 100_000): ("median", " (keep)")}
"""How the rules bench's targets (:data:`scenarios.bench.rules.TARGETS`) are named here."""


def _target(figure: str, value: float | None, target: float, sense: str, unit: str, source: str,
            note: str = "") -> dict[str, Any]:
    met = None if value is None else (value <= target if sense == "<=" else value >= target)
    return {"figure": figure, "value": value, "target": target, "sense": sense, "unit": unit, "met": met,
            "source": source, "note": note}


def _row(results: dict[str, Any], section: str, n: int | None = None) -> dict[str, Any] | None:
    r = results.get(section)
    if not isinstance(r, dict):
        return None
    if n is None:
        return r
    for row in r.get("rows", []):
        if row.get("n") == n:
            return row
    return None


def _rule_ratio(results: dict[str, Any], section: str, rule: str, d: int) -> float | None:
    r = results.get(section)
    if not isinstance(r, dict) or r.get("d") != d:
        return None
    for row in r.get("rules", []):
        if row.get("rule") == rule:
            return float(row["ratio_to_mean"])
    return None


def thresholds_run(path: Path = THRESHOLDS_JSON) -> dict[str, Any] | None:
    """The committed explorer run (command, wall seconds, the f it covered), if the checkout has it."""
    try:
        t = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    fs = sorted({r.get("f") for r in t.get("rows", []) if isinstance(r, dict)} - {None})
    return {"command": t.get("command"), "wall_seconds": t.get("wall_seconds"), "fs": fs,
            "workers": (t.get("options") or {}).get("workers")}


def targets(results: dict[str, Any], thresholds_path: Path = THRESHOLDS_JSON) -> list[dict[str, Any]]:
    """Every target of issue 14's table, computed from ``results`` (what the sections measured)."""
    out: list[dict[str, Any]] = []
    net = _row(results, "network", 100)
    out.append(_target("deliveries/s, n = 100, d = 10, node tasks", net and net.get("tasks_per_second"),
                       50_000, ">=", "/s", "network"))
    out.append(_target("deliveries/s, n = 100, d = 10, inline dispatch", net and net.get("inline_per_second"),
                       100_000, ">=", "/s", "network"))
    e2e = _row(results, "end_to_end")
    full = bool(e2e) and e2e.get("n") == 100 and e2e.get("d") == 1000
    for mode in ("tasks", "inline"):
        m = (e2e or {}).get(mode) if full else None
        out.append(_target(f"end to end ICwTM n = 100, d = 1,000, t = 3 ({mode}): wall / compute floor",
                           m and m.get("ratio"), 2.0, "<=", "x", "end_to_end",
                           note=("default dispatch" if mode == "tasks" else "") +
                           (f"; wall / mean floor {m['ratio_mean_floor']:.1f}x" if m and "ratio_mean_floor" in m else "")))
    mem = _row(results, "memory")
    full_mem = bool(mem) and mem.get("d") == 100_000 and mem.get("n") == 100
    for mode in ("tasks", "inline"):
        m = (mem or {}).get(mode) if full_mem else None
        out.append(_target(f"peak memory above the interpreter / (h d 8), ICwTM n = 100, d = 100,000 ({mode})",
                           m and m.get("ratio"), 3.0, "<=", "x", "memory"))
    for (q, f, d), limits in RULE_TARGETS.items():  # the rules bench's own table: one source
        section = "rules_1k" if d == 1_000 else "rules"
        for rule, limit in limits.items():
            name, keep = _RULE_NAMES.get((rule, d), (rule, ""))
            out.append(_target(f"{name} / numpy.mean, q = {q}, d = {d:,}{keep}",
                               _rule_ratio(results, section, rule, d), limit, "<=", "x", section))
    th = thresholds_run(thresholds_path)
    covers = bool(th) and {1, 2, 3} <= set(th["fs"])
    out.append(_target("jungle thresholds --f 1,2,3, 2 worker processes (minutes)",
                       th["wall_seconds"] / 60 if covers and th.get("wall_seconds") else None, 30.0, "<=", "min",
                       str(thresholds_path),
                       note=(f"read from the committed run: {th['command']}" if th else "no committed run here") +
                       ("" if covers or not th else f" (covers f = {th['fs']}, not 1, 2, 3)")))
    return out


def render(rows: list[dict[str, Any]], console) -> None:
    t = Table(title="targets (issue 14): each figure of this run against its target")
    for c in ("figure", "value", "target", "met"):
        t.add_column(c, justify="left" if c == "figure" else "right")
    for r in rows:
        v = r["value"]
        if v is None:
            val, met = "-", "not measured"
        else:
            val = f"{v:,.0f}{r['unit']}" if r["unit"] == "/s" else f"{v:.2f}{r['unit'] if r['unit'] != 'min' else ' min'}"
            met = "[green]met[/]" if r["met"] else "[red]not met[/]"
        tgt = f"{r['sense']} {r['target']:,.0f}{r['unit']}" if r["unit"] == "/s" else f"{r['sense']} {r['target']:g}{r['unit'] if r['unit'] != 'min' else ' min'}"
        t.add_row(r["figure"] + (f" [dim]({r['note']})[/]" if r["note"] else ""), val, tgt, met)
    console.print(t)
