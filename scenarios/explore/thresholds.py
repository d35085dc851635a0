"""Resilience thresholds by experiment: for each algorithm and f, try n around the paper's claimed
threshold with every shipped attack and schedule, the named lower-bound constructions and the search
adversary, and report where contraction or C-averaging breaks.

A *trial* is one run; a run is **broken** when termination, contraction (D2(final)/D2(initial) <=
2^-t) or C-averaging (when the theorem gives a C) fails. For each (algorithm, f, n) the trials run in
order (constructions first, then attack x schedule x inputs x seed, then the search adversary) and
stop at the first broken run, whose resolved scenario is written as a TOML file that ``jungle run
FILE --seed S`` replays to the same trace digest (checked here by replaying it). Search-found
counterexamples are shrunk first (:mod:`scenarios.explore.shrink`).

The claimed threshold is computed, not typed in: the smallest n at which the algorithm's theory
(``agreement.theory.theory_for``) says its assumption holds with q = n - f; its wording is
``Theory.threshold``. Algorithms without a theory (a plain rule) have no claimed threshold.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from agreement.theory import theory_for
from net.schedules import SCHEDULES
from scenarios.errors import ScenarioError
from scenarios.explore.breaks import at_horizon, describe, kind_of
from scenarios.explore.executor import Executor
from scenarios.explore.explain import run_traced, write_report
from scenarios.explore.search import failures, optimise, score
from scenarios.explore.shrink import save_counterexample, shrink
from scenarios.explore.worst_case import one_step_column
from scenarios.run.execute import execute, prepare
from scenarios.run.protocols import protocol_class
from scenarios.spec.resolve import resolve
from scenarios.spec.schema import Scenario

CONSTRUCTIONS = {
    "iterate": [("theorem5", "theorem5", "theorem5"), ("theorem4", "theorem4", "theorem4"),
                ("theorem9", "theorem9", "split")],
    "broadcast": [("clusters", "theorem7", "partition")],
}
"""(inputs kind, attack, schedule) of each named lower-bound construction."""
SKIP_ATTACKS = {"none", "search", "theorem4", "theorem5", "theorem9", "theorem7", "worst-case"}
SKIP_SCHEDULES = {"search", "gated", "theorem4", "theorem5", "split", "worst-case"}


@dataclass
class Options:
    fs: list[int] = field(default_factory=lambda: [1, 2])
    algorithms: list[str] = field(default_factory=lambda: ["icwtm", "mda", "cva", "broadcast"])
    below: int = 2
    above: int = 1
    seeds: list[int] = field(default_factory=lambda: [1, 2])
    inputs: list[str] = field(default_factory=lambda: ["gaussian", "clusters"])
    dim: int = 2
    t: int = 1
    include_self: bool = True
    attacks: list[str] | None = None
    schedules: list[str] | None = None
    full: bool = True
    """Every attack x schedule pair on every seed (False: each pair once, seeds alternating)."""
    search_budget: int = 200_000
    """The search adversary's budget per n, in simulated work: each candidate run costs about
    iterations x n^2 (x n for broadcast, whose every value is reliably broadcast), with the
    iterations of the search's short runs (``scenarios.explore.search.optimise``'s fidelity); small, cheap
    systems thus get more candidates. Clamped to [search_min, search_max] candidates."""
    search_min: int = 40
    search_max: int = 700
    search_restarts: int = 1
    """Independent searches per n (the budget is split; roles alternate 2, 3, 2, ...)."""
    search_fidelity: int = 3
    shrink_evals: int = 16
    out: str = "thresholds"


def claimed_threshold(alg: str, f: int, d: int, t: int, include_self: bool = True) -> int | None:
    for n in range(f + 1, 40 * f + 8):
        h = n - f
        q = h if include_self else h - 1
        if q >= 1 and theory_for(alg, n, f, q, d, t).holds:
            return n
    return None


def n_range(alg: str, f: int, o: Options) -> tuple[int | None, list[int]]:
    c = claimed_threshold(alg, f, o.dim, o.t, o.include_self)
    if c is None:
        return None, [3 * f + 1, 4 * f + 1, 5 * f + 1, 6 * f + 1]
    return c, [n for n in range(c - o.below, c + o.above + 1) if n > 2 * f]


def _data(alg, n, f, o: Options, inputs, attack, schedule, seed) -> dict[str, Any]:
    return {"scenario": {"name": f"thresholds-{alg}-f{f}-n{n}-{attack}-{schedule}-{inputs}", "kind": "agreement",
                         "seed": seed,
                         "description": f"jungle thresholds trial: {alg} at n = {n}, f = {f}, {attack} / {schedule} on {inputs} inputs"},
            "system": {"n": n, "f": f, "dim": o.dim, "include_self": o.include_self},
            "algorithm": {"name": alg, "t": o.t, "allow_below_threshold": True},
            "inputs": {"kind": inputs},
            "adversary": {"attack": attack, "schedule": schedule},
            # inline dispatch: the same trace digest as a task per node (tested), about 1.3x faster
            "run": {"dispatch": "inline"}}


def trials(alg: str, n: int, f: int, o: Options):
    """(label, resolved scenario) of every trial of one (algorithm, f, n), constructions first; trials
    whose scenario cannot be built at this n (e.g. a construction's counts) are skipped."""
    proto = "broadcast" if alg == "broadcast" else "iterate"
    skip = set(SKIP_ATTACKS)
    attacks = o.attacks or sorted(a for a in protocol_class(alg).attacks() if a not in skip)
    scheds = o.schedules or sorted(s for s in SCHEDULES if s not in SKIP_SCHEDULES)
    plan = [(inp, a, s, seed) for (inp, a, s) in CONSTRUCTIONS[proto] for seed in o.seeds]
    pairs = [(a, s) for a in attacks for s in scheds]
    if o.full:
        # every pair on every seed, seed i on inputs kind i (cycling)
        plan += [(o.inputs[i % len(o.inputs)], a, s, seed) for a, s in pairs for i, seed in enumerate(o.seeds)]
    else:
        # every pair once; the seeds and input kinds alternate over the pairs
        plan += [(o.inputs[j % len(o.inputs)], a, s, o.seeds[j % len(o.seeds)]) for j, (a, s) in enumerate(pairs)]
    for inp, a, s, seed in plan:
        try:
            scenario = resolve(_data(alg, n, f, o, inp, a, s, seed))
        except ScenarioError:
            continue
        yield f"{a}/{s}/{inp}", scenario


def search_evals(scenario: Scenario, o: Options) -> int:
    """How many candidate runs the search adversary gets for this scenario (see Options.search_budget)."""
    n = scenario.system.n
    its = max(1, scenario.algorithm.iterations)
    if its > 2 * o.search_fidelity:  # the search runs candidates cut short (optimise's fidelity)
        its = o.search_fidelity
    cost = its * n * n * (n if scenario.algorithm.name == "broadcast" else 1)
    return int(min(o.search_max, max(o.search_min, o.search_budget // cost)))


def run_unit(alg: str, f: int, n: int, o: Options) -> dict[str, Any]:
    """Every trial of one (algorithm, f, n) until the first break; the search adversary last."""
    t0 = time.perf_counter()
    runs = 0
    out: dict[str, Any] = {"algorithm": alg, "f": f, "n": n, "status": "pass"}

    for label, scenario in trials(alg, n, f, o):
        try:
            res = execute(scenario, progress=False)
        except ScenarioError:  # e.g. a construction's inputs need more honest nodes than n - f
            continue
        runs += 1
        if not score(res)[1]:
            continue
        long_scenario = at_horizon(scenario)  # a break must persist over the horizon (not slow contraction)
        long = execute(long_scenario, progress=False)
        runs += 1
        if kind_of(long) is None:
            out.setdefault("slow_contraction", []).append({"by": label, **describe(long)})
            continue
        out.update(status="broken", broken_by=label, break_kind=kind_of(long),
                   found_by="shipped" if not label.startswith("theorem") else "construction")
        out["counterexample"] = _record(long_scenario, long, alg, f, n, o, label)
        break
    if out["status"] == "pass" or alg in ("mda", "broadcast"):
        # the search adversary, told nothing (also where something else broke it, for the record)

        base = resolve(_data(alg, n, f, o, "gaussian", "silent", "random", o.seeds[0]))
        evals = search_evals(base, o)
        sr = None
        for restart in range(o.search_restarts):
            per = evals // o.search_restarts
            samples = max(4, min(16, per // 8))
            oc = optimise(base, generations=2, samples=samples, local=max(0, per - 2 * samples), seed=restart,
                          roles=2 + restart % 2, fidelity=o.search_fidelity)
            runs += oc.evaluations
            if sr is None or (oc.broken, oc.score) > (sr.broken, sr.score):
                sr = oc
            if oc.broken:
                break
        out["search"] = {"broken": sr.broken, "score": sr.score, "evaluations": runs}
        if sr.broken:
            small = shrink(sr.scenario, budget=o.shrink_evals, result=sr.result)
            runs += small.evaluations
            named = small.scenario.updated(
                "scenario", name=f"thresholds-{alg}-f{f}-n{n}-search",
                description=(f"jungle thresholds: the search adversary (told no construction) breaks {alg} at "
                             f"n = {n}, f = {f}; payloads, held links and inputs found by the search, then shrunk"))
            out["search"]["counterexample"] = _record(named, small.result, alg, f, n, o, "search", suffix="-search",
                                                      shrunk=small.summary)
            if out["status"] == "pass":
                out.update(status="broken", broken_by="search", found_by="search", break_kind=kind_of(small.result),
                           counterexample=out["search"]["counterexample"])
    out["runs"] = runs
    out["seconds"] = time.perf_counter() - t0
    return out


def _record(scenario: Scenario, res, alg, f, n, o: Options, label, suffix="", shrunk=None) -> dict[str, Any]:
    path = Path(o.out) / "counterexamples" / f"{alg}-f{f}-n{n}{suffix}.toml"
    save_counterexample(scenario, path, note=f"jungle thresholds: {label} breaks {alg} at n = {n}, f = {f}")
    seed = scenario.scenario.seed
    report = report_counterexample(path, seed)
    replay = report.result
    c = res["checks"]
    rec = {"file": str(path), "seed": seed, "command": f"jungle run {path} --seed {seed}",
           "report": str(report.html), "report_link": report_link(path),
           "digest": res["trace_digest"], "replays": replay["trace_digest"] == res["trace_digest"],
           "by": label, "fails": failures(res), "break": describe(res),
           "contraction": {k: c["contraction"].get(k) for k in ("holds", "measured", "bound")},
           "averaging": {k: c["averaging"].get(k) for k in ("holds", "measured", "bound")},
           "termination": c["termination"].get("holds")}
    if shrunk is not None:
        rec["shrunk"] = shrunk
    return rec


def report_counterexample(path: str | Path, seed: int):
    """Replay the counterexample saved at ``path`` with its trace and write its report beside it
    (``<name>.html``, ``.svg``, ``.png``: :mod:`scenarios.explore.explain`); returns the
    :class:`~scenarios.explore.explain.Explained` (its ``result`` is the replay's)."""
    path = Path(path)
    scenario = prepare(str(path), [], seed)
    result, trace = run_traced(scenario, keep_rounds=2)
    return write_report(scenario, result, trace, path.with_suffix(".html"),
                        replay=f"jungle run {path} --seed {seed}")


def report_link(path: str | Path) -> str:
    """The report of the counterexample at ``path``, relative to the table's directory (the
    counterexamples are in its ``counterexamples/``)."""
    return f"counterexamples/{Path(path).with_suffix('.html').name}"


def summarise(units: list[dict[str, Any]], o: Options) -> dict[str, Any]:
    rows = []
    for alg in o.algorithms:
        for f in o.fs:
            us = sorted((u for u in units if u["algorithm"] == alg and u["f"] == f), key=lambda u: u["n"])
            if not us:
                continue
            claimed = claimed_threshold(alg, f, o.dim, o.t, o.include_self)
            c_n = claimed or us[-1]["n"]
            th = theory_for(alg, c_n, f, c_n - f, o.dim, o.t)
            passing = [u["n"] for u in us if u["status"] == "pass"]
            broken = [u["n"] for u in us if u["status"] == "broken"]
            row = {"algorithm": alg, "f": f, "include_self": o.include_self, "claimed": claimed,
                   "headline": th.headline_n, "claimed_text": th.threshold, "smallest_pass": min(passing) if passing else None,
                   "largest_broken": max(broken) if broken else None,
                   "per_n": {str(u["n"]): u for u in us},
                   "one_step": {"n": c_n, **one_step_column(alg, c_n, f, include_self=o.include_self)}}
            notes = []
            if claimed is not None and broken and max(broken) >= claimed:
                notes.append(f"CONTRADICTS the claim: broken at n = {max(broken)} >= {claimed}")
            if claimed is not None and passing and min(passing) < claimed:
                notes.append(f"no attack broke it below the claimed threshold (n = {min(passing)})")
            row["notes"] = notes
            rows.append(row)
    return {"kind": "thresholds", "options": o.__dict__, "rows": rows}


def _describe(u: dict[str, Any]) -> str:
    return (f"{u['algorithm']} f={u['f']} n={u['n']}: {u['status']} {u.get('broken_by') or ''} "
            f"({u['runs']} runs, {u['seconds']:.0f} s)")


def run_thresholds(o: Options, workers: int | None = None, progress: bool = True,
                   executor: Executor | None = None) -> dict[str, Any]:
    """Every (algorithm, f, n) unit on ``executor`` (default: ``workers`` local processes)."""
    Path(o.out).mkdir(parents=True, exist_ok=True)
    units = [(alg, f, n) for alg in o.algorithms for f in o.fs for n in n_range(alg, f, o)[1]]
    # longest first (bigger n and f first) so that the pool ends together
    units.sort(key=lambda u: -(u[1] * 100 + u[2]))
    ex = executor or Executor(workers=workers, progress=progress, every=1)
    done = [u for _, u in ex.run(run_unit, [(*u, o) for u in units], label="thresholds", describe=_describe)]
    return summarise(done, o)


def print_table(table: dict[str, Any], console) -> None:
    t = Table(title="resilience thresholds (observed)", show_lines=True)
    for col in ("algorithm", "f", "include_self", "headline n", "n its assumption needs", "one-step factor at that n",
                "smallest n: no attack broke it", "largest n: broken", "break kind", "counterexample (largest broken n)",
                "notes"):
        t.add_column(col)
    for r in table["rows"]:
        ce = ""
        if r["largest_broken"] is not None:
            u = r["per_n"][str(r["largest_broken"])]
            c = u["counterexample"]
            ce = f"{c['command']}\n({u['broken_by']}; replays: {'yes' if c['replays'] else 'NO'})"
            if c.get("report"):
                ce += f"\nreport: {c['report']}"
        kind = r["per_n"][str(r["largest_broken"])].get("break_kind", "") if r["largest_broken"] is not None else ""
        t.add_row(r["algorithm"], str(r["f"]), str(r["include_self"]), _n(r.get("headline")),
                  f"{r['claimed']}" if r["claimed"] is not None else "-", _one_step(r),
                  str(r["smallest_pass"]) if r["smallest_pass"] is not None else "none in range",
                  str(r["largest_broken"]) if r["largest_broken"] is not None else "none in range",
                  kind or "", ce, "; ".join(r["notes"]))
    console.print(t)
    srch = []
    for r in table["rows"]:
        for n, u in sorted(r["per_n"].items(), key=lambda kv: int(kv[0])):
            s = u.get("search")
            if s is not None:
                srch.append(f"{r['algorithm']} f={r['f']} n={n}: search {'BROKE it' if s['broken'] else 'did not break it'}"
                            + (f" ({s['counterexample']['command']}, replays: {s['counterexample']['replays']})"
                               if s.get("counterexample") else f" (best score {s['score']:.3g})"))
    if srch:
        console.print("search adversary (told nothing):")
        for line in srch:
            console.print("  " + line)


def _n(v) -> str:
    return "-" if v is None else str(v)


def _one_step(r: dict[str, Any]) -> str:
    """The exact worst-case factor of one iteration (``jungle worst-case``) at the row's n its
    assumption needs: ``2/3``, ``0.8571 (lower bound)``, or ``-`` when there is none."""
    o = r.get("one_step") or {}
    if o.get("factor") is None:
        return "-"
    frac = o.get("fraction")
    v = frac if frac and "/" in frac else f"{o['factor']:.4g}"
    return f"{v}{'' if o.get('exact') else ' (lower bound)'} (n = {o['n']})"


def markdown(table: dict[str, Any]) -> str:
    """The table: the paper's headline n, the n its assumption needs, what the explorer found, the
    kind of the break at the largest broken n (confirmed over the horizon), its counterexample."""
    lines = ["| algorithm | f | headline n | n its assumption needs | one-step factor at that n "
             "| smallest n no attack broke | largest n broken | break kind | counterexample |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in table["rows"]:
        ce, kind = "", ""
        if r["largest_broken"] is not None:
            u = r["per_n"][str(r["largest_broken"])]
            ce = f"`{u['counterexample']['command']}` ({u['broken_by']}){_link(u['counterexample'])}"
            kind = u.get("break_kind") or ""
        lines.append(f"| {r['algorithm']} | {r['f']} | {_n(r.get('headline'))} | {_n(r['claimed'])} | "
                     f"{_one_step(r)} | {r['smallest_pass'] if r['smallest_pass'] is not None else 'none'} | "
                     f"{r['largest_broken'] if r['largest_broken'] is not None else 'none'} | {kind} | {ce} |")
    every = all_counterexamples(table)
    if any(c.get("report_link") for _, c in every):
        lines += ["", "Every counterexample found, with its report (`jungle explain`: message-sequence diagram of "
                  "its first iterations, honest trajectories, verdicts):", ""]
        for what, c in every:
            lines.append(f"- {what}: `{c['command']}`{_link(c)}")
    return "\n".join(lines) + "\n"


def _link(c: dict[str, Any]) -> str:
    return f" [report]({c['report_link']})" if c.get("report_link") else ""


def all_counterexamples(table: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what, counterexample record) of every counterexample of the table, by algorithm, f, n."""
    out = []
    for r in table["rows"]:
        for n in sorted(r.get("per_n", {}), key=int):
            u = r["per_n"][n]
            seen = set()
            for c in (u.get("counterexample"), (u.get("search") or {}).get("counterexample")):
                if c and c["file"] not in seen:
                    seen.add(c["file"])
                    out.append((f"{r['algorithm']} at n = {n}, f = {r['f']} ({c.get('by', '')})", c))
    return out


def save_json(table: dict[str, Any], path: str | Path) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(table, indent=1, default=str) + "\n")
