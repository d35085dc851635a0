"""Result files read back (``jungle plot RESULTS``, ``jungle table --from-json``): read as UTF-8
JSON and checked against the shape the reports need (pydantic models, unknown keys kept), so that a
file that is not a jungle result is one line, not a traceback."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from scenarios.errors import ScenarioError
from scenarios.spec.validation import validated


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class IterationRow(_Shape):
    iteration: int
    diameter: float | None = None


class RunResult(_Shape):
    """A run's result JSON (``jungle run --json``, a sweep's ``runs/*.json``); a run of a seed kind
    (cga, licchavi, gmm: no network) has no ``iterations``."""

    scenario: dict[str, Any]
    seed: int
    iterations: list[IterationRow] = []
    checks: dict[str, Any]


class ThresholdsResult(_Shape):
    """A thresholds JSON (``jungle thresholds --json``)."""

    kind: str
    rows: list[dict[str, Any]]


class TableResult(_Shape):
    """A saved LEARN table (``jungle table --json``)."""

    table: dict[str, Any]
    runs: list[dict[str, Any]]
    wall_seconds: float
    sets: list[str]


def read_json(path: str | Path, what: str) -> Any:
    """The JSON value of a UTF-8 file, or one line saying why it is not one."""
    p = Path(path)
    if p.is_dir():
        raise ScenarioError(f"{what} {str(p)!r} is a directory, not a JSON file")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{what} {str(p)!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{what} {str(p)!r} is not UTF-8 text (byte {exc.start}): not a jungle JSON file") from None
    except ValueError as exc:
        raise ScenarioError(f"{what} {str(p)!r} is not JSON: {exc}") from None
    except OSError as exc:
        raise ScenarioError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None


def _check(model: type[BaseModel], data: Any, what: str, path: str | Path, kind: str) -> None:
    if not isinstance(data, dict):
        raise ScenarioError(f"{what} {str(path)!r} is not {kind}: it holds a JSON {type(data).__name__}, not an object")
    try:
        validated(model, data)
    except ScenarioError as exc:
        raise ScenarioError(f"{what} {str(path)!r} is not {kind}: {exc}") from None


def read_result(path: str | Path, what: str) -> dict[str, Any]:
    """A run result (or a compare result, each variant checked) or a thresholds table, checked."""
    data = read_json(path, what)
    if isinstance(data, dict) and data.get("kind") == "thresholds":
        _check(ThresholdsResult, data, what, path, "a jungle thresholds table")
        return data
    _check(RunResult, data, what, path, "a jungle result")
    for v in data.get("variants") or []:
        _check(RunResult, v, what, path, "a jungle result (a variant)")
    return data


def read_table(path: str | Path, what: str) -> dict[str, Any]:
    """A saved ``jungle table --json``, checked."""
    data = read_json(path, what)
    _check(TableResult, data, what, path, "a saved jungle table (jungle table --json)")
    return data
