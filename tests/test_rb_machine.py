"""Bracha's reliable broadcast machine alone (no trio, no network): adversarial delivery orders and
Byzantine messages drawn by hypothesis never break consistency, totality or validity."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.broadcast.rb import RBInstance, Thresholds, digest

VALUES = [np.array([float(i), -float(i)]) for i in range(3)]
BYZ_VALUES = VALUES[:2]


def test_thresholds_are_brachas_and_capped_only_below_3f_plus_1():
    for f in range(0, 6):
        for n in range(3 * f + 1, 3 * f + 8):
            th = Thresholds.of(n, f)
            # more than (n + f)/2 echoes: the smallest integer e with 2e > n + f
            assert th.echo == min(e for e in range(n + 1) if 2 * e > n + f)
            assert (th.amplify, th.deliver) == (f + 1, 2 * f + 1)
            assert th.echo <= n - f and th.deliver <= n - f  # live when the f Byzantine are silent
    th = Thresholds.of(6, 2)  # n = 3f: capped at n - f to stay live
    assert (th.echo, th.deliver) == (4, 4)


class Harness:
    """n nodes, honest ids 0 .. h-1, one RB instance of ``broadcaster``; honest messages in flight
    are (src, dst, kind, value) tuples; the test decides the delivery order."""

    def __init__(self, n: int, f: int, broadcaster: int, th: Thresholds | None = None):
        self.n, self.f, self.h = n, f, n - f
        self.b = broadcaster
        th = th or Thresholds.of(n, f)
        self.nodes = {j: RBInstance(j, broadcaster, th) for j in range(self.h)}
        self.pending: list[tuple[int, int, str, object]] = []
        self.deliveries = {j: 0 for j in range(self.h)}

    def send_all(self, src: int, kind: str, value) -> None:
        self.pending.extend((src, dst, kind, value) for dst in range(self.h) if dst != src)

    def start(self, x: np.ndarray) -> None:
        """The honest broadcaster's INITIAL: to everyone, and to itself at once."""
        self.send_all(self.b, "INITIAL", x)
        self.apply(self.b, self.nodes[self.b].on_initial(self.b, x))

    def apply(self, j: int, out) -> None:
        if out.echo is not None:
            self.send_all(j, "ECHO", out.echo)
        if out.ready is not None:
            self.send_all(j, "READY", out.ready)
        if out.delivered:
            self.deliveries[j] += 1

    def feed(self, src: int, dst: int, kind: str, value) -> None:
        node = self.nodes[dst]
        if kind == "INITIAL":
            out = node.on_initial(src, value)
        elif kind == "ECHO":
            out = node.on_echo(src, value)
        else:
            out = node.on_ready(src, value)
        self.apply(dst, out)

    def deliver_index(self, i: int) -> None:
        self.feed(*self.pending.pop(i))

    def drain(self) -> None:
        while self.pending:
            self.deliver_index(0)

    def delivered(self) -> dict[int, bytes]:
        return {j: m.delivered[0] for j, m in self.nodes.items() if m.delivered is not None}


def _byzantine_message(draw, hz: Harness):
    src = draw(st.sampled_from(list(range(hz.h, hz.n))))
    dst = draw(st.integers(0, hz.h - 1))
    kind = draw(st.sampled_from(["INITIAL", "ECHO", "READY"]))
    v = BYZ_VALUES[draw(st.integers(0, len(BYZ_VALUES) - 1))]
    if kind == "READY":
        value = digest(v) if draw(st.integers(0, 3)) else bytes([draw(st.integers(0, 255))]) * 32  # never-sent digest
    else:
        value = v
    return src, dst, kind, value


@st.composite
def runs(draw):
    n, f = draw(st.sampled_from([(4, 1), (7, 2)]))
    byz_sender = draw(st.integers(0, 2)) > 0
    b = n - 1 if byz_sender else draw(st.integers(0, n - f - 1))
    hz = Harness(n, f, b)
    if not byz_sender:
        hz.start(VALUES[0])
    for _ in range(draw(st.integers(0, 80))):
        if draw(st.integers(0, 1)) == 0 or not hz.pending:
            hz.feed(*_byzantine_message(draw, hz))
        else:
            hz.deliver_index(draw(st.integers(0, len(hz.pending) - 1)))
    return hz, byz_sender


@settings(max_examples=200, deadline=None)
@given(runs())
def test_consistency_totality_validity_under_adversarial_orders(run):
    hz, byz_sender = run
    before = hz.delivered()
    assert len(set(before.values())) <= 1, "two honest nodes delivered different values"
    hz.drain()  # every honest message in flight is eventually delivered
    after = hz.delivered()
    assert len(set(after.values())) <= 1, "two honest nodes delivered different values"
    assert all(after[j] == dg for j, dg in before.items()), "a delivery changed"
    if after:
        assert sorted(after) == list(range(hz.h)), "delivered somewhere but not everywhere (totality)"
    if not byz_sender:
        assert after == {j: digest(VALUES[0]) for j in range(hz.h)}, "honest value not delivered everywhere"
    assert all(c <= 1 for c in hz.deliveries.values()), "a node delivered twice"


def test_byzantine_sender_reaching_few_nodes_is_delivered_everywhere_or_nowhere():
    """Byzantine broadcaster 3 (n = 4, f = 1) sends INITIAL + ECHO + READY to node 0 only."""
    hz = Harness(4, 1, 3)
    v = VALUES[1]
    for kind, value in (("INITIAL", v), ("ECHO", v), ("READY", digest(v))):
        hz.feed(3, 0, kind, value)
    hz.drain()
    # node 0 echoed; nodes 1, 2 echo only on INITIAL, which they never got: 2 echoes < 3, no READY
    assert hz.delivered() == {}
    # now it also reaches node 1: 0, 1 and 3 echo -> READY from 0 and 1 -> node 2 amplifies
    for kind, value in (("INITIAL", v), ("ECHO", v), ("READY", digest(v))):
        hz.feed(3, 1, kind, value)
    hz.drain()
    assert hz.delivered() == {0: digest(v), 1: digest(v), 2: digest(v)}


def test_ready_without_initial_learns_the_vector_from_an_echo():
    """n = 6, f = 1: node 4 never gets the INITIAL (it does not echo); the four others' echoes pass
    the threshold, and node 4 delivers from the READYs once an ECHO gave it the vector."""
    hz = Harness(6, 1, 0)
    x = VALUES[2]
    hz.start(x)
    hz.pending = [m for m in hz.pending if not (m[2] == "INITIAL" and m[1] == 4)]
    hz.drain()
    assert hz.delivered() == {j: digest(x) for j in range(5)}
    assert not hz.nodes[4].initial_seen and not hz.nodes[4].echoed


def test_protocol_rejections():
    m = RBInstance(0, 3, Thresholds.of(4, 1))
    assert m.on_initial(2, VALUES[0]).rejected == "not_broadcaster"
    assert m.on_initial(3, VALUES[0]).rejected is None
    assert m.on_initial(3, VALUES[1]).rejected == "duplicate"  # equivocation to the same node
    assert m.on_echo(1, VALUES[0]).rejected is None
    assert m.on_echo(1, VALUES[1]).rejected == "duplicate"
    assert m.on_ready(1, b"short").rejected == "bad_digest"
    assert m.on_echo(0, VALUES[0]).rejected == "own_message"


def test_below_threshold_consistency_breaks():
    """n = 3f (n = 3, f = 1): the capped thresholds keep liveness, and a Byzantine broadcaster gets
    two different values delivered: why Theorem 6 needs n >= 3f + 1."""
    hz = Harness(3, 1, 2)
    for dst, v in ((0, VALUES[0]), (1, VALUES[1])):
        for kind, value in (("INITIAL", v), ("ECHO", v), ("READY", digest(v))):
            hz.feed(2, dst, kind, value)
    d = hz.delivered()
    assert d == {0: digest(VALUES[0]), 1: digest(VALUES[1])}


@pytest.mark.parametrize("n,f", [(4, 1), (7, 2), (10, 3)])
def test_honest_broadcast_with_silent_byzantine_delivers(n, f):
    hz = Harness(n, f, 0)
    hz.start(VALUES[1])
    hz.drain()
    assert hz.delivered() == {j: digest(VALUES[1]) for j in range(n - f)}


def _split_broadcast(th: Thresholds | None) -> Harness:
    """n = 7, f = 2: Byzantine broadcaster 6 gives v0 to nodes 0, 1 and v1 to nodes 2, 3 (node 4
    gets nothing); both Byzantine nodes echo each recipient's value and READY v0 to nodes 0, 1, 4."""
    hz = Harness(7, 2, 6, th)
    v0, v1 = BYZ_VALUES
    for dst, v in ((0, v0), (1, v0), (2, v1), (3, v1)):
        hz.feed(6, dst, "INITIAL", v)
        for b in (5, 6):
            hz.feed(b, dst, "ECHO", v)
    hz.drain()
    for dst in (0, 1, 4):
        for b in (5, 6):
            hz.feed(b, dst, "READY", digest(v0))
    hz.drain()
    return hz


def test_split_echoes_cannot_break_totality_but_a_low_echo_threshold_would():
    hz = _split_broadcast(None)
    d = hz.delivered()
    assert not d or sorted(d) == list(range(5))
    # with one echo fewer than Bracha's "more than (n + f)/2" the same schedule breaks totality:
    weak = _split_broadcast(Thresholds(echo=4, amplify=3, deliver=5))
    assert 0 < len(weak.delivered()) < 5


def _few_readies(th: Thresholds | None) -> Harness:
    """n = 4, f = 1: Byzantine broadcaster 3 reaches nodes 0 and 1, echoes and readies to node 0 only."""
    hz = Harness(4, 1, 3, th)
    v = BYZ_VALUES[0]
    hz.feed(3, 0, "INITIAL", v)
    hz.feed(3, 1, "INITIAL", v)
    hz.feed(3, 0, "ECHO", v)
    hz.drain()  # node 0 has 3 echoes and sends READY; nodes 1 and 2 have 2 echoes and 1 READY
    hz.feed(3, 0, "READY", digest(v))
    return hz


def test_delivery_needs_2f_plus_1_readies():
    hz = _few_readies(None)
    assert hz.delivered() == {}  # node 0 has READYs from itself and node 3 only: 2 < 2f + 1
    weak = _few_readies(Thresholds(echo=3, amplify=2, deliver=2))
    assert 0 in weak.delivered()
    weak.drain()
    assert sorted(weak.delivered()) != [0, 1, 2]  # totality lost with f + 1 readies to deliver
