"""``jungle bench``: benchmarks measured in one run, printed as ratios (DESIGN.md).

    jungle bench [--only SECTION[,SECTION]] [--quick] [--json PATH]

The command is a list of :data:`SECTIONS`; each section is ``(name, run(quick) -> dict,
render(result, console))``. Add a section by appending to that list (or, from another module,
calling :func:`add_section`). Sections: ``mda`` (exact MDA against naive enumeration), ``rules``
(every rule against ``numpy.mean``), and the simulator's ``messages``, ``network``, ``end_to_end``,
``memory``, ``growth`` (:mod:`scenarios.bench.sim`). Groups: ``--only rules`` (``mda``, ``rules``),
``--only sim`` (the simulator's five).
"""
from __future__ import annotations

from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from scenarios.bench import sim as bench_sim
from scenarios.bench import targets as bench_targets
from scenarios.bench.rules import bench_mda, bench_rules
from scenarios.cli.args import output_file
from scenarios.errors import ScenarioError
from scenarios.report.results import dump_json

Section = tuple[str, Callable[[bool], dict[str, Any]], Callable[[dict[str, Any], Console], None]]
GROUPS = {"rules": ("mda", "rules", "rules_1k")}


def _run_mda(quick: bool) -> dict[str, Any]:
    if quick:
        return bench_mda(q=21, f=3, d=1000, repeat=3)
    return bench_mda(q=31, f=5, d=1000, repeat=5)


def _render_mda(r: dict[str, Any], console: Console) -> None:
    t = Table(title=f"exact MDA vs naive enumeration (q = {r['q']}, f = {r['f']}, d = {r['d']}, "
                    f"C(q, f) = {r['subsets']} subsets)")
    for c in ("method", "seconds", "naive / exact", "same subset"):
        t.add_column(c, justify="right" if c != "method" else "left")
    t.add_row("exact (distance matrix once + vertex-cover search)", f"{r['exact_seconds']:.4g}", "1", "-")
    if "naive_recompute_seconds" in r:
        t.add_row("naive: every subset, distances recomputed (ByzFL, Garfield)", f"{r['naive_recompute_seconds']:.4g}",
                  f"{r['ratio_recompute']:.0f}x", "yes" if r["same_subset_recompute"] else "[red]NO[/]")
    t.add_row("naive: every subset, distance matrix computed once", f"{r['naive_matrix_seconds']:.4g}",
              f"{r['ratio_matrix']:.0f}x", "yes" if r["same_subset_matrix"] else "[red]NO[/]")
    console.print(t)


def _run_rules(quick: bool) -> dict[str, Any]:
    if quick:
        return bench_rules(q=21, f=5, d=20_000, repeat=3)
    return bench_rules(q=31, f=5, d=100_000, repeat=5)


def _run_rules_1k(quick: bool) -> dict[str, Any]:
    return bench_rules(q=31, f=5, d=1_000, repeat=3 if quick else 20)


def _render_rules(r: dict[str, Any], console: Console) -> None:
    t = Table(title=f"each rule against numpy.mean over the same q x d array (q = {r['q']}, f = {r['f']}, "
                    f"d = {r['d']}; mean: {r['mean_seconds'] * 1e3:.3g} ms)")
    for c in ("rule", "ms", "rule / mean", "target"):
        t.add_column(c, justify="right" if c != "rule" else "left")
    for row in r["rules"]:
        target = ", ".join(f"<= {x['target']:g}x " + ("met" if x["met"] else "[red]MISSED[/]")
                           for x in row.get("targets", []))
        t.add_row(row["rule"], f"{row['seconds'] * 1e3:.3g}", f"{row['ratio_to_mean']:.1f}x", target or "-")
    console.print(t)
    if r.get("note"):
        console.print(r["note"])


SECTIONS: list[Section] = [
    ("mda", _run_mda, _render_mda),
    ("rules", _run_rules, _render_rules),
    ("rules_1k", _run_rules_1k, _render_rules),
]


def add_section(name: str, run: Callable[[bool], dict[str, Any]], render: Callable[[dict[str, Any], Console], None],
                group: str | None = None) -> None:
    SECTIONS.append((name, run, render))
    if group:
        GROUPS[group] = tuple(GROUPS.get(group, ())) + (name,)


def _register_simulator_sections() -> None:
    bench_sim.register_sections(add_section)


_register_simulator_sections()


def selected(only: str | None) -> list[Section]:
    if not only:
        return list(SECTIONS)
    want: set[str] = set()
    for w in only.split(","):
        w = w.strip()
        want.update(GROUPS.get(w, (w,)))
    known = {s[0] for s in SECTIONS} | set(GROUPS)
    unknown = [w for w in only.split(",") if w.strip() not in known]
    if unknown:
        raise ScenarioError(f"--only {','.join(unknown)}: unknown section; known: {', '.join(sorted(known))}")
    return [s for s in SECTIONS if s[0] in want]


def cmd_bench(args) -> int:
    console = Console()
    if args.json:
        output_file(args.json, "--json")
    sections = selected(args.only)
    results: dict[str, Any] = {"quick": bool(args.quick)}
    for name, run, render in sections:
        with console.status(f"bench {name}{' (quick)' if args.quick else ''} ..."):
            results[name] = run(bool(args.quick))
        render(results[name], console)
    results["targets"] = bench_targets.targets(results)
    bench_targets.render(results["targets"], console)
    if args.json:
        dump_json(results, args.json)
        console.print(f"results written to {args.json}")
    return 0


def register(sub) -> None:
    sp = sub.add_parser("bench", help="benchmarks measured in one run, printed as ratios")
    sp.add_argument("--only", metavar="SECTION", help="comma-separated sections or groups (e.g. rules, mda)")
    sp.add_argument("--quick", action="store_true", help="small sizes: well under a minute")
    sp.add_argument("--json", metavar="PATH", help="write the measured numbers there")
    sp.set_defaults(func=cmd_bench)
