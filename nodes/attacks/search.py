"""The search adversary's payloads: a parameterised family of attacks, told no construction.

The attack ``search`` writes what its parameters (``[adversary]`` keys, found by the optimiser in
:mod:`scenarios.explore.search` or drawn at random) say; pair it with the ``search`` schedule
(:mod:`net.schedules.search`), whose parameters say which honest links to hold back.

Every payload is picked from a MENU of values computed, per coordinate, from the honest vectors the
adversary knows when it writes (the current round's where seen, else each node's latest):
``lo - 2w, lo - w, lo - w/2, lo - w/4, lo, own, mean, hi, hi + w/4, hi + w/2, hi + w, hi + 2w``, where lo/hi/mean are the honest
coordinate-wise min/max/mean, w = hi - lo, and ``own`` is the recipient's own current value.

"iterate a rule" (ICwTM, MDA, CVA, any rule), params:

- ``search_values``: f x h x d menu indices: what Byzantine node b sends honest node r, per coordinate;
- ``search_silent``: f x h 0/1: Byzantine node b sends honest node r nothing.

Broadcast-based agreement (:class:`BroadcastSearch`, in ``nodes.attacks.BROADCAST_ATTACKS``), a
protocol-following Byzantine identity whose deviations are parameterised, params:

- ``search_values``: f x h x d menu indices, computed over the honest values it *supports* towards r:
  the value Byzantine b reliably broadcasts to honest r (equivocation when it differs across r);
- ``search_support``: h x h 0/1: towards honest r, echo/ready/report honest s's broadcast (1) or
  pretend not to have seen it (0).

Without these params the attack draws them uniformly from its own seeded stream (one random member
of the family); with them, a run is fully determined by the scenario and its seed (replayable).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from net.params import PluginParams
from nodes.adversary import Attack
from nodes.attacks.broadcast import BroadcastAttack
from nodes.attacks.core import honest_vectors

MENU = ("lo-2w", "lo-w", "lo-w/2", "lo-w/4", "lo", "own", "mean", "hi", "hi+w/4", "hi+w/2", "hi+w", "hi+2w")
K = len(MENU)


def menu_values(X: np.ndarray, own: np.ndarray | None, w: np.ndarray | None = None) -> np.ndarray:
    """K x d table of candidate values from the honest vectors X (rows), per coordinate; w defaults
    to the spread of X (broadcast passes the spread of every honest value it knows)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    w = hi - lo if w is None else w
    mean = X.mean(axis=0)
    own = mean if own is None else own
    return np.stack([lo - 2 * w, lo - w, lo - w / 2, lo - w / 4, lo, own, mean,
                     hi, hi + w / 4, hi + w / 2, hi + w, hi + 2 * w])


def pick(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per coordinate c, table[idx[c], c] (vectorised over coordinates)."""
    return np.take_along_axis(table, np.asarray(idx, dtype=np.int64)[None, :], axis=0)[0]


def shapes(protocol: str, f: int, h: int, d: int) -> dict[str, tuple[tuple[int, ...], int]]:
    """The family's parameters: name -> (shape, number of options)."""
    out = {"search_values": ((f, h, d), K)}
    if protocol == "broadcast":
        out["search_support"] = ((h, h), 2)
    else:
        out["search_silent"] = ((f, h), 2)
    return out


def check_shapes(params: PluginParams, protocol: str, f: int, h: int, d: int) -> None:
    """Raise ValueError (naming the key, the shape given and the one expected) unless every given
    parameter array has its shape and values in range."""
    for key, (shape, k) in shapes(protocol, f, h, d).items():
        v = getattr(params, key)
        if v is None:
            continue
        try:
            arr = np.asarray(v, dtype=np.int64)
        except ValueError:
            raise ValueError(f"adversary.{key} must be a regular array of shape {shape}: its rows differ in length") from None
        if arr.shape != shape or arr.min(initial=0) < 0 or arr.max(initial=0) >= k:
            raise ValueError(f"adversary.{key} must have shape {shape} (f, h, d = {f}, {h}, {d}) with values in "
                             f"0..{k - 1}, got shape {arr.shape}")


class SearchParams(PluginParams):
    """The payload family's parameters of "iterate a rule" (see the module docstring)."""

    search_values: list[list[list[int]]] | None = None
    search_silent: list[list[int]] | None = None

    def check(self, *, n: int, f: int, q: int, d: int) -> None:
        check_shapes(self, "iterate", f, n - f, d)


class BroadcastSearchParams(PluginParams):
    """The deviations' parameters of broadcast-based agreement (see the module docstring)."""

    search_values: list[list[list[int]]] | None = None
    search_support: list[list[int]] | None = None

    def check(self, *, n: int, f: int, q: int, d: int) -> None:
        check_shapes(self, "broadcast", f, n - f, d)


def _params(adv, protocol: str) -> dict[str, np.ndarray]:
    """The attack's parameter arrays from ``[adversary]``, or a uniform draw from its own stream."""
    h, f, d = len(adv.honest), adv.f, adv.d
    check_shapes(adv.params, protocol, f, h, d)
    out: dict[str, Any] = {}
    for key, (shape, k) in shapes(protocol, f, h, d).items():
        v = getattr(adv.params, key)
        out[key] = adv.rng.integers(k, size=shape) if v is None else np.asarray(v, dtype=np.int64)
    return out


class Search(Attack):
    """Parameterised payloads for "iterate a rule" (see the module docstring)."""

    name = "search"
    Params = SearchParams

    def bind(self, adv):
        super().bind(adv)
        self.p = _params(adv, "iterate")
        self.hi = {r: i for i, r in enumerate(adv.honest)}
        self.bi = {b: i for i, b in enumerate(adv.byzantine)}

    def slots(self, instance, round_):
        sil = self.p["search_silent"]
        return [(b, r) for b in self.adv.byzantine for r in self.adv.honest if not sil[self.bi[b], self.hi[r]]]

    def write(self, b, r, instance, round_):
        cur = honest_vectors(self.adv, instance, round_)
        if not cur:
            return []
        X = np.stack([cur[i] for i in sorted(cur)])
        table = menu_values(X, cur.get(r))
        return [self.vec(b, instance, round_, pick(table, self.p["search_values"][self.bi[b], self.hi[r]]))]


class BroadcastSearch(BroadcastAttack):
    """Parameterised deviations for broadcast-based agreement (see the module docstring)."""

    name = "search"
    Params = BroadcastSearchParams

    def bind(self, adv):
        super().bind(adv)
        self.p = _params(adv, "broadcast")
        self.bi = {b: i for i, b in enumerate(adv.byzantine)}
        self._for: int | None = None

    def _supported(self, r: int, k: int) -> list[int]:
        sup = self.p["search_support"][self.h_index[r]]
        return [s for s in self.adv.honest if sup[self.h_index[s]] and (k, s) in self.initials]

    def honest_seen(self, k):
        if self._for is None:
            return super().honest_seen(k)
        return self._supported(self._for, k)

    def own_value(self, b, r, k):
        seen = self._supported(r, k) or super().honest_seen(k)
        if not seen:
            return None
        X = np.stack([self.initials[(k, s)][0] for s in seen])
        own = self.initials.get((k, r), (None,))[0]
        L = np.stack([v for _, v in (self.latest_initial[s] for s in sorted(self.latest_initial))])
        w = L.max(axis=0) - L.min(axis=0)
        return pick(menu_values(X, own, w), self.p["search_values"][self.bi[b], self.h_index[r]])

    def write(self, b, r, instance, k):
        self._for = r
        try:
            return super().write(b, r, instance, k)
        finally:
            self._for = None
