"""The "iterate a rule" protocol machine (standard form, agreement paper Definition 6).

ICwTM, MDA, CVA and every rule of the zoo run on this one sans-IO machine: in iteration k a node
broadcasts its vector x_k, gathers the first q valid vectors of iteration k (its own included when
``include_self``), and sets x_{k+1} = rule(gathered, f, x_k). After ``iterations`` iterations its
output is x_N. Later iterations are buffered, stale ones dropped; one vector per sender and iteration.

Memory: the machine buffers vectors of at most ``window`` iterations ahead of its own (W, default
:data:`WINDOW`); a vector for a later iteration is refused as ``beyond_window`` (an honest one is held
by the network until the node gets there: :meth:`IterateRule.admits`). Its state is at most
q + W (n - 1) vectors (each a view of its message: 8d bytes plus the message's header and signature)
and O(W n) bookkeeping: :meth:`IterateRule.memory_bound`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.footprint import VECTOR_OVERHEAD, WORD
from agreement.messages import BROADCAST, Envelope, Outgoing, Rejection, Step

# enum members read once (a read from the class costs ~0.3 us on Python 3.11)
_WRONG_KIND = Rejection.WRONG_KIND
_OWN_MESSAGE = Rejection.OWN_MESSAGE
_STALE_ROUND = Rejection.STALE_ROUND
_ROUND_OUT_OF_RANGE = Rejection.ROUND_OUT_OF_RANGE
_BEYOND_WINDOW = Rejection.BEYOND_WINDOW
_DUPLICATE = Rejection.DUPLICATE

VEC = "VEC"
WINDOW = 4
"""Iterations ahead of its own that an "iterate a rule" machine buffers (W)."""


class IterateRule:
    """Sans-IO machine of one honest node. Feed it validated envelopes; it returns a :class:`Step`.

    ``history`` callback (optional) receives (node, k, x_k) each time the node holds a new vector,
    from k = 0 (its input) to k = iterations (its output): the runner measures diameters from it.
    """

    def __init__(self, node: int, x0: np.ndarray, *, n: int, f: int, q: int, rule: Callable,
                 iterations: int, include_self: bool = True, instance: int = 0,
                 on_vector: Callable[[int, int, np.ndarray], None] | None = None, window: int = WINDOW):
        if iterations < 0:
            raise ValueError("iterations must be >= 0")
        need = q - 1 if include_self else q
        if need > n - 1:
            raise ValueError(f"q = {q} exceeds the {n - 1 + int(include_self)} vectors a node can gather")
        self.node, self.n, self.f, self.q = node, n, f, q
        self.rule, self.iterations, self.include_self, self.instance = rule, iterations, include_self, instance
        self.on_vector = on_vector
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window = int(window)
        self._apply = getattr(rule, "owned", rule)
        self.round = 0
        self.x = np.asarray(x0, dtype=np.float64)
        self.d = self.x.shape[0]
        self.done = iterations == 0
        self._rows: list[np.ndarray] = []
        self._senders: set[int] = set()
        self._future: dict[int, dict[int, np.ndarray]] = {}

    # -- helpers -----------------------------------------------------------------------------
    def _broadcast(self) -> Outgoing:
        return Outgoing(Envelope(VEC, self.node, self.round, self.instance, {"x": self.x}), BROADCAST)

    def _enter_round(self) -> None:
        self._rows = [self.x] if self.include_self else []
        self._senders = {self.node} if self.include_self else set()

    def admits(self, env: Envelope) -> bool:
        """False when ``env`` is for an iteration beyond the window (the network then holds an honest
        message until this node moves on)."""
        return env.round <= self.round + self.window

    def memory_bound(self) -> int:
        """Bytes this machine's state may take (module docstring): q + W (n - 1) + 2 vectors and
        O(W n) table slots, whatever it is fed."""
        vectors = self.q + self.window * (self.n - 1) + 2
        return vectors * (8 * self.d + VECTOR_OVERHEAD) + WORD * (self.window + 2) * (4 * self.n + 64) + 4096

    def stale_below(self) -> tuple[int, int]:
        """(instance, r): every message of this instance with round < r is stale for this node
        from now on (lets the network drop such deliveries before they are picked)."""
        return self.instance, (self.iterations if self.done else self.round)

    # -- the sans-IO interface ---------------------------------------------------------------
    def start(self) -> Step:
        """Begin iteration 0: broadcast x_0 (and count it, when ``include_self``)."""
        if self.on_vector:
            self.on_vector(self.node, 0, self.x)
        if self.done:
            return Step(done=True, output=self.x)
        self._enter_round()
        step = Step(send=[self._broadcast()])
        self._advance(step)
        return step

    def feed(self, env: Envelope) -> Step:
        """Accept one validated VEC envelope (sender authenticated, vector finite, shape d)."""
        step = Step()
        if env.kind != VEC or env.instance != self.instance:
            step.rejected = _WRONG_KIND
            return step
        if env.sender == self.node:
            step.rejected = _OWN_MESSAGE
            return step
        if self.done or env.round < self.round:
            step.rejected = _STALE_ROUND
            return step
        if env.round >= self.iterations:
            step.rejected = _ROUND_OUT_OF_RANGE
            return step
        x = env.payload["x"]
        if env.round > self.round:
            if env.round > self.round + self.window:
                step.rejected = _BEYOND_WINDOW
                return step
            bucket = self._future.setdefault(env.round, {})
            if env.sender in bucket:
                step.rejected = _DUPLICATE
            else:
                bucket[env.sender] = x
            return step
        if env.sender in self._senders:
            step.rejected = _DUPLICATE
            return step
        self._take(env.sender, x)
        self._advance(step)
        return step

    def _take(self, sender: int, x: np.ndarray) -> None:
        if len(self._rows) < self.q:
            self._rows.append(x)
        self._senders.add(sender)

    def _advance(self, step: Step) -> None:
        """While the current iteration has its q vectors: apply the rule, move on, replay buffers."""
        while not self.done and len(self._rows) >= self.q:
            X = np.stack(self._rows[: self.q])  # our own array: a rule may sort it in place
            self.x = np.asarray(self._apply(X, self.f, self.x), dtype=np.float64)
            self.round += 1
            if self.on_vector:
                self.on_vector(self.node, self.round, self.x)
            if self.round >= self.iterations:
                self.done = True
                self._future.clear()
                step.done, step.output = True, self.x
                return
            self._enter_round()
            step.send.append(self._broadcast())
            for sender, x in self._future.pop(self.round, {}).items():  # arrival order
                self._take(sender, x)
