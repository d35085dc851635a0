"""The rule zoo: every rule is ``rule(X, f, own) -> vector`` (see :mod:`agreement.rules.trimmed`).

``get_rule("nnm+cwtm")`` composes a pre-aggregation with a rule. Rules are registered in
:data:`RULES`; :func:`rule_names` lists them for the CLI and the README table.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.registry import Registry
from agreement.rules import bucketing, clipping, cva, geomed, krum, mda, meamed, nnm, plausible, trimmed

Rule = Callable[[np.ndarray, int, "np.ndarray | None"], np.ndarray]

RULES: Registry[Rule] = Registry("rule", "jungle.rules")
"""name -> rule ``(X, f, own) -> vector``; third-party rules come through the ``jungle.rules`` entry points."""
for _name, _fn in {"cwtm": trimmed.cwtm, "trimmed_middle": trimmed.trimmed_middle, "cwmed": trimmed.cwmed,
                   "median": trimmed.cwmed, "mean": trimmed.mean, **mda.RULES, **cva.RULES, **krum.RULES,
                   **geomed.RULES, **meamed.RULES, **clipping.RULES}.items():
    RULES.register(_name, _fn)

PRE_AGGREGATIONS: Registry[Callable[[Rule], Rule]] = Registry("pre-aggregation", "jungle.pre_aggregations")
"""name -> wrapper ``rule -> rule`` (``get_rule("nnm+cwtm")``); entry point group ``jungle.pre_aggregations``."""
for _name, _fn in {**nnm.PRE_AGGREGATIONS, **bucketing.PRE_AGGREGATIONS, **plausible.PRE_AGGREGATIONS}.items():
    PRE_AGGREGATIONS.register(_name, _fn)


def rule_names() -> list[str]:
    return sorted(RULES)


def get_rule(name: str) -> Rule:
    """The rule called ``name``; ``"pre+rule"`` applies pre-aggregation ``pre`` before ``rule``, and
    ``"pre:arg+rule"`` passes ``arg`` to it (``plausible:1.0+mean``)."""
    if "+" in name:
        pre, _, rest = name.partition("+")
        pre, sep, arg = pre.partition(":")
        wrap = PRE_AGGREGATIONS[pre]
        return wrap(get_rule(rest), arg) if sep else wrap(get_rule(rest))
    return RULES[name]
