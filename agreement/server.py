"""The trusted-server baseline (NNM paper, Algorithm 3, robust D-SHB) as two sans-IO machines, so that
the same attacks run against a server and against decentralised agreement, on the same network.

Round t = 1..T:
  server  sends the model theta_t to every worker (kind MODEL, instance 2t - 1);
  worker  on theta_t: g_t = GradientOracle(theta_t), m_t = beta m_{t-1} + (1 - beta) g_t (m_0 = 0;
          beta = 0 sends g_t itself), sends m_t to the server (kind VEC, instance 2t: LEARN's gradient
          instance, so that every LEARN attack reads and writes it as it does in Algorithm 1);
  server  gathers the FIRST q valid momenta of round t (one per worker; q = n - f by default), applies
          the rule, R_t = F(m_t^(1..q)) (own = None: the server has no vector of its own), and sets
          theta_{t+1} = theta_t - eta R_t.
The server's output, and every worker's, is theta_{T+1} (``output = "last"``) or theta_* for the
shared * in [T] (``"random"``, Algorithm 3's sampled model). A worker processes the models in order
(a later one is buffered until the earlier one arrived); a momentum that reaches the server after it
moved on is rejected as ``stale_round``. The server buffers momenta of later rounds (at most n per
round, rounds <= T). Workers accept MODEL messages from the server only (``not_from_server``).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.messages import BROADCAST, Envelope, Outgoing, Step

MODEL = "MODEL"
MOMENTUM = "VEC"


def model_instance(t: int) -> int:
    """Instance of theta_t, t = 1..T+1: 2t - 1 (LEARN's parameter instance of round t - 1)."""
    return 2 * t - 1


def momentum_instance(t: int) -> int:
    """Instance of round t's momenta: 2t (LEARN's gradient instance of round t)."""
    return 2 * t


class ServerMachine:
    """The trusted server (module docstring). ``on_round(t, theta_t, R_{t-1})`` is called for every
    model it sends (R_0 = None)."""

    def __init__(self, node: int, theta1: np.ndarray, *, workers: list[int], f: int, q: int, rule: Callable,
                 T: int, eta: float, output: str = "last", output_index: int | None = None,
                 on_round: Callable[[int, np.ndarray, np.ndarray | None], None] | None = None):
        self.node, self.workers, self.f, self.q = node, set(workers), f, q
        self.rule, self.T, self.eta = rule, T, float(eta)
        self.output, self.output_index = output, output_index
        self.on_round = on_round
        self.theta = np.array(theta1, dtype=np.float64)
        self.thetas = [self.theta]
        self.t = 1
        self.rows: dict[int, np.ndarray] = {}
        self.future: dict[int, dict[int, np.ndarray]] = {}
        self.done = False

    def _send_model(self, step: Step, R: np.ndarray | None) -> None:
        if self.on_round:
            self.on_round(self.t, self.theta, R)
        step.send.append(Outgoing(Envelope(MODEL, self.node, 0, model_instance(self.t), {"x": self.theta}), BROADCAST))

    def start(self) -> Step:
        step = Step()
        self._send_model(step, None)
        return step

    def feed(self, env: Envelope) -> Step:
        step = Step()
        if env.kind != MOMENTUM:
            step.rejected = "wrong_kind"
            return step
        if env.sender not in self.workers:
            step.rejected = "unknown_sender"
            return step
        inst = env.instance
        if inst % 2 or inst < momentum_instance(1) or inst > momentum_instance(self.T) or env.round != 0:
            step.rejected = "round_out_of_range"
            return step
        if self.done or inst < momentum_instance(self.t):
            step.rejected = "stale_round"
            return step
        x = np.asarray(env.payload["x"], dtype=np.float64)
        if inst > momentum_instance(self.t):
            bucket = self.future.setdefault(inst, {})
            if env.sender in bucket:
                step.rejected = "duplicate"
            else:
                bucket[env.sender] = x
            return step
        if env.sender in self.rows:
            step.rejected = "duplicate"
            return step
        self.rows[env.sender] = x
        self._advance(step)
        return step

    def _advance(self, step: Step) -> None:
        while not self.done and len(self.rows) >= self.q:
            R = np.asarray(self.rule(np.stack(list(self.rows.values())), self.f, None), dtype=np.float64)
            self.theta = self.theta - self.eta * R
            self.thetas.append(self.theta)
            self.t += 1
            self._send_model(step, R)
            if self.t > self.T:
                self.done = True
                self.future.clear()
                out = self.thetas[-1] if self.output == "last" else self.thetas[self.output_index - 1]
                step.done, step.output = True, out
                return
            self.rows = {}
            for sender, x in self.future.pop(momentum_instance(self.t), {}).items():
                if len(self.rows) < self.q:
                    self.rows[sender] = x


class WorkerMachine:
    """An honest worker (module docstring). Callbacks as :class:`agreement.learn.LearnMachine`'s:
    ``on_theta(node, t, theta_t)`` and ``on_grad(node, t, m_t, R_t)`` (R_t = (theta_t - theta_{t+1}) / eta,
    the server's aggregate, known once theta_{t+1} arrives)."""

    def __init__(self, node: int, server: int, grad_fn: Callable[[np.ndarray, int], np.ndarray], *, T: int,
                 eta: float, momentum: float = 0.0, output: str = "last", output_index: int | None = None,
                 on_theta: Callable | None = None, on_grad: Callable | None = None):
        if not 0.0 <= momentum < 1.0:
            raise ValueError("momentum must be in [0, 1)")
        self.node, self.server, self.grad_fn = node, server, grad_fn
        self.T, self.eta, self.momentum = T, float(eta), float(momentum)
        self.output, self.output_index = output, output_index
        self.on_theta, self.on_grad = on_theta, on_grad
        self.t = 0                      # the last model processed
        self.m: np.ndarray | None = None
        self.thetas: list[np.ndarray] = []
        self.future: dict[int, np.ndarray] = {}
        self.done = False

    def start(self) -> Step:
        return Step()

    def feed(self, env: Envelope) -> Step:
        step = Step()
        if env.kind != MODEL:
            step.rejected = "wrong_kind"
            return step
        if env.sender != self.server:
            step.rejected = "not_from_server"
            return step
        inst = env.instance
        if inst % 2 == 0 or inst < model_instance(1) or inst > model_instance(self.T + 1) or env.round != 0:
            step.rejected = "round_out_of_range"
            return step
        t = (inst + 1) // 2
        if self.done or t <= self.t:
            step.rejected = "stale_round"
            return step
        self.future[t] = np.asarray(env.payload["x"], dtype=np.float64)
        while not self.done and self.t + 1 in self.future:
            self._model(self.future.pop(self.t + 1), step)
        return step

    def _model(self, theta: np.ndarray, step: Step) -> None:
        self.t += 1
        t = self.t
        if self.on_grad and t > 1:
            self.on_grad(self.node, t - 1, self._last_m, (self.thetas[-1] - theta) / self.eta)
        self.thetas.append(theta)
        if self.on_theta:
            self.on_theta(self.node, t, theta)
        if t > self.T:
            self.done = True
            self.future.clear()
            step.done = True
            step.output = self.thetas[-1] if self.output == "last" else self.thetas[self.output_index - 1]
            return
        g = np.asarray(self.grad_fn(theta, t), dtype=np.float64)
        if self.momentum:
            beta = self.momentum
            self.m = (1.0 - beta) * g if self.m is None else beta * self.m + (1.0 - beta) * g
            g = self.m
        self._last_m = g
        step.send.append(Outgoing(Envelope(MOMENTUM, self.node, 0, momentum_instance(t), {"x": g}), self.server))
