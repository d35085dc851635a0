"""Scenarios that compare variants: a ``[compare]`` table runs the same scenario once per value of
one key and reports them side by side::

    [compare]
    key = "algorithm.name"
    values = ["icwtm", "mda", "cva"]

The result is the first variant's result (so every key of the result contract is there) plus
``variants``: one full result per value, in order, and ``compare``: the table that was asked.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from .config import ScenarioError, apply_set
from .resolve import resolve


def resolve_variants(data: dict[str, Any], compare: Any, seed: int | None) -> list[dict[str, Any]]:
    if not (isinstance(compare, dict) and isinstance(compare.get("key"), str) and isinstance(compare.get("values"), list)
            and compare["values"]):
        raise ScenarioError("[compare] needs key = \"TABLE.KEY\" and a non-empty values = [...] list")
    out = []
    for v in compare["values"]:
        d = copy.deepcopy(data)
        node = d
        parts = compare["key"].split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
        extra = compare.get("set", {}).get(str(v), [])
        for s in extra:
            apply_set(d, s)
        try:
            out.append(resolve(d, seed=seed))
        except ScenarioError as exc:
            raise ScenarioError(f"[compare] {compare['key']} = {v!r}: {exc}") from None
    return out


def run_compare(cfg: dict[str, Any], execute: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    results = [execute(v) for v in cfg["_variants"]]
    top = dict(results[0])
    top["compare"] = cfg["compare"]
    top["variants"] = results
    return top


def print_compare(result: dict[str, Any], console: Console | None = None) -> None:
    from .report import _fmt, print_summary, verdict

    console = console or Console()
    for r in result["variants"]:
        print_summary(r, console, max_rows=12)
        console.print()
    key = result["compare"]["key"]
    table = Table(title=f"comparison over {key}")
    table.add_column(key)
    names = list(result["variants"][0]["checks"])
    for name in names:
        table.add_column(f"{name} (measured / bound)")
    for r, v in zip(result["variants"], result["compare"]["values"]):
        cells = []
        for name in names:
            c = r["checks"].get(name, {})
            cells.append(f"{verdict(c.get('holds'))} {_fmt(c.get('measured'))} / {_fmt(c.get('bound'))}")
        table.add_row(str(v), *cells)
    console.print(table)
