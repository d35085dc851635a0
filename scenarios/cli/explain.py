"""``jungle explain SCENARIO|RESULT.json [--iterations K] [--out report.html]``: argument parsing
only; the report is :mod:`scenarios.explore.explain`'s."""
from __future__ import annotations

from pathlib import Path

from scenarios.cli.args import input_path, output_file, positive_int, seed
from scenarios.explore.explain import explain


def cmd_explain(args) -> int:
    if args.source.endswith(".json"):
        input_path(args.source, "RESULT")
    stem = Path(args.source).stem if args.source.endswith((".json", ".toml")) else Path(args.source).name
    out = output_file(args.out or f"{stem}.html", "--out")
    if out.suffix.lower() not in (".html", ".htm"):
        out = output_file(str(out) + ".html", "--out")
    ex = explain(args.source, out, iterations=args.iterations, sets=args.set, seed=args.seed, png=not args.no_png,
                 max_lanes=args.max_lanes, variant=args.variant)
    if not args.quiet:
        d = ex.diagram
        print(f"report written to {ex.html} ({len(d.arrows)} arrows, iterations 0..{d.iterations - 1}, "
              f"{ex.seconds:.1f} s); diagram: {ex.svg}" + (f", {ex.png}" if ex.png else ""))
        for text in d.omitted:
            print(f"sampled: left out {text}")
        for note in ex.notes:
            print(f"note: {note}")
    return 0


def register(sub) -> None:
    sp = sub.add_parser("explain", help="re-run a scenario (or a result JSON's run) and write a self-contained HTML "
                        "report: message-sequence diagram, honest trajectories, verdicts")
    sp.add_argument("source", metavar="SCENARIO|RESULT.json",
                    help="a built-in name, a scenario TOML file, or a result JSON (jungle run --json)")
    sp.add_argument("--iterations", type=positive_int, default=2, metavar="K",
                    help="iterations drawn in the message-sequence diagram (default 2)")
    sp.add_argument("--out", metavar="PATH", default=None,
                    help="the HTML report (default: SOURCE's name .html here); the diagram goes beside it as .svg and .png")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key of a scenario")
    sp.add_argument("--seed", type=seed, default=None)
    sp.add_argument("--variant", metavar="LABEL", default=None,
                    help="of a scenario with [compare] variants, the one to explain (its label or index; default the first)")
    sp.add_argument("--max-lanes", type=positive_int, default=12, metavar="L",
                    help="at most L lanes in the diagram (nodes are sampled beyond; default 12)")
    sp.add_argument("--no-png", action="store_true", help="skip the PNG (matplotlib) rendering of the diagram")
    sp.add_argument("--quiet", action="store_true", help="print nothing")
    sp.set_defaults(func=cmd_explain)
