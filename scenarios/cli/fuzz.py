"""``jungle fuzz [--protocol NAME]... [--count N] [--seed S] [--json PATH]``: mutate signed messages and
protocol messages against the validator and every protocol machine (see :mod:`scenarios.explore.fuzz`).

Prints, per protocol, the mutations tried, how many the validator accepted, escaped exceptions,
accepted forgeries, accepted non-canonical encodings, each machine's peak memory against its stated
bound, and the rejections by reason. Exit status 1 when any of the four promises is broken, else 0.
``--count`` is the number of mutations per protocol.
"""
from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scenarios.errors import ScenarioError
from scenarios.explore.fuzz import Fuzzer, make_target, target_names
from scenarios.report.results import dump_json


def register(sub) -> None:
    sp = sub.add_parser("fuzz", help="mutate messages against the validator and every protocol machine; "
                                     "exit 1 on an escaped exception, a forgery, a non-canonical acceptance "
                                     "or a machine beyond its memory bound")
    sp.add_argument("--protocol", action="append", metavar="NAME",
                    help=f"a protocol to fuzz (repeatable; default: all of {', '.join(target_names())})")
    sp.add_argument("--count", type=int, default=20_000, help="mutations per protocol (default %(default)s)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--json", metavar="PATH", help="write the reports there")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_fuzz)


def _mib(x) -> str:
    return "-" if x is None else f"{x / 2 ** 20:.2f}"


def cmd_fuzz(args) -> int:
    if args.count < 1:
        raise ScenarioError("--count must be >= 1")
    names = args.protocol or target_names()
    for n in names:
        if n not in target_names() and n != "icwtm":
            raise ScenarioError(f"--protocol {n!r} is unknown; known: {', '.join(target_names())}")
    console = Console()
    reports = []
    t0 = time.perf_counter()
    for name in names:
        fz = Fuzzer(make_target(name), seed=args.seed)
        if args.quiet:
            reports.append(fz.run(args.count))
            continue
        with Progress(TextColumn("[bold]fuzz {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(name, total=args.count)
            reports.append(fz.run(args.count, lambda k: bar.update(task, completed=k)))
    total = time.perf_counter() - t0

    t = Table(title=f"jungle fuzz: {args.count:,} mutations per protocol, seed {args.seed} ({total:.1f} s)")
    for c in ("protocol", "mutations", "accepted", "escaped", "forged", "non-canon.", "memory peak/bound", "s"):
        t.add_column(c, justify="left" if c == "protocol" else "right")
    for r in reports:
        worst = max(r.memory, key=lambda m: m["max_bytes"] / m["bound"] if m["bound"] else 0.0)
        mem = (f"{_mib(worst['max_bytes'])}/{_mib(worst['bound'])} MiB" if worst["bound"] else
               f"{_mib(worst['max_bytes'])} MiB/no bound")
        t.add_row(r.protocol, f"{r.count:,}", f"{r.accepted:,}", str(sum(r.escaped.values())), str(r.forgeries),
                  str(r.non_canonical), mem, f"{r.seconds:.1f}")
    console.print(t)
    reasons = sorted({k for r in reports for k in r.rejected})
    rt = Table(title="rejections by reason (validator and machines)")
    rt.add_column("reason")
    for r in reports:
        rt.add_column(r.protocol, justify="right")
    for k in reasons:
        rt.add_row(k, *[f"{r.rejected.get(k, 0):,}" for r in reports])
    console.print(rt)
    bad = [(r.protocol, v) for r in reports for v in r.violations()]
    for proto, v in bad:
        console.print(f"[red]VIOLATED[/] {proto}: {v}")
    for r in reports:
        for ex in r.examples[:3]:
            console.print(f"  {r.protocol}: {ex}")
    if not bad:
        console.print("[green]every promise held[/]: 0 escaped exceptions, 0 forgeries, 0 non-canonical "
                      "acceptances, every machine within its bound")
    if args.json:
        dump_json({"count": args.count, "seed": args.seed, "seconds": total,
                   "reports": [r.as_dict() for r in reports]}, args.json)
        console.print(f"reports written to {args.json}")
    return 1 if bad else 0
