"""``jungle thresholds [--f 1,2,3] [--algorithms ...] [--json PATH]`` (see :mod:`scenarios.explore.thresholds`)."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

from rich.console import Console

from net.schedules import SCHEDULES
from nodes.attacks import ATTACKS, BROADCAST_ATTACKS
from scenarios.cli.args import int_list, name_list, non_negative_int, output_dir, output_file, positive_int, seed_list
from scenarios.errors import ScenarioError
from scenarios.explore.executor import Executor
from scenarios.explore.thresholds import Options, markdown, print_table, run_thresholds, save_json
from scenarios.report.plots import save, thresholds_figure
from scenarios.run.protocols import protocol_class
from scenarios.spec.inputs import kinds
from scenarios.spec.resolve import DEFAULT_RULE, check_algorithm
from scenarios.spec.schema import MAX_T


def register(sub) -> None:
    sp = sub.add_parser("thresholds", help="find, by experiment, the n at which each algorithm stops being broken")
    sp.add_argument("--f", type=int_list, default=[1, 2], help="values of f, comma-separated (default 1,2)")
    sp.add_argument("--algorithms", type=name_list, default=list(DEFAULT_RULE),
                    help="comma-separated algorithm or rule names (default icwtm,mda,cva,broadcast)")
    sp.add_argument("--json", metavar="PATH", default=None, help="write the table (with every counterexample) there")
    sp.add_argument("--out", metavar="DIR", default="thresholds", help="directory for counterexamples and the chart")
    sp.add_argument("--below", type=non_negative_int, default=2, help="how many n below the claimed threshold (default 2)")
    sp.add_argument("--above", type=non_negative_int, default=1, help="how many n above the claimed threshold (default 1)")
    sp.add_argument("--seeds", type=seed_list, default=[1, 2], help="seeds per attack and schedule (seed i uses inputs kind i)")
    sp.add_argument("--inputs", type=name_list, default=["gaussian", "clusters"], help="input kinds, cycled over the seeds")
    sp.add_argument("--dim", type=positive_int, default=2)
    sp.add_argument("--t", type=non_negative_int, default=1, help="target contraction 2^-t (iterations N(t) from the theory)")
    sp.add_argument("--exclude-self", action="store_true", help="a node's own vector does not count among its q")
    sp.add_argument("--attacks", type=name_list, default=None, help="only these attacks (default: every shipped one)")
    sp.add_argument("--schedules", type=name_list, default=None, help="only these schedules (default: every shipped one)")
    sp.add_argument("--quick", action="store_true",
                    help="each attack x schedule pair on one seed (seeds alternate over the pairs); default: every seed")
    sp.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # the default since session 2; kept
    sp.add_argument("--search-budget", type=positive_int, default=Options.search_budget,
                    help=f"search adversary's budget per n, in iterations x n^2 units (default {Options.search_budget}; "
                         f"{Options.search_min} to {Options.search_max} candidate runs)")
    sp.add_argument("--search-restarts", type=positive_int, default=Options.search_restarts,
                    help="independent searches per n, sharing the budget (default %(default)s)")
    sp.add_argument("--workers", type=positive_int, default=None, help="local worker processes (default: one per core)")
    sp.add_argument("--dask", metavar="ADDRESS", default=None,
                    help="spread the (algorithm, f, n) units over a Dask cluster, e.g. tcp://host:8786")
    sp.add_argument("--no-plot", action="store_true")
    sp.add_argument("--quiet", action="store_true")
    sp.set_defaults(func=cmd_thresholds)


def _check_names(args) -> None:
    """Every name given is known (one line naming the option and the closest name otherwise)."""
    for a in args.algorithms:
        check_algorithm(a, key="--algorithms")
        if protocol_class(a).learn_only:
            raise ScenarioError(f"--algorithms {a!r} runs LEARN scenarios only; thresholds runs agreement")
    for option, names, known in (("--attacks", args.attacks, {**ATTACKS, **BROADCAST_ATTACKS}),
                                 ("--schedules", args.schedules, SCHEDULES), ("--inputs", args.inputs, kinds())):
        for name in names or []:
            if name not in known:
                raise ScenarioError(f"{option} {name!r} is unknown; known: {', '.join(sorted(known))}")
    if args.t > MAX_T:
        raise ScenarioError(f"--t {args.t}: must be <= {MAX_T}")


def cmd_thresholds(args) -> int:
    _check_names(args)
    out = output_dir(args.out, "--out")
    if args.json:
        output_file(args.json, "--json")
    o = Options(fs=args.f, algorithms=args.algorithms, below=args.below, above=args.above, seeds=args.seeds,
                inputs=args.inputs, dim=args.dim, t=args.t, include_self=not args.exclude_self,
                search_budget=args.search_budget, out=args.out, full=args.full or not args.quick,
                search_restarts=args.search_restarts, attacks=args.attacks, schedules=args.schedules)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    table = run_thresholds(o, executor=Executor(workers=args.workers, dask=args.dask, progress=not args.quiet,
                                                every=1))
    # what the run was, kept with its table (read by `jungle bench`'s explorer target)
    table["wall_seconds"] = time.perf_counter() - t0
    table["command"] = "jungle " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["thresholds"] \
        else "jungle thresholds"
    table["machine"] = {"workers": args.workers or (None if args.dask else os.cpu_count()), "dask": args.dask,
                        "cpus": os.cpu_count(), "load_average_at_start": load}
    console = Console()
    print_table(table, console)
    save_json(table, args.json or out / "thresholds.json")
    (out / "thresholds.md").write_text(markdown(table))
    console.print(f"table: {args.json or out / 'thresholds.json'} and {out / 'thresholds.md'}")
    if not args.no_plot:
        paths = save(thresholds_figure(table), out / "thresholds")
        console.print(f"chart: {', '.join(str(p) for p in paths)}")
    return 0
