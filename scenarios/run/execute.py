"""Prepare and execute a scenario of any kind: the library entry point behind ``jungle run``,
sweeps, the explorer and the benchmarks (library code never calls the CLI).
"""
from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from scenarios.run.agreement import run_agreement
from scenarios.run.kinds import SEED_RUNNERS
from scenarios.run.learn import run_learn
from scenarios.spec.files import apply_set, load
from scenarios.spec.resolve import resolve
from scenarios.spec.schema import Scenario


def prepare(scenario: str, sets: list[str] | None = None, seed: int | None = None) -> Scenario:
    """Load a built-in name or TOML path, apply ``--set`` overrides and resolve it (and its
    ``[compare]`` variants)."""
    src = load(scenario)
    data = src.data
    for s in sets or []:
        apply_set(data, s)
    return resolve(data, seed=seed, base_dir=src.base_dir)


def run_compare(scenario: Scenario, progress: bool) -> dict[str, Any]:
    """Run each variant; the result is the first variant's plus ``variants`` and ``compare``."""
    results = [execute(v, progress=progress) for v in scenario.variants]
    top = dict(results[0])
    top["compare"] = scenario.compare.model_dump(mode="json")
    top["variants"] = results
    return top


def traceable(scenario: Scenario) -> str | None:
    """None when a run of ``scenario`` can record its delivery trace, else why not (one line)."""
    if scenario.variants:
        return (f"scenario {scenario.scenario.name!r} has [compare] variants ({len(scenario.variants)} runs): "
                "trace one of them (a file without [compare])")
    if scenario.scenario.kind in SEED_RUNNERS:
        return f"a {scenario.scenario.kind} scenario runs without a network: it has no delivery trace"
    return None


def execute(scenario: Scenario, progress: bool = True, trace=None) -> dict[str, Any]:
    """Run a resolved scenario of any kind, with a progress bar on stderr when asked; ``trace`` (a
    :class:`scenarios.run.tracing.TraceOut`, only where :func:`traceable`) records its deliveries."""
    if scenario.variants:
        return run_compare(scenario, progress)
    if scenario.scenario.kind in SEED_RUNNERS:  # cga, licchavi, gmm
        return SEED_RUNNERS[scenario.scenario.kind](scenario, progress=progress)
    if scenario.scenario.kind == "learn":
        return run_learn(scenario, progress=progress, trace=trace)
    if not progress:
        return run_agreement(scenario, trace=trace)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed} deliveries"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(scenario.scenario.name, total=None)
        return run_agreement(scenario, progress=lambda step: bar.update(task, completed=step), trace=trace)
