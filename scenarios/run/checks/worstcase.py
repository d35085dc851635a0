"""The check of a worst-case configuration (the ``worst-case`` attack, ``jungle worst-case``):
one iteration reproduces the factor the configuration was computed to give."""
from __future__ import annotations

import math
from typing import Any

from scenarios.run.checks.verdict import RELATIVE_TOLERANCE

DETAIL = ("one iteration of the worst-case configuration: D2(after) / D2(before) equals the factor "
          "jungle worst-case computed (relative tolerance 1e-9)")


def worst_case_checks(scenario, rows: list[dict[str, Any]], outputs: int) -> dict[str, Any]:
    """``worst_case_replay`` when the attack is ``worst-case`` with a ``worst_case_factor`` and the
    run is one iteration that every honest node finished; nothing otherwise."""
    adv = scenario.adversary
    expected = getattr(adv.params, "worst_case_factor", None) if adv.attack == "worst-case" else None
    if expected is None or scenario.algorithm.iterations != 1 or outputs != scenario.system.h:
        return {}
    last = rows[-1]
    if last["iteration"] != 1 or last["nodes"] != scenario.system.h:
        return {}
    D0 = rows[0]["diameter"]
    measured = last["diameter"] / D0 if D0 > 0 else math.nan
    expected = float(expected)
    ok = bool(D0 > 0 and abs(measured - expected) <= RELATIVE_TOLERANCE * max(1.0, abs(expected)))
    return {"worst_case_replay": {"holds": ok, "measured": measured, "bound": expected, "detail": DETAIL}}
