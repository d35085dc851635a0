"""Typed parameters of a plugin (a schedule or an attack): a frozen pydantic model per plugin class.

A schedule or an attack declares the keys it reads as a nested ``Params`` model with defaults::

    class Noise(Attack):
        name = "noise"

        class Params(PluginParams):
            noise_scale: float = Field(1.0, ge=0.0)

The scenario schema validates the scenario's ``[adversary]`` keys against the chosen attack's
``Params`` and ``[adversary.schedule_params]`` against the chosen schedule's ``Params`` (unknown
keys are refused there, with the closest known key), and the plugin reads the validated, read-only
instance (``self.params.noise_scale``). A plugin that declares nothing takes no parameter.

Values are strict, as in the scenario file: ``"5"`` is not a number, ``true`` is not an integer,
``"no"`` is not a boolean, and only finite floats are accepted. Checks that need the system's size
go in :meth:`PluginParams.check`, called once the scenario is resolved.
"""
from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict


class PluginParams(BaseModel):
    """Base of every plugin's ``Params``: strict, frozen, unknown keys refused, finite floats only."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    def check(self, *, n: int, f: int, q: int, d: int) -> None:
        """Raise ``ValueError`` (one line naming the key) when a value does not fit the system
        (n nodes, f Byzantine, honest ids 0..n-f-1, q gathered, dimension d). Nothing by default."""


def check_honest_ids(key: str, groups: list[list[int]] | None, h: int) -> None:
    """Raise ``ValueError`` unless every id in ``groups`` is an honest node id (0..h-1)."""
    bad = sorted({i for g in groups or [] for i in g if not 0 <= i < h})
    if bad:
        raise ValueError(f"{key} names node {bad[0]}, not an honest node id (0..{h - 1}, h = n - f = {h})")


def params_of(cls: type, given: PluginParams | Mapping[str, Any] | None) -> PluginParams:
    """``cls.Params`` from an already validated instance, a mapping (validated here), or None
    (every default). Raises pydantic's ``ValidationError`` on bad values: the scenario layer
    validates first and turns errors into one-line messages; this is for direct construction."""
    model: type[PluginParams] = getattr(cls, "Params", PluginParams)
    if isinstance(given, model):
        return given
    if isinstance(given, BaseModel):
        given = given.model_dump()
    return model.model_validate(dict(given or {}))
