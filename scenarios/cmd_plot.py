"""``jungle plot RESULTS [--out DIR]``: plots (PNG and SVG) of a result JSON, a sweep directory or a
thresholds JSON (see :mod:`scenarios.plots`)."""
from __future__ import annotations


def register(sub) -> None:
    sp = sub.add_parser("plot", help="plot a result JSON, a sweep directory, or a thresholds JSON (PNG and SVG)")
    sp.add_argument("results", help="run JSON (jungle run --json), sweep output directory, or thresholds JSON")
    sp.add_argument("--out", metavar="DIR", default=None, help="where to write the plots (default: plots/ beside the results)")
    sp.set_defaults(func=cmd_plot)


def cmd_plot(args) -> int:
    import json

    from .config import ScenarioError

    try:
        from .plots import plot_path
    except ModuleNotFoundError as exc:  # pragma: no cover - matplotlib missing
        raise ScenarioError("plots need matplotlib: pip install 'jungle[plot]'") from exc
    try:
        paths = plot_path(args.results, args.out)
    except FileNotFoundError as exc:
        raise ScenarioError(f"{args.results}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, KeyError) as exc:
        raise ScenarioError(f"{args.results}: not a jungle result ({exc})") from None
    for p in paths:
        print(p)
    return 0
