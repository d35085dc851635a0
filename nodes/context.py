"""What an attack may know about the run beyond the traffic it observes: a typed, read-only context.

The scenario layer builds it from the resolved scenario (nothing below ``scenarios/`` reads a
scenario or a config dict); an attack reads ``self.adv.context``:

- ``algorithm``: the name of the algorithm under attack (``algorithm.name``);
- ``schedule_params``: the schedule's typed parameters (e.g. ``groups`` of ``partition``);
- ``learn``: in a LEARN run, what the shared seed makes public (Remark 2): the workload, the learning
  rate eta, theta_1, the number of rounds T, the rule in use and the momentum beta, and the
  workload's target model theta_dagger and projection on plausible gradients when it has them (pfl);
  None in an agreement run;
- ``include_self``: whether a node's own vector counts among the q it gathers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from net.params import PluginParams


@dataclass(frozen=True)
class LearnContext:
    """What every node of a LEARN run knows (Algorithm 1 with the shared seed of Remark 2)."""

    workload: Any
    """The :class:`nodes.workloads.Workload` (the label-flipping attack trains on its own shard)."""
    eta: float
    theta1: np.ndarray
    """theta_1, read-only."""
    T: int
    rule: Callable[..., np.ndarray]
    """The rule of the AVG algorithm in use (the optimised attacks search against it)."""
    momentum: float = 0.0
    """beta of the honest nodes' local momentum (``learn.momentum``, D-SHB; 0: none): the label-flipping
    attack sends its flipped momentum as an honest node would."""
    target: np.ndarray | None = None
    """theta_dagger, the model the strategic (Byzantine) users want, when the workload declares one
    (the pfl workload: ``pfl.target``); read-only. The counter-gradient attack steers toward it."""
    project_grad: Callable[[np.ndarray], np.ndarray] | None = None
    """Proj_GRAD, the projection on the plausible gradients of the workload's regulariser (pfl), when it
    has one: the counter-gradient attack projects its payload so that it stays plausible."""

    def __post_init__(self):
        for key in ("theta1", "target"):
            value = getattr(self, key)
            if value is not None:
                value = np.array(value, dtype=np.float64)
                value.setflags(write=False)
                object.__setattr__(self, key, value)


@dataclass(frozen=True)
class AttackContext:
    """The read-only context of the adversary (see the module docstring)."""

    algorithm: str = ""
    schedule_params: PluginParams = field(default_factory=PluginParams)
    learn: LearnContext | None = None
    include_self: bool = True
    """Whether an honest node's own vector counts among the q it gathers (``system.include_self``)."""
