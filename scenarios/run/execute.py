"""Prepare and execute a scenario of any kind: the library entry point behind ``jungle run``,
sweeps, the explorer and the benchmarks (library code never calls the CLI).
"""
from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from scenarios.run.agreement import run_agreement
from scenarios.run.kinds import SEED_RUNNERS
from scenarios.run.learn import run_learn
from scenarios.spec.compare import resolve_variants
from scenarios.spec.files import apply_set, load
from scenarios.spec.resolve import resolve


def prepare(scenario: str, sets: list[str], seed: int | None) -> dict[str, Any]:
    """Load a built-in name or TOML path, apply ``--set`` overrides and resolve it (and its
    ``[compare]`` variants)."""
    data = load(scenario)
    for s in sets or []:
        apply_set(data, s)
    compare = data.pop("compare", None)
    cfg = resolve(data, seed=seed)
    if compare is not None:
        cfg["_variants"] = resolve_variants(data, compare, seed)
        cfg["compare"] = compare
    return cfg


def run_compare(cfg: dict[str, Any], progress: bool) -> dict[str, Any]:
    """Run each variant; the result is the first variant's plus ``variants`` and ``compare``."""
    results = [execute(v, progress=progress) for v in cfg["_variants"]]
    top = dict(results[0])
    top["compare"] = cfg["compare"]
    top["variants"] = results
    return top


def execute(cfg: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """Run a resolved scenario of any kind, with a progress bar on stderr when asked."""
    if "_variants" in cfg:
        return run_compare(cfg, progress)
    if cfg["scenario"]["kind"] in SEED_RUNNERS:  # cga, licchavi, gmm
        return SEED_RUNNERS[cfg["scenario"]["kind"]](cfg, progress=progress)
    if cfg["scenario"]["kind"] == "learn":
        return run_learn(cfg, progress=progress)
    if not progress:
        return run_agreement(cfg)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed} deliveries"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(cfg["scenario"]["name"], total=None)
        return run_agreement(cfg, progress=lambda step: bar.update(task, completed=step))
