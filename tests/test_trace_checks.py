"""The trace checkers pass on a correct hand-made record and fail on one that violates each property."""
from __future__ import annotations

import numpy as np

from agreement import trace_checks as tc

A, B, C = b"a" * 32, b"b" * 32, b"c" * 32


def good_delivered():
    # 3 honest nodes, iteration 0, broadcasters 0, 1, 2 (honest) and 3 (Byzantine, delivered once)
    return {j: {(0, 0): A, (0, 1): B, (0, 2): C, (0, 3): A} for j in range(3)}


def test_rb_consistency():
    assert tc.rb_consistency(good_delivered())["holds"]
    bad = good_delivered()
    bad[2][(0, 3)] = B  # the Byzantine broadcaster's instance delivered with two values
    r = tc.rb_consistency(bad)
    assert not r["holds"] and r["measured"] == 1 and "(0, 3)" in r["detail"]


def test_rb_totality():
    assert tc.rb_totality(good_delivered())["holds"]
    bad = good_delivered()
    del bad[1][(0, 3)]
    r = tc.rb_totality(bad)
    assert not r["holds"] and r["measured"] == 1
    # nobody delivering a (Byzantine) instance is fine
    none = good_delivered()
    for j in none:
        del none[j][(0, 3)]
    assert tc.rb_totality(none)["holds"]


def test_rb_validity():
    sent = {(0, 0): A, (0, 1): B, (0, 2): C}
    assert tc.rb_validity(good_delivered(), sent)["holds"]
    changed = good_delivered()
    changed[0][(0, 1)] = C
    assert tc.rb_validity(changed, sent)["measured"] == 1
    nowhere = good_delivered()
    for j in nowhere:
        del nowhere[j][(0, 2)]
    r = tc.rb_validity(nowhere, sent)
    assert not r["holds"] and r["measured"] == 3
    assert tc.rb_totality(nowhere)["holds"]  # totality alone would not see it


def test_witness_overlap():
    n, f = 4, 1
    used = {0: {0: ((0, A), (1, B), (2, C))}, 1: {0: ((0, A), (1, B), (2, C), (3, A))},
            2: {0: ((0, A), (1, B), (3, A))}}
    r = tc.witness_overlap(used, n, f)
    assert not r["holds"] and r["measured"] == 2 and r["bound"] == 3  # nodes 0 and 2 share 2 < n - f
    used[2][0] = ((0, A), (1, B), (2, C))
    r = tc.witness_overlap(used, n, f)
    assert r["holds"] and r["measured"] == 3
    # a same broadcaster with another digest is not a shared value
    used[1][0] = ((0, A), (1, C), (2, C))
    assert not tc.witness_overlap(used, n, f)["holds"]


def test_validity_box():
    xs = {0: {0: np.array([0.0, 0.0]), 1: np.array([0.5, 1.0])},
          1: {0: np.array([1.0, 2.0]), 1: np.array([1.0, 1.5])}}
    assert tc.validity_box(xs)["holds"]
    xs[1][1] = np.array([1.0, 2.5])  # above the honest max 2.0 of coordinate 1
    r = tc.validity_box(xs)
    assert not r["holds"] and abs(r["measured"] - 0.25) < 1e-12  # 0.5 outside a side of 2.0
    assert "node 1" in r["detail"]
