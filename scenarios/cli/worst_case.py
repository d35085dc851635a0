"""``jungle worst-case ALGORITHM --n N --f F [--q Q] [--include-self BOOL] [--json PATH] [--out DIR]
[--time-limit S] [--no-replay] [--markdown PATH]``: the exact worst-case factor of ONE iteration in
d = 1, beside the paper's lemma factor, with a scenario file that replays the worst configuration
(see :mod:`agreement.worstcase` and :mod:`scenarios.explore.worst_case`).

ALGORITHM, ``--n`` and ``--f`` also take lists (``icwtm,mda``, ``5,6,9-11``): every combination is
computed (q its default) and a table printed; ``--json`` then writes the list of reports and
``--markdown`` the table."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agreement.worstcase import SUPPORTED, default_q
from scenarios.cli.args import output_dir, output_file, positive_int
from scenarios.errors import ScenarioError
from scenarios.explore.worst_case import cases, markdown, run_worst_case, save_json
from scenarios.spec.validation import short

_TRUE = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _bool(text: str) -> bool:
    try:
        return _TRUE[text.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"expected true or false, got {short(text)}") from None


def _ranges(text: str, lo: int, what: str) -> list[int]:
    out = []
    try:
        for part in text.split(","):
            a, _, b = part.strip().partition("-")
            out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what} such as 5 or 5,6,9-11, got {short(text)}") from None
    if not out or min(out) < lo:
        raise argparse.ArgumentTypeError(f"expected {what} such as 5 or 5,6,9-11, got {short(text)}")
    return out


def n_list(text: str) -> list[int]:
    return _ranges(text, 1, "integers >= 1")


def f_list(text: str) -> list[int]:
    return _ranges(text, 0, "integers >= 0")


def seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {short(text)}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {short(text)}")
    return v


def algorithm_list(text: str) -> list[str]:
    algs = [a.strip() for a in str(text).split(",") if a.strip()]
    if not algs:
        raise argparse.ArgumentTypeError(f"expected comma-separated algorithms, got {short(text)}")
    for a in algs:
        if a not in SUPPORTED:
            raise argparse.ArgumentTypeError(f"unknown algorithm {a!r}; known: {', '.join(SUPPORTED)}")
    return algs


def check_case(n: int, f: int, q: int | None, include_self: bool) -> None:
    """One line (ScenarioError) unless (n, f, q) is a one-step problem: 2f < q, h = n - f >= 2."""
    if n <= 2 * f:
        raise ScenarioError(f"--n {n} <= 2f = {2 * f}: a one-step problem needs 2f < q <= n")
    if n - f < 2:
        raise ScenarioError(f"--n {n}, --f {f}: at least two honest nodes (n - f >= 2) are needed for a spread")
    qq = default_q(n, f, include_self) if q is None else q
    if qq <= 2 * f:
        raise ScenarioError(f"q = {qq}{' (the default)' if q is None else ''} <= 2f = {2 * f} at n = {n}: "
                            f"a one-step problem needs 2f < q (the rule can output a Byzantine value)")


def register(sub) -> None:
    sp = sub.add_parser("worst-case", help="exact worst-case contraction factor of one iteration (d = 1), "
                        "with a scenario that replays it")
    sp.add_argument("algorithm", type=algorithm_list, help=f"one of: {', '.join(SUPPORTED)} (or a comma-separated list)")
    sp.add_argument("--n", type=n_list, required=True, help="n, or a list such as 5,6,9-11")
    sp.add_argument("--f", type=f_list, required=True, help="f, or a list")
    sp.add_argument("--q", type=positive_int, default=None, help="messages gathered per iteration (default n - f with the "
                    "own vector counted, n - f - 1 without)")
    sp.add_argument("--include-self", type=_bool, default=True, metavar="BOOL",
                    help="a node's own vector counts among its q (default true)")
    sp.add_argument("--json", metavar="PATH", default=None, help="write the report there")
    sp.add_argument("--out", metavar="DIR", default="worst-case", help="directory for the scenario file")
    sp.add_argument("--time-limit", type=seconds, default=60.0,
                    help="seconds for the MILP (MDA, CVA; default 60): past it the result is a labelled lower bound")
    sp.add_argument("--no-replay", action="store_true", help="do not replay the scenario in the simulator")
    sp.add_argument("--markdown", metavar="PATH", default=None, help="with lists: write the table as markdown")
    sp.set_defaults(func=cmd_worst_case)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.6g}"


def _run(args, alg: str, n: int, f: int) -> dict:
    try:
        return run_worst_case(alg, n, f, q=args.q, include_self=args.include_self, time_limit=args.time_limit,
                              out=args.out, check_replay=not args.no_replay)
    except ImportError as exc:
        raise ScenarioError(f"{alg}: the MILP needs scipy ({exc}); pip install scipy") from None
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None


def cmd_worst_case(args) -> int:
    algs, ns, fs = args.algorithm, args.n, args.f
    single = len(algs) == 1 and len(ns) == 1 and len(fs) == 1
    if single:
        check_case(ns[0], fs[0], args.q, args.include_self)
    elif args.q is not None:
        raise ScenarioError("--q: give one (algorithm, n, f) with --q, or leave q to its default for a table")
    output_dir(args.out, "--out")
    for option, path in (("--json", args.json), ("--markdown", args.markdown)):
        if path:
            output_file(path, option)
    if single:
        return _single(args, _run(args, algs[0], ns[0], fs[0]))
    con = Console(highlight=False, soft_wrap=True)
    rows = []
    for alg, f, n in cases(algs, fs, ns, args.include_self):
        rows.append(_run(args, alg, n, f))
    t = Table(title=f"worst case of one iteration (d = 1, own vector {'counted' if args.include_self else 'not counted'})")
    for col in ("algorithm", "n", "f", "q", "factor", "exact", "upper bound", "lemma factor", "s", "replay"):
        t.add_column(col)
    for r in rows:
        frac = f" = {r['fraction']}" if r.get("fraction") and "/" in r["fraction"] else ""
        rp = r.get("replay", {})
        t.add_row(r["algorithm"], str(r["n"]), str(r["f"]), str(r["q"]), f"{r['factor']:.6g}{frac}",
                  "yes" if r["exact"] else "LOWER BOUND", _fmt(r["upper_bound"]), _fmt(r["lemma_factor"]),
                  f"{r['seconds']:.1f}", "-" if not rp else ("ok" if rp["holds"] else "FAILS"))
    con.print(t)
    if args.json:
        con.print(f"json: {save_json(rows, args.json)}")
    if args.markdown:
        p = Path(args.markdown)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(markdown(rows))
        con.print(f"markdown: {p}")
    return 0


def _single(args, rep: dict) -> int:
    con = Console(highlight=False, soft_wrap=True)
    lem = rep["lemma"]
    con.print(f"[bold]worst case of one iteration[/]: {rep['algorithm']} (rule {rep['rule']}), n = {rep['n']}, "
              f"f = {rep['f']}, h = {rep['h']}, q = {rep['q']}, own vector {'counted' if rep['include_self'] else 'not counted'}, d = 1")
    frac = f" = {rep['fraction']}" if rep["fraction"] and "/" in rep["fraction"] else ""
    con.print(f"  factor        {rep['factor']:.6g}{frac}  "
              f"{'EXACT' if rep['exact'] else 'LOWER BOUND (upper bound ' + _fmt(rep['upper_bound']) + ')'}"
              f"{'' if rep['attained'] else ', a supremum (the configuration approaches it)'}")
    if lem["factor"] is None:
        con.print(f"  lemma factor  {lem['note']} [{lem['source']}]")
    else:
        con.print(f"  lemma factor  {lem['factor']:.6g}  ({lem['source']}; {lem['note']})")
    con.print(f"  method        {rep['method']}  [{rep['seconds']:.2f} s]")
    for note in rep["notes"]:
        con.print(f"  note          {note}")
    cfg = rep["configuration"]
    con.print(f"  inputs        {cfg['x']}")
    con.print(f"  scenario      {rep['scenario_file']}  (configuration factor {rep['replayed_factor']:.12g})")
    if "replay" in rep:
        r = rep["replay"]
        con.print(f"  replay        {r['command']}: measured {_fmt(r['measured'])}, "
                  f"{'reproduces the factor' if r['holds'] else 'DOES NOT reproduce the factor'}")
    if args.json:
        con.print(f"  json          {save_json(rep, args.json)}")
    return 0
