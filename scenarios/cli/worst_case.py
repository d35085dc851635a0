"""``jungle worst-case ALGORITHM --n N --f F [--q Q] [--include-self BOOL] [--json PATH] [--out DIR]
[--time-limit S] [--no-replay]``: the exact worst-case factor of ONE iteration in d = 1, beside the
paper's lemma factor, with a scenario file that replays the worst configuration
(see :mod:`agreement.worstcase` and :mod:`scenarios.explore.worst_case`)."""
from __future__ import annotations

from rich.console import Console

from agreement.worstcase import SUPPORTED
from scenarios.errors import ScenarioError
from scenarios.explore.worst_case import run_worst_case, save_json

_TRUE = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _bool(text: str) -> bool:
    try:
        return _TRUE[text.strip().lower()]
    except KeyError:
        raise ScenarioError(f"--include-self: expected true or false, got {text!r}") from None


def register(sub) -> None:
    sp = sub.add_parser("worst-case", help="exact worst-case contraction factor of one iteration (d = 1), "
                        "with a scenario that replays it")
    sp.add_argument("algorithm", help=f"one of: {', '.join(SUPPORTED)}")
    sp.add_argument("--n", type=int, required=True)
    sp.add_argument("--f", type=int, required=True)
    sp.add_argument("--q", type=int, default=None, help="messages gathered per iteration (default n - f with the "
                    "own vector counted, n - f - 1 without)")
    sp.add_argument("--include-self", type=_bool, default=True, metavar="BOOL",
                    help="a node's own vector counts among its q (default true)")
    sp.add_argument("--json", metavar="PATH", default=None, help="write the report there")
    sp.add_argument("--out", metavar="DIR", default="worst-case", help="directory for the scenario file")
    sp.add_argument("--time-limit", type=float, default=60.0,
                    help="seconds for the MILP (MDA, CVA; default 60): past it the result is a labelled lower bound")
    sp.add_argument("--no-replay", action="store_true", help="do not replay the scenario in the simulator")
    sp.set_defaults(func=cmd_worst_case)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.6g}"


def cmd_worst_case(args) -> int:
    try:
        rep = run_worst_case(args.algorithm, args.n, args.f, q=args.q, include_self=args.include_self,
                             time_limit=args.time_limit, out=args.out, check_replay=not args.no_replay)
    except ImportError as exc:
        raise ScenarioError(f"{args.algorithm}: the MILP needs scipy ({exc}); pip install scipy") from None
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    con = Console(highlight=False, soft_wrap=True)
    lem = rep["lemma"]
    con.print(f"[bold]worst case of one iteration[/]: {rep['algorithm']} (rule {rep['rule']}), n = {rep['n']}, "
              f"f = {rep['f']}, h = {rep['h']}, q = {rep['q']}, own vector {'counted' if rep['include_self'] else 'not counted'}, d = 1")
    frac = f" = {rep['fraction']}" if rep["fraction"] and "/" in rep["fraction"] else ""
    con.print(f"  factor        {rep['factor']:.6g}{frac}  "
              f"{'EXACT' if rep['exact'] else 'LOWER BOUND (upper bound ' + _fmt(rep['upper_bound']) + ')'}"
              f"{'' if rep['attained'] else ', a supremum approached but not attained'}")
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
