"""Scenarios that compare variants: a ``[compare]`` table runs the same scenario once per value of
one key and reports them side by side::

    [compare]
    key = "algorithm.name"
    values = ["icwtm", "mda", "cva"]

    [compare.set]            # optional: more overrides per value (the value as text); entries for
    "mda" = ["system.n=13"]  # values not in ``values`` are unused (``--set compare.values=[...]``
                             # may run a subset)

The result is the first variant's result (so every key of the result contract is there) plus
``variants``: one full result per value, in order, and ``compare``: the table that was asked.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Mapping

from scenarios.errors import ScenarioError
from scenarios.spec.files import apply_set
from scenarios.spec.schema import CompareTable


def resolve_variants(data: Mapping[str, Any], compare: CompareTable,
                     resolve: Callable[[dict[str, Any]], Any]) -> list[Any]:
    """Each variant of ``data`` (the file's tables without ``[compare]``), resolved by ``resolve``."""
    table, _, key = compare.key.partition(".")
    out = []
    for v in compare.values:
        d = copy.deepcopy(dict(data))
        node = d.setdefault(table, {})
        if not isinstance(node, dict):
            raise ScenarioError(f"compare.key = {compare.key!r}: [{table}] is not a table")
        node[key] = v
        for s in compare.set.get(str(v), []):
            apply_set(d, s)
        try:
            out.append(resolve(d))
        except ScenarioError as exc:
            raise ScenarioError(f"[compare] {compare.key} = {v!r}: {exc}") from None
    return out
