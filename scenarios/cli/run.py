"""``jungle list`` and ``jungle run SCENARIO`` (DESIGN.md, CLI contract)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from scenarios.cli.args import output_dir, output_file, seed
from scenarios.report.plots import run_plots
from scenarios.report.results import dump_json
from scenarios.report.text import print_compare, print_summary
from scenarios.errors import ScenarioError
from scenarios.run.execute import execute, prepare, traceable
from scenarios.run.tracing import TraceOut
from scenarios.spec.files import builtin_names


def cmd_list(args) -> int:
    if args.names:
        print("\n".join(builtin_names()))
        return 0
    table = Table(show_header=True)
    table.add_column("scenario")
    table.add_column("kind")
    table.add_column("what it shows")
    for name in builtin_names():
        sc = prepare(name).scenario
        table.add_row(name, sc.kind, sc.description)
    Console().print(table)
    return 0


def cmd_run(args) -> int:
    # every path is checked before the run starts: a long run never ends on an unwritable path
    if args.json:
        output_file(args.json, "--json")
    if args.plot:
        output_dir(args.plot, "--plot")
    if args.trace:
        output_file(args.trace, "--trace")
    scenario = prepare(args.scenario, args.set, args.seed)
    trace = None
    if args.trace:
        why = traceable(scenario)
        if why is not None:
            raise ScenarioError(f"--trace: {why}")
        trace = TraceOut(args.trace)
    result = execute(scenario, progress=not args.quiet, trace=trace)
    console = Console()
    if not args.quiet:
        if "variants" in result:
            print_compare(result, console)
        else:
            print_summary(result, console)
    if args.check_determinism:
        again = execute(prepare(args.scenario, args.set, args.seed), progress=False)
        same = again["trace_digest"] == result["trace_digest"]
        result["determinism"] = {"holds": same, "first": result["trace_digest"], "second": again["trace_digest"]}
        console.print(f"determinism: {'[green]same digest twice[/]' if same else '[red]DIFFERENT digests[/]'} "
                      f"({result['trace_digest'][:16]} / {again['trace_digest'][:16]})")
    if args.json:
        dump_json(result, args.json)
        if not args.quiet:
            console.print(f"result written to {args.json}")
    if args.trace and not args.quiet:
        console.print(f"trace written to {args.trace}: {trace.deliveries} deliveries (digest {result['trace_digest'][:16]})")
    if args.plot:
        paths = run_plots(result, args.plot)
        if not args.quiet:
            console.print(f"plots written to {args.plot}: {', '.join(p.name for p in paths)}")
    return 0


def register(sub) -> None:
    sp = sub.add_parser("list", help="the built-in scenarios")
    sp.add_argument("--names", action="store_true", help="only the names, one per line (for scripts)")
    sp.set_defaults(func=cmd_list)
    sp = sub.add_parser("run", help="run a scenario (built-in name or TOML file)")
    sp.add_argument("scenario")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key, e.g. system.n=31")
    sp.add_argument("--seed", type=seed, default=None)
    sp.add_argument("--json", metavar="PATH", help="write the result JSON there")
    sp.add_argument("--check-determinism", action="store_true", help="run twice and compare trace digests")
    sp.add_argument("--quiet", action="store_true", help="no summary, no progress bar")
    sp.add_argument("--plot", metavar="DIR", default=None, help="write the run's plots (PNG and SVG) there")
    sp.add_argument("--trace", metavar="PATH", default=None,
                    help="write the delivery trace there, JSON Lines (the data the trace digest hashes)")
    sp.set_defaults(func=cmd_run)
