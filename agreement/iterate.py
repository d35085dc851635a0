"""The "iterate a rule" protocol machine (standard form, agreement paper Definition 6).

ICwTM, MDA, CVA and every rule of the zoo run on this one sans-IO machine: in iteration k a node
broadcasts its vector x_k, gathers the first q valid vectors of iteration k (its own included when
``include_self``), and sets x_{k+1} = rule(gathered, f, x_k). After ``iterations`` iterations its
output is x_N. Later iterations are buffered, stale ones dropped; one vector per sender and iteration.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.messages import BROADCAST, Envelope, Outgoing, Step

VEC = "VEC"


class IterateRule:
    """Sans-IO machine of one honest node. Feed it validated envelopes; it returns a :class:`Step`.

    ``history`` callback (optional) receives (node, k, x_k) each time the node holds a new vector,
    from k = 0 (its input) to k = iterations (its output): the runner measures diameters from it.
    """

    def __init__(self, node: int, x0: np.ndarray, *, n: int, f: int, q: int, rule: Callable,
                 iterations: int, include_self: bool = True, instance: int = 0,
                 on_vector: Callable[[int, int, np.ndarray], None] | None = None):
        if iterations < 0:
            raise ValueError("iterations must be >= 0")
        need = q - 1 if include_self else q
        if need > n - 1:
            raise ValueError(f"q = {q} exceeds the {n - 1 + int(include_self)} vectors a node can gather")
        self.node, self.n, self.f, self.q = node, n, f, q
        self.rule, self.iterations, self.include_self, self.instance = rule, iterations, include_self, instance
        self.on_vector = on_vector
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
            step.rejected = "wrong_kind"
            return step
        if env.sender == self.node:
            step.rejected = "own_message"
            return step
        if self.done or env.round < self.round:
            step.rejected = "stale_round"
            return step
        if env.round >= self.iterations:
            step.rejected = "round_out_of_range"
            return step
        x = env.payload["x"]
        if env.round > self.round:
            bucket = self._future.setdefault(env.round, {})
            if env.sender in bucket:
                step.rejected = "duplicate"
            else:
                bucket[env.sender] = x
            return step
        if env.sender in self._senders:
            step.rejected = "duplicate"
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
