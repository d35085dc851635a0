"""``jungle worst-case``: compute the worst one-step factor (:mod:`agreement.worstcase`), write its
configuration as a scenario that replays it, replay it, and report.

The scenario runs ONE iteration (``algorithm.iterations = 1``) in d = 1 on the configuration's
inputs (``inputs.kind = "values"``) with the ``worst-case`` attack and schedule
(:mod:`nodes.attacks.worstcase`, :mod:`net.schedules.worstcase`), which deliver to each honest node
exactly its chosen senders and Byzantine values; its ``worst_case_replay`` check compares
D2(after)/D2(before) with the factor. ``jungle run FILE`` replays it.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from agreement.worstcase import WorstCase, default_q, one_step_factor, worst_case
from scenarios.explore.shrink import save_counterexample
from scenarios.run.execute import execute, prepare
from scenarios.spec.resolve import resolve
from scenarios.spec.schema import Scenario


def scenario_data(wc: WorstCase) -> dict[str, Any]:
    """The scenario (TOML tables) that replays ``wc.config`` for one iteration."""
    c = wc.config
    name = f"worst-case-{wc.algorithm}-n{wc.n}-f{wc.f}-q{wc.q}{'' if wc.include_self else '-noself'}"
    kind = "exact" if wc.exact else "lower bound"
    return {
        "scenario": {"name": name, "kind": "agreement", "seed": 1,
                     "description": (f"jungle worst-case: one iteration of {wc.algorithm} at n = {wc.n}, f = {wc.f}, "
                                     f"q = {wc.q}; factor {wc.factor:.12g} ({kind}); this configuration gives "
                                     f"{wc.replayed_factor:.12g}")},
        "system": {"n": wc.n, "f": wc.f, "q": wc.q, "dim": 1, "include_self": wc.include_self},
        "algorithm": {"name": wc.algorithm, "rule": wc.rule, "t": 1, "iterations": 1, "allow_below_threshold": True},
        "inputs": {"kind": "values", "values": [[v] for v in c.x]},
        "adversary": {"attack": "worst-case", "schedule": "worst-case", "worst_case_values": c.values,
                      "worst_case_order": c.order, "worst_case_factor": wc.replayed_factor},
        "run": {"dispatch": "inline", "record_trace": False},
    }


def scenario_of(wc: WorstCase) -> Scenario:
    """The resolved (validated) scenario that replays ``wc.config``."""
    return resolve(scenario_data(wc))


def write_scenario(wc: WorstCase, path: str | Path) -> Path:
    """Write the validated scenario (:func:`scenarios.explore.shrink.save_counterexample`)."""
    p = Path(path)
    lemma = f"{wc.lemma.factor:.6g}" if wc.lemma.factor is not None else "not applicable"
    head = [f"jungle worst-case {wc.algorithm} --n {wc.n} --f {wc.f} --q {wc.q} --include-self "
            f"{str(wc.include_self).lower()}",
            f"factor {wc.factor:.12g}{f' = {wc.fraction}' if wc.fraction else ''} "
            f"({'exact' if wc.exact else 'LOWER BOUND'}), lemma factor {lemma}; replayed {wc.replayed_factor:.12g}"]
    return save_counterexample(scenario_of(wc), p, note="\n".join(head))


def replay(path: str | Path) -> dict[str, Any]:
    """Run the scenario file (one iteration) and return its result JSON."""
    return execute(prepare(str(path)), progress=False)


@contextlib.contextmanager
def quiet_stdout():
    """Silence file descriptor 1 (HiGHS's C++ code prints solver chatter there, past Python's sys.stdout)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real descriptor (e.g. captured by a test runner): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_worst_case(algorithm: str, n: int, f: int, q: int | None = None, include_self: bool = True,
                   time_limit: float | None = 60.0, out: str | Path = "worst-case",
                   check_replay: bool = True) -> dict[str, Any]:
    """Compute, write the scenario, replay it; the report (what ``--json`` writes)."""
    t0 = time.perf_counter()
    with quiet_stdout():
        wc = worst_case(algorithm, n, f, q=q, include_self=include_self, time_limit=time_limit)
    seconds = time.perf_counter() - t0
    path = write_scenario(wc, Path(out) / f"{scenario_data(wc)['scenario']['name']}.toml")
    report = wc.as_dict()
    report.update({"scenario_file": str(path), "seconds": seconds})
    if check_replay:
        res = replay(path)
        chk = res["checks"].get("worst_case_replay", {})
        report["replay"] = {"command": f"jungle run {path}", "measured": chk.get("measured"),
                            "holds": chk.get("holds"), "trace_digest": res["trace_digest"]}
    return report


def save_json(report: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(report, indent=2) + "\n")
    return p


def one_step_column(algorithm: str, n: int, f: int, include_self: bool = True, time_limit: float | None = 30.0
                    ) -> dict[str, Any]:
    """What ``jungle thresholds`` shows in its one-step column for (algorithm, n, f), q = its default:
    ``{"factor", "fraction", "exact", "upper_bound", "lemma_factor", "method"}`` (``factor`` None with
    a ``reason`` when there is none). Exact and instant for ICwTM; MDA/CVA take up to ``time_limit``
    seconds where the lemma does not settle them (then possibly a labelled lower bound)."""
    with quiet_stdout():
        return one_step_factor(algorithm, n, f, include_self=include_self, time_limit=time_limit)


def cases(algorithms: list[str], fs: list[int], ns: list[int] | None, include_self: bool) -> list[tuple[str, int, int]]:
    """(algorithm, f, n) for every n given (default 3f + 1 .. 4f + 4) with 2f < q (default q)."""
    out = []
    for alg in algorithms:
        for f in fs:
            for n in ns or range(3 * f + 1, 4 * f + 5):
                if n - f >= 2 and default_q(n, f, include_self) > 2 * f:
                    out.append((alg, f, n))
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    """The factors table (one row per report of :func:`run_worst_case`)."""
    head = ("| algorithm | n | f | q | factor | exact | upper bound | lemma factor | attained | seconds | scenario |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        frac = f" = {r['fraction']}" if r.get("fraction") and "/" in r["fraction"] else ""
        lem = "n/a" if r["lemma_factor"] is None else f"{r['lemma_factor']:.4g}"
        ub = "-" if r["upper_bound"] is None else f"{r['upper_bound']:.4g}"
        lines.append(f"| {r['algorithm']} | {r['n']} | {r['f']} | {r['q']} | {r['factor']:.4g}{frac} | "
                     f"{'yes' if r['exact'] else 'LOWER BOUND'} | {ub} | {lem} | {'yes' if r['attained'] else 'sup'} | "
                     f"{r['seconds']:.2f} | `{Path(r['scenario_file']).name}` |")
    return "\n".join(lines) + "\n"
