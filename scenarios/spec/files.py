"""Scenario files (TOML): loading, ``--set`` overrides, defaults, and validation.

Errors a user can cause raise :class:`ScenarioError` with a one-line message naming the key to fix;
the CLI prints it and exits with status 2.
"""
from __future__ import annotations

import copy
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from scenarios.errors import ScenarioError

DEFAULTS: dict[str, Any] = {
    "scenario": {"name": "unnamed", "kind": "agreement", "seed": 1, "description": ""},
    "system": {"n": 26, "f": 5, "dim": 10, "include_self": True},
    "algorithm": {"name": "icwtm", "t": 3, "allow_below_threshold": False},
    "inputs": {"kind": "gaussian", "scale": 1.0},
    "adversary": {"attack": "split", "schedule": "random"},
    "run": {"record_trace": False, "max_steps": 50_000_000, "dispatch": "tasks"},
}


def builtin_dir():
    """The built-in scenarios (package data of ``scenarios.spec``)."""
    return resources.files("scenarios.spec") / "builtin"


def grid_dir():
    """The built-in sweep grids (package data of ``scenarios.spec``)."""
    return resources.files("scenarios.spec") / "grids"


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in builtin_dir().iterdir() if p.name.endswith(".toml"))


def load(name_or_path: str) -> dict[str, Any]:
    """A built-in scenario by name, or a TOML file by path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            raise ScenarioError(f"scenario file {name_or_path!r} does not exist")
        text = p.read_text()
    else:
        f = builtin_dir() / f"{name_or_path}.toml"
        if not f.is_file():
            raise ScenarioError(f"unknown scenario {name_or_path!r}; `jungle list` shows the built-in ones")
        text = f.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{name_or_path}: not valid TOML: {exc}") from None
    if p.exists():
        data.setdefault("_base_dir", str(p.resolve().parent))
    return data


def parse_value(text: str) -> Any:
    """``--set`` values: TOML/JSON literals (numbers, booleans, lists, quoted strings), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_set(data: dict[str, Any], assignment: str) -> None:
    """Apply one ``KEY=VALUE`` override, KEY dotted (``system.n``)."""
    if "=" not in assignment:
        raise ScenarioError(f"--set {assignment!r}: expected KEY=VALUE, e.g. system.n=31")
    key, _, value = assignment.partition("=")
    parts = key.strip().split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f"--set {key!r}: the key must be TABLE.KEY, e.g. system.n")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ScenarioError(f"--set {key!r}: {part!r} is not a table")
    node[parts[-1]] = parse_value(value.strip())


def merged(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(DEFAULTS)
    for table, values in data.items():
        if table.startswith("_"):
            out[table] = values
            continue
        if not isinstance(values, dict):
            raise ScenarioError(f"[{table}] must be a table of keys, got {type(values).__name__}")
        out.setdefault(table, {}).update(copy.deepcopy(values))
    return out


def _int(cfg, table, key, lo=None):
    v = cfg[table].get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ScenarioError(f"{table}.{key} must be an integer, got {v!r}")
    if lo is not None and v < lo:
        raise ScenarioError(f"{table}.{key} must be >= {lo}, got {v}")
    return v
