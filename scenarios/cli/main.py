"""The ``jungle`` command line: argument parsing only (DESIGN.md, CLI contract).

Each subcommand is a module with ``register(subparsers)``; :data:`COMMANDS` lists jungle's own (explicit
imports) and third-party packages add theirs under the ``jungle.commands`` entry point group.
"""
from __future__ import annotations

import sys

from agreement.registry import Registry
from scenarios.cli import bench, explain, fuzz, plot, run, schema, sweep, table, thresholds, worst_case
from scenarios.cli.args import Parser
from scenarios.errors import EXIT_BAD_INPUT, ScenarioError

COMMANDS: Registry = Registry("subcommand", "jungle.commands")
"""name -> ``register(subparsers)`` adding the subcommand (``set_defaults(func=...)``)."""
for _name, _mod in (("run", run), ("bench", bench), ("sweep", sweep), ("thresholds", thresholds), ("plot", plot),
                    ("table", table), ("schema", schema), ("fuzz", fuzz), ("worst-case", worst_case),
                    ("explain", explain)):
    COMMANDS.register(_name, _mod.register)


def build_parser() -> Parser:
    """The ``jungle`` parser; its errors (and its subcommands') are one-line :class:`ScenarioError`."""
    p = Parser(prog="jungle", description="Asynchronous Byzantine averaging-agreement and "
               "collaborative-learning simulator.")
    sub = p.add_subparsers(dest="command", required=True)
    for register in COMMANDS.values():
        register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except ScenarioError as exc:
        # one line, whatever a file's keys or a plugin's message hold
        print(f"jungle: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("jungle: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
