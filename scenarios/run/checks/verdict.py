"""How a check says what it found: one shape, one tolerance, and "not applicable" when its premise
fails.

Every check is ``{"holds": True | False | None, "measured", "bound", "margin", "detail"}``:

- ``holds`` is computed from the run: ``True`` / ``False``, or ``None`` with ``"applicable": False``
  and a ``reason`` when the check's premise does not hold (a lemma whose factor is >= 1, equal honest
  inputs, no constant C for the algorithm). A check whose premise fails never says HOLDS.
- bounds are compared with ONE relative tolerance, :data:`RELATIVE_TOLERANCE`: ``measured <= bound``
  holds when ``measured <= bound + RELATIVE_TOLERANCE * max(|bound|, |measured|, TINY)``. It absorbs the
  float rounding of constructions that land exactly on a bound (Theorem 4's (h + 2f - q)/h is reached
  to the last bit, or missed by 3e-15), and nothing a real violation could hide behind.
- ``margin`` is the relative distance to the bound, positive on the side that holds:
  ``(bound - measured) / |bound|`` for ``<=`` and ``(measured - bound) / |bound|`` for ``>=``.
"""
from __future__ import annotations

import math
from typing import Any

RELATIVE_TOLERANCE = 1e-9
"""The one tolerance of every ``<=`` / ``>=`` comparison of a measured value with a bound."""
TINY = 1e-300
"""Scale floor of the tolerance (comparisons with a bound of 0)."""


def _slack(measured: float, bound: float) -> float:
    return RELATIVE_TOLERANCE * max(abs(bound), abs(measured), TINY)


def margin(measured: float, bound: float, op: str) -> float | None:
    if not (math.isfinite(measured) and math.isfinite(bound)) or bound == 0:
        return None
    m = (bound - measured) if op == "<=" else (measured - bound)
    return m / abs(bound)


def at_most(measured: float, bound: float, detail: str, **extra: Any) -> dict[str, Any]:
    """The check ``measured <= bound`` (within the tolerance)."""
    holds = bool(measured <= bound + _slack(measured, bound)) if not math.isnan(measured) else False
    return {"holds": holds, "measured": measured, "bound": bound, "margin": margin(measured, bound, "<="),
            "detail": detail, **extra}


def at_least(measured: float, bound: float, detail: str, **extra: Any) -> dict[str, Any]:
    """The check ``measured >= bound`` (within the tolerance)."""
    holds = bool(measured >= bound - _slack(measured, bound)) if not math.isnan(measured) else False
    return {"holds": holds, "measured": measured, "bound": bound, "margin": margin(measured, bound, ">="),
            "detail": detail, **extra}


def not_applicable(reason: str, detail: str, measured: Any = None, bound: Any = None, **extra: Any) -> dict[str, Any]:
    """A check whose premise does not hold: neither HOLDS nor FAILS."""
    return {"holds": None, "applicable": False, "reason": reason, "measured": measured, "bound": bound,
            "margin": None, "detail": detail, **extra}


def gated(check: dict[str, Any], ok: bool, why: str) -> dict[str, Any]:
    """``check`` when the run got far enough to judge it (``ok``); else FAILS with ``why``."""
    if ok:
        return check
    return {**check, "holds": False, "detail": f"{check['detail']} ({why})"}
