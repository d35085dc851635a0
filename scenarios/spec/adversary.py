"""The ``[adversary]`` table, resolved: the attack and the schedule looked up in their registries
(the attacks of the protocol under attack), and their parameters validated against the ``Params``
model each declares (:class:`net.params.PluginParams`).

Every key of ``[adversary]`` other than ``attack``, ``schedule``, ``seen_window`` and
``schedule_params`` is a parameter of the chosen attack; one the attack does not declare is refused,
naming the attack that does declare it when there is one. ``[adversary.schedule_params]`` is
validated against the chosen schedule's ``Params`` the same way.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from pydantic import BaseModel

from agreement.registry import Registry
from net.params import PluginParams
from net.schedules import SCHEDULES
from nodes.attacks import ATTACKS, BROADCAST_ATTACKS, LEARN_BROADCAST_ATTACKS
from scenarios.errors import ScenarioError, UnknownKey
from scenarios.spec.schema import Adversary, AdversarySpec
from scenarios.spec.validation import closest, validated

BASE_KEYS = tuple(AdversarySpec.model_fields)
"""The ``[adversary]`` keys that are not an attack's parameter."""


def params_model(cls: type) -> type[PluginParams]:
    """A plugin class's ``Params`` model (:class:`PluginParams`, no parameter, when it declares none)."""
    model = getattr(cls, "Params", PluginParams)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ScenarioError(f"plugin {getattr(cls, 'name', cls)!r}: its Params must be a pydantic model")
    return model


def declared_by(key: str, plugins: Iterable[tuple[str, type]]) -> list[str]:
    """The names of the plugins whose Params declare ``key``."""
    return sorted({name for name, cls in plugins if key in params_model(cls).model_fields})


def _plugin_params(kind: str, name: str, cls: type, given: Mapping[str, Any], prefix: str,
                   registry: Registry) -> PluginParams:
    """Validate ``given`` against ``cls.Params``; an unknown key names the plugin that takes it."""
    model = params_model(cls)
    known = list(model.model_fields)
    for key in given:
        if key in known:
            continue
        others = declared_by(key, every_attack() if kind == "attack" else registry.items())
        takes = f"{kind} {name!r} takes " + (", ".join(known) if known else "no parameter")
        if others:  # a known key, for another attack (a grid may sweep the attack): not a typo
            raise ScenarioError(f"{prefix}{key} is a parameter of {kind} {', '.join(map(repr, others))}, not of "
                                f"{kind} {name!r}; {takes}")
        every = [k for k in (*BASE_KEYS, *known)] if kind == "attack" else known
        hint = closest(key, every)
        raise UnknownKey(f"{prefix}{key} is not a known key{f' (did you mean {prefix}{hint}?)' if hint else ''}; "
                            f"{takes}" + ("; [adversary] also takes " + ", ".join(BASE_KEYS) if kind == "attack" else ""))
    return validated(model, dict(given), prefix.rstrip("."))


def _lookup(registry: Registry, name: str, key: str) -> type:
    if name not in registry:
        raise ScenarioError(f"{key} = {name!r}: {registry.unknown(name)}")
    return registry[name]


def attacks_for(protocol_cls, learn: bool = False) -> Registry:
    """The registry of the attacks aimed at ``protocol_cls`` (for a LEARN scenario when ``learn``: over
    broadcast-based agreement, the vector attacks wrapped as reliable broadcasters,
    :data:`nodes.attacks.LEARN_BROADCAST_ATTACKS`)."""
    if learn and protocol_cls.name == "broadcast":
        return LEARN_BROADCAST_ATTACKS
    return protocol_cls.attacks()


def resolve_adversary(spec: AdversarySpec, protocol_cls, *, n: int, f: int, q: int, d: int,
                      learn: bool = False) -> Adversary:
    """The resolved adversary (see the module docstring)."""
    attacks = attacks_for(protocol_cls, learn)
    attack_cls = _lookup(attacks, spec.attack, "adversary.attack")
    schedule_cls = _lookup(SCHEDULES, spec.schedule, "adversary.schedule")
    params = _plugin_params("attack", spec.attack, attack_cls, spec.model_extra or {}, "adversary.", attacks)
    sched = _plugin_params("schedule", spec.schedule, schedule_cls, spec.schedule_params,
                           "adversary.schedule_params.", SCHEDULES)
    for p in (params, sched):
        try:
            p.check(n=n, f=f, q=q, d=d)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
    return Adversary(attack=spec.attack, schedule=spec.schedule, seen_window=spec.seen_window,
                     schedule_params=sched, params=params)


def every_attack() -> list[tuple[str, type]]:
    """(name, class) of every attack of every protocol family (for the JSON Schema)."""
    return [*ATTACKS.items(), *BROADCAST_ATTACKS.items()]
