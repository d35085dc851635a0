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
from typing import Any

from scenarios.errors import ScenarioError
from scenarios.spec.files import apply_set
from scenarios.spec.resolve import resolve


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
