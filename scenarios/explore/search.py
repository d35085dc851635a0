"""The search adversary's optimiser: the cross-entropy method over the ``search`` attack's payload
choices and the ``search`` schedule's held links, maximising the final D2 ratio or the averaging
error (see :mod:`nodes.attacks.search` and :mod:`net.schedules.search` for the family).

Each candidate is a whole simulation of the scenario with that parameter vector; the objective is

    score = max( D2(final)/D2(initial) / 2^-t ,  averaging error / C  (when C is known) )

so score > 1 means the run broke contraction or C-averaging (a run that does not terminate is
broken too). The optimiser is seeded (its own stream, from the scenario's seed and ``seed``), and
the best parameters are written into the scenario's ``[adversary]`` table, so the counterexample
replays by itself: ``jungle run FILE --seed S`` runs exactly the same run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from net.schedules import SCHEDULES
from nodes.attacks.search import K
from scenarios.explore.breaks import HORIZON_FACTOR, at_horizon, kind_of
from scenarios.run.execute import execute
from scenarios.run.protocols import protocol_class
from scenarios.spec.schema import Adversary, InputsTable, Scenario

SEARCH_SEED_SALT = 0x5EA4C4


ROLES = 3


def family(scenario: Scenario, roles: int = ROLES) -> dict[str, tuple[tuple[int, ...], int]]:
    """The optimiser's parameters: name -> (shape, number of options). Honest nodes get one of
    ``roles`` roles (contiguous blocks, :func:`roles_of`); payloads (one menu entry per role, the
    same for every coordinate), silences, supports and held links are chosen per role (a structured,
    generic family: no construction is named in it); with ``search_inputs`` the roles also set the
    inputs (see :func:`apply`: the adversary of the theorems picks the inputs too)."""
    h = scenario.system.h
    bcast = scenario.algorithm.name == "broadcast"
    out: dict[str, tuple[tuple[int, ...], int]] = {"cut": ((roles - 1,), h + 1), "value": ((roles,), K)}
    if bcast:
        out["support"] = ((roles, roles), 2)
    else:
        out["silent"] = ((roles,), 2)
        out["gated"] = ((1,), 2)
    out["hold"] = ((roles, roles), 2)
    out["byzantine_first"] = ((1,), 2)
    return out


PRIOR = {"silent": [0.8, 0.2], "support": [0.3, 0.7], "hold": [0.5, 0.5]}


def roles_of(theta: dict[str, np.ndarray], h: int) -> np.ndarray:
    """Each honest node's role. Honest nodes are interchangeable (only how many play each role
    matters), so roles are contiguous blocks of node ids, cut at the sorted ``cut`` positions;
    an explicit ``role`` array (one per node) is used as given."""
    if "role" in theta:
        return np.asarray(theta["role"], dtype=np.int64)
    cuts = np.sort(np.asarray(theta["cut"], dtype=np.int64))
    return np.searchsorted(cuts, np.arange(h), side="right").astype(np.int64)


def apply(scenario: Scenario, theta: dict[str, np.ndarray], search_inputs: bool = True) -> Scenario:
    """A copy of the resolved scenario with attack and schedule ``search`` and the per-node
    parameters these per-role choices expand to (``[adversary]``, ``[adversary.schedule_params]``
    and, with ``search_inputs``, ``[inputs]`` as explicit values: role i of R starts at level
    -1 + 2i/(R - 1) on the first axis, so the role assignment is also the choice of inputs)."""
    s = scenario.system
    f, h, d = s.f, s.h, s.dim
    role = roles_of(theta, h)
    vals = np.broadcast_to(np.asarray(theta["value"], dtype=np.int64)[role][:, None], (h, d))   # h x d
    attack = {"search_values": np.broadcast_to(vals, (f, h, d)).tolist()}
    if "silent" in theta:
        attack["search_silent"] = np.broadcast_to(np.asarray(theta["silent"], dtype=np.int64)[role], (f, h)).tolist()
    if "support" in theta:
        attack["search_support"] = np.asarray(theta["support"], dtype=np.int64)[np.ix_(role, role)].tolist()
    H = np.asarray(theta["hold"], dtype=bool)[np.ix_(role, role)]               # [sender, receiver]
    np.fill_diagonal(H, False)
    sp = {"holds": [[int(a), int(b)] for a, b in zip(*np.nonzero(H))],
          "byzantine_first": bool(np.asarray(theta["byzantine_first"]).ravel()[0])}
    if "gated" in theta:
        sp["gated"] = bool(np.asarray(theta["gated"]).ravel()[0])
    attack_cls = protocol_class(scenario.algorithm.name).attacks()["search"]
    adversary = Adversary(attack="search", schedule="search", seen_window=scenario.adversary.seen_window,
                          schedule_params=SCHEDULES["search"].Params(**sp), params=attack_cls.Params(**attack))
    out = scenario.model_copy(update={"adversary": adversary})
    if search_inputs:
        x = np.zeros((h, d))
        x[:, 0] = np.linspace(-1.0, 1.0, int(np.asarray(theta["hold"]).shape[0]))[role]
        scale = scenario.inputs.scale
        out = out.model_copy(update={"inputs": InputsTable(kind="values", scale=scale, values=(scale * x).tolist())})
    return out


def score(result: dict[str, Any]) -> tuple[float, bool]:
    """(objective, broken): see the module docstring."""
    c = result["checks"]
    ct, av, te = c["contraction"], c.get("averaging") or {}, c.get("termination") or {}
    parts = [0.0]
    if ct.get("bound"):
        parts.append(ct["measured"] / ct["bound"])
    if av.get("bound"):
        parts.append(av["measured"] / av["bound"])
    s = max(0.0 if (p is None or math.isnan(p)) else p for p in parts)
    broken = te.get("holds") is False or ct.get("holds") is False or av.get("holds") is False
    return s, broken


def progress_score(result: dict[str, Any], window: int | None = 3) -> float:
    """A finer objective for ranking candidates that all end contracted: the mean over the first
    ``window`` iterations (all of them when None) of log10 of the per-iteration factor
    D2(k)/D2(k-1) (floored at -6), so a candidate that contracts less per step ranks higher even
    when D2 ends at 0 (the one-step factor responds to each parameter; the final ratio often does
    not)."""
    rows = result.get("iterations") or []
    if window is not None:
        rows = rows[: window + 1]
    logs = []
    for a, b in zip(rows, rows[1:]):
        if a["diameter"] <= 0:
            break
        logs.append(max(math.log10(b["diameter"] / a["diameter"]), -6.0) if b["diameter"] > 0 else -6.0)
    return float(np.mean(logs)) if logs else -6.0


def predicted_score(result: dict[str, Any], iterations: int) -> float:
    """:func:`score` extrapolated from a run cut short to a run of ``iterations`` iterations: the
    contraction part as if every later iteration contracted like the mean of those run
    (10^(iterations x :func:`progress_score`) / bound), the averaging part as measured. For a run
    of full length this is the measured contraction part (up to D2 reaching 0)."""
    c = result["checks"]
    ct, av = c["contraction"], c.get("averaging") or {}
    parts = [0.0]
    if ct.get("bound"):
        parts.append(10.0 ** (iterations * progress_score(result, window=None)) / ct["bound"])
    if av.get("bound") and av.get("measured") is not None and not math.isnan(av["measured"]):
        parts.append(av["measured"] / av["bound"])
    return max(parts)


def failures(result: dict[str, Any]) -> list[str]:
    """Which of termination, contraction, averaging failed."""
    c = result["checks"]
    return [k for k in ("termination", "contraction", "averaging") if (c.get(k) or {}).get("holds") is False]


def rank(result: dict[str, Any]) -> tuple[bool, bool, float, float]:
    """Broken first; among broken runs, those where every honest node terminated (a contraction or
    averaging break proper) before non-terminating ones; then the score, then slower contraction."""
    s, broken = score(result)
    terminated = (result["checks"].get("termination") or {}).get("holds") is not False
    return broken, terminated, s, progress_score(result)


@dataclass
class SearchOutcome:
    scenario: Scenario
    result: dict[str, Any]
    score: float
    broken: bool
    evaluations: int
    history: list[float] = field(default_factory=list)
    cost: float = 0.0
    """Simulated work spent, in runs of ``fidelity`` iterations (a full-length run costs more)."""


def _sample(P: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {}
    for k, p in P.items():
        u = rng.random(p.shape[:-1])[..., None]
        out[k] = np.minimum((u > np.cumsum(p, axis=-1)).sum(axis=-1), p.shape[-1] - 1)
    return out


def optimise(scenario: Scenario, *, generations: int = 3, samples: int = 8, local: int = 16, elite: float = 0.25,
             smoothing: float = 0.7, seed: int = 0, stop_on_break: bool = True, roles: int = ROLES,
             search_inputs: bool = True, fidelity: int | None = 3, dispatch: str | None = "inline",
             evaluate: Callable[[Scenario], dict[str, Any]] | None = None) -> SearchOutcome:
    """Cross-entropy method, then coordinate ascent with restarts; candidates are first run cut
    short, the promising ones in full (multi-fidelity).

    - Each candidate runs ``fidelity`` iterations (when the scenario has more than twice as many)
      and is ranked on :func:`predicted_score`: its per-iteration contraction extrapolated to the
      scenario's length. Only a candidate predicted to break (or failing already) is run in full,
      and only a full run counts as broken. Cost is counted in short runs (a full run of N
      iterations costs N / fidelity), so the budget bounds the simulated work however many
      candidates are promoted.
    - CEM: ``generations`` x ``samples`` draws from independent categorical distributions; the
      ``elite`` fraction that ranks highest (broken first, then the score, then
      :func:`progress_score`) moves the distributions towards its frequencies (``smoothing``).
    - Coordinate ascent (``local`` short runs of budget): from the best vector, try every other
      option of one parameter at a time (parameters in a seeded random order), keep the best
      strictly improving one, until a whole pass improves nothing; then restart (iterated local
      search), alternately from a fresh draw of the CEM distributions and from the best vector so
      far with 3 parameters redrawn. Single random mutations could not find breaks that need
      several parameters to agree (MDA at n = 6f - 1, f = 2: 226 candidates, none); exhaustive
      one-parameter moves from many starts find it in ~40 to ~1000 candidates depending on the
      seed.

    The search is seeded (its own stream, from the scenario's seed and ``seed``), so the same call
    returns the same run. Returns the best run found (stopping at the first full-length broken run
    in which every honest node terminated, when ``stop_on_break``). ``dispatch`` runs candidates
    with that node dispatch (same trace digest as the scenario's own; ``None`` keeps it)."""
    if evaluate is None:
        def evaluate(c):
            return execute(c, progress=False)


    fam = family(scenario, roles)
    rng = np.random.default_rng([int(scenario.scenario.seed), int(seed), SEARCH_SEED_SALT])
    P = {k: np.broadcast_to(np.asarray(PRIOR.get(k, [1.0 / k_] * k_), dtype=float), shape + (k_,)).copy()
         for k, (shape, k_) in fam.items()}
    full_its = scenario.algorithm.iterations
    short = fidelity is not None and full_its > 2 * fidelity
    fast = scenario if dispatch is None else scenario.updated("run", dispatch=dispatch)
    cheap = fast.updated("algorithm", iterations=int(fidelity), iterations_source="cut short by the search") if short else fast
    unit = full_its / fidelity if short else 1.0
    total = generations * samples + local
    state: dict[str, Any] = {"rank": None, "theta": None, "result": None, "n": 0, "cost": 0.0, "stop": False}
    history: list[float] = []

    def run(th) -> tuple:
        res = evaluate(apply(cheap, th, search_inputs))
        state["n"] += 1
        state["cost"] += 1.0
        s_hat = predicted_score(res, full_its) if short else score(res)[0]
        full = not short
        if short and (s_hat > 1.0 or failures(res)):
            res = evaluate(apply(fast, th, search_inputs))
            state["cost"] += unit
            s_hat, full = score(res)[0], True
        broken = full and score(res)[1]
        if broken:  # a break counts only if it persists over the horizon (not slow contraction)
            long = evaluate(at_horizon(apply(fast, th, search_inputs), full_its))
            state["cost"] += unit * HORIZON_FACTOR
            broken = kind_of(long) is not None
            if broken:
                res = long
        terminated = (res["checks"].get("termination") or {}).get("holds") is not False
        rk = (broken, terminated, s_hat, progress_score(res, window=None))
        history.append(s_hat)
        if state["rank"] is None or rk > state["rank"]:
            state.update(rank=rk, theta=th, result=res if full else None)
        if broken and terminated and stop_on_break:
            state["stop"] = True
        return rk

    def spent() -> bool:
        return state["stop"] or state["cost"] >= total

    def done() -> SearchOutcome:
        th, res = state["theta"], state["result"]
        if res is None:  # the best was only run cut short: run it in full (the outcome is a full run)
            res = evaluate(apply(fast, th, search_inputs))
            state["cost"] += unit
        s_, broken = score(res)
        found = apply(scenario, th, search_inputs)
        if broken and res["iterations"][-1]["iteration"] > full_its:  # confirmed at the horizon: keep that run
            found = at_horizon(found, full_its)
        else:
            broken = False
        return SearchOutcome(found, res, s_, broken, state["n"], history, state["cost"])

    for _ in range(generations):
        batch = []
        for _ in range(samples):
            th = _sample(P, rng)
            batch.append((run(th), th))
            if spent():
                return done()
        batch.sort(key=lambda st: st[0], reverse=True)
        top = batch[: max(1, int(round(elite * len(batch))))]
        for k in P:
            k_ = P[k].shape[-1]
            freq = np.mean([np.eye(k_)[th[k]] for _, th in top], axis=0)
            P[k] = smoothing * freq + (1 - smoothing) * P[k]
    names = sorted(fam)
    entries = [(k, idx) for k in names for idx in np.ndindex(*fam[k][0])]
    th = state["theta"] if state["theta"] is not None else _sample(P, rng)
    cur = state["rank"] if state["theta"] is not None else run(th)
    restarts = 0
    while not spent():
        improved = False
        for j in rng.permutation(len(entries)):
            k, idx = entries[int(j)]
            was = int(th[k][idx])
            best_move = None
            for opt in range(fam[k][1]):
                if opt == was:
                    continue
                cand = {a: np.array(v, copy=True) for a, v in th.items()}
                cand[k][idx] = opt
                rk = run(cand)
                if rk > cur and (best_move is None or rk > best_move[0]):
                    best_move = (rk, cand)
                if spent():
                    return done()
            if best_move is not None:
                cur, th, improved = best_move[0], best_move[1], True
        if not improved:  # a local optimum: restart (iterated local search)
            restarts += 1
            if restarts % 2:  # from a fresh draw of the CEM distributions
                th = _sample(P, rng)
            else:  # from the best so far, a few parameters redrawn
                th = {a: np.array(v, copy=True) for a, v in state["theta"].items()}
                for j in rng.choice(len(entries), size=min(len(entries), 3), replace=False):
                    k, idx = entries[int(j)]
                    th[k][idx] = int(rng.integers(fam[k][1]))
            cur = run(th)
    return done()
