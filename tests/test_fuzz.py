"""``jungle fuzz`` (issue 12, item 6): at a small count (what CI runs) every shipped protocol keeps the
four promises; a protocol plugin is fuzzed through the registry; and a plugin that breaks a promise
(a machine that raises, a machine beyond its stated bound) makes the command fail."""
from __future__ import annotations

import json

import numpy as np
import pytest

from agreement.iterate import VEC
from agreement.messages import Rejection, Step
from scenarios.cli.main import main
from scenarios.explore.fuzz import BUILTIN, fuzz, target_names
from scenarios.run.protocols import PROTOCOLS
from scenarios.run.protocols.iterate import Protocol


@pytest.mark.parametrize("name", BUILTIN)
def test_every_shipped_protocol_keeps_its_promises(name):
    (r,) = fuzz([name], count=3000, seed=1)
    assert r.violations() == [], r.as_dict()
    assert r.count == 3000 and r.accepted > 0 and r.fed > 0
    assert sum(r.rejected.values()) > 0
    for reason in ("bad_signature", "non_canonical", "undecodable", "bad_schema"):
        assert r.rejected.get(reason, 0) > 0, reason
    assert set(r.rejected) <= {str(x) for x in Rejection}          # one enumeration of reasons
    assert all(m["bound"] is not None and m["max_bytes"] <= m["bound"] for m in r.memory)


class _Keeper:
    """A toy protocol machine: keeps every vector it is fed (its stated bound is a lie), and raises
    on a round it does not expect when ``fragile``."""

    fragile = False

    def __init__(self, node, x0):
        self.node, self.x, self.kept = node, np.asarray(x0, dtype=float), []
        self.done = False

    def start(self):
        return Step()

    def feed(self, env):
        if self.fragile and env.round > 3:
            raise KeyError(env.round)
        self.kept.append(env.payload["x"])
        return Step()

    def memory_bound(self):
        return 4096


class _Bounded(_Keeper):
    def feed(self, env):
        if len(self.kept) >= 4:
            return Step(rejected=Rejection.BEYOND_WINDOW)
        return super().feed(env)

    def memory_bound(self):
        return 1 << 20


def _plugin(machine_cls):
    class Toy(Protocol):
        name = "toy"

        def schemas(self, d):
            return {VEC: {"x": "vector"}}

        def machine(self, node, x0, on_vector):
            return machine_cls(node, x0)
    return Toy


def test_a_protocol_plugin_is_fuzzed_through_the_registry():
    with PROTOCOLS.temporarily("toy", _plugin(_Bounded)):
        assert "toy" in target_names()
        (r,) = fuzz(["toy"], count=1500, seed=2)
    assert r.violations() == [] and r.fed > 0


@pytest.mark.parametrize("machine_cls,what", [(_Keeper, "bound"), (type("Fragile", (_Keeper,), {"fragile": True}), "escaped")])
def test_a_broken_plugin_fails_the_command(machine_cls, what, tmp_path, capsys):
    out = tmp_path / "fuzz.json"
    with PROTOCOLS.temporarily("toy", _plugin(machine_cls)):
        code = main(["fuzz", "--protocol", "toy", "--count", "3000", "--quiet", "--json", str(out)])
    assert code == 1
    report = json.loads(out.read_text())["reports"][0]
    assert report["violations"]
    assert any(what in v for v in report["violations"]), report["violations"]


def test_cli_exit_zero_and_prints_the_table(capsys):
    code = main(["fuzz", "--protocol", "iterate", "--count", "500", "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "every promise held" in text and "iterate" in text
