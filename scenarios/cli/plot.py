"""``jungle plot RESULTS [--out DIR]``: plots (PNG and SVG) of a result JSON, a sweep directory or a
thresholds JSON (see :mod:`scenarios.report.plots`)."""
from __future__ import annotations

from pathlib import Path

from scenarios.cli.args import input_path, output_dir
from scenarios.errors import ScenarioError
from scenarios.report.files import read_result
from scenarios.report.plots import plot_results, plot_sweep_dir


def register(sub) -> None:
    sp = sub.add_parser("plot", help="plot a result JSON, a sweep directory, or a thresholds JSON (PNG and SVG)")
    sp.add_argument("results", help="run JSON (jungle run --json), sweep output directory, or thresholds JSON")
    sp.add_argument("--out", metavar="DIR", default=None, help="where to write the plots (default: plots/ beside the results)")
    sp.set_defaults(func=cmd_plot)


def cmd_plot(args) -> int:
    p = input_path(args.results, "RESULTS", directory=True)
    out = output_dir(args.out or (p / "plots" if p.is_dir() else p.parent / "plots"), "--out")
    if p.is_dir():
        runs = p / "runs" if (p / "runs").is_dir() else p
        results = [read_result(f, "result") for f in sorted(runs.glob("*.json"))]
        if not results:
            raise ScenarioError(f"RESULTS {str(p)!r}: no result JSON in this directory (nor in its runs/)")
        paths = plot_sweep_dir(results, out, title=p.name)
    else:
        paths = _plot_one(read_result(p, "RESULTS"), out)
    for path in paths:
        print(path)
    return 0


def _plot_one(data, out: Path) -> list[Path]:
    try:
        return plot_results(data, out)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ScenarioError(f"RESULTS: not a complete jungle result ({type(exc).__name__}: {exc})") from None
