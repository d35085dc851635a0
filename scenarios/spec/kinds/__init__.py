"""Scenario kinds with their own table, each validated by a pydantic v2 model (strict types, bounds,
``extra = "forbid"``): ``cga`` ([cga], :mod:`.cga`), ``licchavi`` ([licchavi], :mod:`.licchavi`),
``gmm`` ([gmm], :mod:`.gmm`). A scenario of one of these kinds has two tables, ``[scenario]`` and the
kind's own; :func:`resolve_kind` fills every default and returns ``{"scenario": ..., KIND: ...}``.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from scenarios.errors import ScenarioError
from scenarios.spec.kinds.cga import CgaSpec
from scenarios.spec.kinds.gmm import GmmSpec
from scenarios.spec.kinds.licchavi import LicchaviSpec

KIND_SPECS: dict[str, type[BaseModel]] = {"cga": CgaSpec, "licchavi": LicchaviSpec, "gmm": GmmSpec}
"""kind -> the model of its table (the table is named after the kind)."""

SCENARIO_KEYS = {"name", "kind", "seed", "description"}


def is_seed_kind(data: dict[str, Any]) -> bool:
    sc = data.get("scenario")
    return isinstance(sc, dict) and sc.get("kind") in KIND_SPECS


def one_line(kind: str, exc: ValidationError) -> str:
    """A pydantic error as one line naming the key: ``kind.key: message (got value)``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    where = f"{kind}.{loc}" if loc else kind
    return f"{where}: {err['msg']} (got {err.get('input')!r})"


def resolve_kind(data: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    """Validate a cga/licchavi/gmm scenario and fill its defaults (one-line ScenarioError otherwise)."""
    sc = dict(data["scenario"])
    kind = sc["kind"]
    unknown = sorted(set(sc) - SCENARIO_KEYS)
    if unknown:
        raise ScenarioError(f"scenario.{unknown[0]} is not a known key; known: {', '.join(sorted(SCENARIO_KEYS))}")
    if seed is not None:
        sc["seed"] = seed
    sc.setdefault("seed", 1)
    sc.setdefault("name", "unnamed")
    sc.setdefault("description", "")
    if not isinstance(sc["seed"], int) or isinstance(sc["seed"], bool) or sc["seed"] < 0:
        raise ScenarioError(f"scenario.seed must be a non-negative integer, got {sc['seed']!r}")
    extra = sorted(t for t in data if not t.startswith("_") and t not in ("scenario", kind))
    if extra:
        raise ScenarioError(f"[{extra[0]}] is not used by scenario kind {kind!r}: its tables are [scenario] and [{kind}]")
    table = data.get(kind, {})
    if not isinstance(table, dict):
        raise ScenarioError(f"[{kind}] must be a table of keys")
    try:
        spec = KIND_SPECS[kind].model_validate(table)
    except ValidationError as exc:
        raise ScenarioError(one_line(kind, exc)) from None
    return {"scenario": sc, kind: spec.model_dump()}
