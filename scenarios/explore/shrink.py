"""Shrinking a failing run, and saving a run as a replayable scenario file.

:func:`shrink` takes a broken run (a resolved scenario whose run fails termination, contraction or
C-averaging) and reduces it while it still fails, greedily, within an evaluation budget:

1. fewer iterations: a smaller target t (the iteration count N(t) is recomputed from t, and the
   contraction check is then against 2^-t with that t: the claim still applies to the smaller run);
2. fewer withheld messages: drop held links of the ``search`` schedule (all, then halves, then one
   at a time), and the Byzantine-first / gated orderings;
3. fewer Byzantine deviations: a Byzantine payload becomes the honest mean, a silent pair speaks,
   withheld support (broadcast) is given, per Byzantine node then per (Byzantine, honest) pair.

:func:`save_counterexample` writes the resolved scenario back as TOML (derived keys such as the
theory left out; resolve recomputes them), so that ``jungle run FILE --seed S`` replays the run.
"""
from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nodes.attacks.search import MENU
from scenarios.errors import ScenarioError
from scenarios.explore.search import score
from scenarios.run.execute import execute
from scenarios.spec.resolve import resolve

DERIVED = {("algorithm", "theory"), ("algorithm", "iterations_source"), ("system", "h")}


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


def scenario_data(cfg: dict[str, Any]) -> dict[str, Any]:
    """The resolved scenario without private keys and derived values (resolve recomputes them)."""
    data = {k: copy.deepcopy(v) for k, v in cfg.items() if not k.startswith("_")}
    for table, key in DERIVED:
        data.get(table, {}).pop(key, None)
    alg = cfg.get("algorithm", {})
    if alg.get("iterations_source") not in (None, "algorithm.iterations"):
        data["algorithm"].pop("iterations", None)
    return data


def save_counterexample(cfg: dict[str, Any], path: str | Path, note: str = "") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    head = [f"# {line}" for line in note.splitlines()] if note else []
    head.append(f"# replay: jungle run {p} --seed {cfg['scenario']['seed']}")
    p.write_text("\n".join(head) + "\n" + to_toml(scenario_data(cfg)))
    return p


# ------------------------------------------------------------------------------------------------
# shrinking
# ------------------------------------------------------------------------------------------------
@dataclass
class Shrunk:
    cfg: dict[str, Any]
    result: dict[str, Any]
    evaluations: int
    summary: dict[str, Any] = field(default_factory=dict)


def size(cfg: dict[str, Any]) -> dict[str, Any]:
    """What shrinking reduces: t (hence iterations), held links, orderings, Byzantine deviations."""
    adv = cfg["adversary"]
    sp = adv.get("schedule_params") or {}
    v = np.asarray(adv.get("search_values", []))
    return {"t": cfg["algorithm"]["t"], "iterations": cfg["algorithm"].get("iterations"),
            "held_links": len(sp.get("holds", [])),
            "orderings": int(bool(sp.get("byzantine_first"))) + int(bool(sp.get("gated"))),
            "deviations": int(np.sum(v != MENU.index("mean"))) if v.size else 0,
            "silent_pairs": int(np.sum(adv.get("search_silent", 0))),
            "unsupported": int(np.sum(1 - np.asarray(adv.get("search_support", 1))))}


def _with_t(cfg: dict[str, Any], t: int) -> dict[str, Any]:
    data = scenario_data(cfg)
    data["algorithm"]["t"] = t
    return resolve(data, seed=cfg["scenario"]["seed"])


def shrink(cfg: dict[str, Any], budget: int = 24,
           evaluate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
           result: dict[str, Any] | None = None) -> Shrunk:
    """Greedy reduction of a broken run (see the module docstring); returns the smallest broken run
    found within ``budget`` evaluations (the input itself if it is not broken)."""
    if evaluate is None:
        def evaluate(c):
            return execute(c, progress=False)

    state = {"cfg": cfg, "res": result if result is not None else evaluate(cfg), "n": 0 if result is not None else 1}
    before = size(cfg)
    if not score(state["res"])[1]:
        return Shrunk(cfg, state["res"], state["n"], {"before": before, "after": before, "note": "not broken"})

    def attempt(c: dict[str, Any]) -> bool:
        if state["n"] >= budget:
            return False
        res = evaluate(c)
        state["n"] += 1
        if score(res)[1]:
            state.update(cfg=c, res=res)
            return True
        return False

    # 1. fewer iterations (smaller t)
    for t in range(1, cfg["algorithm"]["t"]):
        try:
            if attempt(_with_t(state["cfg"], t)):
                break
        except ScenarioError:
            continue
    adv0 = state["cfg"]["adversary"]
    # 2. fewer withheld messages and orderings
    if adv0.get("schedule") == "search":
        holds = list((adv0.get("schedule_params") or {}).get("holds", []))
        chunk = len(holds)
        while holds and chunk >= 1 and state["n"] < budget:
            i, changed = 0, False
            while i < len(holds) and state["n"] < budget:
                trial = holds[:i] + holds[i + chunk:]
                c = copy.deepcopy(state["cfg"])
                c["adversary"]["schedule_params"]["holds"] = trial
                if attempt(c):
                    holds, changed = trial, True
                else:
                    i += chunk
            if not changed:
                chunk //= 2
        for key in ("byzantine_first", "gated"):
            if (state["cfg"]["adversary"].get("schedule_params") or {}).get(key):
                c = copy.deepcopy(state["cfg"])
                c["adversary"]["schedule_params"][key] = False
                attempt(c)
    # 3. fewer Byzantine deviations
    if state["cfg"]["adversary"].get("attack") == "search":
        mean = MENU.index("mean")
        adv = state["cfg"]["adversary"]
        f, h = len(adv["search_values"]), len(adv["search_values"][0])
        for b in range(f):
            for r in [None] + list(range(h)):
                cur = state["cfg"]["adversary"]
                rows = range(h) if r is None else [r]
                if all(all(x == mean for x in cur["search_values"][b][rr]) for rr in rows):
                    continue
                c = copy.deepcopy(state["cfg"])
                for rr in rows:
                    c["adversary"]["search_values"][b][rr] = [mean] * len(cur["search_values"][b][rr])
                attempt(c)
        for key, good in (("search_silent", 0), ("search_support", 1)):
            if key in state["cfg"]["adversary"]:
                for i in range(len(state["cfg"]["adversary"][key])):
                    row = state["cfg"]["adversary"][key][i]
                    if all(x == good for x in row):
                        continue
                    c = copy.deepcopy(state["cfg"])
                    c["adversary"][key][i] = [good] * len(row)
                    attempt(c)
    return Shrunk(state["cfg"], state["res"], state["n"], {"before": before, "after": size(state["cfg"])})
