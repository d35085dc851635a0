"""Benchmarks of the rule zoo, measured in one run (DESIGN.md: ratios, never absolute claims).

- :func:`bench_mda`: exact MDA (:func:`agreement.rules.mda.mda_select`) against naive enumeration of
  the C(q, f) subsets, (a) recomputing the subset's distances for every subset (what ByzFL and
  Garfield do) and (b) reading them from a distance matrix computed once; both naive baselines keep
  the first subset of minimal diameter in lexicographic order, so all three must pick the SAME subset.
- :func:`bench_rules`: every rule's time against ``numpy.mean`` over the same q x d array; each row
  carries the targets of issue 14 that apply at its size (:data:`TARGETS`: ``{"figure", "value",
  "target", "met"}``), collected again in the result's ``targets`` and ``targets_met``.

Timing: ``time.perf_counter``, best of ``repeat`` runs (the naive enumeration runs once: it is the slow
side of the ratio, so one run only makes the ratio smaller); in :func:`bench_rules`, functions
cheaper than the budget (``numpy.mean`` and the fast rules alike) run until 0.25 s is spent.
"""
from __future__ import annotations

import itertools
import time
from math import comb
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

from agreement.rules import PRE_AGGREGATIONS, RULES, get_rule, trimmed
from agreement.rules.mda import mda_select, pairwise_sq_exact


def best_time(fn: Callable[[], Any], repeat: int, budget: float = 0.0, cap: int = 200) -> tuple[float, Any]:
    """Best of at least ``repeat`` runs; a cheap ``fn`` keeps running until ``budget`` seconds are
    spent (at most ``cap`` runs), so a few-millisecond rule is not judged on 5 runs of a busy machine."""
    best, out, spent, runs = float("inf"), None, 0.0, 0
    while runs < max(1, repeat) or (spent < budget and runs < cap):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best, spent, runs = min(best, dt), spent + dt, runs + 1
    return best, out


def naive_mda_recompute(X: np.ndarray, f: int) -> tuple[tuple[int, ...], float]:
    """Every subset of q - f rows; the subset's pairwise distances recomputed each time (one Gram
    product on the subset). Returns the lexicographically first minimal subset and its diameter."""
    q = X.shape[0]
    best, best_s = np.inf, None
    for S in itertools.combinations(range(q), q - f):
        Y = X[list(S)]
        sq = np.einsum("ij,ij->i", Y, Y)
        d2 = sq[:, None] + sq[None, :] - 2.0 * (Y @ Y.T)
        m = float(d2.max())
        if m < best:
            best, best_s = m, S
    return best_s, float(np.sqrt(max(best, 0.0)))


def naive_mda_matrix(X: np.ndarray, f: int) -> tuple[tuple[int, ...], float]:
    """Every subset of q - f rows, the diameter read from a distance matrix computed once."""
    q = X.shape[0]
    D = pairwise_sq_exact(X)
    best, best_s = np.inf, None
    for S in itertools.combinations(range(q), q - f):
        idx = np.asarray(S)
        m = float(D[np.ix_(idx, idx)].max())
        if m < best:
            best, best_s = m, S
    return best_s, float(np.sqrt(best))


def mda_inputs(q: int, f: int, d: int, seed: int = 0) -> np.ndarray:
    """q - f honest Gaussian vectors and f Byzantine ones at various distances (the Byzantine rows
    are not the farthest in every direction, so the search has real work to do)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((q, d))
    X[q - f :] += rng.uniform(0.05, 0.3, (f, 1)) * rng.standard_normal((f, d))
    return X[rng.permutation(q)]


def bench_mda(q: int = 31, f: int = 5, d: int = 1000, repeat: int = 5, seed: int = 0,
              recompute: bool = True) -> dict[str, Any]:
    X = mda_inputs(q, f, d, seed)
    t_fast, (idx, diam) = best_time(lambda: mda_select(X, f), repeat)
    t_mat, (s_mat, d_mat) = best_time(lambda: naive_mda_matrix(X, f), 1)
    out = {"q": q, "f": f, "d": d, "subsets": comb(q, f), "exact_seconds": t_fast,
           "naive_matrix_seconds": t_mat, "ratio_matrix": t_mat / t_fast,
           "same_subset_matrix": tuple(int(i) for i in idx) == s_mat, "diameter": diam}
    if recompute:
        t_rec, (s_rec, d_rec) = best_time(lambda: naive_mda_recompute(X, f), 1)
        out.update({"naive_recompute_seconds": t_rec, "ratio_recompute": t_rec / t_fast,
                    "same_subset_recompute": tuple(int(i) for i in idx) == s_rec,
                    "diameter_recompute": d_rec})
    return out


DEFAULT_RULES = ("cwtm", "cwmed", "trimmed_middle", "meamed", "cva", "krum", "multikrum", "geomed",
                 "mda", "mda-all-minimal", "nnm+cwtm", "nnm-own+cwtm")


TARGETS: dict[tuple[int, int, int], dict[str, float]] = {
    (31, 5, 1_000): {"cwtm": 3.0},
    (31, 5, 100_000): {"cwtm": 1.5, "cwmed": 1.2, "mda": 10.0, "geomed": 10.0, "meamed": 10.0, "krum": 10.0},
}
"""Issue 14 ("rules at every size"): (q, f, d) -> rule -> largest acceptable ratio to ``numpy.mean``."""


def row_targets(rule: str, ratio: float, q: int, f: int, d: int) -> list[dict[str, Any]]:
    """The targets this rule's row is measured against (empty when none applies at this size)."""
    limit = TARGETS.get((q, f, d), {}).get(rule)
    if limit is None:
        return []
    return [{"figure": f"{rule} / numpy.mean at q = {q}, f = {f}, d = {d}", "value": ratio, "target": limit,
             "met": bool(ratio <= limit)}]


def kernel_info() -> dict[str, Any]:
    """Whether the trimmed rules run the numba kernels (agreement/rules/select_kernels.py), from which d."""
    try:
        import numba
        version = numba.__version__
    except ImportError:  # pragma: no cover - numba is a core dependency
        version = None
    return {"numba": version, "enabled": bool(trimmed.USE_KERNELS), "min_d": trimmed.KERNEL_MIN_D}


def bench_rules(q: int = 21, f: int = 5, d: int = 100_000, repeat: int = 5, seed: int = 0,
                rules: tuple[str, ...] = DEFAULT_RULES) -> dict[str, Any]:
    """Each rule's best time over the same q x d Gaussian array, against ``numpy.mean(X, axis=0)``.

    Every rule is called once before it is timed (``first_seconds``: for the trimmed rules on the
    numba path that call compiles their kernel; ``kernels.first_call_extra_seconds`` is the first
    call minus the steady state), so ``seconds`` is the steady state."""
    kernels = kernel_info()
    compiled_before: list = []
    if kernels["enabled"]:
        from agreement.rules import select_kernels

        compiled_before = select_kernels.compiled_kernels()
    X = np.random.default_rng(seed).standard_normal((q, d))
    own = X[0].copy()
    with threadpool_limits(limits=1, user_api="blas"):  # numpy.mean runs on one core: so do the rules
        return _bench_rules(X, own, q, f, d, repeat, rules, kernels, compiled_before)


def _bench_rules(X, own, q, f, d, repeat, rules, kernels, compiled_before) -> dict[str, Any]:
    budget = 0.25  # seconds per cheap function: the same rule for numpy.mean and for the rules
    t_mean, _ = best_time(lambda: np.mean(X, axis=0), repeat * 2, budget)
    rows = []
    for name in rules:
        base = name.split("+")[-1]
        pre = name.split("+")[0] if "+" in name else None
        if base not in RULES or (pre is not None and pre not in PRE_AGGREGATIONS):
            continue
        rule = get_rule(name)
        reps = repeat if not name.startswith(("mda", "geomed", "nnm")) else max(1, repeat // 2)
        t_first, _ = best_time(lambda: rule(X, f, own), 1)
        t, _ = best_time(lambda: rule(X, f, own), reps, budget)
        rows.append({"rule": name, "seconds": t, "ratio_to_mean": t / t_mean, "first_seconds": t_first,
                     "doc": (getattr(RULES.get(base), "__doc__", "") or "").strip().split("\n")[0],
                     "targets": row_targets(name, t / t_mean, q, f, d)})
    first = {row["rule"]: row["first_seconds"] - row["seconds"] for row in rows
             if row["rule"] in ("cwtm", "cwmed", "trimmed_middle")}
    if kernels["enabled"]:
        from agreement.rules import select_kernels

        compiled = [k for k in select_kernels.compiled_kernels() if k not in compiled_before]
        kernels.update(used=d >= kernels["min_d"], first_call_extra_seconds=first,
                       compiled=[f"{kind} q={kq} ranks {r0}..{r1}" for kind, kq, r0, r1 in compiled])
    else:
        kernels.update(used=False, first_call_extra_seconds=first, compiled=[])
    targets = [t for row in rows for t in row["targets"]]
    return {"q": q, "f": f, "d": d, "mean_seconds": t_mean, "rules": rows, "kernels": kernels,
            "note": kernel_note(kernels, d), "targets": targets,
            "targets_met": all(t["met"] for t in targets) if targets else None}


def kernel_note(k: dict[str, Any], d: int) -> str:
    """One line for the rules table: which path cwtm / cwmed / trimmed_middle took, and the JIT cost."""
    if not k["enabled"]:
        why = "numba not importable" if k["numba"] is None else "JUNGLE_NUMPY_RULES=1"
        return f"cwtm / cwmed / trimmed_middle: numpy path ({why})"
    if not k["used"]:
        return f"cwtm / cwmed / trimmed_middle: numpy path (d = {d} < {k['min_d']}, the kernels' threshold)"
    extra = ", ".join(f"{name} {sec:.2f} s" for name, sec in k["first_call_extra_seconds"].items())
    return (f"cwtm / cwmed / trimmed_middle: numba {k['numba']} sorting-network kernels; their first call "
            f"cost more than the timed steady state (JIT compile, not in the table): {extra}; kernels "
            f"compiled in this run: {', '.join(k['compiled']) or 'none (compiled earlier in this process)'}")
