"""``worst_case(algorithm, n, f, q, include_self)``: the worst one-step factor and a configuration.

Methods (each result says which one ran and whether its number is exact):

- order-statistic rules (cwtm = ICwTM, cwmed/median, trimmed_middle): the finite search of
  :mod:`agreement.worstcase.orderstat`, exact by the proof in its docstring (inputs at 0/1, Byzantine
  values at the honest extremes); the configuration attains the factor.
- MDA and CVA (:func:`_window_rule`): first the structured search of
  :mod:`agreement.worstcase.search` (2- and 3-level inputs, scored exactly in integers), each
  candidate realised by the MILP's LP with its combinatorial choices fixed and the selections made
  strict by 1e-9; then, unless a realised value already meets the lemma's factor, the MILP of
  :mod:`agreement.worstcase.milp` (needs scipy) within ``time_limit``. A configuration counts at the
  value of its CLOSURE (:func:`_closure_value`: the selected windows' means, in exact rationals, after
  checking in exact arithmetic that the windows are valid selections at the tie point) when its
  strict realisation replays within 1e-5 of it: the supremum is then at least that value (approached
  by the strict configurations; ``attained`` says whether a configuration reaches it exactly, ties
  resolved by the delivery order). The result is ``exact`` when that value meets a proven upper
  bound: HiGHS's dual bound (mip_rel_gap 0, compared within 1e-5, its tolerance) or the lemma's
  factor (Lemma 12 eq. 133 for MDA, the derived factor of ``theory/cva.py`` for CVA). Otherwise it is
  a LOWER BOUND, with ``upper_bound`` the best proven one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from agreement.rules import get_rule
from agreement.worstcase import milp, orderstat, search
from agreement.worstcase.lemma import LemmaFactor, lemma_factor
from agreement.worstcase.model import Configuration, factor

ALGORITHM_RULE = {"icwtm": "cwtm", "mda": "mda", "cva": "cva"}
"""Algorithms that iterate one rule (as ``scenarios.spec.resolve``)."""
SUPPORTED = tuple(ALGORITHM_RULE) + orderstat.ORDER_STATISTIC_RULES
SOLVER_TOL = 1e-5
"""Tolerance when comparing HiGHS's values (its feasibility tolerance is 1e-7 on rows with big-M
coefficients up to 10, so its objective may be off by about 1e-6) with exact ones."""


@dataclass
class WorstCase:
    algorithm: str
    rule: str
    n: int
    f: int
    q: int
    include_self: bool
    factor: float
    """The largest one-step factor (a supremum), or the best lower bound when ``exact`` is False."""
    exact: bool
    method: str
    lemma: LemmaFactor
    config: Configuration
    replayed_factor: float
    """What the configuration gives when the real rule runs on it (the scenario replays this)."""
    attained: bool
    upper_bound: float | None = None
    """A proven upper bound (= factor when exact)."""
    fraction: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "rule": self.rule, "n": self.n, "f": self.f, "q": self.q,
                "h": self.n - self.f, "include_self": self.include_self, "factor": self.factor,
                "fraction": self.fraction, "exact": self.exact, "attained": self.attained,
                "replayed_factor": self.replayed_factor, "upper_bound": self.upper_bound, "method": self.method,
                "lemma_factor": self.lemma.factor, "lemma": self.lemma.as_dict(), "notes": list(self.notes),
                "configuration": self.config.as_dict()}


def rule_of(algorithm: str) -> str:
    if algorithm == "broadcast":
        raise ValueError("worst-case: the broadcast algorithm is not 'iterate a rule' over any q-subset; "
                         "ask for its rule, trimmed_middle, to get the factor without reliable broadcast")
    rule = ALGORITHM_RULE.get(algorithm, algorithm)
    if rule not in SUPPORTED:
        raise ValueError(f"worst-case: no exact method for {algorithm!r}; supported: {', '.join(SUPPORTED)}")
    return rule


def default_q(n: int, f: int, include_self: bool) -> int:
    """q = n - f with the own vector counted, n - f - 1 without (``scenarios.spec.resolve``)."""
    return n - f if include_self else n - f - 1


def _fraction(v: float, max_den: int = 10_000) -> Fraction | None:
    fr = Fraction(v).limit_denominator(max_den)
    return fr if abs(float(fr) - v) <= 1e-7 else None


def _snap(cfg: Configuration) -> Configuration | None:
    """The configuration with its values snapped to rationals and scaled to integers, so that
    equal distances are equal in floating point (ties then go by the delivery order), or None."""
    vals = [Fraction(v).limit_denominator(10_000) for v in cfg.x + [v for row in cfg.values for v in row]]
    if any(abs(float(a) - b) > 1e-7 for a, b in zip(vals, cfg.x + [v for row in cfg.values for v in row])):
        return None
    L = math.lcm(*(v.denominator for v in vals))
    if L > 10**6:
        return None
    h = cfg.h
    ints = [float(v * L) for v in vals]
    x, rest = ints[:h], ints[h:]
    values = [rest[b * h:(b + 1) * h] for b in range(cfg.f)]
    return Configuration(n=cfg.n, f=cfg.f, q=cfg.q, include_self=cfg.include_self, x=x, order=cfg.order, values=values)


def worst_case(algorithm: str, n: int, f: int, q: int | None = None, include_self: bool = True,
               time_limit: float | None = 60.0) -> WorstCase:
    """The worst one-step factor of ``algorithm`` (module doc). ``time_limit`` bounds the MILP (MDA, CVA)."""
    rule = rule_of(algorithm)
    q = default_q(n, f, include_self) if q is None else q
    h = n - f
    if f < 0 or h < 2:
        raise ValueError(f"worst-case: need f >= 0 and at least two honest nodes, got n = {n}, f = {f}")
    q_max = default_q(n, f, include_self)
    if not 2 * f < q <= q_max:
        raise ValueError(f"worst-case: need 2f < q <= {q_max} (n - f{'' if include_self else ' - 1'}), got q = {q}; "
                         f"at q <= 2f the Byzantine values can be the output and the factor is unbounded")
    lem = lemma_factor(algorithm, n, f, q)
    fn = get_rule(rule)
    if rule in orderstat.ORDER_STATISTIC_RULES:
        val, cfg = orderstat.exact(fn, n, f, q, include_self)
        fr = _fraction(val)
        return WorstCase(algorithm, rule, n, f, q, include_self, val, True,
                         "order statistics: inputs at 0/1, Byzantine values at the honest extremes (exact, "
                         "agreement.worstcase.orderstat)", lem, cfg, val, True, val, str(fr) if fr else None)
    return _window_rule(algorithm, rule, n, f, q, include_self, lem, time_limit)


def _window_rule(algorithm: str, rule: str, n: int, f: int, q: int, include_self: bool, lem: LemmaFactor,
                 time_limit: float | None) -> WorstCase:
    """MDA, CVA: the structured search, then (unless the search already meets the lemma's bound) the
    MILP; the best realised value, exact when it meets a proven upper bound."""
    fn = get_rule(rule)
    found: list[tuple[float, Fraction | None, Configuration, float, str]] = []

    def consider(cfg: Configuration, selection, source: str) -> None:
        replay = factor(cfg, fn)
        closure = _closure_value(cfg, selection, rule)
        if closure is not None and replay >= float(closure) - SOLVER_TOL:
            found.append((float(closure), closure, cfg, replay, source))
        else:
            found.append((replay, None, cfg, replay, source))

    for cfg, sel in search.lower_bounds(rule, n, f, q, include_self,
                                        lambda placed: milp.realise(rule, n, f, q, include_self, placed)):
        consider(cfg, sel, "structured search")
    best = max(found, key=lambda t: t[0], default=None)
    res = None
    if best is None or best[1] is None or lem.factor is None or best[0] < lem.factor - SOLVER_TOL:
        res = milp.solve(rule, n, f, q, include_self, time_limit=time_limit)
        if res.config is not None:
            consider(res.config, res.selection, "MILP")
    if not found:
        raise ValueError(f"worst-case: no configuration found within the time limit ({res.status if res else ''})")
    value, closure, cfg, replay, source = max(found, key=lambda t: t[0])
    upper = [b for b in (res.dual_bound if res is not None and math.isfinite(res.dual_bound) else None, lem.factor)
             if b is not None]
    ub = min(upper) if upper else None
    realised = closure is not None
    exact = realised and ub is not None and value >= ub - SOLVER_TOL
    attained, snapped = False, _snap(cfg)
    if snapped is not None:
        v = factor(snapped, fn)
        if abs(v - value) <= 1e-12 * max(1.0, abs(value)):
            cfg, replay, attained = snapped, v, True
    attained = attained or abs(replay - value) <= 1e-12 * max(1.0, abs(value))
    notes = []
    if exact and (res is None or not res.optimal):
        notes.append("the value found reaches the lemma's upper bound" + ("" if res is None else
                                                                          " (the MILP stopped at its time limit)"))
    if res is not None and res.config is not None and closure is None:
        notes.append(f"the MILP's optimum {res.value:.9g} was not realised by the rule (a tie it breaks otherwise); "
                     f"the configuration found gives {replay:.9g}")
    if realised and not attained:
        notes.append(f"a supremum: the configuration found approaches it (replayed factor {replay:.12g}); none found "
                     "attains it exactly (the rule breaks the tie at the limit the other way)")
    if not exact:
        notes.append(f"LOWER BOUND: optimality not proven within {time_limit} s; proven upper bound "
                     f"{'none' if ub is None else f'{ub:.9g}'}")
    parts = [f"best configuration from the {source}" + (" (structured search over 2- and 3-level inputs, realised "
                                                        "by the MILP's LP; then the MILP)" if res is not None else
                                                        " over 2- and 3-level inputs, realised by the MILP's LP")]
    if res is not None:
        parts.append(f"MILP: HiGHS via scipy, mip_rel_gap 0, {res.nodes} nodes, "
                     f"{'optimal' if res.optimal else 'time limit'}, dual bound {res.dual_bound:.9g}")
    parts.append(f"values exact in rationals; solver values compared within {SOLVER_TOL:g}")
    return WorstCase(algorithm, rule, n, f, q, include_self, value, exact, "; ".join(parts), lem, cfg, replay,
                     attained, value if exact else ub, str(closure) if closure is not None else None, notes)


def _closure_value(cfg: Configuration, selection: dict[int, list[int]] | None, rule: str) -> Fraction | None:
    """The factor of the MILP's optimum computed exactly: the configuration's values snapped to
    rationals, node 0's selected window mean minus node 1's over the input spread, after checking in
    exact arithmetic that each selected window is a valid selection of the rule (MDA: no (q - f)-subset
    of smaller range; CVA: no unselected value closer to the node's own value). None if the snap or the
    check fails."""
    if selection is None:
        return None
    h, m = cfg.h, cfg.q - cfg.f
    fx = [_rational(v) for v in cfg.x]
    fv = [[_rational(v) for v in row] for row in cfg.values]
    if any(v is None for v in fx) or any(v is None for row in fv for v in row):
        return None
    means = []
    for node in (0, 1):
        rows = ([fx[node]] if cfg.include_self else []) + [fx[s] if s < h else fv[s - h][node] for s in cfg.order[node]]
        sel = selection[node]
        if len(sel) != m:
            return None
        chosen = [rows[r] for r in sel]
        rest = [rows[r] for r in range(len(rows)) if r not in sel]
        if rule == "mda":
            srt = sorted(rows)
            if max(chosen) - min(chosen) > min(srt[j + m - 1] - srt[j] for j in range(len(srt) - m + 1)):
                return None
        elif rule == "cva":
            P = fx[node]
            if rest and max(abs(v - P) for v in chosen) > min(abs(v - P) for v in rest):
                return None
        means.append(sum(chosen, Fraction(0)) / m)
    spread = max(fx) - min(fx)
    return (means[0] - means[1]) / spread if spread > 0 else None


def _rational(v: float) -> Fraction | None:
    fr = Fraction(v).limit_denominator(10_000)
    return fr if abs(float(fr) - v) <= 1e-6 else None


def one_step_factor(algorithm: str, n: int, f: int, include_self: bool = True, q: int | None = None,
                    time_limit: float | None = 60.0) -> dict[str, Any]:
    """For ``jungle thresholds``' column: {"factor", "exact", "upper_bound", "lemma_factor", "method"}
    of one iteration at (algorithm, n, f) (default q), or {"factor": None, "reason": ...} when
    there is no such number (unsupported algorithm, q <= 2f, no scipy for MDA/CVA)."""
    try:
        wc = worst_case(algorithm, n, f, q=q, include_self=include_self, time_limit=time_limit)
    except (ValueError, ImportError) as exc:
        return {"factor": None, "exact": False, "reason": str(exc)}
    return {"factor": wc.factor, "fraction": wc.fraction, "exact": wc.exact, "upper_bound": wc.upper_bound,
            "lemma_factor": wc.lemma.factor, "method": wc.method}
