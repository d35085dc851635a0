"""Scenario files (TOML): loading built-in names and paths, and ``--set`` overrides.

:func:`load` returns the file's raw tables and the directory relative paths in it are read from;
:func:`scenarios.spec.resolve.resolve` validates and resolves them. Errors a user can cause raise
:class:`ScenarioError` with a one-line message (the CLI prints it and exits with status 2).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from scenarios.errors import ScenarioError
from scenarios.spec.validation import closest, short


@dataclass(frozen=True)
class Source:
    """A loaded scenario (or grid) file: its raw tables and the directory of the file (None for a
    built-in scenario: relative paths are then read from the working directory)."""

    data: dict[str, Any]
    base_dir: Path | None
    label: str


def builtin_dir():
    """The built-in scenarios (package data of ``scenarios.spec``)."""
    return resources.files("scenarios.spec") / "builtin"


def grid_dir():
    """The built-in sweep grids (package data of ``scenarios.spec``)."""
    return resources.files("scenarios.spec") / "grids"


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in builtin_dir().iterdir() if p.name.endswith(".toml"))


def read_text(path: Path, what: str = "scenario file") -> str:
    """The UTF-8 text of a file, or one line saying why it cannot be read."""
    if path.is_dir():
        raise ScenarioError(f"{what} {str(path)!r} is a directory, not a TOML file")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{what} {str(path)!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}): is it a TOML file?") from None
    except OSError as exc:
        raise ScenarioError(f"{what} {str(path)!r} cannot be read: {exc.strerror or exc}") from None


def parse_toml(text: str, label: str) -> dict[str, Any]:
    """The tables of a TOML text, or one line with the parser's error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{label}: not valid TOML: {exc}") from None


def load(name_or_path: str, what: str = "scenario") -> Source:
    """A built-in scenario by name, or a TOML file by path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in name_or_path:
        text = read_text(p, f"{what} file")
        return Source(parse_toml(text, name_or_path), p.resolve().parent, name_or_path)
    f = builtin_dir() / f"{name_or_path}.toml"
    if not f.is_file():
        hint = closest(name_or_path, builtin_names())
        raise ScenarioError(f"unknown {what} {name_or_path!r}{f' (did you mean {hint!r}?)' if hint else ''}; "
                            "`jungle list` shows the built-in ones, or give a path to a .toml file")
    return Source(parse_toml(f.read_text(encoding="utf-8"), name_or_path), None, name_or_path)


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
    if not isinstance(assignment, str) or "=" not in assignment:
        raise ScenarioError(f"--set {short(assignment)}: expected KEY=VALUE, e.g. system.n=31")
    key, _, value = assignment.partition("=")
    parts = key.strip().split(".")
    if len(parts) < 2 or not all(p.strip() for p in parts):
        raise ScenarioError(f"--set {key!r}: the key must be TABLE.KEY, e.g. system.n")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ScenarioError(f"--set {key!r}: {part!r} is not a table")
    node[parts[-1]] = parse_value(value.strip())
