"""The JSON Schema of the scenario file (``jungle schema``) and of a sweep grid (``jungle schema
--grid``), generated from the pydantic models of :mod:`scenarios.spec.schema`.

The ``[adversary]`` table lists, besides its own keys, every parameter declared by an attack (of any
protocol) and ``[adversary.schedule_params]`` every parameter declared by a schedule, third-party
plugins included; which ones a scenario may use depends on the attack and the schedule it names (the
resolution checks that; a JSON Schema cannot). A grid is a scenario file in which any key of a table
may also hold a non-empty list of such values (an axis of the sweep), plus a ``[sweep]`` table.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Iterable

from pydantic import create_model
from pydantic.fields import FieldInfo

from net.schedules import SCHEDULES
from scenarios.spec.adversary import every_attack, params_model
from scenarios.spec.schema import AdversarySpec, ScenarioFile, SweepTable, Table

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _union_fields(plugins: Iterable[tuple[str, type]], kind: str) -> dict[str, tuple[Any, FieldInfo]]:
    """Every parameter declared by the plugins, described with the plugins that take it and their
    defaults (a key's default depends on the plugin, so the schema gives none)."""
    first: dict[str, FieldInfo] = {}
    users: dict[str, list[str]] = {}
    for name, cls in plugins:
        for key, info in params_model(cls).model_fields.items():
            first.setdefault(key, info)
            default = info.get_default(call_default_factory=True)
            users.setdefault(key, []).append(f"{name} (default {json.dumps(default, default=str)})")
    fields: dict[str, tuple[Any, FieldInfo]] = {}
    for key, info in first.items():
        text = f"{kind} " + "; ".join(dict.fromkeys(users[key])) + (f": {info.description}" if info.description else "")
        fields[key] = (info.annotation, FieldInfo.merge_field_infos(info, default=None, description=text,
                                                                   json_schema_extra=_drop_default))
    return fields


def documented_file_model() -> type[ScenarioFile]:
    """:class:`ScenarioFile` with ``[adversary]`` spelling out every plugin's parameters."""
    schedule_params = create_model("ScheduleParams", __base__=Table,
                                   **_union_fields(sorted(SCHEDULES.items()), "schedule"))
    base = {k: (v.annotation, copy.copy(v)) for k, v in AdversarySpec.model_fields.items() if k != "schedule_params"}
    adversary = create_model("Adversary", __base__=Table, __doc__=AdversarySpec.__doc__, **base,
                             schedule_params=(schedule_params, schedule_params()),
                             **_union_fields(every_attack(), "attack"))
    return create_model("ScenarioFile", __base__=ScenarioFile, __doc__=ScenarioFile.__doc__,
                        adversary=(adversary, adversary()))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    out = {"$schema": DRAFT}
    out.update(documented_file_model().model_json_schema())
    out["title"] = "jungle scenario file"
    return out


def _axis(prop: dict[str, Any]) -> dict[str, Any]:
    """A property that may also be a non-empty list of its values (a sweep axis)."""
    return {"anyOf": [prop, {"type": "array", "items": prop, "minItems": 1}],
            **({"description": prop["description"]} if "description" in prop else {})}


def grid_schema() -> dict[str, Any]:
    """The JSON Schema of a sweep grid: every key of every table may be a list, plus ``[sweep]``."""
    out = scenario_schema()
    out["title"] = "jungle sweep grid"
    defs = out.setdefault("$defs", {})
    for prop in out["properties"].values():
        for ref in _refs(prop):
            table = defs[ref]
            table["properties"] = {k: _axis(v) for k, v in table.get("properties", {}).items()}
    sweep = SweepTable.model_json_schema()
    defs.update(sweep.pop("$defs", {}))
    defs["SweepTable"] = sweep
    out["properties"]["sweep"] = {"$ref": "#/$defs/SweepTable"}
    return out


def _refs(prop: dict[str, Any]) -> list[str]:
    """The ``$defs`` names a top-level property refers to (directly or in an ``anyOf``)."""
    items = [prop, *prop.get("anyOf", [])]
    return [p["$ref"].rsplit("/", 1)[-1] for p in items if "$ref" in p]
