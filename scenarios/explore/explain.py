"""``jungle explain``: re-run a scenario (or the run a result JSON records) with its delivery trace,
and write one self-contained HTML report (:mod:`scenarios.report.explain_html`) with the
message-sequence diagram of its first iterations, the honest trajectories, the verdicts, the theory
constants and the command that replays it; the diagram also as SVG and PNG beside it.

A result JSON is replayed from the scenario it records (every default filled in): the run is a
function of its seed, so the re-run's trace digest equals the recorded one unless the code changed
since (the report then says so).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.errors import ScenarioError
from scenarios.explore.shrink import to_toml
from scenarios.report.explain_html import report_html
from scenarios.report.files import read_result
from scenarios.report.msc import MAX_ARROWS, MAX_LANES, Diagram, final_values, groups_of, layout
from scenarios.report.msc_png import render_png
from scenarios.report.msc_svg import render_svg
from scenarios.report.trajectories import render_trajectories
from scenarios.run.execute import execute, prepare, traceable
from scenarios.run.tracing import TraceOut
from scenarios.spec.resolve import resolve
from scenarios.spec.schema import DERIVED, Scenario


@dataclass
class Explained:
    html: Path
    svg: Path
    png: Path | None
    diagram: Diagram
    result: dict[str, Any]
    trace: TraceOut
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def scenario_of_result(path: str | Path) -> tuple[Scenario, dict[str, Any]]:
    """The scenario a result JSON records, resolved again, and the result itself."""
    result = read_result(path, "result")
    if result.get("kind") == "thresholds":
        raise ScenarioError(f"{str(path)!r} is a thresholds table, not a run result: explain one of its "
                            "counterexamples (docs/thresholds/counterexamples/*.toml)")
    if result.get("variants"):
        raise ScenarioError(f"{str(path)!r} is a [compare] result ({len(result['variants'])} runs): explain one variant")
    data = dict(result["scenario"])
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for table, key in DERIVED:
        if isinstance(data.get(table), dict):
            data[table].pop(key, None)
    return resolve(data, base_dir=Path(path).resolve().parent), result


def load_source(source: str, sets: list[str] | None = None, seed: int | None = None
                ) -> tuple[Scenario, str, dict[str, Any] | None]:
    """(scenario, replay command, the result JSON's content when ``source`` is one)."""
    if source.endswith(".json"):
        if sets or seed is not None:
            raise ScenarioError("a result JSON is explained as it was run: --set and --seed apply to a scenario")
        scenario, recorded = scenario_of_result(source)
        return scenario, f"jungle explain {source}", recorded
    scenario = prepare(source, sets, seed)
    replay = " ".join(["jungle run", source, *(f"--set {s}" for s in sets or []), "--seed", str(scenario.scenario.seed)])
    return scenario, replay, None


def pick_variant(scenario: Scenario, variant: str | None) -> tuple[Scenario, str | None]:
    """The variant of a [compare] scenario to explain (its label, or its index from 0; default the
    first) and its label; ``scenario`` itself when it has no variants."""
    if not scenario.variants:
        if variant is not None:
            raise ScenarioError(f"--variant {variant!r}: scenario {scenario.scenario.name!r} has no [compare] variants")
        return scenario, None
    labels = [str(v) for v in scenario.compare.values]
    if variant is None:
        i = 0
    elif variant in labels:
        i = labels.index(variant)
    elif variant.strip().isdigit() and int(variant) < len(labels):
        i = int(variant)
    else:
        shown = ", ".join(repr(x) for x in labels[:12]) + (" ..." if len(labels) > 12 else "")
        raise ScenarioError(f"--variant {variant!r} is not a variant of {scenario.scenario.name!r}: give a label "
                            f"({shown}) or an index 0..{len(labels) - 1}")
    return scenario.variants[i], labels[i]


def explainable(scenario: Scenario) -> None:
    """Raise a one-line :class:`ScenarioError` unless ``scenario`` can be drawn."""
    why = traceable(scenario)
    if why is None and scenario.scenario.kind != "agreement":
        why = (f"a {scenario.scenario.kind} scenario: jungle explain draws agreement runs (iterate a rule, broadcast); "
               "`jungle run SCENARIO --trace PATH` writes its delivery trace")
    if why is not None:
        raise ScenarioError(f"explain: {why}")


def run_traced(scenario: Scenario, keep_rounds: int | None = None) -> tuple[dict[str, Any], TraceOut]:
    """Run ``scenario`` recording its delivery trace and honest values in memory (the deliveries of
    rounds below ``keep_rounds`` only, when given)."""
    trace = TraceOut(keep_rounds=keep_rounds)
    result = execute(scenario, progress=False, trace=trace)
    return result, trace


def write_report(scenario: Scenario, result: dict[str, Any], trace: TraceOut, out: str | Path, *, iterations: int = 2,
                 replay: str = "", notes: list[str] | None = None, png: bool = True, max_lanes: int = MAX_LANES,
                 max_arrows: int = MAX_ARROWS) -> Explained:
    """Write ``out`` (HTML) and the diagram as ``out`` with .svg and .png suffixes."""
    notes = list(notes or [])
    t0 = time.perf_counter()
    diagram = layout(trace.header, trace.records, trace.undelivered, trace.values, iterations,
                     max_lanes=max_lanes, max_arrows=max_arrows)
    groups = groups_of(final_values(trace.values)) or {i: 0 for i in trace.header["honest"]}
    svg = render_svg(diagram)
    traj = render_trajectories(trace.values, groups, scenario.system.dim)
    html = report_html(result=result, diagram=diagram, diagram_svg=svg, trajectories_svg=traj, replay=replay,
                       scenario_toml=to_toml(scenario.file_data()), groups=groups, notes=notes)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    svg_path = out.with_suffix(".svg")
    svg_path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n", encoding="utf-8")
    png_path = None
    if png:
        png_path = render_png(diagram, out.with_suffix(".png"))
    return Explained(out, svg_path, png_path, diagram, result, trace, notes, time.perf_counter() - t0)


def explain(source: str, out: str | Path, *, iterations: int = 2, sets: list[str] | None = None,
            seed: int | None = None, png: bool = True, max_lanes: int = MAX_LANES, variant: str | None = None) -> Explained:
    """Re-run ``source`` (a scenario name or TOML path, or a result JSON) and write its report; of a
    [compare] scenario, ``variant`` (default the first)."""
    t0 = time.perf_counter()
    scenario, replay, recorded = load_source(source, sets, seed)
    notes = []
    whole = scenario
    scenario, label = pick_variant(scenario, variant)
    if label is not None:
        notes.append(f"{whole.scenario.name} compares {len(whole.variants)} variants ({whole.compare.key}); this "
                     f"report explains {label!r} (jungle explain ... --variant LABEL explains another).")
        replay = replay.replace("jungle run", "jungle explain", 1) + f" --variant '{label}'"
    explainable(scenario)
    result, trace = run_traced(scenario, keep_rounds=iterations)
    if recorded is not None and recorded.get("trace_digest") != result["trace_digest"]:
        notes.append(f"The re-run's trace digest {result['trace_digest'][:16]} differs from the one {source} records "
                     f"({str(recorded.get('trace_digest'))[:16]}): the code changed since that run; this report "
                     "shows the re-run.")
    ex = write_report(scenario, result, trace, out, iterations=iterations, replay=replay, notes=notes, png=png,
                      max_lanes=max_lanes)
    ex.seconds = time.perf_counter() - t0
    return ex


__all__ = ["Explained", "explain", "write_report", "run_traced", "load_source", "explainable"]
