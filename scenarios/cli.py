"""The ``jungle`` command line (DESIGN.md, CLI contract)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .config import ScenarioError


def _json_default(o: Any):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def dump_json(result: dict[str, Any], path: str) -> None:
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(result, indent=2, default=_json_default, allow_nan=True) + "\n")


def prepare(scenario: str, sets: list[str], seed: int | None) -> dict[str, Any]:
    from .config import apply_set, load
    from .resolve import resolve

    data = load(scenario)
    for s in sets or []:
        apply_set(data, s)
    compare = data.pop("compare", None)
    cfg = resolve(data, seed=seed)
    if compare is not None:
        from .compare import resolve_variants

        cfg["_variants"] = resolve_variants(data, compare, seed)
        cfg["compare"] = compare
    return cfg


def execute(cfg: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """Run a resolved scenario of any kind, with a progress bar on stderr when asked."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    kind = cfg["scenario"]["kind"]
    if "_variants" in cfg:
        from .compare import run_compare

        return run_compare(cfg, lambda c: execute(c, progress=progress))
    if kind == "learn":
        try:
            from .learn_runner import run_learn
        except ModuleNotFoundError as exc:
            raise ScenarioError("scenario.kind = \"learn\" is not available in this build") from exc
        return run_learn(cfg, progress=progress)
    from .runner import run_agreement

    if not progress:
        return run_agreement(cfg)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed} deliveries"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(cfg["scenario"]["name"], total=None)
        return run_agreement(cfg, progress=lambda step: bar.update(task, completed=step))


def cmd_list(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from .config import builtin_names, load

    table = Table(show_header=True)
    table.add_column("scenario")
    table.add_column("kind")
    table.add_column("what it shows")
    for name in builtin_names():
        data = load(name)
        sc = data.get("scenario", {})
        table.add_row(name, sc.get("kind", "agreement"), sc.get("description", ""))
    Console().print(table)
    return 0


def cmd_run(args) -> int:
    from rich.console import Console

    from .report import print_summary

    cfg = prepare(args.scenario, args.set, args.seed)
    result = execute(cfg, progress=not args.quiet)
    console = Console()
    if not args.quiet:
        if "variants" in result:
            from .compare import print_compare

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
    if getattr(args, "plot", None):
        from .plots import run_plots

        paths = run_plots(result, args.plot)
        if not args.quiet:
            console.print(f"plots written to {args.plot}: {', '.join(p.name for p in paths)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jungle", description="Asynchronous Byzantine averaging-agreement and collaborative-learning simulator.")
    sub = p.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("list", help="the built-in scenarios")
    sp.set_defaults(func=cmd_list)
    sp = sub.add_parser("run", help="run a scenario (built-in name or TOML file)")
    sp.add_argument("scenario")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key, e.g. system.n=31")
    sp.add_argument("--seed", type=int, default=None)
    sp.add_argument("--json", metavar="PATH", help="write the result JSON there")
    sp.add_argument("--check-determinism", action="store_true", help="run twice and compare trace digests")
    sp.add_argument("--quiet", action="store_true", help="no summary, no progress bar")
    sp.add_argument("--plot", metavar="DIR", default=None, help="write the run's plots (PNG and SVG) there")
    sp.set_defaults(func=cmd_run)
    for extra in ("bench", "sweep", "thresholds", "plot", "table"):
        _register_optional(sub, extra)
    return p


def _register_optional(sub, name: str) -> None:
    """Subcommands that live in their own modules (``scenarios/cmd_<name>.py``: ``register(sub)``)."""
    from agreement.plugins import import_optional

    m = import_optional(f"scenarios.cmd_{name}")
    if m is not None:
        m.register(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(f"jungle: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jungle: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
