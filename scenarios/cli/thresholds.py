"""``jungle thresholds [--f 1,2,3] [--algorithms ...] [--json PATH]`` (see :mod:`scenarios.explore.thresholds`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from agreement.rules import get_rule
from scenarios.errors import ScenarioError
from scenarios.explore.thresholds import Options, markdown, print_table, run_thresholds, save_json
from scenarios.report.plots import save, thresholds_figure


def _ints(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ScenarioError(f"expected comma-separated integers, got {text!r}") from None
    if not out or min(out) < 1:
        raise ScenarioError(f"expected integers >= 1, got {text!r}")
    return out


def register(sub) -> None:
    sp = sub.add_parser("thresholds", help="find, by experiment, the n at which each algorithm stops being broken")
    sp.add_argument("--f", default="1,2", help="values of f, comma-separated (default 1,2)")
    sp.add_argument("--algorithms", default="icwtm,mda,cva,broadcast",
                    help="comma-separated algorithm or rule names (default icwtm,mda,cva,broadcast)")
    sp.add_argument("--json", metavar="PATH", default=None, help="write the table (with every counterexample) there")
    sp.add_argument("--out", metavar="DIR", default="thresholds", help="directory for counterexamples and the chart")
    sp.add_argument("--below", type=int, default=2, help="how many n below the claimed threshold (default 2)")
    sp.add_argument("--above", type=int, default=1, help="how many n above the claimed threshold (default 1)")
    sp.add_argument("--seeds", default="1,2", help="seeds per attack and schedule (seed i uses inputs kind i)")
    sp.add_argument("--inputs", default="gaussian,clusters", help="input kinds, cycled over the seeds")
    sp.add_argument("--dim", type=int, default=2)
    sp.add_argument("--t", type=int, default=1, help="target contraction 2^-t (iterations N(t) from the theory)")
    sp.add_argument("--exclude-self", action="store_true", help="a node's own vector does not count among its q")
    sp.add_argument("--attacks", default=None, help="only these attacks (default: every shipped one)")
    sp.add_argument("--schedules", default=None, help="only these schedules (default: every shipped one)")
    sp.add_argument("--quick", action="store_true",
                    help="each attack x schedule pair on one seed (seeds alternate over the pairs); default: every seed")
    sp.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # the default since session 2; kept
    sp.add_argument("--search-budget", type=int, default=Options.search_budget,
                    help=f"search adversary's budget per n, in iterations x n^2 units (default {Options.search_budget}; "
                         f"{Options.search_min} to {Options.search_max} candidate runs)")
    sp.add_argument("--search-restarts", type=int, default=Options.search_restarts,
                    help="independent searches per n, sharing the budget (default %(default)s)")
    sp.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    sp.add_argument("--no-plot", action="store_true")
    sp.add_argument("--quiet", action="store_true")
    sp.set_defaults(func=cmd_thresholds)


def cmd_thresholds(args) -> int:
    algs = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    if not algs:
        raise ScenarioError("--algorithms: give at least one name")

    for a in algs:
        if a not in ("icwtm", "mda", "cva", "broadcast"):
            try:
                get_rule(a)
            except KeyError as exc:
                raise ScenarioError(f"--algorithms: {exc.args[0]}") from None
    o = Options(fs=_ints(args.f), algorithms=algs, below=max(0, args.below), above=max(0, args.above),
                seeds=[int(s) for s in args.seeds.split(",")], inputs=[s.strip() for s in args.inputs.split(",")],
                dim=args.dim, t=args.t, include_self=not args.exclude_self, search_budget=args.search_budget,
                out=args.out, full=args.full or not args.quick, search_restarts=max(1, args.search_restarts),
                attacks=[a.strip() for a in args.attacks.split(",")] if args.attacks else None,
                schedules=[a.strip() for a in args.schedules.split(",")] if args.schedules else None)
    table = run_thresholds(o, workers=args.workers, progress=not args.quiet)
    console = Console()
    print_table(table, console)
    out = Path(args.out)
    save_json(table, args.json or out / "thresholds.json")
    (out / "thresholds.md").write_text(markdown(table))
    console.print(f"table: {args.json or out / 'thresholds.json'} and {out / 'thresholds.md'}")
    if not args.no_plot:
        paths = save(thresholds_figure(table), out / "thresholds")
        console.print(f"chart: {', '.join(str(p) for p in paths)}")
    return 0
