"""``jungle sweep GRID.toml [--workers N] [--dask ADDRESS] [--out DIR]`` (see :mod:`scenarios.explore.sweep`)."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from scenarios.cli.args import output_dir, positive_int
from scenarios.errors import ScenarioError
from scenarios.explore.sweep import load_grid, run_sweep
from scenarios.spec.files import grid_dir
from scenarios.spec.validation import closest


def register(sub) -> None:
    sp = sub.add_parser("sweep", help="run the Cartesian product of a grid file (resumable; local processes or Dask)")
    sp.add_argument("grid", help="a scenario TOML file in which any key may hold a list (built-in grid name or path)")
    sp.add_argument("--workers", type=positive_int, default=None, help="local worker processes (default: one per core)")
    sp.add_argument("--dask", metavar="ADDRESS", default=None, help="run on an existing Dask scheduler, e.g. tcp://host:8786")
    sp.add_argument("--out", metavar="DIR", default=None, help="output directory (default: sweeps/<grid name>)")
    sp.add_argument("--no-plot", action="store_true", help="do not draw the sweep's plots")
    sp.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    sp.set_defaults(func=cmd_sweep)


def builtin_grids() -> list[str]:
    return sorted(p.name[:-5] for p in grid_dir().iterdir() if p.name.endswith(".toml"))


def grid_path(name: str) -> str:
    """A path as given, or a built-in grid's path; one line when it is neither."""
    p = Path(name)
    if p.exists() or p.suffix == ".toml" or "/" in name:
        return name
    g = grid_dir() / f"{name}.toml"
    if g.is_file():
        return str(g)
    hint = closest(name, builtin_grids())
    raise ScenarioError(f"unknown grid {name!r}{f' (did you mean {hint!r}?)' if hint else ''}; built-in grids: "
                        f"{', '.join(builtin_grids())}, or give a path to a .toml file")


def cmd_sweep(args) -> int:
    path = grid_path(args.grid)
    grid = load_grid(path)
    out = output_dir(args.out or Path("sweeps") / Path(path).stem, "--out")
    console = Console(stderr=True)
    if not args.quiet:
        console.print(f"grid {path}: {len(grid.axes)} axes ({', '.join(grid.swept) or 'none'}), "
                      f"{len(grid.seeds)} seeds, {len(grid.points)} runs -> {out}")
    rep = run_sweep(grid, out, workers=args.workers, dask=args.dask, progress=not args.quiet,
                    write_plots=not args.no_plot)
    if not args.quiet:
        console.print(f"ran {len(rep.ran)}, already done {len(rep.skipped)}, invalid {rep.invalid}; "
                      f"table {rep.csv_path}; runs in {out / 'runs'}"
                      + ("" if args.no_plot else f"; plots in {out / 'plots'}"))
        bad = [p for p in grid.points if p.scenario is None]
        for p in bad[:5]:
            console.print(f"  invalid {p.values} seed {p.seed}: {p.error}")
    return 0
