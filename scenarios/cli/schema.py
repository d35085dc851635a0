"""``jungle schema [--grid]``: the JSON Schema of the scenario file (or of a sweep grid), for
editors to complete and check scenario files (see :mod:`scenarios.spec.jsonschema`)."""
from __future__ import annotations

import json

from scenarios.cli.args import output_file
from scenarios.spec.jsonschema import grid_schema, scenario_schema


def register(sub) -> None:
    sp = sub.add_parser("schema", help="print the JSON Schema of the scenario file (or, with --grid, of a grid)")
    sp.add_argument("--grid", action="store_true", help="the schema of a sweep grid (lists allowed as axes)")
    sp.add_argument("--out", metavar="PATH", default=None, help="write it to PATH instead of standard output")
    sp.set_defaults(func=cmd_schema)


def cmd_schema(args) -> int:
    text = json.dumps(grid_schema() if args.grid else scenario_schema(), indent=2) + "\n"
    if args.out:
        output_file(args.out, "--out").write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
