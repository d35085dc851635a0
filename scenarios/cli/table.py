"""``jungle table``: the rules x attacks grid of LEARN on digits, in the shape of the NNM paper's Table 2.

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
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agreement.rules import PRE_AGGREGATIONS, RULES
from nodes.attacks import ATTACKS
from scenarios.cli.args import name_list, output_file, positive_int
from scenarios.errors import ScenarioError
from scenarios.report.files import read_table
from scenarios.report.results import dump_json
from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn
from scenarios.spec.resolve import check_algorithm

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
           "below_threshold": not res["theory"].get("holds", False)}
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


def cmd_table(args) -> int:
    console = Console()
    if args.from_json:
        return _from_json(args.from_json, console)
    for path, option in ((args.json, "--json"), (args.csv, "--csv")):
        if path:
            output_file(path, option)
    rows = args.rows or default_rows()
    attacks = args.attacks or list(QUICK_ATTACKS if args.quick else DEFAULT_ATTACKS)
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    sets = list(args.set or [])
    if args.quick:
        sets = ["learn.rounds=20"] + sets

    for a in attacks:
        if a not in ATTACKS:
            raise ScenarioError(f"--attacks: unknown attack {a!r}; known: {', '.join(sorted(ATTACKS))}")
    for r in rows:  # fail fast on a bad row or override, with the one-line message
        check_algorithm(r, key="--rows")
        prepare(args.scenario, sets + [f"algorithm.name=\"{r}\"", "algorithm.allow_below_threshold=true"], 0)
    jobs = []
    for seed in range(1, seeds + 1):
        for row in rows:
            for a in ["none"] + attacks:
                jobs.append((args.scenario, sets, row, a, seed, row == rows[0] and a == "none"))
    console.print(f"LEARN table on {args.scenario}: {len(rows)} rows x {len(attacks) + 1} columns x {seeds} seeds = "
                  f"{len(jobs)} runs, {args.workers} workers")
    results: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]table"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task("runs", total=len(jobs))

        def done(r):
            results.append(r)
            bar.advance(task)
            if not console.is_terminal and len(results) % 10 == 0:
                print(f"table: {len(results)}/{len(jobs)} runs, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        if args.workers <= 1:
            for j in jobs:
                done(run_cell(*j))
        else:
            with ProcessPoolExecutor(max_workers=args.workers) as ex:
                futs = [ex.submit(run_cell, *j) for j in jobs]
                for fu in as_completed(futs):
                    done(fu.result())
    wall = time.perf_counter() - t0
    results.sort(key=lambda r: (r["seed"], rows.index(r["row"]), (["none"] + attacks).index(r["attack"])))
    table = build_table(results, rows, attacks)
    print_table(table, results, Console(width=max(console.width, 200)))
    base = prepare(args.scenario, sets, 1)
    s, lc = base.system, base.learn
    below = sorted({r["row"] for r in results if r["below_threshold"] and r["row"] in ("icwtm", "mda", "cva", "broadcast")})
    console.print(f"n = {s.n}, f = {s.f}, q = {s.q}, alpha = {lc.alpha}, T = {lc.rounds}, "
                  f"seeds 1..{seeds}; {len(jobs)} runs in {wall:.0f} s"
                  + (f"; below their paper threshold (run anyway): {', '.join(below)}" if below else ""))
    out = {"scenario": args.scenario, "sets": sets, "seeds": seeds, "wall_seconds": wall, "table": table,
           "runs": results}
    if args.json:
        dump_json(out, args.json)
        console.print(f"table written to {args.json}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["row", "attack", "seed", "accuracy", "accuracy_min", "D2", "agreement", "grad_norm", "wall"])
            for r in results:
                wr.writerow([r["row"], r["attack"], r["seed"], r["accuracy"], r["accuracy_min"], r["D2"], r["agreement"],
                             r["grad_norm"], f"{r['wall']:.2f}"])
            for a in (r for r in results if "alone" in r):
                wr.writerow(["alone", "none", a["seed"], a["alone"].get("accuracy_mean"), a["alone"].get("accuracy_min"),
                             "", "", a["alone"].get("grad_norm_mean"), ""])
        console.print(f"runs written to {args.csv}")
    return 0


def _from_json(path: str, console) -> int:
    """Print the table of a saved ``--json`` result, run nothing."""
    saved = read_table(path, "--from-json")
    try:
        print_table(saved["table"], saved["runs"], Console(width=max(console.width, 200)))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScenarioError(f"--from-json {path!r}: not a complete saved table ({type(exc).__name__}: {exc})") from None
    console.print(f"{len(saved['runs'])} runs in {saved['wall_seconds']:.0f} s; overrides {saved['sets']}")
    return 0


def register(sub) -> None:
    sp = sub.add_parser("table", help="LEARN rules x attacks table on digits (NNM Table 2 shape)")
    sp.add_argument("--quick", action="store_true", help="1 seed, 20 rounds, 5 attacks")
    sp.add_argument("--seeds", type=positive_int, default=None, help="seeds 1..N (default 3, 1 with --quick)")
    sp.add_argument("--workers", type=positive_int, default=2)
    sp.add_argument("--rows", type=name_list, default=None,
                    help="comma-separated AVG algorithms / rules (default: available ones + mean)")
    sp.add_argument("--attacks", type=name_list, default=None, help="comma-separated attacks (default: all LEARN attacks)")
    sp.add_argument("--scenario", default="learn-digits")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    sp.add_argument("--json", metavar="PATH")
    sp.add_argument("--csv", metavar="PATH")
    sp.add_argument("--from-json", metavar="PATH", help="print the table of a saved --json result, run nothing")
    sp.set_defaults(func=cmd_table)
