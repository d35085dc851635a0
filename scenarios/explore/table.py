"""The LEARN table (``jungle table``): the rules x attacks grid of LEARN (digits by default, any LEARN
scenario with ``--scenario``), in the shape of the NNM paper's Table 2.

Rows are AVG algorithms (plus the baselines ``mean``, plain averaging, and ``alone``, each honest node
training on its own data only); columns are attacks (plus ``none``); a cell is the final honest test
accuracy (mean over honest nodes of each node's output), mean +- std over seeds; the last column is
the worst case over attacks. Runs are independent and deterministic by seed; they run in worker
processes (``--workers``, default 2) behind a progress bar (a line every 10 runs when the output is not a
terminal). The runs use the scenario's T (30 for learn-digits; 20 with ``--quick``) unless
``--set learn.rounds=...`` says otherwise.

    jungle table [--quick] [--seeds N] [--json PATH] [--csv PATH] [--md PATH] [--workers N] [--rows a,b]
                 [--attacks x,y] [--scenario learn-digits] [--set KEY=VALUE]... [--at-threshold]

A row is an AVG algorithm or rule run decentralised (``icwtm``, ``mda``, ``cva``, ``broadcast``, ``mean``,
``nnm+cwtm``, ...: "iterate a rule" when it is a rule) or ``server:RULE``, the trusted-server baseline
(NNM paper, Algorithm 3) aggregating with RULE (``server:nnm+cwtm``, ``server:cwtm``, ``server:mean``;
``server`` alone is ``server:cwtm``). With ``at_threshold`` each row runs at the smallest n >= the
scenario's n at which its algorithm's paper threshold holds (the theory's ``holds``; the server with a
robust rule: n >= 3f + 1, since it gathers the first n - f momenta and trims f per side; plain averaging
has none), and the table records,
per row, n, f, q and the threshold it meets (``row_systems``).

The heatmap (:func:`run_heatmap`) is the worst case over attacks of such rows on a grid of (f, alpha).
"""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from agreement.rules import PRE_AGGREGATIONS, RULES
from scenarios.errors import ScenarioError
from scenarios.explore.executor import Executor
from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn
from scenarios.run.protocols import PROTOCOLS
from scenarios.spec.resolve import DEFAULT_RULE

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


SERVER = "server"


def row_sets(row: str) -> list[str]:
    """The ``--set`` overrides of a row: ``server:RULE`` -> the server with RULE; an algorithm name ->
    that algorithm (its own rule); a rule -> "iterate" that rule."""
    if row == SERVER or row.startswith(SERVER + ":"):
        rule = row.partition(":")[2] or "cwtm"
        return [f"algorithm.name=\"{SERVER}\"", f"algorithm.rule=\"{rule}\""]
    if row in DEFAULT_RULE or row in PROTOCOLS:
        return [f"algorithm.name=\"{row}\""]
    return [f"algorithm.name=\"{row}\"", f"algorithm.rule=\"{row}\""]


def row_system(scenario: str, sets: list[str], row: str, at_threshold: bool, max_extra: int = 64) -> dict[str, Any]:
    """n, f, q of a row and the threshold it meets: the scenario's n, or with ``at_threshold`` the
    smallest n >= it at which the row's threshold holds (module docstring)."""
    allow = ["algorithm.allow_below_threshold=true"]
    plain = prepare(scenario, list(sets) + row_sets("mean") + ["algorithm.iterations=1"], 1).system  # n, f only
    n0, f = plain.n, plain.f
    if row == SERVER or row.startswith(SERVER + ":"):
        n = max(n0, 3 * f + 1) if at_threshold else n0
        base = prepare(scenario, list(sets) + row_sets(row) + [f"system.n={n}"] + allow, 1)
        robust = base.algorithm.rule not in ("mean",)
        n = n if robust else n0
        threshold = ("n >= 3f + 1: the server gathers the first q = n - f momenta (asynchrony), f of them possibly "
                     "Byzantine, and a trimming rule needs q >= 2f + 1 (the NNM paper's synchronous server needs f < n/2)"
                     if robust else "none (plain averaging is not robust)")
        return {"n": n, "f": f, "q": n - f, "threshold": threshold, "holds": (n >= 3 * f + 1) if robust else None}
    k = n0
    while True:  # with at_threshold: the first n >= n0 the row can run at (its rule aggregates) and meets its threshold
        try:
            base = prepare(scenario, list(sets) + row_sets(row) + [f"system.n={k}"] + allow, 1)
        except ScenarioError:
            if not at_threshold or k >= n0 + max_extra:
                raise
            k += 1
            continue
        th = base.algorithm.theory
        if not at_threshold or th.holds or not th.threshold or k >= n0 + max_extra:
            break
        k += 1
    s = base.system
    if th.threshold:
        return {"n": s.n, "f": s.f, "q": s.q, "threshold": th.threshold, "holds": bool(th.holds)}
    return {"n": s.n, "f": s.f, "q": s.q, "threshold": "none (no theorem for this rule iterated)", "holds": None}


def run_cell(scenario: str, sets: list[str], row: str, attack: str, seed: int, alone: bool) -> dict[str, Any]:
    """One LEARN run (in a worker process): its final honest metrics."""
    extra = row_sets(row) + [f"adversary.attack=\"{attack}\"", "algorithm.allow_below_threshold=true",
                             f"learn.alone={'true' if alone else 'false'}"]
    scenario_ = prepare(scenario, list(sets) + extra, seed)
    t0 = time.perf_counter()
    res = run_learn(scenario_, progress=None)
    L = res["learn"]
    fin = L.get("final", {})
    out = {"row": row, "attack": attack, "seed": seed, "n": scenario_.system.n, "f": scenario_.system.f,
           "alpha": scenario_.learn.alpha, "accuracy": fin.get("accuracy_mean"),
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


def attack_cells(g: dict[str, Any], cols: list[str]) -> list[str]:
    """One row's cells (mean ± std over seeds, ``*`` when the honest outputs did not agree, ``-``
    where nothing ran), shared by the console table and the markdown."""
    cells = []
    for c in cols:
        e = g.get(c)
        if e is None or e.get("mean") is None:
            cells.append("-")
        else:
            cells.append(_cell(e["values"]) + ("*" if e.get("agreement") is False else ""))
    return cells


def print_table(table: dict[str, Any], results: list[dict[str, Any]], console, workload: str = "digits") -> None:
    cols = table["columns"]
    t = Table(title=f"final honest test accuracy (%) of LEARN on {workload}: mean ± std over seeds "
                    "(* = honest outputs did not agree: D2 > delta)")
    t.add_column("AVG \\ attack")
    for c in cols:
        t.add_column(c, justify="right")
    t.add_column("worst case", justify="right")
    for row in table["rows"]:
        g = table["grid"][row]
        w = g.get("worst")
        t.add_row(row, *attack_cells(g, cols), "-" if w is None else f"{100 * w:.1f}")
    console.print(t)


def table_jobs(scenario: str, sets: list[str], rows: list[str], attacks: list[str], seeds: int,
               systems: dict[str, dict[str, Any]] | None = None) -> list[tuple]:
    """One job per (seed, row, column); the first row's clean run also trains each node alone. With
    ``systems``, each row runs at its own n."""
    def own(row):
        return list(sets) + ([f"system.n={systems[row]['n']}"] if systems else [])
    return [(scenario, own(row), row, a, seed, row == rows[0] and a == "none")
            for seed in range(1, seeds + 1) for row in rows for a in ["none"] + attacks]


def run_table(scenario: str, sets: list[str], rows: list[str], attacks: list[str], seeds: int,
              executor: Executor, at_threshold: bool = False) -> dict[str, Any]:
    """Every cell on ``executor``; the saved form (``--json``) with the table, every run and the time."""
    systems = {row: row_system(scenario, sets, row, at_threshold) for row in rows}
    jobs = table_jobs(scenario, sets, rows, attacks, seeds, systems if at_threshold else None)
    t0 = time.perf_counter()
    results = [r for _, r in executor.run(run_cell, jobs, label="table",
                                         describe=lambda r: f"{r['row']} / {r['attack']} seed {r['seed']}")]
    wall = time.perf_counter() - t0
    results.sort(key=lambda r: (r["seed"], rows.index(r["row"]), (["none"] + attacks).index(r["attack"])))
    base = prepare(scenario, list(sets) + ["algorithm.allow_below_threshold=true"], 1)
    lc = base.learn
    return {"scenario": scenario, "sets": sets, "seeds": seeds, "wall_seconds": wall, "at_threshold": at_threshold,
            "workload": lc.workload, "alpha": lc.alpha, "rounds": lc.rounds,
            "variant": sorted({str(r.get("variant")) for r in results}), "row_systems": systems,
            "table": build_table(results, rows, attacks), "runs": results}


def markdown(out: dict[str, Any], command: str) -> str:
    """The saved table as markdown: the command, variant, seeds, wall time, then the table (mean ± std
    over seeds, ``*`` where the honest outputs did not agree) and each row's n, f and threshold."""
    t, systems = out["table"], out.get("row_systems") or {}
    cols = t["columns"]
    lines = [f"`{command}`", "",
             f"Workload {out.get('workload')}, alpha = {out.get('alpha')}, T = {out.get('rounds')}; LEARN variant: "
             f"{'; '.join(out.get('variant') or [])}; seeds 1..{out['seeds']}; {len(out['runs'])} runs in "
             f"{out['wall_seconds']:.0f} s wall. Cells: final honest test accuracy (%), mean ± std over seeds "
             "(`*`: the honest outputs did not agree, D2 > delta); worst case: the lowest attack column.", "",
             "| aggregation \\ attack | n | f | " + " | ".join(cols) + " | worst case |",
             "|---|---|---|" + "---|" * (len(cols) + 1)]
    for row in t["rows"]:
        g = t["grid"][row]
        sysr = systems.get(row, {})
        cells = attack_cells(g, cols)
        w = g.get("worst")
        cells.append("-" if w is None else f"**{100 * w:.1f}**")
        lines.append(f"| {row} | {sysr.get('n', '-')} | {sysr.get('f', '-')} | " + " | ".join(cells) + " |")
    if systems:
        lines += ["", "| row | n | f | q | threshold | meets it |", "|---|---|---|---|---|---|"]
        for row, sysr in systems.items():
            meets = {True: "yes", False: "no (below)", None: "-"}[sysr.get("holds")]
            lines.append(f"| {row} | {sysr['n']} | {sysr['f']} | {sysr['q']} | {sysr['threshold']} | {meets} |")
    return "\n".join(lines) + "\n"


def run_heatmap(scenario: str, sets: list[str], rows: list[str], attacks: list[str], fs: list[int],
                alphas: list[float], seeds: int, executor: Executor) -> dict[str, Any]:
    """Worst-case accuracy over ``attacks`` (mean over seeds per attack, then the minimum) of each row
    on the (f, alpha) grid, each row at its threshold n (:func:`row_system`) for each f."""
    systems: dict[str, dict[str, Any]] = {}
    jobs = []
    for f in fs:
        for alpha in alphas:
            cell_sets = list(sets) + [f"system.f={f}", f"learn.alpha={alpha}"]
            for row in rows:
                sysr = row_system(scenario, cell_sets, row, True)
                systems[f"{row}|{f}|{alpha}"] = sysr
                own = cell_sets + [f"system.n={sysr['n']}"]
                jobs += [(scenario, own, row, a, seed, False) for seed in range(1, seeds + 1) for a in ["none"] + attacks]
    t0 = time.perf_counter()
    results = [r for _, r in executor.run(run_cell, jobs, label="heatmap",
                                         describe=lambda r: f"{r['row']} f={r['f']} / {r['attack']} seed {r['seed']}")]
    wall = time.perf_counter() - t0
    grid: dict[str, list[list[float | None]]] = {}
    clean: dict[str, list[list[float | None]]] = {}
    for row in rows:
        grid[row], clean[row] = [], []
        for f in fs:
            wrow, crow = [], []
            for alpha in alphas:
                rs = [r for r in results if r["row"] == row and r["f"] == f and r.get("alpha") == alpha]
                per = {a: [r["accuracy"] for r in rs if r["attack"] == a] for a in attacks}
                means = [float(np.mean(v)) for v in per.values() if v and None not in v]
                wrow.append(min(means) if means else None)
                c = [r["accuracy"] for r in rs if r["attack"] == "none"]
                crow.append(float(np.mean(c)) if c and None not in c else None)
            grid[row].append(wrow)
            clean[row].append(crow)
    return {"scenario": scenario, "sets": sets, "rows": rows, "attacks": attacks, "fs": fs, "alphas": alphas,
            "seeds": seeds, "wall_seconds": wall, "worst": grid, "clean": clean, "row_systems": systems,
            "variant": sorted({str(r.get("variant")) for r in results}), "runs": results}


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
