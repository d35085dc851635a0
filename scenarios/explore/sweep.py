"""Sweeps: run the Cartesian product of a grid file, in local processes or on a Dask cluster.

A grid file is a scenario file in which any key may hold a list: every list-valued key is an axis
and the sweep runs the product of the axes, times a list of seeds. The optional ``[sweep]`` table:

  seeds    a list of seeds, or an integer k meaning seeds 1..k (default: ``scenario.seed`` or 1)
  literal  dotted keys whose list value is one value, not an axis (e.g. ``["inputs.values"]``)

The grid is validated by its own schema (``jungle schema --grid``): ``[sweep]`` by
:class:`~scenarios.spec.schema.SweepTable`, and every point by the scenario schema when it is
resolved. A point that cannot be resolved is recorded with its one-line error (an impossible
combination, e.g. f >= n); a grid none of whose points can be resolved, or with an unknown key, is
refused.

Resumable: each run is stored as ``OUT/runs/<key>.json``, the key a hash of the resolved scenario
(every default filled in; ``scenario.name`` and ``scenario.description`` left out) and the seed. A sweep started again runs only the points whose JSON is missing; a run's JSON is
written (atomically) as soon as that run finishes, so an interrupted sweep loses nothing finished.

Output: ``OUT/runs/*.json`` (one result JSON per run) and ``OUT/results.csv`` (one row per grid
point: every swept key, the seed, the run key, status, every check's verdict/measured/bound, the
final D2, the trace digest).
"""
from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from scenarios.errors import ScenarioError, UnknownKey
from scenarios.explore.executor import Executor
from scenarios.report.plots import PlotsUnavailable, plot_sweep
from scenarios.report.results import json_default
from scenarios.run.execute import execute
from scenarios.spec.files import load
from scenarios.spec.resolve import resolve
from scenarios.spec.schema import Scenario, SweepTable
from scenarios.spec.validation import validated

KEY_EXCLUDE = {("scenario", "name"), ("scenario", "description")}


# ------------------------------------------------------------------------------------------------
# grid expansion
# ------------------------------------------------------------------------------------------------
@dataclass
class Point:
    """One run of a sweep: the swept values, the seed, the resolved scenario (or why it is invalid)."""

    values: dict[str, Any]
    seed: int
    scenario: Scenario | None
    error: str | None = None
    key: str = ""


@dataclass
class Grid:
    base: dict[str, Any]
    axes: list[tuple[str, list[Any]]]
    seeds: list[int]
    points: list[Point] = field(default_factory=list)

    @property
    def swept(self) -> list[str]:
        return [k for k, _ in self.axes]


def _seeds(spec: SweepTable, default: int) -> list[int]:
    if spec.seeds is None:
        return [default]
    if isinstance(spec.seeds, int):
        return list(range(1, spec.seeds + 1))
    return list(spec.seeds)


def axes_of(data: dict[str, Any], literal: Iterable[str] = ()) -> list[tuple[str, list[Any]]]:
    """Every list-valued key (dotted), in file order, except the literal ones and private tables."""
    lit = set(literal)
    out = []
    for table, values in data.items():
        if table.startswith("_") or table == "sweep" or not isinstance(values, dict):
            continue
        for k, v in values.items():
            dotted = f"{table}.{k}"
            if isinstance(v, list) and dotted not in lit:
                if not v:
                    raise ScenarioError(f"{dotted} = []: an axis needs at least one value")
                out.append((dotted, list(v)))
    return out


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    table, _, key = dotted.partition(".")
    data.setdefault(table, {})[key] = value


def run_key(scenario: Scenario) -> str:
    """Hash of the resolved scenario (canonical JSON) and its seed: the run's identity."""
    pub = scenario.as_json()
    pub["scenario"] = {k: v for k, v in pub["scenario"].items() if ("scenario", k) not in KEY_EXCLUDE}
    text = json.dumps(pub, sort_keys=True, separators=(",", ":"), default=json_default, allow_nan=True)
    h = hashlib.sha256(text.encode())
    h.update(f"|seed={scenario.scenario.seed}".encode())
    return h.hexdigest()[:24]


def expand(data: dict[str, Any], base_dir: Path | None = None) -> Grid:
    """The grid's points, each resolved (or carrying the one-line error that made it invalid)."""
    data = copy.deepcopy(data)
    sw = validated(SweepTable, data.pop("sweep", {}), "sweep")
    sc = data.get("scenario", {})
    default_seed = sc.get("seed", 1) if isinstance(sc, dict) else 1
    if isinstance(default_seed, list):
        raise ScenarioError("scenario.seed cannot be a list in a grid: use [sweep] seeds = [...]")
    seeds = _seeds(sw, default_seed if isinstance(default_seed, int) else 1)
    axes = axes_of(data, sw.literal)
    grid = Grid(base=data, axes=axes, seeds=seeds)
    keys = [k for k, _ in axes]
    for combo in itertools.product(*[v for _, v in axes]):
        values = dict(zip(keys, combo))
        for seed in seeds:
            d = copy.deepcopy(data)
            for k, v in values.items():
                _set(d, k, v)
            try:
                scenario = resolve(d, seed=seed, base_dir=base_dir)
                grid.points.append(Point(values, seed, scenario, key=run_key(scenario)))
            except UnknownKey:
                raise  # every point would fail the same way: a typo in the grid
            except ScenarioError as exc:
                grid.points.append(Point(values, seed, None, error=str(exc)))
    if grid.points and all(p.scenario is None for p in grid.points):
        raise ScenarioError(f"no point of the grid can be run; the first: {grid.points[0].error}")
    return grid


def load_grid(path: str) -> Grid:
    src = load(path, what="grid")
    return expand(src.data, src.base_dir)


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
def run_one(scenario: Scenario) -> dict[str, Any]:
    """One run, in whatever process or Dask worker executes it; returns a JSON-able result."""
    result = execute(scenario, progress=False)
    return json.loads(json.dumps(result, default=json_default, allow_nan=True))


def _write_atomic(path: Path, result: dict[str, Any]) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(result, indent=1, default=json_default, allow_nan=True) + "\n")
    os.replace(tmp, path)


def _load_done(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass
class SweepReport:
    grid: Grid
    out: Path
    ran: list[str]
    skipped: list[str]
    invalid: int
    results: dict[str, dict[str, Any]]
    csv_path: Path


def run_sweep(grid: Grid, out: str | Path, *, workers: int | None = None, dask: Any = None,
              progress: bool = True, on_result: Callable[[str, dict[str, Any]], None] | None = None,
              write_plots: bool = False, executor: Executor | None = None) -> SweepReport:
    """Run every missing point of ``grid`` into ``out`` on ``executor`` (default: ``workers`` local
    processes, or the Dask scheduler ``dask``, an address or a ``distributed.Client``). ``on_result(key, result)`` is called after each finished run has been
    saved (an exception it raises interrupts the sweep, as Ctrl-C does)."""
    out = Path(out)
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    todo: dict[str, Scenario] = {}
    skipped = []
    for p in grid.points:
        if p.scenario is None:
            continue
        done = _load_done(runs / f"{p.key}.json")
        if done is not None:
            results[p.key] = done
            if p.key not in skipped:
                skipped.append(p.key)
        else:
            todo.setdefault(p.key, p.scenario)
    ran: list[str] = []

    def finished(key: str, res: dict[str, Any]) -> None:
        _write_atomic(runs / f"{key}.json", res)
        results[key] = res
        ran.append(key)
        if on_result is not None:
            on_result(key, res)

    keys = list(todo)
    ex = executor or Executor(workers=workers, dask=dask, progress=progress)
    try:
        for i, res in ex.run(run_one, [(todo[k],) for k in keys],
                             label=f"sweep ({len(skipped)} already done)" if skipped else "sweep",
                             describe=lambda r: r.get("scenario", {}).get("scenario", {}).get("name", "")):
            finished(keys[i], res)
    finally:
        csv_path = write_csv(grid, results, out / "results.csv")
    if write_plots:
        try:
            plot_sweep(grid, results, out / "plots")
        except PlotsUnavailable:
            pass  # matplotlib is optional: the CSV and JSON results are written all the same
    return SweepReport(grid, out, ran, skipped, sum(p.scenario is None for p in grid.points), results, csv_path)


# ------------------------------------------------------------------------------------------------
# the tidy table
# ------------------------------------------------------------------------------------------------
def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    if v is None:
        return ""
    return v


def result_row(result: dict[str, Any]) -> dict[str, Any]:
    """The measured part of one result: every check's verdict, measured value and bound, final D2."""
    row: dict[str, Any] = {}
    for name, c in (result.get("checks") or {}).items():
        if isinstance(c, dict):
            row[f"{name}.holds"] = c.get("holds")
            if "measured" in c:
                row[f"{name}.measured"] = c.get("measured")
            if "bound" in c:
                row[f"{name}.bound"] = c.get("bound")
    its = result.get("iterations") or []
    if its:
        row["iterations"] = its[-1].get("iteration")
        row["final_diameter"] = its[-1].get("diameter")
        row["initial_diameter"] = its[0].get("diameter")
    row["steps"] = result.get("steps")
    row["wall_seconds"] = result.get("wall_seconds")
    row["digest"] = result.get("trace_digest")
    return row


def table_rows(grid: Grid, results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for p in grid.points:
        row: dict[str, Any] = dict(p.values)
        row["seed"] = p.seed
        row["key"] = p.key
        if p.scenario is None:
            row["status"] = "invalid"
            row["error"] = p.error
        elif p.key in results:
            row["status"] = "done"
            row.update(result_row(results[p.key]))
        else:
            row["status"] = "missing"
        rows.append(row)
    return rows


def write_csv(grid: Grid, results: dict[str, dict[str, Any]], path: Path) -> Path:
    rows = table_rows(grid, results)
    cols: list[str] = list(grid.swept) + ["seed", "key", "status"]
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in cols})
    return path
