"""The LEARN table (``jungle table``): the rules x attacks grid of LEARN on digits, in the shape of the NNM paper's Table 2.

Rows are AVG algorithms (plus the baselines ``mean``, plain averaging, and ``alone``, each honest node
training on its own data only); columns are attacks (plus ``none``); a cell is the final honest test
accuracy (mean over honest nodes of each node's output), mean +- std over seeds; the last column is
the worst case over attacks. Runs are independent and deterministic by seed; they run in worker
processes (``--workers``, default 2) behind a progress bar (a line every 10 runs when the output is not a
terminal). The runs use the scenario's T (30 for learn-digits; 20 with ``--quick``) unless
``--set learn.rounds=...`` says otherwise.

    jungle table [--quick] [--seeds N] [--json PATH] [--csv PATH] [--workers N] [--rows a,b] [--attacks x,y]
                 [--scenario learn-digits] [--set KEY=VALUE]...
"""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from agreement.rules import PRE_AGGREGATIONS, RULES
from scenarios.explore.executor import Executor
from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn

DEFAULT_ATTACKS = ("alie", "foe", "sf", "lf", "mimic", "gaussian", "split", "equivocate", "alie-opt", "foe-opt")
QUICK_ATTACKS = ("alie", "foe", "sf", "lf", "mimic")


def default_rows() -> list[str]:
    """The AVG algorithms available in this build, then the ``mean`` baseline."""
    rows = ["icwtm"]
    rows += [r for r in ("mda", "cva") if r in RULES]
    rows += ["cwmed"]
    if "nnm" in PRE_AGGREGATIONS:
        rows.append("nnm+cwtm")
    rows.append("mean")
    return rows


def run_cell(scenario: str, sets: list[str], row: str, attack: str, seed: int, alone: bool) -> dict[str, Any]:
    """One LEARN run (in a worker process): its final honest metrics."""
    extra = [f"algorithm.name=\"{row}\"", f"adversary.attack=\"{attack}\"", "algorithm.allow_below_threshold=true",
             f"learn.alone={'true' if alone else 'false'}"]
    if row in ("mean", "cwmed", "nnm+cwtm"):
        extra.append(f"algorithm.rule=\"{row}\"")
    scenario_ = prepare(scenario, list(sets) + extra, seed)
    t0 = time.perf_counter()
    res = run_learn(scenario_, progress=None)
    L = res["learn"]
    fin = L.get("final", {})
    out = {"row": row, "attack": attack, "seed": seed, "accuracy": fin.get("accuracy_mean"),
           "accuracy_min": fin.get("accuracy_min"), "D2": fin.get("diameter"), "grad_norm": fin.get("grad_norm"),
           "agreement": res["checks"].get("agreement", {}).get("holds"), "delta": L["delta"],
           "wall": time.perf_counter() - t0, "digest": res["trace_digest"],
           "below_threshold": not res["theory"].get("holds", False), "variant": L.get("variant")}
    if alone and "alone" in L:
        out["alone"] = L["alone"]
    return out


def _cell(vals: list[float]) -> str:
    if not vals or any(v is None for v in vals):
        return "-"
    a = 100 * np.asarray(vals)
    return f"{a.mean():.1f} ± {a.std():.1f}" if len(a) > 1 else f"{a.mean():.1f}"


def build_table(results: list[dict[str, Any]], rows: list[str], attacks: list[str]) -> dict[str, Any]:
    cols = ["none"] + list(attacks)
    grid: dict[str, dict[str, Any]] = {}
    for row in rows:
        grid[row] = {}
        for a in cols:
            rs = [r for r in results if r["row"] == row and r["attack"] == a]
            accs = [r["accuracy"] for r in rs]
            grid[row][a] = {"mean": float(np.mean(accs)) if accs and None not in accs else None,
                            "std": float(np.std(accs)) if accs and None not in accs else None,
                            "values": accs, "agreement": all(bool(r["agreement"]) for r in rs) if rs else None,
                            "D2_max": max((r["D2"] for r in rs if r["D2"] is not None), default=None)}
        means = [grid[row][a]["mean"] for a in attacks if grid[row][a]["mean"] is not None]
        grid[row]["worst"] = min(means) if means else None
    alone = [r["alone"] for r in results if "alone" in r]
    grid["alone"] = {"none": {"mean": float(np.mean([a["accuracy_mean"] for a in alone])) if alone else None,
                              "std": float(np.std([a["accuracy_mean"] for a in alone])) if alone else None,
                              "values": [a["accuracy_mean"] for a in alone]}}
    return {"rows": rows + ["alone"], "columns": cols, "grid": grid}


def print_table(table: dict[str, Any], results: list[dict[str, Any]], console) -> None:
    cols = table["columns"]
    t = Table(title="final honest test accuracy (%) of LEARN on digits: mean ± std over seeds "
                    "(* = honest outputs did not agree: D2 > delta)")
    t.add_column("AVG \\ attack")
    for c in cols:
        t.add_column(c, justify="right")
    t.add_column("worst case", justify="right")
    for row in table["rows"]:
        g = table["grid"][row]
        cells = []
        for c in cols:
            e = g.get(c)
            if e is None or e.get("mean") is None:
                cells.append("-")
                continue
            s = _cell(e["values"])
            if e.get("agreement") is False:
                s += "*"
            cells.append(s)
        w = g.get("worst")
        cells.append("-" if w is None else f"{100 * w:.1f}")
        t.add_row(row, *cells)
    console.print(t)


def table_jobs(scenario: str, sets: list[str], rows: list[str], attacks: list[str], seeds: int) -> list[tuple]:
    """One job per (seed, row, column); the first row's clean run also trains each node alone."""
    return [(scenario, sets, row, a, seed, row == rows[0] and a == "none")
            for seed in range(1, seeds + 1) for row in rows for a in ["none"] + attacks]


def run_table(scenario: str, sets: list[str], rows: list[str], attacks: list[str], seeds: int,
              executor: Executor) -> dict[str, Any]:
    """Every cell on ``executor``; the saved form (``--json``) with the table, every run and the time."""
    jobs = table_jobs(scenario, sets, rows, attacks, seeds)
    t0 = time.perf_counter()
    results = [r for _, r in executor.run(run_cell, jobs, label="table",
                                         describe=lambda r: f"{r['row']} / {r['attack']} seed {r['seed']}")]
    wall = time.perf_counter() - t0
    results.sort(key=lambda r: (r["seed"], rows.index(r["row"]), (["none"] + attacks).index(r["attack"])))
    return {"scenario": scenario, "sets": sets, "seeds": seeds, "wall_seconds": wall,
            "table": build_table(results, rows, attacks), "runs": results}


def write_csv(results: list[dict[str, Any]], path: str | Path) -> None:
    """Every run as one CSV row, then the train-alone baselines."""
    with open(path, "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["row", "attack", "seed", "accuracy", "accuracy_min", "D2", "agreement", "grad_norm", "wall"])
        for r in results:
            wr.writerow([r["row"], r["attack"], r["seed"], r["accuracy"], r["accuracy_min"], r["D2"], r["agreement"],
                         r["grad_norm"], f"{r['wall']:.2f}"])
        for a in (r for r in results if "alone" in r):
            wr.writerow(["alone", "none", a["seed"], a["alone"].get("accuracy_mean"), a["alone"].get("accuracy_min"),
                         "", "", a["alone"].get("grad_norm_mean"), ""])
