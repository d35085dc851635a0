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
moved on is rejected as ``stale_round``. The server buffers momenta of later rounds (at most one per
worker and round, within ``window`` rounds of its own, W = :data:`WINDOW`; later ones are refused as
``beyond_window``, an honest one held by the network until the server gets there: ``admits``). A
worker likewise buffers models at most W rounds ahead. Workers accept MODEL messages from the server
only (``not_from_server``). Memory: :meth:`ServerMachine.memory_bound`, :meth:`WorkerMachine.memory_bound`
(the buffers, plus the T + 1 models each keeps for its output).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.footprint import VECTOR_OVERHEAD, WORD
from agreement.messages import BROADCAST, Envelope, Outgoing, Rejection, Step

MODEL = "MODEL"
MOMENTUM = "VEC"
WINDOW = 4
"""Rounds ahead of its own a server (a worker) buffers momenta (models) of."""


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
                 on_round: Callable[[int, np.ndarray, np.ndarray | None], None] | None = None,
                 window: int = WINDOW):
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window = int(window)
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

    def admits(self, env: Envelope) -> bool:
        """False when ``env`` is a momentum beyond the window (the network then holds an honest
        message until the server moves on)."""
        return self.done or env.instance <= momentum_instance(self.t + self.window)

    def memory_bound(self) -> int:
        """Bytes this machine's state may take: q + W |workers| buffered momenta, T + 2 models, and
        O(W |workers|) table slots."""
        d = int(self.theta.shape[0])
        vectors = self.q + self.window * len(self.workers) + self.T + 2
        return vectors * (8 * d + VECTOR_OVERHEAD) + WORD * (self.window + 2) * (4 * len(self.workers) + 64) + 4096

    def feed(self, env: Envelope) -> Step:
        step = Step()
        if env.kind != MOMENTUM:
            step.rejected = Rejection.WRONG_KIND
            return step
        if env.sender not in self.workers:
            step.rejected = Rejection.UNKNOWN_SENDER
            return step
        inst = env.instance
        if inst % 2 or inst < momentum_instance(1) or inst > momentum_instance(self.T) or env.round != 0:
            step.rejected = Rejection.ROUND_OUT_OF_RANGE
            return step
        if self.done or inst < momentum_instance(self.t):
            step.rejected = Rejection.STALE_ROUND
            return step
        x = np.asarray(env.payload["x"], dtype=np.float64)
        if inst > momentum_instance(self.t):
            if inst > momentum_instance(self.t + self.window):
                step.rejected = Rejection.BEYOND_WINDOW
                return step
            bucket = self.future.setdefault(inst, {})
            if env.sender in bucket:
                step.rejected = Rejection.DUPLICATE
            else:
                bucket[env.sender] = x
            return step
        if env.sender in self.rows:
            step.rejected = Rejection.DUPLICATE
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
                 on_theta: Callable | None = None, on_grad: Callable | None = None, window: int = WINDOW):
        if not 0.0 <= momentum < 1.0:
            raise ValueError("momentum must be in [0, 1)")
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window = int(window)
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

    def admits(self, env: Envelope) -> bool:
        """False when ``env`` is a model beyond the window (the network then holds it until this
        worker moves on)."""
        return self.done or env.instance <= model_instance(self.t + 1 + self.window)

    def memory_bound(self) -> int | None:
        """Bytes this machine's state may take: W + 1 buffered models, the T + 1 models it keeps, two
        momenta and O(W) table slots; None before it knows d (no model yet)."""
        if not self.thetas and not self.future:
            return 8 * WORD * (self.window + 2) + 4096
        x = self.thetas[-1] if self.thetas else next(iter(self.future.values()))
        d = int(np.asarray(x).shape[0])
        vectors = self.window + 1 + self.T + 1 + 2
        return vectors * (8 * d + VECTOR_OVERHEAD) + WORD * (self.window + 2) * 64 + 4096

    def feed(self, env: Envelope) -> Step:
        step = Step()
        if env.kind != MODEL:
            step.rejected = Rejection.WRONG_KIND
            return step
        if env.sender != self.server:
            step.rejected = Rejection.NOT_FROM_SERVER
            return step
        inst = env.instance
        if inst % 2 == 0 or inst < model_instance(1) or inst > model_instance(self.T + 1) or env.round != 0:
            step.rejected = Rejection.ROUND_OUT_OF_RANGE
            return step
        t = (inst + 1) // 2
        if self.done or t <= self.t:
            step.rejected = Rejection.STALE_ROUND
            return step
        if t > self.t + 1 + self.window:
            step.rejected = Rejection.BEYOND_WINDOW
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
