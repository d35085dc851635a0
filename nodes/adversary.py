"""The adversary: ONE object controlling the f Byzantine identities (agreement paper, section 2.1).

It is omniscient and rushing: :meth:`Adversary.observe` sees every honest message as it is sent
(hence every honest vector), and a Byzantine message's bytes are written only when the schedule
delivers it, from everything seen so far. It holds the Byzantine private keys and no honest one, so
it cannot forge an honest signature or change an honest message.

Writing an attack
-----------------
Subclass :class:`Attack`, set ``name``, and implement ``write``; register it in
``nodes.attacks.ATTACKS``::

    class Zero(Attack):
        name = "zero"
        def write(self, b, r, instance, round_):
            return [self.vec(b, instance, round_, np.zeros(self.adv.d))]

``write`` returns a list of envelopes (signed with b's own key) or raw bytes (sent as they are:
garbage, replays, forgeries); an empty list is silence. ``slots`` says which (Byzantine sender,
receiver) pairs get a chance to send in a new (instance, round); by default every pair. The
attack reads ``self.adv``: ``seen(instance, round_)`` (honest vectors of that round sent so far, by
sender), ``latest[r]`` (the last vector honest node r sent), ``honest``, ``byzantine``, ``n``, ``f``,
``q``, ``d``, ``rng`` (its own seeded stream), ``params`` (its typed parameters: the scenario's
``[adversary]`` keys it declares in a nested ``Params`` model, :class:`net.params.PluginParams`, with
their defaults) and ``context`` (a read-only :class:`nodes.context.AttackContext`)::

    class Shift(Attack):
        name = "shift"

        class Params(PluginParams):
            shift: float = 1.0      # [adversary] shift = 2.5

        def write(self, b, r, instance, round_):
            return [self.vec(b, instance, round_, np.full(self.adv.d, self.adv.params.shift))]

``write`` may also return a tuple, or any iterator (a generator, ``itertools.repeat(data, k)``): the
network reads a slot lazily and takes at most the protocol's per-slot cap of items, so a flood is
never materialised; anything that is not ``bytes`` (or an envelope, signed here) is counted as
``undecodable``, never raised (see :mod:`net.flood` for every bound).

Containment: the adversary is omniscient but holds no honest object. The honest vectors it reads
(``seen``, ``latest``, ``history``) are read-only views of the honest signed bytes; ``params`` and
``context`` (the schedule's parameters, the LEARN context: workload, rule) are its own deep copies,
functions wrapped; it holds no reference to the
network, the honest machines, the recorders or any honest key.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import types
from operator import length_hint
from typing import Any, Iterable, Mapping

import numpy as np
import trio

from agreement.messages import Envelope
from net import wire
from net.keys import Signer
from net.network import Network
from net.params import PluginParams, params_of
from nodes.context import AttackContext

SEEN_WINDOW = 2
"""Rounds per instance of honest vectors the adversary keeps by default (``seen``)."""

SIGNED_CACHE_BYTES = 16 << 20
"""Real cost (body, signed bytes and table slots) of the adversary's cache of signed envelopes."""


def _shielded(obj: Any) -> Any:
    """A deep copy of ``obj`` for the adversary's own use, functions wrapped so that setting an
    attribute on one (``rule.owned = ...``) cannot reach the function the honest nodes call. The
    typed parameters and the context (a frozen dataclass: the LEARN context's workload and rule) are
    copied whole, so that nothing the scenario or the honest nodes hold is reachable."""
    out = copy.deepcopy(obj)

    def shield(x):
        if dataclasses.is_dataclass(x) and not isinstance(x, type):  # the context (frozen): its fields
            for fld in dataclasses.fields(x):
                object.__setattr__(x, fld.name, shield(getattr(x, fld.name)))
            return x
        if isinstance(x, dict):
            for k, v in x.items():
                x[k] = shield(v)
            return x
        if isinstance(x, list):
            for i, v in enumerate(x):
                x[i] = shield(v)
            return x
        if isinstance(x, (types.FunctionType, types.BuiltinFunctionType, functools.partial)):
            fn = x

            @functools.wraps(fn, assigned=("__module__", "__name__", "__qualname__", "__doc__"), updated=())
            def wrapper(*a, **k):
                return fn(*a, **k)
            return wrapper
        return x
    return shield(out)


class _SignedStream:
    """The items an attack wrote for one slot, signed lazily: envelopes are signed with the slot's
    Byzantine key when the network reads them; everything else passes as it is (the network counts
    what is not ``bytes``). Keeps the attack's length hint, so that the network can count a flood it
    does not read."""

    __slots__ = ("_adv", "_b", "_it")

    def __init__(self, adv: "Adversary", b: int, raw: Any):
        self._adv, self._b = adv, b
        if raw is None:
            raw = ()
        elif isinstance(raw, (bytes, bytearray, memoryview, str, Envelope)) or not hasattr(raw, "__iter__"):
            raw = (raw,)  # one item, not a sequence of items
        self._it = iter(raw)

    def __iter__(self):
        return self

    def __next__(self):
        m = next(self._it)
        if isinstance(m, Envelope):
            try:
                return self._adv.sign(self._b, m)
            except Exception:  # an envelope the wire format cannot encode: an invalid item
                return m
        return m

    def __length_hint__(self) -> int:
        try:
            return length_hint(self._it)
        except Exception:
            return 0

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


class Attack:
    name = "base"
    observes = True
    """False for attacks that never read honest traffic (silence): the adversary then keeps nothing."""
    seen_window: int | None = None
    """How many recent rounds per instance the adversary keeps in ``seen`` (default 2)."""
    kind = "VEC"
    """The envelope kind of the protocol under attack (``VEC`` for "iterate a rule")."""
    Params = PluginParams
    """The attack's parameters (``[adversary]`` keys); none by default."""

    def bind(self, adv: "Adversary") -> None:
        self.adv = adv

    def slots(self, instance: int, round_: int) -> list[tuple[int, int]]:
        return [(b, r) for b in self.adv.byzantine for r in self.adv.honest]

    def write(self, b: int, r: int, instance: int, round_: int) -> list[Envelope | bytes]:
        return []

    def vec(self, b: int, instance: int, round_: int, x: np.ndarray, kind: str | None = None) -> Envelope:
        """A well-formed vector message from Byzantine node b."""
        return Envelope(kind or self.kind, b, round_, instance, {"x": np.asarray(x, dtype=np.float64)})


class Adversary:
    def __init__(self, attack: Attack, *, n: int, f: int, q: int, d: int, honest: list[int], byzantine: list[int],
                 signers: dict[int, Signer], rng: np.random.Generator,
                 params: PluginParams | Mapping[str, Any] | None = None, context: AttackContext | None = None,
                 seen_window: int | None = None):
        self.attack = attack
        self.n, self.f, self.q, self.d = n, f, q, d
        self.honest, self.byzantine = list(honest), list(byzantine)
        self.signers = signers
        self.rng = rng
        self.params = _shielded(params_of(type(attack), params))
        """The attack's typed parameters (``type(attack).Params``), its own copy."""
        self.context = _shielded(context if context is not None else AttackContext())
        """The read-only context (:class:`nodes.context.AttackContext`), its own copy."""
        self._seen: dict[tuple[int, int], dict[int, np.ndarray]] = {}
        self.latest: dict[int, np.ndarray] = {}
        self.history: list[tuple[int, Envelope, bytes]] = []
        """Every honest message observed: (sender, envelope, signed bytes), for replays."""
        self.keep_history = False
        self.seen_window = int(seen_window or getattr(attack, "seen_window", None) or SEEN_WINDOW)
        """How many recent rounds per instance ``seen`` keeps (``adversary.seen_window``)."""
        self._newest: dict[int, int] = {}
        self._signed: dict[bytes, bytes] = {}
        self._signed_bytes = 0
        attack.bind(self)

    @property
    def observes(self) -> bool:
        return bool(self.attack.observes)

    # -- what the adversary sees -------------------------------------------------------------
    def observe(self, sender: int, to: int, env: Envelope, data: bytes) -> None:
        if not self.attack.observes:
            return
        x = env.payload.get("x")
        if isinstance(x, np.ndarray):
            key = (env.instance, env.round)
            bucket = self._seen.get(key)
            if bucket is None:
                bucket = self._seen[key] = {}
                self._forget_old_rounds(env.instance, env.round)
            bucket[sender] = x
            self.latest[sender] = x
        if self.keep_history:
            self.history.append((sender, env, data))

    def _forget_old_rounds(self, instance: int, newest: int) -> None:
        """Keep the honest vectors of the last ``seen_window`` rounds of each instance only, and of the
        last ``seen_window + n + 1`` instances (LEARN opens a new instance per AVG step; broadcast-based
        agreement runs n + 1 at once; the adversary still has ``latest`` for every node): a long run
        must not hold every iteration."""
        if instance not in self._newest:
            # (this state is the adversary's own: an attack may have written anything into it)
            try:
                horizon = int(instance) - int(self.seen_window) - int(self.n) - 1
            except (TypeError, ValueError):
                horizon = -1
            old = {i for i in self._newest if type(i) is int and i <= horizon}
            if old:
                for i in old:
                    del self._newest[i]
                for key in [k for k in self._seen if type(k) is tuple and k[:1] and k[0] in old]:
                    del self._seen[key]
        top = self._newest.get(instance, -1)
        if newest <= top:
            return
        self._newest[instance] = newest
        for r in range(max(0, top - self.seen_window + 1), newest - self.seen_window + 1):
            self._seen.pop((instance, r), None)

    def seen(self, instance: int, round_: int) -> dict[int, np.ndarray]:
        return self._seen.get((instance, round_), {})

    # -- what the network asks -----------------------------------------------------------------
    def slots(self, instance: int, round_: int) -> list[tuple[int, int]]:
        return self.attack.slots(instance, round_) if self.byzantine else []

    def write(self, b: int, r: int, instance: int, round_: int) -> Iterable[Any]:
        """What Byzantine ``b`` writes to ``r`` for this slot: the attack's items, envelopes signed
        lazily by ``b`` (a lazy iterable; the network reads at most the slot's cap)."""
        return _SignedStream(self, b, self.attack.write(b, r, instance, round_))

    def sign(self, b: int, env: Envelope) -> bytes:
        """Signed bytes of a Byzantine envelope; the same content signed twice is signed once
        (Ed25519 is deterministic, so the bytes are identical and verified once by the cache)."""
        body = wire.encode_unsigned(env)
        data = self._signed.get(body)
        if data is None:
            data = self.signers[b].seal(body)
            cost = 2 * len(data) + 200  # body + signed bytes + table slot and object headers
            self._signed_bytes += cost
            if self._signed_bytes > SIGNED_CACHE_BYTES:
                self._signed.clear()
                self._signed_bytes = cost
            self._signed[body] = data
        return data


class ByzantineNode:
    """The trio task of one Byzantine identity: when the schedule delivers one of its slots, it asks
    the adversary for the bytes and hands them to the network. Messages TO Byzantine nodes are read
    by the adversary as they are sent (``Adversary.observe``), so none is queued for this task."""

    def __init__(self, node: int, adversary: Adversary, net: Network):
        self.node, self.adversary, self.net = node, adversary, net

    def handle(self, slot) -> None:
        self.net.byzantine_write(self.adversary.write(self.node, slot.receiver, slot.instance, slot.round))

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """The node's task: open its inbox, report started (``nursery.start``), then handle one item
        per delivery. It parks in the inbox before its first checkpoint, so a started node is ready."""
        inbox = self.net.open_inbox(self.node)
        task_status.started()
        async for slot in inbox:
            self.handle(slot)
            self.net.settled()
