"""The LEARN workloads a scenario names (``learn.workload``): :data:`WORKLOADS`.

A workload plugin is a :class:`WorkloadPlugin` (or a bare ``make(scenario, rng) -> Workload``
callable, whose d is then ``system.dim`` and whose theta_1 scale is 1): ``make`` builds the
:class:`nodes.workloads.Workload` from the resolved scenario and the run's input stream; ``dim``,
when given, is the parameter dimension d the workload fixes (resolution derives ``system.dim`` from
it, so that the theory is computed once, with the right d); ``init_scale`` is the default of
``learn.init_scale``. Third-party workloads come under the ``jungle.workloads`` entry point group.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from agreement.registry import Registry
from nodes.workloads import Digits, LinReg, Quadratic, Workload
from scenarios.spec.inputs import make_inputs

Make = Callable[[Any, np.random.Generator], Workload]


@dataclass(frozen=True)
class WorkloadPlugin:
    """A workload: how to build it, the d it fixes (None: ``system.dim``), its theta_1 scale."""

    make: Make
    dim: Callable[[Any], int] | None = None
    """``dim(learn_table) -> d``, when the workload's data fix d."""
    init_scale: float = 1.0


def plugin(obj: WorkloadPlugin | Make) -> WorkloadPlugin:
    """A registry entry as a :class:`WorkloadPlugin` (a bare callable is its ``make``)."""
    return obj if isinstance(obj, WorkloadPlugin) else WorkloadPlugin(make=obj)


def _quadratic(scenario, rng: np.random.Generator) -> Workload:
    lc = scenario.learn
    return Quadratic(make_inputs(scenario, rng), batch=lc.batch, noise=lc.noise)


def _linreg(scenario, rng: np.random.Generator) -> Workload:
    s, lc = scenario.system, scenario.learn
    return LinReg(s.h, s.dim, lc.samples, lc.hetero, 0.1, rng, batch=lc.batch, batch0=lc.batch0, extra=s.n - s.h)


def _digits(scenario, rng: np.random.Generator) -> Workload:
    s, lc = scenario.system, scenario.learn
    return Digits(s.n, s.h, lc.alpha, rng, batch=lc.batch, batch0=lc.batch0, lam=lc.lam)


DIGITS_DIM = 65 * 10
"""d of the digits workload: a (64 pixels + bias) x 10 classes weight matrix."""

WORKLOADS: Registry[WorkloadPlugin | Make] = Registry("workload", "jungle.workloads")
"""name -> :class:`WorkloadPlugin` (or ``make(scenario, rng) -> Workload``); entry point group
``jungle.workloads``."""
WORKLOADS.register("quadratic", WorkloadPlugin(_quadratic))
WORKLOADS.register("linreg", WorkloadPlugin(_linreg))
WORKLOADS.register("digits", WorkloadPlugin(_digits, dim=lambda learn: DIGITS_DIM, init_scale=0.01))


def make_workload(scenario, rng: np.random.Generator) -> Workload:
    """Build the scenario's workload; its d must be the resolved ``system.dim``."""
    w = plugin(WORKLOADS[scenario.learn.workload]).make(scenario, rng)
    if int(w.d) != scenario.system.dim:
        raise RuntimeError(f"workload {scenario.learn.workload!r} built d = {w.d}, but the scenario was resolved "
                           f"with system.dim = {scenario.system.dim}: its plugin must declare dim")
    return w
