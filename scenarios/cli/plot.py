"""``jungle plot RESULTS [--out DIR]``: plots (PNG and SVG) of a result JSON, a sweep directory or a
thresholds JSON (see :mod:`scenarios.report.plots`)."""
from __future__ import annotations

import json

from scenarios.errors import ScenarioError
from scenarios.report.plots import plot_path


def register(sub) -> None:
    sp = sub.add_parser("plot", help="plot a result JSON, a sweep directory, or a thresholds JSON (PNG and SVG)")
    sp.add_argument("results", help="run JSON (jungle run --json), sweep output directory, or thresholds JSON")
    sp.add_argument("--out", metavar="DIR", default=None, help="where to write the plots (default: plots/ beside the results)")
    sp.set_defaults(func=cmd_plot)


def cmd_plot(args) -> int:
    try:
        paths = plot_path(args.results, args.out)
    except FileNotFoundError as exc:
        raise ScenarioError(f"{args.results}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, KeyError) as exc:
        raise ScenarioError(f"{args.results}: not a jungle result ({exc})") from None
    for p in paths:
        print(p)
    return 0
