"""``jungle table [--quick] [--seeds N] [--json PATH] [--csv PATH] [--workers N] [--dask ADDRESS]
[--rows a,b] [--attacks x,y] [--scenario learn-digits] [--set KEY=VALUE]... [--from-json PATH]``:
argument parsing only; the table itself (rows, columns, cells, worst case) is
:mod:`scenarios.explore.table`."""
from __future__ import annotations

from rich.console import Console

from nodes.attacks import ATTACKS
from scenarios.cli.args import name_list, output_file, positive_int
from scenarios.errors import ScenarioError
from scenarios.explore.executor import Executor
from scenarios.explore.table import DEFAULT_ATTACKS, QUICK_ATTACKS, default_rows, print_table, run_table, write_csv
from scenarios.report.files import read_table
from scenarios.report.results import dump_json
from scenarios.run.execute import prepare
from scenarios.spec.resolve import check_algorithm


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
    ex = Executor(workers=args.workers, dask=args.dask)
    n_jobs = seeds * len(rows) * (len(attacks) + 1)
    console.print(f"LEARN table on {args.scenario}: {len(rows)} rows x {len(attacks) + 1} columns x {seeds} seeds = "
                  f"{n_jobs} runs on {ex.where}")
    out = run_table(args.scenario, sets, rows, attacks, seeds, ex)
    table, results, wall = out["table"], out["runs"], out["wall_seconds"]
    print_table(table, results, Console(width=max(console.width, 200)))
    base = prepare(args.scenario, sets, 1)
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
    sp.add_argument("--workers", type=positive_int, default=2, help="local worker processes (default 2)")
    sp.add_argument("--dask", metavar="ADDRESS", default=None, help="run on a Dask scheduler, e.g. tcp://host:8786")
    sp.add_argument("--rows", type=name_list, default=None,
                    help="comma-separated AVG algorithms / rules (default: available ones + mean)")
    sp.add_argument("--attacks", type=name_list, default=None, help="comma-separated attacks (default: all LEARN attacks)")
    sp.add_argument("--scenario", default="learn-digits")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    sp.add_argument("--json", metavar="PATH")
    sp.add_argument("--csv", metavar="PATH")
    sp.add_argument("--from-json", metavar="PATH", help="print the table of a saved --json result, run nothing")
    sp.set_defaults(func=cmd_table)
