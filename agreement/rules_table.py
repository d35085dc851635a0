"""The README table of algorithms and rules: thresholds, constants and costs, generated from the
code's own theory functions and docstrings (``python -m agreement.rules_table`` prints it).

Algorithms: their theory (``agreement.theory.theory_for``) at stated example parameters. Rules: the
NNM paper's (f, kappa) robustness coefficient with n := q inputs (section 8.1, Lemma 1 for NNM;
Proposition 6's lower bound f/(q - 2f) for reference) and the cost stated in each rule's docstring.
"""
from __future__ import annotations

import re
from typing import Callable

from agreement.rules import PRE_AGGREGATIONS, RULES, get_rule
from agreement.rules.geomed import kappa_gm
from agreement.rules.krum import kappa_krum
from agreement.theory import theory_for

EXAMPLE = {"n": 26, "f": 2, "q": 24, "d": 10, "t": 3}
"""Example parameters for the algorithms' constants: every algorithm's assumption holds there."""

KAPPA_EXAMPLE = {"q": 21, "f": 5}
"""Example for the rules' kappa: q = 21 inputs (n = 26, f = 5, own vector included)."""


def kappa_cwtm(n: int, f: int) -> float:
    """6f/(n - 2f) (1 + f/(n - 2f)) (NNM paper, Proposition 2)."""
    return 6 * f / (n - 2 * f) * (1 + f / (n - 2 * f))


def kappa_lower(n: int, f: int) -> float:
    """f/(n - 2f): no rule does better (NNM paper, Proposition 6)."""
    return f / (n - 2 * f)


def _kappas() -> dict[str, tuple[str, Callable[[int, int], float]]]:
    return {
        "cwtm": ("6f/(q-2f) (1 + f/(q-2f))", kappa_cwtm),
        "cwmed": ("4 (1 + f/(q-2f))^2", kappa_gm),
        "median": ("4 (1 + f/(q-2f))^2", kappa_gm),
        "geomed": ("4 (1 + f/(q-2f))^2", kappa_gm),
        "gm": ("4 (1 + f/(q-2f))^2", kappa_gm),
        "krum": ("6 (1 + f/(q-2f))", kappa_krum),
    }


def cost_of(fn: Callable) -> str:
    """The ``Cost ...`` sentence of a function's docstring."""
    doc = " ".join((getattr(fn, "__doc__", "") or "").split())
    m = re.search(r"Cost:?\s+(.+?)(?:\.\s|\.$|$)", doc)
    return m.group(1).strip() if m else "-"


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def algorithms_table(example: dict[str, int] = EXAMPLE) -> str:
    n, f, q, d, t = (example[k] for k in ("n", "f", "q", "d", "t"))
    rules = {"icwtm": "cwtm", "mda": "mda", "cva": "cva", "broadcast": "trimmed_middle"}
    lines = [f"Algorithms (constants at n = {n}, f = {f}, q = {q}, d = {d}, t = {t}):", "",
             "| algorithm | threshold | holds here | e | e~ | N(t) | per-iteration factor | C | lower bound (h+2f-q)/h | rule cost |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    h = n - f
    for alg, rule in rules.items():
        th = theory_for(alg, n, f, q, d, t)
        try:
            cost = cost_of(get_rule(rule))
        except KeyError:
            cost = "-"
        holds = "yes" if th.holds else f"no: {th.reason}"
        lines.append(f"| {alg} | {th.threshold} | {holds} | {_fmt(th.eps)} | {_fmt(th.eps_tilde)} | {_fmt(th.iterations)} | "
                     f"{_fmt(th.per_iteration)} | {_fmt(th.C)} | {_fmt((h + 2 * f - q) / h)} | {cost} |")
    return "\n".join(lines)


def rules_table(example: dict[str, int] = KAPPA_EXAMPLE) -> str:
    q, f = example["q"], example["f"]
    kap = _kappas()
    lines = [f"Rules (kappa of (f, kappa)-robustness with n := q inputs, at q = {q}, f = {f}; "
             f"lower bound f/(q-2f) = {kappa_lower(q, f):.4g}):", "",
             "| rule | kappa (NNM paper) | kappa here | kappa after NNM, 8f/(q-f) (kappa+1) | cost |",
             "|---|---|---|---|---|"]
    seen: dict[int, str] = {}
    for name in sorted(RULES):
        fn = RULES[name]
        if id(fn) in seen:
            continue
        aliases = [a for a in sorted(RULES) if RULES[a] is fn and a != name]
        seen[id(fn)] = name
        label = name + (f" ({', '.join(aliases)})" if aliases else "")
        formula, kf = kap.get(name, ("not given", None))
        k = kf(q, f) if kf else None
        after = 8 * f / (q - f) * (k + 1) if k is not None else None
        lines.append(f"| {label} | {formula} | {_fmt(k)} | {_fmt(after)} | {cost_of(fn)} |")
    pre_kappa = {"nnm": "8f/(q-f) (kappa+1) (Lemma 1)", "nnm-own": "not given (own pivot: Lemma 4 with mu = own)",
                 "bucketing": "in expectation over the permutation only (section 10, Observations 1-2)"}
    for pre, wrap in sorted(PRE_AGGREGATIONS.items()):
        lines.append(f"| {pre}+RULE (pre-aggregation) | {pre_kappa.get(pre, 'not given')} | - | - | {cost_of(wrap(RULES['mean']))} |")
    return "\n".join(lines)


def render() -> str:
    return algorithms_table() + "\n\n" + rules_table() + "\n"


if __name__ == "__main__":
    print(render())
