"""Shrinking a failing run, and saving a run as a replayable scenario file.

:func:`shrink` takes a broken run (a resolved scenario whose run fails termination, contraction or
C-averaging) and reduces it while it still fails, greedily, within an evaluation budget:

1. fewer iterations: a smaller target t (the iteration count N(t) is recomputed from t, and the
   contraction check is then against 2^-t with that t: the claim still applies to the smaller run);
2. fewer withheld messages: drop held links of the ``search`` schedule (all, then halves, then one
   at a time), and the Byzantine-first / gated orderings;
3. fewer Byzantine deviations: a Byzantine payload becomes the honest mean, a silent pair speaks,
   withheld support (broadcast) is given, per Byzantine node then per (Byzantine, honest) pair.

:func:`save_counterexample` writes the resolved scenario back as TOML (its ``file_data``: derived
keys such as the theory left out; resolve recomputes them), so that ``jungle run FILE --seed S``
replays the run.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nodes.attacks.search import MENU
from scenarios.errors import ScenarioError
from scenarios.explore.breaks import at_horizon
from scenarios.explore.search import score
from scenarios.run.execute import execute
from scenarios.spec.resolve import resolve
from scenarios.spec.schema import Scenario


# ------------------------------------------------------------------------------------------------
# TOML writing (tomllib only reads)
# ------------------------------------------------------------------------------------------------
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if hasattr(v, "tolist"):
        return _toml_value(v.tolist())
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _key(k: str) -> str:
    return k if k and k.replace("_", "").replace("-", "").isascii() and k.replace("_", "").replace("-", "").isalnum() \
        else _toml_value(k)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text of a scenario: top-level tables of scalars/lists, sub-tables as [a.b] (None skipped)."""
    out: list[str] = []

    def table(path: list[str], d: dict[str, Any]) -> None:
        scalars = [(k, v) for k, v in d.items() if v is not None and not isinstance(v, dict)]
        subs = [(k, v) for k, v in d.items() if isinstance(v, dict)]
        if path:
            out.append(f"[{'.'.join(_key(p) for p in path)}]")
        for k, v in scalars:
            out.append(f"{_key(k)} = {_toml_value(v)}")
        out.append("")
        for k, v in subs:
            table(path + [k], v)

    top = {k: v for k, v in data.items() if not isinstance(v, dict) and v is not None}
    for k, v in top.items():
        out.append(f"{_key(k)} = {_toml_value(v)}")
    for k, v in data.items():
        if isinstance(v, dict):
            table([k], v)
    return "\n".join(out).rstrip() + "\n"


def save_counterexample(scenario: Scenario, path: str | Path, note: str = "") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    head = [f"# {line}" for line in note.splitlines()] if note else []
    head.append(f"# replay: jungle run {p} --seed {scenario.scenario.seed}")
    p.write_text("\n".join(head) + "\n" + to_toml(scenario.file_data()))
    return p


# ------------------------------------------------------------------------------------------------
# shrinking
# ------------------------------------------------------------------------------------------------
@dataclass
class Shrunk:
    scenario: Scenario
    result: dict[str, Any]
    evaluations: int
    summary: dict[str, Any] = field(default_factory=dict)


def size(scenario: Scenario) -> dict[str, Any]:
    """What shrinking reduces: t (hence iterations), held links, orderings, Byzantine deviations."""
    adv = scenario.adversary
    sp, p = adv.schedule_params, adv.params
    v = np.asarray(getattr(p, "search_values", None) or [])
    silent = getattr(p, "search_silent", None)
    support = getattr(p, "search_support", None)
    return {"t": scenario.algorithm.t, "iterations": scenario.algorithm.iterations,
            "held_links": len(getattr(sp, "holds", [])),
            "orderings": int(bool(getattr(sp, "byzantine_first", False))) + int(bool(getattr(sp, "gated", False))),
            "deviations": int(np.sum(v != MENU.index("mean"))) if v.size else 0,
            "silent_pairs": int(np.sum(silent if silent is not None else 0)),
            "unsupported": int(np.sum(1 - np.asarray(support if support is not None else 1)))}


def _with_t(scenario: Scenario, t: int) -> Scenario:
    """The scenario re-resolved with target t: the iteration count N(t) follows, and a break is
    judged at its horizon (:mod:`scenarios.explore.breaks`), so the horizon is recomputed from it."""
    data = scenario.file_data()
    data["algorithm"]["t"] = t
    data["algorithm"].pop("iterations", None)
    return at_horizon(resolve(data, seed=scenario.scenario.seed))


def _with_schedule(scenario: Scenario, **changes) -> Scenario:
    adv = scenario.adversary
    return scenario.updated("adversary", schedule_params=adv.schedule_params.model_copy(update=changes))


def _with_attack(scenario: Scenario, **changes) -> Scenario:
    adv = scenario.adversary
    return scenario.updated("adversary", params=adv.params.model_copy(update=changes))


class _State:
    """The smallest broken run so far and the evaluations spent."""

    def __init__(self, scenario: Scenario, result: dict[str, Any], n: int, budget: int, evaluate):
        self.scenario, self.result, self.n, self.budget, self.evaluate = scenario, result, n, budget, evaluate

    def attempt(self, candidate: Scenario) -> bool:
        """Run ``candidate``; keep it when it is still broken."""
        if self.n >= self.budget:
            return False
        res = self.evaluate(candidate)
        self.n += 1
        if score(res)[1]:
            self.scenario, self.result = candidate, res
            return True
        return False


def shrink(scenario: Scenario, budget: int = 24, evaluate: Callable[[Scenario], dict[str, Any]] | None = None,
           result: dict[str, Any] | None = None) -> Shrunk:
    """Greedy reduction of a broken run (see the module docstring); returns the smallest broken run
    found within ``budget`` evaluations (the input itself if it is not broken)."""
    if evaluate is None:
        def evaluate(c):
            return execute(c, progress=False)

    st = _State(scenario, result if result is not None else evaluate(scenario), 0 if result is not None else 1,
                budget, evaluate)
    before = size(scenario)
    if not score(st.result)[1]:
        return Shrunk(scenario, st.result, st.n, {"before": before, "after": before, "note": "not broken"})
    for t in range(1, scenario.algorithm.t):  # 1. fewer iterations (smaller t)
        try:
            if st.attempt(_with_t(st.scenario, t)):
                break
        except ScenarioError:
            continue
    if st.scenario.adversary.schedule == "search":  # 2. fewer withheld messages and orderings
        _shrink_holds(st)
        for key in ("byzantine_first", "gated"):
            if getattr(st.scenario.adversary.schedule_params, key):
                st.attempt(_with_schedule(st.scenario, **{key: False}))
    if st.scenario.adversary.attack == "search":  # 3. fewer Byzantine deviations
        _shrink_values(st)
        _shrink_rows(st)
    return Shrunk(st.scenario, st.result, st.n, {"before": before, "after": size(st.scenario)})


def _shrink_holds(st: _State) -> None:
    """Drop held links: all, then halves, then one at a time, while the run stays broken."""
    holds = list(st.scenario.adversary.schedule_params.holds)
    chunk = len(holds)
    while holds and chunk >= 1 and st.n < st.budget:
        i, changed = 0, False
        while i < len(holds) and st.n < st.budget:
            trial = holds[:i] + holds[i + chunk:]
            if st.attempt(_with_schedule(st.scenario, holds=trial)):
                holds, changed = trial, True
            else:
                i += chunk
        if not changed:
            chunk //= 2


def _shrink_values(st: _State) -> None:
    """A Byzantine payload becomes the honest mean: per Byzantine node, then per (Byzantine, honest) pair."""
    mean = MENU.index("mean")
    values = st.scenario.adversary.params.search_values
    if not values:
        return
    f, h = len(values), len(values[0])
    for b in range(f):
        for r in [None] + list(range(h)):
            cur = st.scenario.adversary.params.search_values
            rows = range(h) if r is None else [r]
            if all(all(x == mean for x in cur[b][rr]) for rr in rows):
                continue
            new = [[list(row) for row in node] for node in cur]
            for rr in rows:
                new[b][rr] = [mean] * len(cur[b][rr])
            st.attempt(_with_attack(st.scenario, search_values=new))


def _shrink_rows(st: _State) -> None:
    """A silent row speaks, a withheld support row is given, one row at a time."""
    for key, good in (("search_silent", 0), ("search_support", 1)):
        if getattr(st.scenario.adversary.params, key, None) is None:
            continue
        for i in range(len(getattr(st.scenario.adversary.params, key))):
            rows = getattr(st.scenario.adversary.params, key)
            if all(x == good for x in rows[i]):
                continue
            new = [list(row) for row in rows]
            new[i] = [good] * len(rows[i])
            st.attempt(_with_attack(st.scenario, **{key: new}))
