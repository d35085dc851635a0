"""``jungle table [--quick] [--seeds N] [--json PATH] [--csv PATH] [--md PATH] [--workers N] [--dask ADDRESS]
[--rows a,b] [--attacks x,y] [--scenario learn-digits] [--set KEY=VALUE]... [--at-threshold] [--from-json PATH]
[--heatmap STEM --fs 1,2 --alphas 0.1,1]``:
argument parsing only; the table itself (rows, columns, cells, worst case) is
:mod:`scenarios.explore.table`."""
from __future__ import annotations

import shlex
import sys

from rich.console import Console

from nodes.attacks import ATTACKS
from scenarios.cli.args import float_list, int_list, name_list, output_file, positive_int
from scenarios.errors import ScenarioError
from scenarios.explore.executor import Executor
from scenarios.explore.table import (
    DEFAULT_ATTACKS,
    QUICK_ATTACKS,
    default_rows,
    markdown,
    print_table,
    row_sets,
    run_heatmap,
    run_table,
    write_csv,
)
from scenarios.report.files import read_table
from scenarios.report.results import dump_json
from scenarios.report.plots import heatmap_plots
from scenarios.run.execute import prepare
from scenarios.spec.resolve import check_algorithm


def cmd_table(args) -> int:
    console = Console()
    if args.from_json:
        if args.md:
            output_file(args.md, "--md")
        return _from_json(args.from_json, console, args.md)
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
        if not r.startswith("server"):
            check_algorithm(r, key="--rows")
        prepare(args.scenario, sets + row_sets(r) + ["algorithm.allow_below_threshold=true"], 0)
    ex = Executor(workers=args.workers, dask=args.dask)
    if args.heatmap:
        return _heatmap(args, rows, attacks, seeds, sets, ex, console)
    n_jobs = seeds * len(rows) * (len(attacks) + 1)
    console.print(f"LEARN table on {args.scenario}: {len(rows)} rows x {len(attacks) + 1} columns x {seeds} seeds = "
                  f"{n_jobs} runs on {ex.where}")
    out = run_table(args.scenario, sets, rows, attacks, seeds, ex, at_threshold=args.at_threshold)
    out["command"] = _command()
    table, results, wall = out["table"], out["runs"], out["wall_seconds"]
    print_table(table, results, Console(width=max(console.width, 200)), out["workload"])
    base = prepare(args.scenario, sets + ["algorithm.allow_below_threshold=true"], 1)
    s, lc = base.system, base.learn
    below = sorted({r["row"] for r in results if r["below_threshold"] and r["row"] in ("icwtm", "mda", "cva", "broadcast")})
    variants = sorted({str(r.get("variant")) for r in results})
    console.print(f"LEARN variant: {'; '.join(variants)}")
    console.print(f"n = {s.n}, f = {s.f}, q = {s.q}, alpha = {lc.alpha}, T = {lc.rounds}, "
                  f"seeds 1..{seeds}; {len(results)} runs in {wall:.0f} s"
                  + (f"; below their paper threshold (run anyway): {', '.join(below)}" if below else ""))
    if args.json:
        dump_json(out, args.json)
        console.print(f"table written to {args.json}")
    if args.csv:
        write_csv(results, args.csv)
        console.print(f"runs written to {args.csv}")
    if args.md:
        with open(args.md, "w") as fh:
            fh.write(markdown(out, out["command"]))
        console.print(f"markdown written to {args.md}")
    return 0


def _command() -> str:
    """The command line as typed (``jungle ...``), for the saved table."""
    return "jungle " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _heatmap(args, rows, attacks, seeds, sets, ex, console) -> int:
    """``--heatmap STEM``: worst-case accuracy over the attacks on the (f, alpha) grid, per row."""
    if not args.fs or not args.alphas:
        raise ScenarioError("--heatmap needs --fs (e.g. 1,2,3) and --alphas (e.g. 0.1,1)")
    n_jobs = seeds * len(rows) * (len(attacks) + 1) * len(args.fs) * len(args.alphas)
    console.print(f"LEARN heatmap on {args.scenario}: {len(rows)} rows x f in {args.fs} x alpha in {args.alphas} x "
                  f"{len(attacks) + 1} columns x {seeds} seeds = {n_jobs} runs on {ex.where}")
    hm = run_heatmap(args.scenario, sets, rows, attacks, args.fs, args.alphas, seeds, ex)
    hm["command"] = _command()
    for row in rows:
        console.print(f"{row}: worst case (%) by f (rows) x alpha (columns) {args.alphas}")
        for f, line in zip(args.fs, hm["worst"][row]):
            console.print(f"  f = {f}: " + "  ".join("-" if v is None else f"{100 * v:5.1f}" for v in line))
    console.print(f"{len(hm['runs'])} runs in {hm['wall_seconds']:.0f} s")
    dump_json(hm, f"{args.heatmap}.json")
    paths = heatmap_plots(hm, args.heatmap)
    console.print(f"heatmap written to {args.heatmap}.json, " + ", ".join(map(str, paths)))
    return 0


def _from_json(path: str, console, md: str | None = None) -> int:
    """Print the table of a saved ``--json`` result (and write it as markdown to ``md``), run nothing."""
    saved = read_table(path, "--from-json")
    try:
        print_table(saved["table"], saved["runs"], Console(width=max(console.width, 200)))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScenarioError(f"--from-json {path!r}: not a complete saved table ({type(exc).__name__}: {exc})") from None
    console.print(f"{len(saved['runs'])} runs in {saved['wall_seconds']:.0f} s; overrides {saved['sets']}")
    if md:
        try:
            text = markdown(saved, saved.get("command", f"jungle table (overrides {saved['sets']})"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ScenarioError(f"--from-json {path!r}: cannot render markdown ({type(exc).__name__}: {exc})") from None
        with open(md, "w") as fh:
            fh.write(text)
        console.print(f"markdown written to {md}")
    return 0


def register(sub) -> None:
    sp = sub.add_parser("table", help="LEARN aggregation x attacks table (NNM Table 2 shape), or a worst-case heatmap")
    sp.add_argument("--quick", action="store_true", help="1 seed, 20 rounds, 5 attacks")
    sp.add_argument("--seeds", type=positive_int, default=None, help="seeds 1..N (default 3, 1 with --quick)")
    sp.add_argument("--workers", type=positive_int, default=2, help="local worker processes (default 2)")
    sp.add_argument("--dask", metavar="ADDRESS", default=None, help="run on a Dask scheduler, e.g. tcp://host:8786")
    sp.add_argument("--rows", type=name_list, default=None,
                    help="comma-separated AVG algorithms / rules (default: available ones + mean)")
    sp.add_argument("--attacks", type=name_list, default=None, help="comma-separated attacks (default: all LEARN attacks)")
    sp.add_argument("--scenario", default="learn-digits")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    sp.add_argument("--json", metavar="PATH")
    sp.add_argument("--csv", metavar="PATH")
    sp.add_argument("--md", metavar="PATH", help="also write the table as markdown (command, variant, seeds, wall time, "
                                                 "n, f and threshold per row)")
    sp.add_argument("--at-threshold", action="store_true",
                    help="run each row at the smallest n >= the scenario's at which its paper threshold holds")
    sp.add_argument("--heatmap", metavar="STEM", help="instead of the table: worst-case accuracy over the attacks on "
                                                      "the (f, alpha) grid, per row, at threshold n; STEM.json/.png/.svg")
    sp.add_argument("--fs", type=int_list, default=None, help="--heatmap: comma-separated f values")
    sp.add_argument("--alphas", type=float_list, default=None, help="--heatmap: comma-separated alpha values")
    sp.add_argument("--from-json", metavar="PATH", help="print the table of a saved --json result, run nothing")
    sp.set_defaults(func=cmd_table)
