"""Bounded memory (issue 12, item 3): every honest machine's state stays within its stated bound
(``memory_bound()``, a formula in n, f, d and its window) when every sender fills every buffer it can;
messages beyond the window are refused and counted; the verifier's cache bound counts what its
entries really cost; a decoded vector keeps alive nothing but its own message, which is canonical
(no padding can ride along)."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from agreement.broadcast import ECHO, INITIAL, READY, REPORT, BroadcastAgreement, digest
from agreement.footprint import deep_size
from agreement.iterate import VEC, IterateRule
from agreement.learn import LearnMachine, avg_builder, instance_of
from agreement.messages import Envelope, Rejection
from agreement.rules import get_rule
from net import wire
from net.keys import Keyring
from net.validate import VECTOR, Bytes, IntList, Verifier


def received(env: Envelope, keys: Keyring) -> Envelope:
    """``env`` as a machine receives it: signed, encoded and decoded (vectors are views of the bytes)."""
    return wire.parse(wire.encode(env, keys.signer(env.sender)))


def test_iterate_machine_within_its_bound_when_every_sender_fills_its_window():
    n, f, d = 31, 6, 2000
    keys = Keyring(0, n)
    m = IterateRule(0, np.zeros(d), n=n, f=f, q=n - f, rule=get_rule("cwtm"), iterations=40)
    m.start()
    rng = np.random.default_rng(0)
    refused = []
    for r in range(1, 12):
        for s in range(1, n):
            step = m.feed(received(Envelope(VEC, s, r, 0, {"x": rng.standard_normal(d)}), keys))
            refused.append(step.rejected)
    assert Rejection.BEYOND_WINDOW in refused                      # rounds past the window are refused
    assert sum(r is None for r in refused) == m.window * (n - 1)   # the window is full: W (n - 1) vectors
    size, bound = deep_size(m), m.memory_bound()
    assert size <= bound, (size, bound)
    assert size >= 0.5 * m.window * (n - 1) * 8 * d                # and the bound is not vacuous


def test_broadcast_machine_within_its_bound_under_junk():
    n, f, d = 10, 3, 200
    keys = Keyring(0, n)
    m = BroadcastAgreement(0, np.zeros(d), n=n, f=f, rule=get_rule("trimmed_middle"), iterations=6)
    m.start()
    rng = np.random.default_rng(1)
    for k in range(0, 8):
        for b in range(n):
            for s in range(1, n):
                x = rng.standard_normal(d)
                for env in (Envelope(INITIAL, s, k, b + 1, {"x": x}), Envelope(ECHO, s, k, b + 1, {"x": x}),
                            Envelope(READY, s, k, b + 1, {"dg": digest(rng.standard_normal(d))})):
                    m.feed(received(env, keys))
        for s in range(1, n):
            ids = list(range(n - f))
            m.feed(received(Envelope(REPORT, s, k, 0, {"ids": ids, "dgs": rng.bytes(32 * len(ids))}), keys))
    size, bound = deep_size(m), m.memory_bound()
    assert size <= bound, (size, bound)


def test_learn_buffers_at_most_its_window():
    """The issue's regression: 32,000 far-future envelopes used to be kept (23 MB); now the buffer
    holds at most W_L x (W_R + 1) x (n - 1) envelopes and refuses (and counts) the rest."""
    n, f, d, T = 10, 2, 50, 40
    keys = Keyring(0, n)
    builder = avg_builder("icwtm", n=n, f=f, q=n - f, include_self=True, rule="cwtm")
    m = LearnMachine(0, np.zeros(d), lambda th, t: th, T=T, eta=0.5, avg=builder, iterations=lambda t, ph: 6)
    m.start()
    rng = np.random.default_rng(2)
    reasons = []
    sent = 0
    for t in range(T, 1, -1):  # latest first: the node stays in its first phase, everything is ahead
        for phase in (1, 0):
            for r in range(6):
                for s in range(1, n):
                    env = received(Envelope(VEC, s, r, instance_of(t, phase), {"x": rng.standard_normal(d)}), keys)
                    reasons.append(m.feed(env).rejected)
                    sent += 1
    buffered = sum(len(b) for b in m._future.values())
    assert buffered <= m.window * (m.sub_window + 1) * (n - 1)
    assert reasons.count(Rejection.BEYOND_WINDOW) > sent // 2
    size, bound = deep_size(m), m.memory_bound()
    assert size <= bound, (size, bound)
    assert size < 2_000_000


def test_learn_counts_every_refusal_of_what_it_buffered():
    """Buffered envelopes the new phase refuses come back in Step.dropped (nothing is lost uncounted)."""
    n, f, d = 7, 1, 3
    keys = Keyring(0, n)
    builder = avg_builder("icwtm", n=n, f=f, q=n - f, include_self=True, rule="cwtm")
    m = LearnMachine(0, np.zeros(d), lambda th, t: th, T=3, eta=0.5, avg=builder, iterations=lambda t, ph: 1)
    first = m.start()
    assert m.instance == instance_of(1, 1) or m.instance == instance_of(1, 0)
    later = instance_of(2, 0)
    env = received(Envelope(VEC, 3, 0, later, {"x": np.ones(d)}), keys)
    assert m.feed(env).rejected is None                      # buffered
    assert m.feed(env).rejected == Rejection.DUPLICATE       # once
    assert first is not None


def test_verifier_cache_counts_the_real_cost_of_its_entries():
    keys = Keyring(0, 4)
    d = 10
    v = Verifier(keys, d, {VEC: {"x": VECTOR}})
    v.loose_budget = 1 << 40  # measure, do not evict
    msgs = [wire.encode(Envelope(VEC, 1, r, 0, {"x": np.full(d, float(r))}), keys.signer(1)) for r in range(3000)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for m in msgs:
        v.check(m)
        v.release(m)
    real = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    counted = v.cache_bytes() - sum(len(m) + 33 for m in msgs)   # the messages themselves existed before
    assert 0.6 * real <= counted <= 2.0 * real, (real, counted)


def test_verifier_cache_stays_within_its_budget():
    keys = Keyring(0, 4)
    v = Verifier(keys, 4, {VEC: {"x": VECTOR}})
    v.loose_budget = 200_000
    for r in range(3000):
        m = wire.encode(Envelope(VEC, 2, r, 0, {"x": np.zeros(4)}), keys.signer(2))
        v.check(m)
        v.release(m)
    assert v.cache_bytes() <= v.loose_budget
    assert len(v._cache) == len(v._loose) < 1000


def test_decoded_vectors_keep_only_their_own_message_alive():
    keys = Keyring(0, 3)
    d = 100
    data = wire.encode(Envelope(VEC, 1, 0, 0, {"x": np.arange(d, dtype=float)}), keys.signer(1))
    x = wire.parse(data).payload["x"]
    (hlen,) = wire._U32.unpack_from(data, 0)
    assert len(data) == 4 + hlen + 8 * d + 64           # exactly header, vector, signature
    assert x.base is data or getattr(x.base, "obj", None) is data or x.base.base is data
    padded = data[:-64] + b"\0" * 64                     # a padded body is not canonical, signed or not
    body = padded[: len(padded) - 64] + b"\0" * 8
    assert Verifier(keys, d, {VEC: {"x": VECTOR}}).check(body + keys.signer(1).sign(body))[1] == Rejection.NON_CANONICAL


@pytest.mark.parametrize("spec,good,bad", [(Bytes(32), b"\0" * 32, b"\0" * 31), (IntList(3, 0, 9), [1, 2, 3], [1, 2, True])])
def test_exact_specs(spec, good, bad):
    assert spec.check(good) and not spec.check(bad)


def test_trusted_server_within_its_bound_when_every_worker_fills_its_window():
    """The trusted server (main's ``server`` protocol) buffers momenta of at most W rounds ahead, one
    per worker and round; later ones are refused as ``beyond_window``."""
    from agreement.server import MOMENTUM, ServerMachine, momentum_instance

    n, f, d, T = 21, 4, 2000, 50
    keys = Keyring(0, n + 1)
    m = ServerMachine(n, np.zeros(d), workers=list(range(n)), f=f, q=n - f, rule=get_rule("cwtm"), T=T, eta=0.5)
    m.start()
    rng = np.random.default_rng(0)
    refused = []
    for t in range(2, 14):
        for s in range(n):
            env = Envelope(MOMENTUM, s, 0, momentum_instance(t), {"x": rng.standard_normal(d)})
            refused.append(m.feed(received(env, keys)).rejected)
    assert Rejection.BEYOND_WINDOW in refused
    assert sum(r is None for r in refused) == m.window * n
    size, bound = deep_size(m), m.memory_bound()
    assert size <= bound, (size, bound)
    assert size >= 0.5 * m.window * n * 8 * d


def test_network_fifo_keeps_only_what_is_pending_or_held():
    """The network's FIFO (liveness order) used to keep every delivery ever made, and so every
    message's bytes, when the schedule never left a pick to liveness; now it stays within twice the
    pending deliveries plus a constant, in the same order."""
    from net.pool import FIFO_SLACK, Delivery, Fifo, Pool

    pool = Pool()
    held: set = set()
    fifo = Fifo(pool._pos, retain=held.__contains__)
    keep = []
    for i in range(20_000):
        d = Delivery((0, i, 1), 0, 1, "VEC", i, 0, b"x", False, None)
        pool.add(d)
        fifo.add(d)
        if i % 97 == 0:
            keep.append(d)  # still pending
        elif i % 89 == 0:
            held.add(d)     # held by the network: keeps its place
            pool.remove(d)
        else:
            pool.remove(d)
        assert len(fifo) <= 2 * (len(pool) + len(held)) + FIFO_SLACK + 1
    assert fifo.first() is keep[0]
    assert [d for d in fifo._q if d in pool._pos] == keep
