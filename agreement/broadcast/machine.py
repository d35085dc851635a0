"""Broadcast-based averaging agreement (agreement paper, section 6.1, Theorem 6): the per-node
sans-IO machine composing reliable-broadcast instances, the witness technique and the rule.

Iteration k at node j:

1. reliably broadcast x_k (an RB instance per (broadcaster, k); :mod:`.rb`);
2. after delivering n - f values of iteration k, send a REPORT naming them (:mod:`.witness`);
3. once n - f nodes are witnesses (j delivered every value their reports name), apply the rule to
   every value delivered so far in iteration k: per coordinate, drop the f smallest and f largest,
   output the midpoint of the remaining min and max (``trimmed_middle``); x_{k+1} is the result.

After ``iterations`` = t + ceil(log2 h) iterations (Theorem 6) the output is x_N. A node keeps
serving the RB instances of every iteration (ECHO/READY) after it has its output: totality of
reliable broadcast needs every honest node to keep relaying.

Wire layout (kinds INITIAL / ECHO / READY / REPORT): ``round`` is the iteration k; an RB message has
``instance = broadcaster + 1`` (the RB instance), a REPORT ``instance = 0``. INITIAL and ECHO carry
the vector ``x``; READY carries the 32-byte digest ``dg``; REPORT carries ``ids`` (n - f broadcaster
ids) and ``dgs`` (their digests, concatenated). See :mod:`.rb` for why ECHO carries the vector.

Below the threshold (n <= 3f) a node may hold fewer than 2f + 1 values; it then trims
min(f, floor((m - 1)/2)) per side of its m values so that something is left (the paper's rule is
undefined there; Theorem 7 says every algorithm fails there anyway).

Memory: a node keeps the RB instances and witness rounds of every iteration up to ``window``
iterations ahead of its own (W, default :data:`WINDOW`; later ones are refused as ``beyond_window``
and an honest one is held by the network until the node gets there, :meth:`BroadcastAgreement.admits`)
and of every earlier iteration (it keeps serving them). Per iteration: n RB instances of at most
n + 1 vectors and O(n) digests each, and a witness round of at most n reports of n - f pairs; so
O(N n^2 (d + n)) in all, N = ``iterations``: :meth:`BroadcastAgreement.memory_bound`.

Records for the trace checkers (:mod:`agreement.trace_checks`): ``delivered_log[(k, b)]`` = digest
delivered for instance (b, k); ``used[k]`` = the (broadcaster, digest) pairs the rule used in
iteration k; ``xs[k]`` = the node's vector x_k.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.broadcast.rb import DIGEST_SIZE, RBInstance, RBOut, Thresholds
from agreement.broadcast.witness import WitnessRound, parse_report
from agreement.footprint import MESSAGE_OVERHEAD, VECTOR_OVERHEAD, WORD
from agreement.messages import BROADCAST, Envelope, Outgoing, Rejection, Step

# enum members read once (a read from the class costs ~0.3 us on Python 3.11)
_WRONG_KIND = Rejection.WRONG_KIND
_OWN_MESSAGE = Rejection.OWN_MESSAGE
_ROUND_OUT_OF_RANGE = Rejection.ROUND_OUT_OF_RANGE
_BEYOND_WINDOW = Rejection.BEYOND_WINDOW
_BAD_INSTANCE = Rejection.BAD_INSTANCE
_STALE_ROUND = Rejection.STALE_ROUND

INITIAL, ECHO, READY, REPORT = "INITIAL", "ECHO", "READY", "REPORT"
KINDS = (INITIAL, ECHO, READY, REPORT)
WINDOW = 4
"""Iterations ahead of its own that a broadcast-based agreement machine keeps state for (W)."""


class BroadcastAgreement:
    def __init__(self, node: int, x0: np.ndarray, *, n: int, f: int, rule: Callable, iterations: int,
                 on_vector: Callable[[int, int, np.ndarray], None] | None = None, window: int = WINDOW):
        if iterations < 0:
            raise ValueError("iterations must be >= 0")
        if n - f < 1:
            raise ValueError("needs n - f >= 1")
        self.node, self.n, self.f = node, n, f
        self.rule, self.iterations, self.on_vector = rule, iterations, on_vector
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window = int(window)
        self.th = Thresholds.of(n, f)
        self.round = 0
        self.x = np.asarray(x0, dtype=np.float64)
        self.done = iterations == 0
        self._rb: dict[tuple[int, int], RBInstance] = {}
        self._w: dict[int, WitnessRound] = {}
        self.delivered_log: dict[tuple[int, int], bytes] = {}
        self.used: dict[int, tuple[tuple[int, bytes], ...]] = {}
        self.xs: dict[int, np.ndarray] = {0: self.x}

    # -- helpers -----------------------------------------------------------------------------
    def _inst(self, k: int, b: int) -> RBInstance:
        key = (k, b)
        inst = self._rb.get(key)
        if inst is None:
            inst = self._rb[key] = RBInstance(self.node, b, self.th)
        return inst

    def _wround(self, k: int) -> WitnessRound:
        w = self._w.get(k)
        if w is None:
            w = self._w[k] = WitnessRound(self.n, self.f)
        return w

    def _rb_out(self, k: int, b: int, inst: RBInstance, out: RBOut, step: Step) -> None:
        if out.echo is not None:
            step.send.append(Outgoing(Envelope(ECHO, self.node, k, b + 1, {"x": out.echo}), BROADCAST))
        if out.ready is not None:
            step.send.append(Outgoing(Envelope(READY, self.node, k, b + 1, {"dg": out.ready}), BROADCAST))
        if out.delivered:
            dg, x = inst.delivered
            self.delivered_log[(k, b)] = dg
            self._wround(k).deliver(b, dg, x)
            self._maybe_report(k, step)
            self._advance(step)

    def _maybe_report(self, k: int, step: Step) -> None:
        w = self._w.get(k)
        if w is None or w.reported or k > self.round or len(w.delivered) < w.need:
            return
        w.reported = True
        pairs = w.my_report()
        w.add_report(self.node, pairs)
        payload = {"ids": [b for b, _ in pairs], "dgs": b"".join(dg for _, dg in pairs)}
        step.send.append(Outgoing(Envelope(REPORT, self.node, k, 0, payload), BROADCAST))

    def _enter_round(self, step: Step) -> None:
        k = self.round
        step.send.append(Outgoing(Envelope(INITIAL, self.node, k, self.node + 1, {"x": self.x}), BROADCAST))
        inst = self._inst(k, self.node)
        self._rb_out(k, self.node, inst, inst.on_initial(self.node, self.x), step)
        self._maybe_report(k, step)

    def _advance(self, step: Step) -> None:
        while not self.done:
            w = self._w.get(self.round)
            if w is None or not w.ready():
                return
            bs, X = w.values()
            k = self.round
            self.used[k] = tuple((b, w.delivered[b][0]) for b in bs)
            m = X.shape[0]
            f_eff = min(self.f, (m - 1) // 2)
            self.x = np.asarray(self.rule(X, f_eff, self.x), dtype=np.float64)
            self.round = k + 1
            self.xs[self.round] = self.x
            if self.on_vector:
                self.on_vector(self.node, self.round, self.x)
            if self.round >= self.iterations:
                self.done = True
                step.done, step.output = True, self.x
                return
            self._enter_round(step)

    # -- bounds ------------------------------------------------------------------------------
    def admits(self, env: Envelope) -> bool:
        """False when ``env`` is for an iteration beyond the window (the network then holds an honest
        message until this node moves on)."""
        return env.round <= self.round + self.window

    def memory_bound(self) -> int:
        """Bytes this machine's state may take (module docstring), whatever it is fed: per iteration
        n RB instances (n + 1 vectors and 4n digests and counters each) and a witness round (n reports
        of n - f pairs), for the N iterations; plus its own N + 1 vectors and the records."""
        n, f, d, N = self.n, self.f, int(self.x.shape[0]), max(1, self.iterations)
        vec = 8 * d + VECTOR_OVERHEAD
        rb = (n + 1) * vec + 4 * n * (WORD * 16) + 2048
        witness = n * (n - f) * (WORD * 24) + n * MESSAGE_OVERHEAD + 4096
        records = (N + 1) * vec + N * n * (WORD * 24) + N * 2048
        return N * (n * rb + witness + 1024) + records + 8192

    # -- the sans-IO interface ---------------------------------------------------------------
    def start(self) -> Step:
        if self.on_vector:
            self.on_vector(self.node, 0, self.x)
        if self.done:
            return Step(done=True, output=self.x)
        step = Step()
        self._enter_round(step)
        self._advance(step)
        return step

    def feed(self, env: Envelope) -> Step:
        """Accept one validated envelope (sender authenticated, fields of the right types)."""
        step = Step()
        k = env.round
        if env.kind not in KINDS:
            step.rejected = _WRONG_KIND
            return step
        if env.sender == self.node:
            step.rejected = _OWN_MESSAGE
            return step
        if k >= self.iterations:
            step.rejected = _ROUND_OUT_OF_RANGE
            return step
        if k > self.round + self.window:
            step.rejected = _BEYOND_WINDOW
            return step
        if env.kind == REPORT:
            if env.instance != 0:
                step.rejected = _BAD_INSTANCE
                return step
            if k < self.round:
                step.rejected = _STALE_ROUND  # that iteration is over here; reports only serve witnesses
                return step
            pairs, why = parse_report(self.n, self.f, env.payload["ids"], env.payload["dgs"], DIGEST_SIZE)
            if why is not None:
                step.rejected = why
                return step
            step.rejected = self._wround(k).add_report(env.sender, pairs)
            self._advance(step)
            return step
        b = env.instance - 1
        if not 0 <= b < self.n:
            step.rejected = _BAD_INSTANCE
            return step
        inst = self._inst(k, b)
        if env.kind == INITIAL:
            out = inst.on_initial(env.sender, env.payload["x"])
        elif env.kind == ECHO:
            out = inst.on_echo(env.sender, env.payload["x"])
        else:
            out = inst.on_ready(env.sender, env.payload["dg"])
        step.rejected = out.rejected
        self._rb_out(k, b, inst, out, step)
        return step
