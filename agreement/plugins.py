"""Optional modules that register rules, attacks, schedules, protocols or subcommands.

A registry imports its plugin modules by name with :func:`import_optional`: a module that does not
exist (not part of this build) is skipped; an error *inside* an existing module is raised.
"""
from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def merge_registries(modules: tuple[str, ...], **registries: dict) -> None:
    """Import each module and merge its module-level dicts into ``registries`` by attribute name,
    e.g. ``merge_registries(("nodes.attacks_learn",), ATTACKS=ATTACKS)``."""
    for name in modules:
        m = import_optional(name)
        if m is None:
            continue
        for attr, target in registries.items():
            target.update(getattr(m, attr, {}))
