"""The LEARN attacks when AVG is broadcast-based agreement (``algorithm.name = "broadcast"``).

LEARN multiplexes one broadcast-based agreement per (round t, phase) (:class:`agreement.learn._Offset`):
on the wire, LEARN instance I's messages carry instance ``I (n + 1) + i`` (i = 0 for a REPORT,
broadcaster + 1 for a reliable-broadcast instance) and round k, the agreement iteration. The
vector attacks of "iterate a rule" (``alie``, ``foe``, ``sf``, ``lf``, ``alie-opt``, ``foe-opt``,
``mimic``, ``gaussian``, ``ipm``, ``dissensus``, ``noise``, ``far``, ``split``, ``equivocate``, and a
third-party ``jungle.attacks`` plugin) choose a vector from the honest vectors of an (instance, round);
here each runs unchanged inside :class:`OverBroadcast`, a protocol-following Byzantine identity
(:class:`nodes.attacks.broadcast.BroadcastAttack`: it echoes and readies the honest values, reports)
whose own reliably broadcast value in iteration k of LEARN instance I is what the wrapped attack
writes for (I, k):

* the wrapped attack reads, through its ``adv`` (:class:`_View`, the real adversary otherwise),
  ``seen(I, k)`` = the honest INITIAL vectors of iteration k of instance I seen so far (the inputs of
  that AVG, which is what it reads under "iterate a rule": gradients or momenta in the gradient phase,
  theta_{t+1/2} in the parameter phase), ``latest`` the last INITIAL vector each honest node sent, and
  its LEARN context (workload, eta, theta_1, the rule in use: ``trimmed_middle`` or ``algorithm.rule``);
* reliable broadcast delivers at most one value per broadcaster and iteration, so a Byzantine node
  broadcasts ONE value per (I, k), to every honest node: what the wrapped attack writes to the first
  honest recipient it is asked for (per-recipient attacks such as ``dissensus`` or ``split`` are thus
  projected onto one value; sending each recipient its own would only make the broadcast fail, which
  is the ``silent`` attack);
* it is rushing: the value is fixed at the first Byzantine slot after at least ``ceil(h / 2)`` honest
  INITIALs of (I, k) were seen (:data:`WAIT`), so that the honest mean s it starts from is estimated
  from half the honest inputs, yet the value still reaches the honest nodes while they gather theirs
  (a slot opens with every honest broadcaster's INITIAL, so such a slot always comes).

``none`` and ``silent`` are the silent attack of "iterate a rule" as before (no Byzantine message).
Attacks bound to another protocol's structure are not offered (:data:`NOT_OVER_BROADCAST`).
Memory: the honest INITIAL vectors and the attack's per-iteration state are kept for the last
:data:`KEEP` LEARN instances only (the label-flipping attack reads the previous one).
"""
from __future__ import annotations

import difflib
import math
from dataclasses import replace
from typing import Any, Iterator, Mapping

import numpy as np

from agreement.broadcast import INITIAL, digest
from agreement.messages import Envelope
from agreement.registry import Registry, UnknownName
from nodes.adversary import Attack
from nodes.attacks.broadcast import ATTACK_CLASSES, BroadcastAttack

WAIT = 0.5
"""Share of the honest INITIALs of an iteration seen before a Byzantine value is fixed."""
KEEP = 4
"""LEARN instances (phases) of honest INITIALs and attack state kept (the current one and 3 before)."""
NOT_OVER_BROADCAST = frozenset({"garbage", "theorem4", "theorem5", "theorem9", "cga", "search", "worst-case"})
"""Vector attacks bound to "iterate a rule"'s structure (lower-bound constructions, the search and
worst-case adversaries, raw garbage, the CGA's personalised protocol): not offered over broadcast."""
SILENT = ("none", "silent")


class _View:
    """The adversary as a wrapped VEC attack sees it over broadcast (module docstring): ``seen`` and
    ``latest`` are the honest INITIAL vectors of a LEARN instance's agreement iteration; everything
    else is the real adversary's (read-only views, its rng, params and context). Attributes the
    wrapped attack sets land here, never on the adversary."""

    def __init__(self, adv, owner: "OverBroadcast"):
        self.__dict__["_adv"], self.__dict__["_owner"] = adv, owner

    def seen(self, instance: int, round_: int) -> dict[int, np.ndarray]:
        return self._owner.by_iteration.get((instance, round_), {})

    @property
    def latest(self) -> dict[int, np.ndarray]:
        return self._owner.latest

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adv, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value


class OverBroadcast(BroadcastAttack):
    """A protocol-following Byzantine identity whose reliably broadcast value is the wrapped VEC
    attack's vector for the (LEARN instance, iteration) (module docstring). Subclassed per attack by
    :func:`over_broadcast`."""

    inner: type[Attack] = Attack
    name = "over-broadcast"

    def bind(self, adv):
        super().bind(adv)
        self.span = adv.n + 1
        self.need = max(1, math.ceil(WAIT * len(adv.honest)))
        self.by_iteration: dict[tuple[int, int], dict[int, np.ndarray]] = {}
        self.latest: dict[int, np.ndarray] = {}
        self.common: dict[tuple[int, tuple[int, int]], np.ndarray] = {}
        self.newest = -1
        honest = set(adv.honest)
        span = self.span

        def observing(sender, to, env, data):  # replaces the base observer (its RB instance ids are LEARN's)
            if sender not in honest:
                return
            recipients = adv.n - 1 if to < 0 else 1
            self.count[(env.round, env.kind)] += recipients
            self.nbytes[(env.round, env.kind)] += recipients * len(data)
            I, i = divmod(int(env.instance), span)
            if env.kind != INITIAL or i != sender + 1:
                return
            if I > self.newest:
                self.newest = I
                self._forget(I - KEEP)
            elif I <= self.newest - KEEP:
                return
            key = (I, int(env.round))
            x = env.payload["x"]
            self.initials[(key, sender)] = (x, digest(x))
            self.by_iteration.setdefault(key, {})[sender] = x
            self.latest[sender] = x

        adv.observe = observing
        self.wrapped = self.inner()
        self.wrapped.bind(_View(adv, self))

    def _forget(self, below: int) -> None:
        """Drop every record of LEARN instances < ``below`` (bounded memory)."""
        for d in (self.by_iteration, self.initials, self.common, self.values, self.sent):
            for k in [k for k in d if _instance_of_key(k) < below]:
                del d[k]
        for d in (self.count, self.nbytes):
            d.clear()  # honest traffic counts (the network counts them for the result; kept bounded here)

    # -- the value -----------------------------------------------------------------------------
    def own_value(self, b, r, key):
        """What the wrapped attack writes to r for (I, k), once ``need`` honest INITIALs were seen."""
        if len(self.by_iteration.get(key, ())) < self.need:
            return None
        I, k = key
        out = self.wrapped.write(b, r, I, k)
        for e in (out or ()):
            if isinstance(e, Envelope):
                x = e.payload.get("x") if isinstance(e.payload, Mapping) else None
                if isinstance(x, np.ndarray) and x.shape == (self.adv.d,):
                    return x
        return None

    def _value(self, b, r, key):
        v = self.common.get((b, key))
        if v is None:
            v = self.own_value(b, r, key)
            if v is None:
                return None
            v = self.common[(b, key)] = np.array(v, dtype=np.float64)
        self.values[(b, r, key)] = v
        return v

    # -- the wire ------------------------------------------------------------------------------
    def write(self, b, r, instance, k):
        I = int(instance) // self.span
        if I <= self.newest - KEEP:
            return []
        base = I * self.span
        out = super().write(b, r, instance, (I, int(k)))
        return [replace(e, round=int(k), instance=base + e.instance) if isinstance(e, Envelope) else e for e in out]


def _instance_of_key(k) -> int:
    """The LEARN instance of a state key: (I, k), ((I, k), s), (b, (I, k)) or (b, r, (I, k))."""
    if isinstance(k[0], tuple):
        return k[0][0]
    if isinstance(k[-1], tuple):
        return k[-1][0]
    return k[0]


_WRAPPED: dict[type, type[OverBroadcast]] = {}


def over_broadcast(cls: type[Attack]) -> type[OverBroadcast]:
    """The :class:`OverBroadcast` attack wrapping the VEC attack ``cls`` (its name and parameters)."""
    w = _WRAPPED.get(cls)
    if w is None:
        w = type(f"{cls.__name__}OverBroadcast", (OverBroadcast,),
                 {"inner": cls, "name": getattr(cls, "name", cls.__name__), "Params": getattr(cls, "Params", Attack.Params),
                  "__doc__": f"{cls.__name__} over broadcast-based agreement (see nodes.attacks.learn_broadcast)",
                  "__module__": __name__})
        _WRAPPED[cls] = w
    return w


class LearnOverBroadcastAttacks(Mapping[str, type[Attack]]):
    """The attacks of LEARN over broadcast-based agreement: ``none`` and ``silent`` as they are, every
    other attack of ``vec`` (the "iterate a rule" registry, third-party plugins included) but
    :data:`NOT_OVER_BROADCAST` wrapped by :func:`over_broadcast`. Read like a registry."""

    kind = "attack (LEARN over broadcast)"

    def __init__(self, vec: Registry):
        self.vec = vec
        self.group = vec.group

    def _names(self) -> list[str]:
        return [k for k in self.vec if k not in NOT_OVER_BROADCAST]

    def __getitem__(self, name: str) -> type[Attack]:
        if name in NOT_OVER_BROADCAST or name not in self.vec:
            raise self.unknown(name)
        cls = self.vec[name]
        return cls if name in SILENT else over_broadcast(cls)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name not in NOT_OVER_BROADCAST and name in self.vec

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def names(self) -> list[str]:
        return sorted(self._names())

    def unknown(self, name: object) -> UnknownName:
        """The error for a name that is not here, naming the closest known name."""
        known = self.names()
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        why = (" (bound to \"iterate a rule\")" if name in NOT_OVER_BROADCAST else
               " (an attack on broadcast-based agreement run alone, not on LEARN over it)"
               if name in {c.name for c in ATTACK_CLASSES} else "")
        return UnknownName(f"unknown {self.kind} {name!r}{why}{hint}; known: {', '.join(known)}")
