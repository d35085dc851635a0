"""Resolve a scenario: validate the file against the schema, fill every default, check the keys
against each other and against the registries, compute the algorithm's theory once, and refuse a
scenario over its resource budget. The result is one immutable :class:`Scenario`.

The resolved scenario is what the result JSON reports under ``scenario``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from agreement.registry import UnknownName
from agreement.rules import PRE_AGGREGATIONS, RULES, get_rule
from agreement.theory import THEORIES, theory_for
from agreement.theory.icwtm import n_icwtm
from scenarios.errors import ScenarioError
from scenarios.run.protocols import PROTOCOLS, protocol_class
from scenarios.spec.adversary import resolve_adversary
from scenarios.spec.budget import check_budget
from scenarios.spec.compare import resolve_variants
from scenarios.spec.inputs import resolve_inputs
from scenarios.spec.learn import resolve_learn, workload_dim
from scenarios.spec.schema import (
    DEFAULT_DIM,
    EXPLICIT_ITERATIONS,
    KIND_TABLES,
    SEED_KINDS,
    Algorithm,
    AlgorithmSpec,
    CompareTable,
    LearnTable,
    PflTable,
    Scenario,
    ScenarioFile,
    System,
    SystemSpec,
)
from scenarios.spec.validation import closest, validated

DEFAULT_RULE = {"icwtm": "cwtm", "mda": "mda", "cva": "cva", "broadcast": "trimmed_middle"}
"""The rule each named agreement algorithm iterates (or aggregates with, for broadcast) unless
``algorithm.rule``; a protocol adapter may declare its own (``default_rule``: the trusted server's)."""


def resolve(data: Mapping[str, Any], seed: int | None = None, base_dir: Path | None = None) -> Scenario:
    """The resolved scenario of a file's raw tables (after ``--set``), with ``seed`` overriding
    ``scenario.seed``; relative paths are read from ``base_dir``. A ``[compare]`` table resolves
    every variant too (``Scenario.variants``)."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"a scenario is a table of tables, got {type(data).__name__}")
    data = dict(data)
    compare = data.pop("compare", None)
    if seed is not None and isinstance(data.get("scenario", {}), Mapping):
        data["scenario"] = {**data.get("scenario", {}), "seed": seed}
    spec = validated(ScenarioFile, data)
    scenario = build(spec, base_dir)
    if compare is None:
        return scenario
    table = validated(CompareTable, compare, "compare")
    variants = resolve_variants(data, table, lambda d: resolve(d, seed, base_dir))
    return scenario.model_copy(update={"compare": table, "variants": tuple(variants)})


def build(spec: ScenarioFile, base_dir: Path | None = None) -> Scenario:
    """The resolved scenario of a validated file (see the module docstring)."""
    if spec.scenario.kind in SEED_KINDS:
        return _seed_kind(spec)
    for kind in SEED_KINDS:
        if getattr(spec, kind) is not None:
            raise ScenarioError(f"[{kind}] is only read when scenario.kind = \"{kind}\": remove it or set the kind")
    learn = _learn(spec)
    pfl = _pfl(spec, learn)
    system = _system(spec.system, learn, pfl)
    algorithm = _algorithm(spec.algorithm, system)
    proto = protocol_class(algorithm.name)
    if learn is None and proto.learn_only:
        raise ScenarioError(f"algorithm.name = {algorithm.name!r} runs LEARN scenarios only: set "
                            "scenario.kind = \"learn\" (with a [learn] table), or choose another algorithm")
    n, f, q, d = system.n, system.f, system.q, system.dim
    inputs = resolve_inputs(spec.inputs, n=n, f=f, q=q, d=d, base_dir=base_dir)
    adversary = resolve_adversary(spec.adversary, proto, n=n, f=f, q=q, d=d, learn=learn is not None)
    scenario = Scenario(scenario=spec.scenario, system=system, algorithm=algorithm, inputs=inputs,
                        adversary=adversary, run=spec.run, learn=learn, pfl=pfl)
    check_budget(scenario)
    return scenario


def _seed_kind(spec: ScenarioFile) -> Scenario:
    """A ``cga``, ``licchavi`` or ``gmm`` scenario: ``[scenario]`` and the kind's own table (every
    default filled in by the schema); no network, so no other table."""
    kind = spec.scenario.kind
    given = [t for t in ScenarioFile.model_fields if t in spec.model_fields_set and t not in ("scenario", kind, "compare")]
    if given:
        raise ScenarioError(f"[{given[0]}] is not used by scenario kind {kind!r}: its tables are [scenario] and [{kind}]")
    table = getattr(spec, kind) or KIND_TABLES[kind]()
    if kind == "gmm" and table.network:
        raise ScenarioError("gmm.network = true needs the trusted-server protocol wired to the gmm clients, not in this "
                            "version: set gmm.network = false (Algorithms 1-2 in numpy)")
    return Scenario(scenario=spec.scenario, system=None, algorithm=None, inputs=None, adversary=None, run=None,
                    **{kind: table})


def _pfl(spec: ScenarioFile, learn: LearnTable | None) -> PflTable | None:
    """The ``[pfl]`` table of the pfl workload (every default filled in); refused elsewhere."""
    if learn is None or learn.workload != "pfl":
        if spec.pfl is not None:
            raise ScenarioError("[pfl] is only read when learn.workload = \"pfl\": remove it or set the workload")
        return None
    pfl = spec.pfl or PflTable()
    if pfl.mode == "server":
        raise ScenarioError("pfl.mode = \"server\" (the paper's loop through the trusted-server protocol) is not wired "
                            "in this version: use pfl.mode = \"decentralised\" (or scenario.kind = \"cga\" for the "
                            "paper's synchronous loop)")
    return pfl


def _learn(spec: ScenarioFile) -> LearnTable | None:
    if spec.scenario.kind == "agreement":
        if spec.learn is not None:
            raise ScenarioError("[learn] is only read when scenario.kind = \"learn\": remove it or set the kind")
        return None
    return resolve_learn(spec.learn or LearnTable())


def _system(spec: SystemSpec, learn: LearnTable | None, pfl: PflTable | None = None) -> System:
    """n, f, q (default: every vector a node can gather), d (default, or the workload's: ``pfl.d``
    for the pfl workload), h."""
    n, f = spec.n, spec.f
    if f >= n:
        raise ScenarioError(f"system.f must be < system.n (at least one honest node), got n = {n}, f = {f}")
    h = n - f
    dim = spec.dim if spec.dim is not None else DEFAULT_DIM
    fixed = pfl.d if pfl is not None else workload_dim(learn) if learn is not None else None
    if fixed is not None:
        if spec.dim is not None and spec.dim != fixed:
            raise ScenarioError(f"system.dim = {spec.dim}, but the {learn.workload} workload fixes d = {fixed}"
                                f"{' (pfl.d)' if pfl is not None else ''}: remove system.dim")
        dim = fixed
    q_max = h if spec.include_self else h - 1
    q = spec.q if spec.q is not None else q_max
    if q > q_max or q < 1:
        raise ScenarioError(
            f"system.q = {q} cannot be gathered when the {f} Byzantine nodes stay silent: 1 <= q <= {q_max}"
            f" (n - f{'' if spec.include_self else ' - 1, own vector not counted'})")
    return System(n=n, f=f, q=q, dim=dim, include_self=spec.include_self, h=h)


def check_algorithm(name: str, rule: str | None = None, key: str = "algorithm.name") -> str:
    """The rule algorithm ``name`` iterates (``rule`` when given), checked against the rule
    registries (``pre+rule`` too); a name that is neither an algorithm nor a rule is one line naming
    the closest of both."""
    known = name in DEFAULT_RULE or name in PROTOCOLS
    rule_name = rule or DEFAULT_RULE.get(name) or protocol_class(name).default_rule or name
    key = "algorithm.rule" if rule else key
    try:
        get_rule(rule_name)
    except UnknownName as exc:
        if not rule and not known and "+" not in rule_name:
            hint = closest(rule_name, [*DEFAULT_RULE, *sorted(PROTOCOLS), *sorted(RULES)])
            raise ScenarioError(f"{key} = {rule_name!r} is neither an algorithm nor a rule"
                                f"{f' (did you mean {hint!r}?)' if hint else ''}; algorithms: "
                                f"{', '.join(DEFAULT_RULE)}; rules: {', '.join(sorted(RULES))} (and pre+rule with "
                                f"pre in {', '.join(sorted(PRE_AGGREGATIONS))})") from None
        raise ScenarioError(f"{key} = {rule_name!r}: {exc}") from None
    return rule_name


def _iterations(spec: AlgorithmSpec, th, q: int, f: int, h: int) -> tuple[int, str]:
    """(iterations, where they come from): explicit, N(t) of the theory, the theorem's formula when
    its assumption fails, else eq. 169 with the universal e~ = 1/(2(q - 2f))."""
    if spec.iterations is not None:
        return spec.iterations, EXPLICIT_ITERATIONS
    if th.holds and th.iterations is not None:
        return th.iterations, "theory N(t)"
    if th.extra.get("N_formula") is not None:
        return int(th.extra["N_formula"]), "the theorem's N(t) formula (its assumption fails: no guarantee)"
    if q - 2 * f <= 0:
        raise ScenarioError(f"q - 2f = {q - 2 * f} <= 0: no iteration count is known; set algorithm.iterations")
    return n_icwtm(spec.t, h, 1.0 / (2 * (q - 2 * f))), "eq. 169 with e~ = 1/(2(q - 2f)) (no theory for these parameters)"


def _algorithm(spec: AlgorithmSpec, s: System) -> Algorithm:
    """The rule, the theory (computed once, with the resolved d), the threshold and the iterations."""
    rule = check_algorithm(spec.name, spec.rule)
    try:
        protocol_class(spec.name).check_rule(get_rule(rule), s.q, s.f)
    except (ValueError, ArithmeticError) as exc:
        raise ScenarioError(f"algorithm.rule {rule!r} cannot aggregate the q = {s.q} vectors a node gathers with "
                            f"f = {s.f} ({exc}): raise system.q or system.n, or lower system.f") from None
    th = theory_for(spec.name, s.n, s.f, s.q, s.dim, spec.t)
    warning = None
    if not th.holds and spec.name in THEORIES:
        if th.headline_n is not None and s.n >= th.headline_n:
            # the paper's headline threshold is met: run it, saying which assumption fails
            warning = (f"n = {s.n} meets the paper's headline threshold n >= {th.headline_n}, but {th.reason}: "
                       f"this run has no guarantee from the theorem")
        elif not spec.allow_below_threshold:
            raise ScenarioError(f"{th.reason}; set algorithm.allow_below_threshold = true to run it anyway")
    iterations, source = _iterations(spec, th, s.q, s.f, s.h)
    return Algorithm(**spec.model_dump(exclude={"rule", "iterations"}), rule=rule, iterations=iterations,
                     iterations_source=source, theory=th, warning=warning)
