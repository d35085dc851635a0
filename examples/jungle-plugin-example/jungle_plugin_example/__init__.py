"""A jungle plugin in its own package: jungle is not edited, the entry points in pyproject.toml
register everything here (groups ``jungle.attacks``, ``jungle.schedules``, ``jungle.rules``,
``jungle.commands``)."""
from __future__ import annotations

import numpy as np

from net.params import PluginParams
from net.schedules import HoldingSchedule
from nodes.adversary import Attack


class Mirror(Attack):
    """Send each honest node the reflection of its own vector through the honest mean, scaled by
    ``[adversary] mirror_gain`` (typed and checked by jungle like its own attacks' parameters)."""

    class Params(PluginParams):
        mirror_gain: float = 1.0

    def write(self, b, r, instance, round_):
        seen = self.adv.seen(instance, round_)  # honest vectors of this round, by sender (read-only)
        if r not in seen:
            return []  # silence
        mean = np.mean(list(seen.values()), axis=0)
        return [self.vec(b, instance, round_, mean + self.adv.params.mirror_gain * (mean - seen[r]))]


class Starve0(HoldingSchedule):
    """Hold back everything honest node 0 sends, as long as liveness allows."""

    def holds(self, d):
        return not d.slot and d.sender == 0


def midrange(X, f, own=None):
    """Coordinate-wise midpoint of the extreme values (not robust: a Byzantine value moves it)."""
    X = np.asarray(X, dtype=np.float64)
    return 0.5 * (X.min(axis=0) + X.max(axis=0))


def register_hello(sub) -> None:
    sp = sub.add_parser("hello", help="say which plugins are loaded")
    sp.set_defaults(func=_hello)


def _hello(args) -> int:
    from nodes.attacks import ATTACKS

    print("hello from jungle-plugin-example; mirror registered:", "mirror" in ATTACKS)
    return 0
