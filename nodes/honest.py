"""The honest node: a thin trio task that drives a sans-IO protocol machine over the network."""
from __future__ import annotations

import trio

from agreement.messages import Step
from net import wire
from net.keys import Signer
from net.network import START, Network
from net.validate import in_canonical_order


class HonestNode:
    """Receive from the network, validate, feed the machine, sign and send what it returns."""

    def __init__(self, node: int, machine, signer: Signer, net: Network):
        self.node, self.machine, self.signer, self.net = node, machine, signer, net
        self.output = None
        self.done = False
        self._stale_below = getattr(machine, "stale_below", None)
        self._order = net.verifier.order
        admits = getattr(machine, "admits", None)
        if admits is not None:
            check = net.verifier.check

            def admits_bytes(data: bytes) -> bool:
                env, reason = check(data)
                return env is None or bool(admits(env))
            net.set_admits(node, admits_bytes)

    def _emit(self, step: Step) -> None:
        for out in step.send:
            env = in_canonical_order(out.envelope, self._order.get(out.envelope.kind))
            data = wire.encode(env, self.signer)
            self.net.submit(self.node, out.to, env, data)
        if step.rejected:
            self.net.reject(step.rejected)
        if step.dropped:
            for reason in step.dropped:
                self.net.count_rejection(reason)
        if step.done and not self.done:
            self.done, self.output = True, step.output
            self.net.node_done(self.node)

    def handle(self, item) -> None:
        """Process one inbox item; never raises on bad input (bad bytes are counted, not raised)."""
        if item is START:
            self._emit(self.machine.start())
            return
        env, reason = self.net.verifier.check(item)
        if reason is not None:
            self.net.reject(reason)
            return
        self._emit(self.machine.feed(env))
        if self._stale_below is not None:
            instance, below = self._stale_below()
            self.net.prune_stale(self.node, instance, below)

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """The node's task: open its inbox, report started (``nursery.start``), then handle one item
        per delivery. It parks in the inbox before its first checkpoint, so a started node is ready."""
        inbox = self.net.open_inbox(self.node)
        task_status.started()
        async for item in inbox:
            self.handle(item)
            self.net.settled()
