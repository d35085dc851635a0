"""The rule zoo: every rule is ``rule(X, f, own) -> vector`` (see :mod:`agreement.rules.trimmed`).

``get_rule("nnm+cwtm")`` composes a pre-aggregation with a rule. Rules register themselves in
:data:`RULES`; :func:`rule_names` lists them for the CLI and the README table.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import trimmed

Rule = Callable[[np.ndarray, int, "np.ndarray | None"], np.ndarray]

RULES: dict[str, Rule] = {
    "cwtm": trimmed.cwtm,
    "trimmed_middle": trimmed.trimmed_middle,
    "cwmed": trimmed.cwmed,
    "median": trimmed.cwmed,
    "mean": trimmed.mean,
}

PRE_AGGREGATIONS: dict[str, Callable[[Rule], Rule]] = {}


def _load_optional() -> None:
    """Register the rules that live in their own modules."""
    from ..plugins import merge_registries

    merge_registries(tuple(f"{__name__}.{m}" for m in ("mda", "cva", "krum", "geomed", "meamed", "nnm")),
                     RULES=RULES, PRE_AGGREGATIONS=PRE_AGGREGATIONS)


_load_optional()


def rule_names() -> list[str]:
    return sorted(RULES)


def get_rule(name: str) -> Rule:
    """The rule called ``name``; ``"pre+rule"`` applies pre-aggregation ``pre`` before ``rule``."""
    if "+" in name:
        pre, _, rest = name.partition("+")
        if pre not in PRE_AGGREGATIONS:
            raise KeyError(f"unknown pre-aggregation {pre!r}; known: {', '.join(sorted(PRE_AGGREGATIONS)) or 'none'}")
        return PRE_AGGREGATIONS[pre](get_rule(rest))
    if name not in RULES:
        raise KeyError(f"unknown rule {name!r}; known: {', '.join(rule_names())}")
    return RULES[name]
