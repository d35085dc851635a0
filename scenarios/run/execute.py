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


def execute(scenario: Scenario, progress: bool = True) -> dict[str, Any]:
    """Run a resolved scenario of any kind, with a progress bar on stderr when asked."""
    if scenario.variants:
        return run_compare(scenario, progress)
    if scenario.scenario.kind in SEED_RUNNERS:  # cga, licchavi, gmm
        return SEED_RUNNERS[scenario.scenario.kind](scenario, progress=progress)
    if scenario.scenario.kind == "learn":
        return run_learn(scenario, progress=progress)
    if not progress:
        return run_agreement(scenario)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed} deliveries"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(scenario.scenario.name, total=None)
        return run_agreement(scenario, progress=lambda step: bar.update(task, completed=step))
