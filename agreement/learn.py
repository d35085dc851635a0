"""LEARN (agreement paper, section 4.2, Algorithm 1) as a sans-IO machine of one honest node.

Round t = 1..T at node j:
  line 5  g_t = GradientOracle(theta_t)                       (``grad_fn(theta, t)``, pure callable)
  line 6  gamma_t = AVG_{tau_t}(g_t), tau_t = ceil(log2 t)     (agreement on gradients)
  line 7  theta_{t+1/2} = theta_t - eta gamma_t               (eq. 27)
  line 8  theta_{t+1} = AVG_1(theta_{t+1/2})                  (agreement on parameters)
and the output is theta_* for * in [T] drawn with a seed every honest node shares (lines 10-11,
Remark 2), or the last iterate theta_{T+1} when asked (Remark 1).

Momentum (``momentum`` beta in [0, 1), default 0 = Algorithm 1 as above): local Polyak momentum as in
the NNM paper's D-SHB (Algorithm 3, eq. 3): m_t = beta m_{t-1} + (1 - beta) g_t with m_0 = 0, and the
node agrees on its momentum, gamma_t = AVG_{tau_t}(m_t), instead of its raw gradient (line 6).

Every (round t, phase) runs its own AVG sub-machine with its own ``instance`` id
(:func:`instance_of`), so that messages of different phases never mix. Messages of a later instance
are buffered until this node reaches it, within a window: at most ``window`` instances ahead (W_L,
default :data:`WINDOW`) and rounds up to the sub-machine's own window W_R, one envelope per (wire
instance, round, sender, kind); anything later is refused as ``beyond_window`` (an honest message is
held by the network until this node gets there: :meth:`LearnMachine.admits`), a repeat as
``duplicate``. Earlier instances are dropped as stale. Buffered envelopes the new phase refuses, or
that a finished phase never reads, are counted then (``Step.dropped``): every refusal is counted.

Memory (:meth:`LearnMachine.memory_bound`): the buffer holds at most
W_L x span x (W_R + 1) x (n - 1) x kinds envelopes (span: wire instances per LEARN instance, kinds:
message kinds of the sub-machine), plus the current sub-machine's bound, the finished phases a
broadcast-based AVG keeps serving, and the T + 1 parameter vectors.

AVG is any averaging-agreement machine: :data:`AVG_MACHINES` maps an algorithm name to a builder of
sub-machines; "iterate a rule" (icwtm, mda, cva, any rule of the zoo) is built in, and a machine with
the same sans-IO interface (``start() -> Step``, ``feed(env) -> Step``) plugs in with one line.
How many agreement iterations AVG_tau runs is the caller's ``iterations(t, phase)``.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from agreement.broadcast.machine import KINDS as BROADCAST_KINDS
from agreement.broadcast.machine import WINDOW as BROADCAST_WINDOW
from agreement.broadcast.machine import BroadcastAgreement
from agreement.footprint import MESSAGE_OVERHEAD, VECTOR_OVERHEAD
from agreement.iterate import WINDOW as ITERATE_WINDOW
from agreement.iterate import IterateRule
from agreement.messages import Envelope, Outgoing, Rejection, Step
from agreement.rules import get_rule

PHASE_GRAD, PHASE_PARAM = 0, 1
WINDOW = 4
"""LEARN instances (phases) ahead of its own that a node buffers messages for (W_L)."""
PHASES = ("gradient", "parameter")


def instance_of(t: int, phase: int) -> int:
    """Instance id of round t's phase (t >= 1): 2t for gradients, 2t + 1 for parameters."""
    return 2 * t + phase


def phase_of(instance: int) -> tuple[int, int]:
    """(t, phase) of an instance id (inverse of :func:`instance_of`); t = 0 for foreign instances."""
    return divmod(int(instance), 2)


def tau(t: int) -> int:
    """tau_t = ceil(log2 t), the agreement target of round t's gradient phase (so 2^-tau_t <= 1/t)."""
    return math.ceil(math.log2(t)) if t > 1 else 0


# --------------------------------------------------------------------------------------------------
# AVG sub-machine builders: name -> (params) -> (node, x0, instance, iterations) -> machine
# --------------------------------------------------------------------------------------------------
AvgBuilder = Callable[[int, np.ndarray, int, int], Any]


def _iterate_builder(*, n: int, f: int, q: int, include_self: bool, rule: str | Callable, **_) -> AvgBuilder:
    fn = get_rule(rule) if isinstance(rule, str) else rule

    def build(node: int, x0: np.ndarray, instance: int, iterations: int):
        return IterateRule(node, x0, n=n, f=f, q=q, rule=fn, iterations=iterations,
                           include_self=include_self, instance=instance)
    build.n, build.kinds, build.window = n, 1, ITERATE_WINDOW
    return build


class _Offset:
    """Runs a machine whose own wire layout uses instance ids 0..span-1 (e.g. broadcast-based agreement:
    0 for REPORTs, broadcaster + 1 for RB instances) inside LEARN instance I: its envelopes carry
    I * span + i on the wire, and are mapped back before it reads them."""

    def __init__(self, inner, base: int):
        self.inner, self.base = inner, base

    def _out(self, step: Step) -> Step:
        step.send = [Outgoing(replace(o.envelope, instance=o.envelope.instance + self.base), o.to) for o in step.send]
        return step

    def start(self) -> Step:
        return self._out(self.inner.start())

    def feed(self, env: Envelope) -> Step:
        return self._out(self.inner.feed(replace(env, instance=env.instance - self.base)))

    def admits(self, env: Envelope) -> bool:
        a = getattr(self.inner, "admits", None)
        return a is None or a(replace(env, instance=env.instance - self.base))

    def memory_bound(self) -> int | None:
        b = getattr(self.inner, "memory_bound", None)
        return None if b is None else b()


def _broadcast_builder(*, n: int, f: int, rule: str | Callable = "trimmed_middle", **_) -> AvgBuilder:
    """Broadcast-based agreement (section 6, :class:`agreement.broadcast.machine.BroadcastAgreement`),
    multiplexed by :class:`_Offset`; old phases keep serving (reliable broadcast's totality needs every
    honest node to keep relaying ECHO/READY)."""
    fn = get_rule(rule) if isinstance(rule, str) else rule
    span = n + 1

    def build(node: int, x0: np.ndarray, instance: int, iterations: int):
        return _Offset(BroadcastAgreement(node, x0, n=n, f=f, rule=fn, iterations=iterations), instance * span)
    build.span, build.keep_serving = span, True
    build.n, build.kinds, build.window = n, len(BROADCAST_KINDS), BROADCAST_WINDOW
    return build


AVG_MACHINES: dict[str, Callable[..., AvgBuilder]] = {
    "iterate": _iterate_builder,
    "broadcast": _broadcast_builder,
}


def avg_builder(algorithm: str, **params) -> AvgBuilder:
    """The sub-machine builder of ``algorithm``: a registered name, else "iterate a rule" with
    ``params["rule"]`` (icwtm -> cwtm, mda, cva, any rule name)."""
    if algorithm in AVG_MACHINES and algorithm != "iterate":
        return AVG_MACHINES[algorithm](**params)
    return AVG_MACHINES["iterate"](**params)


# --------------------------------------------------------------------------------------------------
class LearnMachine:
    """Algorithm 1 at one honest node. ``grad_fn(theta, t)`` is the node's gradient oracle;
    ``iterations(t, phase)`` the number of agreement iterations of that phase's AVG;
    ``output_index`` is * in [1, T] (shared by all honest nodes) for ``output = "random"``.

    Callbacks (optional, for measurements): ``on_theta(node, t, theta_t)`` for t = 1..T+1 and
    ``on_grad(node, t, g_t, gamma_t)`` with g_t the vector the node agreed on (its momentum m_t when
    ``momentum`` > 0).
    """

    def __init__(self, node: int, theta1: np.ndarray, grad_fn: Callable[[np.ndarray, int], np.ndarray], *,
                 T: int, eta: float, avg: AvgBuilder, iterations: Callable[[int, int], int],
                 output: str = "last", output_index: int | None = None, momentum: float = 0.0,
                 on_theta: Callable[[int, int, np.ndarray], None] | None = None,
                 on_grad: Callable[[int, int, np.ndarray, np.ndarray], None] | None = None,
                 window: int = WINDOW):
        if T < 1:
            raise ValueError("T must be >= 1")
        if output not in ("random", "last"):
            raise ValueError("output must be 'random' or 'last'")
        if output == "random" and not (output_index is not None and 1 <= output_index <= T):
            raise ValueError("output = 'random' needs output_index in [1, T]")
        if not 0.0 <= momentum < 1.0:
            raise ValueError("momentum must be in [0, 1)")
        self.node, self.grad_fn, self.T, self.eta = node, grad_fn, T, float(eta)
        self.momentum = float(momentum)
        self.m: np.ndarray | None = None
        """The local momentum m_{t} (D-SHB, eq. 3); None until the first gradient or without momentum."""
        self.avg, self.iterations = avg, iterations
        self.output, self.output_index = output, output_index
        self.on_theta, self.on_grad = on_theta, on_grad
        self.theta = np.array(theta1, dtype=np.float64)
        self.thetas: list[np.ndarray] = [self.theta]  # theta_1 .. theta_{t}
        self.t, self.phase = 1, PHASE_GRAD
        self.sub = None
        self.g: np.ndarray | None = None
        self.done = False
        self.result: np.ndarray | None = None
        self._future: dict[int, dict[tuple, Envelope]] = {}
        """LEARN instance -> {(wire instance, round, sender, kind): envelope}, in arrival order."""
        self.replay_rejections = 0
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window = int(window)
        self.sub_window = int(getattr(avg, "window", ITERATE_WINDOW))
        """W_R: rounds of a later instance buffered (the sub-machine's own window from round 0)."""
        self.n = getattr(avg, "n", None)
        self.kinds = int(getattr(avg, "kinds", 1))
        self.span = int(getattr(avg, "span", 1))
        """Wire instance ids per LEARN instance (1 for "iterate a rule": wire instance = LEARN instance)."""
        self.keep_serving = bool(getattr(avg, "keep_serving", False))
        """Keep feeding finished phases' machines (reliable broadcast relays after its output)."""
        self._old: dict[int, Any] = {}

    @property
    def instance(self) -> int:
        return instance_of(self.t, self.phase)

    # -- the sans-IO interface ---------------------------------------------------------------
    def start(self) -> Step:
        step = Step()
        if self.on_theta:
            self.on_theta(self.node, 1, self.theta)
        self._begin_gradient_phase(step)
        return step

    def admits(self, env: Envelope) -> bool:
        """False when ``env`` is beyond the window (the network then holds an honest message until
        this node moves on)."""
        li = env.instance // self.span
        if self.done or li < self.instance:
            return True
        if li > self.instance:
            return li <= self.instance + self.window and env.round <= self.sub_window
        a = getattr(self.sub, "admits", None)
        return a is None or bool(a(env))

    def memory_bound(self) -> int | None:
        """Bytes this machine's state may take (module docstring); None when the AVG builder does
        not say n or its sub-machines state no bound."""
        if self.n is None:
            return None
        d = int(self.theta.shape[0])
        buffered = self.window * self.span * (self.sub_window + 1) * (self.n - 1) * self.kinds
        total = buffered * (8 * d + VECTOR_OVERHEAD + MESSAGE_OVERHEAD)
        for m in ([self.sub] if self.sub is not None else []) + list(self._old.values()):
            b = getattr(m, "memory_bound", None)
            b = b() if b is not None else None
            if b is None:
                return None
            total += b
        return total + (self.T + 4) * (8 * d + VECTOR_OVERHEAD) + 16384

    def feed(self, env: Envelope) -> Step:
        step = Step()
        li = env.instance // self.span
        if li < instance_of(1, PHASE_GRAD) or li > instance_of(self.T, PHASE_PARAM):
            step.rejected = Rejection.ROUND_OUT_OF_RANGE
            return step
        if self.done or li < self.instance:
            old = self._old.get(li)
            if old is None:
                step.rejected = Rejection.STALE_ROUND
                return step
            s = old.feed(env)  # a finished phase keeps relaying; its output is not used again
            step.send.extend(s.send)
            step.rejected = s.rejected
            step.dropped += s.dropped
            return step
        if li > self.instance:
            step.rejected = self._buffer(li, env)
            return step
        sub_step = self.sub.feed(env)
        step.rejected = sub_step.rejected
        self._absorb(sub_step, step)
        return step

    def _buffer(self, li: int, env: Envelope) -> Rejection | None:
        """Keep ``env`` for LEARN instance ``li`` (later than ours), within the window."""
        if li > self.instance + self.window or env.round > self.sub_window:
            return Rejection.BEYOND_WINDOW
        if env.sender == self.node:
            return Rejection.OWN_MESSAGE
        t, phase = phase_of(li)
        if env.round >= int(self.iterations(t, phase)):
            return Rejection.ROUND_OUT_OF_RANGE
        bucket = self._future.get(li)
        if bucket is None:
            bucket = self._future[li] = {}
        key = (env.instance, env.round, env.sender, env.kind)
        if key in bucket:
            return Rejection.DUPLICATE
        bucket[key] = env
        return None

    # -- internals -----------------------------------------------------------------------------
    def _absorb(self, sub_step: Step, step: Step) -> None:
        """Take a sub-machine's step; while the current phase is done, move to the next one."""
        step.send.extend(sub_step.send)
        step.dropped += sub_step.dropped
        while sub_step.done and not self.done:
            if self.keep_serving:
                self._old[self.instance] = self.sub
            out = np.asarray(sub_step.output, dtype=np.float64)
            if self.phase == PHASE_GRAD:
                if self.on_grad:
                    self.on_grad(self.node, self.t, self.g, out)
                half = self.theta - self.eta * out                                    # eq. 27
                sub_step = self._start_sub(PHASE_PARAM, half)
            else:
                self.theta = out
                self.t += 1
                self.thetas.append(out)
                if self.on_theta:
                    self.on_theta(self.node, self.t, out)
                if self.t > self.T:
                    self._finish(step)
                    return
                sub_step = self._start_sub(PHASE_GRAD, self._gradient())
            step.send.extend(sub_step.send)
            step.dropped += sub_step.dropped

    def _gradient(self) -> np.ndarray:
        g = np.asarray(self.grad_fn(self.theta, self.t), dtype=np.float64)
        if self.momentum:
            beta = self.momentum
            self.m = (1.0 - beta) * g if self.m is None else beta * self.m + (1.0 - beta) * g   # eq. 3, m_0 = 0
            g = self.m
        self.g = g
        return self.g

    def _begin_gradient_phase(self, step: Step) -> None:
        self._absorb(self._start_sub(PHASE_GRAD, self._gradient()), step)

    def _start_sub(self, phase: int, x0: np.ndarray) -> Step:
        """Start round t's ``phase`` AVG on x0 and replay what was buffered for it."""
        self.phase = phase
        self.sub = self.avg(self.node, x0, self.instance, int(self.iterations(self.t, phase)))
        step = self.sub.start()
        dropped = list(step.dropped)
        buffered = list(self._future.pop(self.instance, {}).values())
        for i, env in enumerate(buffered):
            if step.done and not self.keep_serving:
                dropped.extend([Rejection.STALE_ROUND] * (len(buffered) - i))  # the phase ended first
                self.replay_rejections += len(buffered) - i
                break
            s = self.sub.feed(env)
            if s.rejected:
                self.replay_rejections += 1
                dropped.append(s.rejected)
            dropped.extend(s.dropped)
            step.send.extend(s.send)
            if s.done and not step.done:
                step.done, step.output = True, s.output
        step.dropped = tuple(dropped)
        return step

    def _finish(self, step: Step) -> None:
        self.done = True
        left = sum(len(b) for b in self._future.values())
        if left:  # buffered for phases this node will never run
            step.dropped += (Rejection.STALE_ROUND,) * left
        self._future.clear()
        self.result = self.thetas[-1] if self.output == "last" else self.thetas[self.output_index - 1]
        step.done, step.output = True, self.result
