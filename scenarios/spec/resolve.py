"""Resolve a scenario: fill every default, validate, and compute the algorithm's theory.

The resolved scenario is what the result JSON reports under ``scenario``.
"""
from __future__ import annotations

import math
from typing import Any

from agreement.rules import get_rule
from agreement.theory import theory_for
from agreement.theory.icwtm import n_icwtm
from net.schedules import SCHEDULES
from scenarios.errors import ScenarioError
from scenarios.run.protocols import protocol_for
from scenarios.spec.files import _int, merged
from scenarios.spec.kinds import KIND_SPECS, is_seed_kind, resolve_kind

ALGORITHM_RULES = {"icwtm": "cwtm", "mda": "mda", "cva": "cva"}
"""Algorithms that are "iterate a rule" with a fixed rule."""


def resolve(data: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    if is_seed_kind(data):  # cga, licchavi, gmm: their own table, validated by its own model
        return resolve_kind(data, seed)
    cfg = merged(data)
    sc = cfg["scenario"]
    if seed is not None:
        sc["seed"] = seed
    if not isinstance(sc.get("seed"), int) or sc["seed"] < 0:
        raise ScenarioError(f"scenario.seed must be a non-negative integer, got {sc.get('seed')!r}")
    if sc["kind"] not in ("agreement", "learn"):
        raise ScenarioError(f"scenario.kind must be one of agreement, learn, {', '.join(KIND_SPECS)}; got {sc['kind']!r}")

    sysc = cfg["system"]
    n = _int(cfg, "system", "n", 1)
    f = _int(cfg, "system", "f", 0)
    if f >= n:
        raise ScenarioError(f"system.f must be < system.n (at least one honest node), got n = {n}, f = {f}")
    d = _int(cfg, "system", "dim", 1)
    if not isinstance(sysc["include_self"], bool):
        raise ScenarioError("system.include_self must be true or false")
    h = n - f
    q_max = h if sysc["include_self"] else h - 1
    sysc.setdefault("q", q_max)
    q = _int(cfg, "system", "q", 1)
    if q > q_max:
        raise ScenarioError(
            f"system.q = {q} cannot be gathered when the {f} Byzantine nodes stay silent: q <= {q_max}"
            f" (n - f{'' if sysc['include_self'] else ' - 1, own vector not counted'})")
    sysc["h"] = h

    alg = cfg["algorithm"]
    name = alg.get("name")
    t = _int(cfg, "algorithm", "t", 0)
    if name == "broadcast":
        rule_name = alg.setdefault("rule", "trimmed_middle")
    else:
        rule_name = alg.setdefault("rule", ALGORITHM_RULES.get(name, name))
    try:
        get_rule(rule_name)
    except KeyError as exc:
        raise ScenarioError(f"algorithm.name {name!r}: {exc.args[0]}") from None
    th = theory_for(name, n, f, q, d, t)
    alg["theory"] = th.as_dict()
    if not th.holds and name in ("icwtm", "mda", "cva", "broadcast") and not alg.get("allow_below_threshold"):
        raise ScenarioError(f"{th.reason}; set algorithm.allow_below_threshold = true to run it anyway")
    if "iterations" in alg:
        _int(cfg, "algorithm", "iterations", 0)
        alg["iterations_source"] = "algorithm.iterations"
    elif th.holds and th.iterations is not None:
        alg["iterations"] = th.iterations
        alg["iterations_source"] = "theory N(t)"
    elif th.extra.get("N_formula") is not None:
        alg["iterations"] = int(th.extra["N_formula"])
        alg["iterations_source"] = "the theorem's N(t) formula (its assumption fails: no guarantee)"
    else:
        # No theory: use eq. 169 with the universal e~ = 1/(2(q - 2f)) the paper notes for ICwTM.
        if q - 2 * f <= 0:
            raise ScenarioError(f"q - 2f = {q - 2 * f} <= 0: set algorithm.iterations explicitly")
        alg["iterations"] = n_icwtm(t, h, 1.0 / (2 * (q - 2 * f)))
        alg["iterations_source"] = "eq. 169 with e~ = 1/(2(q - 2f)) (no theory for these parameters)"
    if rule_name in ("cwtm", "trimmed_middle") and q <= 2 * f and name != "broadcast":
        raise ScenarioError(f"{rule_name} needs q > 2f to trim, got q = {q}, f = {f}: raise system.q or system.n")

    adv = cfg["adversary"]

    attacks = protocol_for(cfg).attacks()  # each protocol knows the attacks aimed at it
    if adv["attack"] not in attacks:
        raise ScenarioError(f"adversary.attack {adv['attack']!r} is unknown; use one of: {', '.join(sorted(attacks))}")
    if adv["schedule"] not in SCHEDULES:
        raise ScenarioError(f"adversary.schedule {adv['schedule']!r} is unknown; use one of: {', '.join(sorted(SCHEDULES))}")
    if cfg["run"].get("dispatch") not in ("tasks", "inline"):
        raise ScenarioError("run.dispatch must be \"tasks\" (a trio task per node) or \"inline\" (same trace, faster)")
    if not isinstance(cfg["run"].get("record_trace"), bool):
        raise ScenarioError("run.record_trace must be true or false")
    return cfg


def contraction_bound(t: int) -> float:
    return math.ldexp(1.0, -t)
