"""Schedules: which message in flight the adversary delivers next (see :mod:`net.schedules.base`).

:data:`SCHEDULES` is built here from explicit imports: the core schedules (:mod:`~net.schedules.base`),
the lower-bound constructions (:mod:`~net.schedules.lowerbound`) and the search adversary's
(:mod:`~net.schedules.search`). Third-party schedules are added under the ``jungle.schedules`` entry
point group.
"""
from __future__ import annotations

from typing import Any, Mapping

from agreement.registry import Registry
from net.params import PluginParams
from net.schedules import base, lowerbound, search, worstcase
from net.schedules.base import HoldingSchedule, Schedule

SCHEDULES: Registry[type[Schedule]] = Registry("schedule", "jungle.schedules")
for _cls in (*base.CORE, *lowerbound.SCHEDULES.values(), *search.SCHEDULES.values(), *worstcase.SCHEDULES.values()):
    SCHEDULES.register(_cls.name, _cls)


def make_schedule(name: str, params: PluginParams | Mapping[str, Any] | None = None) -> Schedule:
    """The schedule called ``name`` with its typed parameters (``SCHEDULES[name].Params``)."""
    return SCHEDULES[name](params)


__all__ = ["SCHEDULES", "HoldingSchedule", "Schedule", "make_schedule"]
