"""Containment (issue 12, item 1): an attack or a schedule, written through the public plugin
interface, that tries to write to everything it is handed and everything hanging off it, changes
nothing honest: the honest outputs, the verdicts and the trace digest equal those of the silent
attack (of the plain schedule)."""
from __future__ import annotations

import types

import numpy as np
import pytest

from agreement.messages import Envelope
from net.schedules import SCHEDULES
from net.schedules.base import RandomSchedule
from nodes.adversary import Adversary, Attack
from nodes.attacks import ATTACKS, BROADCAST_ATTACKS
from net.params import PluginParams
from nodes.attacks.core import Silent
from nodes.context import AttackContext, LearnContext
from scenarios.run.agreement import run_agreement
from scenarios.run.learn import run_learn
from scenarios.spec.resolve import resolve

JUNK = 1e300


class Vandal:
    """Walks every object reachable from a root (attributes, slots, items, array bases) and tries
    to change it: arrays written in place, containers filled, emptied and rewritten, attributes set.
    Records what it reached and which writes went through."""

    def __init__(self, spare: tuple = ()):
        self.spare = spare          # objects whose own attributes it must not replace (it still walks them)
        self.seen: set[int] = set()
        self.arrays = 0
        self.readonly = 0
        self.writes = 0
        self.refused = 0

    def _try(self, fn) -> None:
        try:
            fn()
            self.writes += 1
        except Exception:
            self.refused += 1

    def reset(self) -> None:
        self.seen = {id(self), id(self.seen)}

    def walk(self, obj, depth: int = 0) -> None:
        if depth > 12 or id(obj) in self.seen or obj is None or obj is self:
            return
        self.seen.add(id(obj))
        if isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.ModuleType, type,
                            np.random.Generator, np.random.BitGenerator, np.dtype, str, bytes, int, float, bool)):
            return
        if isinstance(obj, np.ndarray):
            self.arrays += 1
            if not obj.flags.writeable:
                self.readonly += 1
            self._try(lambda: obj.setflags(write=True))
            if obj.size and obj.dtype.kind == "f":
                self._try(lambda: obj.__setitem__(Ellipsis, JUNK))
            if obj.base is not None:
                self.walk(obj.base, depth + 1)
            return
        if isinstance(obj, (dict, types.MappingProxyType)):
            for k, v in list(obj.items()):
                self.walk(v, depth + 1)
                if isinstance(v, (int, float, np.ndarray, str, list, tuple)):
                    self._try(lambda k=k: obj.__setitem__(k, JUNK))
            self._try(lambda: obj.__setitem__("vandal", JUNK))
            return
        if isinstance(obj, (list, tuple, set, frozenset)):
            for v in list(obj):
                self.walk(v, depth + 1)
            if isinstance(obj, list):
                self._try(lambda: obj.append(JUNK))
                self._try(lambda: obj.reverse())
            if isinstance(obj, set):
                self._try(lambda: obj.add(-7))
            return
        if isinstance(obj, (types.MappingProxyType,)):
            return
        # an object: its attributes and slots, and what it lets one index
        names = list(getattr(obj, "__dict__", {}) or {})
        for cls in type(obj).__mro__:
            names += [s for s in getattr(cls, "__slots__", ()) if s not in ("__dict__", "__weakref__")]
        for name in names:
            try:
                v = getattr(obj, name)
            except Exception:
                continue
            if callable(v) and not hasattr(v, "__dict__"):
                continue
            self.walk(v, depth + 1)
            if not any(obj is s for s in self.spare) and not callable(v):
                self._try(lambda name=name: setattr(obj, name, JUNK if not isinstance(v, (list, dict)) else type(v)()))
        for public in ("items", "pending", "pool", "done", "honest", "byzantine", "n", "base", "payload", "data",
                       "receiver", "sender", "key"):
            if public in names:
                continue
            try:
                v = getattr(obj, public)
            except Exception:
                continue
            if callable(v):
                continue
            self.walk(v, depth + 1)
            self._try(lambda public=public: setattr(obj, public, JUNK))
        try:  # an object the vandal already broke (a pydantic model's own slots) may raise here
            indexable = hasattr(obj, "__len__") and hasattr(obj, "__getitem__")
        except Exception:
            return
        if indexable:
            try:
                for i in range(min(len(obj), 50)):
                    self.walk(obj[i], depth + 1)
                self._try(lambda: obj.__setitem__(0, JUNK))
                self._try(lambda: obj.__delitem__(0))
            except Exception:
                pass


class VandalAttack(Attack):
    """Sends nothing (like ``silent``) but, every time it is asked for slots, tries to write to every
    object the adversary hands it and everything hanging off them; it also wraps the adversary's
    ``observe`` (as the broadcast attacks do) to write to every honest message it observes."""

    name = "vandal"
    kind = "VEC"

    def bind(self, adv):
        super().bind(adv)
        adv.keep_history = True
        self.vandal = Vandal(spare=(adv, self))
        self.attempts = 0
        observe = adv.observe

        def observing(sender, to, env, data):
            v = self.vandal
            v._try(lambda: env.payload.__setitem__("x", np.zeros(3)))
            x = env.payload.get("x")
            if isinstance(x, np.ndarray):
                v.walk(x)
            v._try(lambda: setattr(env, "round", 10**6))
            observe(sender, to, env, data)

        adv.observe = observing

    def slots(self, instance, round_):
        self.attempts += 1
        adv = self.adv
        assert not hasattr(adv, "net"), "the adversary must not hold the network"
        v = self.vandal
        v.reset()
        v.walk(adv)
        for i in adv.honest:
            v.walk(adv.seen(instance, round_))
            v.walk(adv.latest.get(i))
        v.walk(adv.history)
        v.walk(adv.params)
        v.walk(adv.context)
        return []

    def post_checks(self, run):
        self.vandal.walk(run)
        v = self.vandal
        v._try(lambda: run.outputs[0].__setitem__(Ellipsis, JUNK))
        return {"contraction": {"holds": True, "measured": 0.0, "bound": 1.0},
                "averaging": {"holds": True, "measured": 0.0, "bound": 1.0},
                "termination": {"holds": True, "measured": 0, "bound": 0}}


class BroadcastVandal(VandalAttack):
    kind = "INITIAL"


def _agreement(attack: str, schedule: str = "random", name: str = "icwtm", **system):
    return resolve({"scenario": {"name": "containment", "seed": 4},
                    "system": {"n": 11, "f": 2, "dim": 3, **system},
                    "algorithm": {"name": name, "t": 2},
                    "adversary": {"attack": attack, "schedule": schedule}})


def _same(a, b):
    assert a["trace_digest"] == b["trace_digest"]
    assert a["iterations"] == b["iterations"]
    strip = ("source",)
    ca = {k: {kk: vv for kk, vv in c.items() if kk not in strip} for k, c in a["checks"].items()}
    cb = {k: {kk: vv for kk, vv in c.items() if kk not in strip} for k, c in b["checks"].items()}
    assert ca == cb
    assert a["scenario"]["algorithm"] == b["scenario"]["algorithm"]
    assert a["scenario"]["system"] == b["scenario"]["system"]


@pytest.mark.parametrize("schedule", ["random", "byzantine-first", "starve"])
def test_an_attack_that_writes_everywhere_changes_nothing(schedule):
    silent = run_agreement(_agreement("silent", schedule))
    with ATTACKS.temporarily("vandal", VandalAttack):
        cfg = _agreement("vandal", schedule)
        r = run_agreement(cfg)
    _same(silent, r)
    assert r["checks"]["contraction"]["holds"] and r["checks"]["averaging"]["holds"]


def test_the_vandal_reached_honest_vectors_and_was_refused():
    """The test above is only worth something if the vandal got at honest vectors: it did, they were
    read-only, and every write to them was refused."""
    attack = VandalAttack()
    with ATTACKS.temporarily("vandal2", lambda: attack):
        run_agreement(_agreement("vandal2"))
    v = attack.vandal
    assert attack.attempts > 0 and v.arrays > 0 and v.readonly > 0
    assert v.refused > 0


def test_a_broadcast_attack_that_writes_everywhere_changes_nothing():
    silent = run_agreement(_agreement("silent", "starve", name="broadcast", n=7, f=2))
    with BROADCAST_ATTACKS.temporarily("vandal", BroadcastVandal):
        r = run_agreement(_agreement("vandal", "starve", name="broadcast", n=7, f=2))
    _same(silent, r)


def test_learn_context_is_the_adversarys_own_copy():
    """A LEARN attack reads the workload and the rule in use; writing to them (the honest nodes' data,
    the rule's attributes) changes nothing honest."""

    class LearnVandal(VandalAttack):
        def slots(self, instance, round_):
            ctx = self.adv.context.learn
            w, rule = ctx.workload, ctx.rule
            if w is not None and isinstance(getattr(w, "x", None), np.ndarray):
                w.x[...] = 1e6  # the honest nodes' data, in the adversary's copy
                self.wrote_workload = True
            if callable(rule):
                rule.owned = lambda X, f, own: np.zeros(X.shape[1])
            return super().slots(instance, round_)

    def cfg(attack):
        return resolve({"scenario": {"name": "containment-learn", "seed": 2, "kind": "learn"},
                        "system": {"n": 7, "f": 1, "dim": 3}, "algorithm": {"name": "icwtm", "t": 2},
                        "learn": {"rounds": 4, "eta": 0.5, "alone": False},
                        "adversary": {"attack": attack, "schedule": "random"}})
    silent = run_learn(cfg("silent"))
    attack = LearnVandal()
    with ATTACKS.temporarily("learn-vandal", lambda: attack):
        r = run_learn(cfg("learn-vandal"))
    assert getattr(attack, "wrote_workload", False)
    assert r["trace_digest"] == silent["trace_digest"]
    assert r["learn"]["final"] == silent["learn"]["final"]
    assert r["checks"] == silent["checks"]


class VandalSchedule(RandomSchedule):
    """The random schedule, after trying (every 25 picks) to write to the network view, the
    deliveries in flight and everything hanging off them."""

    name = "vandal-random"

    def bind(self, net, rng):
        super().bind(net, rng)
        self.vandal = Vandal(spare=(self,))
        self.picks = 0

    def on_submit(self, d):
        v = self.vandal
        v._try(lambda: setattr(d, "receiver", 0))
        v._try(lambda: setattr(d, "data", b"junk"))
        v._try(lambda: setattr(d, "pending", False))

    def pick(self):
        self.picks += 1
        if self.picks % 25 == 1:
            v = self.vandal
            v.reset()
            v.walk(self.net)
            items = self.net.pool.items
            for i in range(len(items)):
                v.walk(items[i])
        return super().pick()


def test_a_schedule_that_writes_everywhere_changes_nothing():
    plain = run_agreement(_agreement("split", "random"))
    with SCHEDULES.temporarily(VandalSchedule.name, VandalSchedule):
        r = run_agreement(_agreement("split", VandalSchedule.name))
    assert r["trace_digest"] == plain["trace_digest"]
    assert r["iterations"] == plain["iterations"]
    assert r["checks"] == plain["checks"]


def test_attack_checks_never_replace_jungles_own():
    with ATTACKS.temporarily("vandal", VandalAttack):
        r = run_agreement(_agreement("vandal", "random"))
    for name in ("contraction", "averaging", "termination"):
        assert "source" not in r["checks"][name]


def test_observed_vectors_are_views_of_immutable_bytes():
    """What ``observe`` hands the adversary: read-only vectors whose base is the signed bytes."""
    from net import wire
    from net.keys import Keyring
    from net.network import observed

    x = np.arange(4.0)
    env = Envelope("VEC", 1, 0, 0, {"x": x})
    data = wire.encode(env, Keyring(0, 3).signer(1))
    seen = observed(env, data)
    v = seen.payload["x"]
    assert np.array_equal(v, x) and not v.flags.writeable
    with pytest.raises(ValueError):
        v.setflags(write=True)
    with pytest.raises(TypeError):
        seen.payload["x"] = np.zeros(4)
    assert not np.shares_memory(v, x)


def test_adversary_params_are_its_own():
    """The typed parameters are frozen, but their lists are not: the adversary's are its own copies,
    and so is its context (the schedule's parameters, the LEARN context)."""

    class Grouped(Silent):
        class Params(PluginParams):
            groups: list[list[int]] = []

    params = Grouped.Params(groups=[[0, 1], [2, 3]])
    held = Grouped.Params(groups=[[0, 1]])
    theta1 = np.zeros(2)

    def rule(X, f, own):
        return X.mean(axis=0)

    learn = LearnContext(workload={"x": np.ones(3)}, eta=0.5, theta1=theta1, T=3, rule=rule)
    adv = Adversary(Grouped(), n=5, f=1, q=4, d=2, honest=[0, 1, 2, 3], byzantine=[4], signers={},
                    rng=np.random.default_rng(0), params=params,
                    context=AttackContext(algorithm="icwtm", schedule_params=held, learn=learn))
    adv.params.groups[0].append(9)
    adv.context.schedule_params.groups.clear()
    adv.context.learn.workload["x"][...] = 7.0
    adv.context.learn.rule.owned = True
    assert params.groups == [[0, 1], [2, 3]] and held.groups == [[0, 1]]
    assert np.array_equal(learn.workload["x"], np.ones(3)) and not hasattr(rule, "owned")
