"""The ``[learn]`` table of a LEARN scenario, resolved: the workload's name and d, the defaults that
depend on the workload, and the iteration counts of AVG_tau (used by the runner and the budget).
"""
from __future__ import annotations

from typing import Callable

from agreement.learn import PHASE_GRAD, tau
from agreement.theory import theory_for
from agreement.theory.icwtm import n_icwtm
from scenarios.errors import ScenarioError
from scenarios.run.workloads import WORKLOADS, plugin
from scenarios.spec.schema import LearnTable


def resolve_learn(learn: LearnTable) -> LearnTable:
    """The table with the workload checked against :data:`WORKLOADS` and ``init_scale`` filled in."""
    if learn.workload not in WORKLOADS:
        raise ScenarioError(f"learn.workload = {learn.workload!r}: {WORKLOADS.unknown(learn.workload)}")
    if learn.init_scale is None:
        learn = learn.model_copy(update={"init_scale": plugin(WORKLOADS[learn.workload]).init_scale})
    return learn


def workload_dim(learn: LearnTable) -> int | None:
    """The d the workload fixes (None when it takes ``system.dim``)."""
    dim = plugin(WORKLOADS[learn.workload]).dim
    return None if dim is None else int(dim(learn))


def iterations_fn(learn: LearnTable, algorithm: str, n: int, f: int, q: int, d: int) -> Callable[[int, int], int]:
    """Agreement iterations of AVG_tau in round t's phase: the algorithm's N(tau) ("paper", alias
    "theory": Algorithm 1, with eq. 169 and the universal e~ = 1/(2(q - 2f)) where the theory does
    not hold) or tau itself ("log2", the cheaper variant: ceil(log2 t) on gradients, 1 on parameters)."""
    if learn.avg_iterations == "log2":
        return lambda t, phase: tau(t) if phase == PHASE_GRAD else 1

    h = n - f
    cache: dict[int, int] = {}

    def N(target: int) -> int:
        if target not in cache:
            th = theory_for(algorithm, n, f, q, d, target)
            if th.holds and th.iterations is not None:
                cache[target] = int(th.iterations)
            else:
                cache[target] = n_icwtm(target, h, 1.0 / (2 * max(1, q - 2 * f)))
        return cache[target]
    return lambda t, phase: N(tau(t)) if phase == PHASE_GRAD else N(1)


def variant(learn: LearnTable) -> str:
    """Which LEARN the run is: the paper's Algorithm 1, or a named cheaper variant."""
    cheaper = []
    if learn.avg_iterations == "log2":
        cheaper.append("AVG_tau runs ceil(log2 t) iterations on gradients and 1 on parameters instead of N(tau), N(1)")
    if learn.output == "last":
        cheaper.append("the output is the last iterate (Remark 1) instead of theta_* (Remark 2)")
    if learn.momentum > 0:
        cheaper.append(f"local momentum beta = {learn.momentum} (the NNM paper's D-SHB)")
    return "Algorithm 1" if not cheaper else "cheaper variant: " + "; ".join(cheaper)
