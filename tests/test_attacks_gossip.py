"""IPM and dissensus against their definitions (slow references written out)."""
from __future__ import annotations

import numpy as np
import pytest

from agreement.learn import PHASE_GRAD, PHASE_PARAM, instance_of
from agreement.rules import get_rule
from nodes.attacks import ATTACKS
from tests.test_attacks_learn import D, F, H, N, X, feed, make_adv, written


@pytest.mark.parametrize("phase", [PHASE_GRAD, PHASE_PARAM])
def test_ipm_is_minus_eps_times_the_honest_mean(phase):
    inst = instance_of(2, phase)
    for params, eps in (({}, 0.1), ({"ipm_eps": 2.0}, 2.0)):
        adv, kr = make_adv("ipm", params=params)
        feed(adv, kr, X, inst)
        slow = [-eps * sum(float(X[i, k]) for i in range(H)) / H for k in range(D)]
        for r in range(H):
            np.testing.assert_allclose(written(adv, H, r, inst), slow, rtol=1e-12)
    # the same vector as foe with eta = 1 + eps
    adv, kr = make_adv("foe", params={"foe_eta": 1.1})
    feed(adv, kr, X, inst)
    np.testing.assert_allclose(written(adv, H, 0, inst), -0.1 * X.mean(axis=0), rtol=1e-12)


def slow_dissensus(r, eps, q=N - F, f=F):
    x = [float(v) for v in X[r]]
    others = [X[k] for k in range(H) if k != r]
    k_used = q - f - 1
    out = []
    for j in range(D):
        pull = sum(float(o[j]) - x[j] for o in others) / len(others)
        out.append(x[j] - eps * k_used / f * pull)
    return out


@pytest.mark.parametrize("phase", [PHASE_GRAD, PHASE_PARAM])
def test_dissensus_pushes_each_recipient_away_from_its_honest_neighbours(phase):
    inst = instance_of(3, phase)
    adv, kr = make_adv("dissensus")
    feed(adv, kr, X, inst)
    Bs = []
    for r in range(H):
        B = written(adv, H, r, inst)
        np.testing.assert_allclose(B, slow_dissensus(r, 1.5), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(written(adv, H + 1, r, inst), B)  # every Byzantine node sends it
        Bs.append(B)
    assert not np.allclose(Bs[0], Bs[1])  # per recipient
    # under plain averaging, with eps = 1 the honest pull cancels: r keeps its vector when the k honest
    # vectors it gathers average to m_r (here: k copies of m_r)
    adv, kr = make_adv("dissensus", params={"dissensus_eps": 1.0})
    feed(adv, kr, X, inst)
    r, k = 0, N - F - F - 1
    m_r = X[1:H].mean(axis=0)
    gathered = np.vstack([X[r], [m_r] * k, [written(adv, H, r, inst)] * F])
    assert gathered.shape[0] == N - F
    np.testing.assert_allclose(get_rule("mean")(gathered, F, X[r]), X[r], atol=1e-12)


def test_dissensus_is_silent_without_knowledge_and_registered():
    adv, kr = make_adv("dissensus")
    assert adv.attack.write(H, 0, instance_of(2, PHASE_GRAD), 0) == []
    assert "ipm" in ATTACKS and "dissensus" in ATTACKS


def test_dissensus_reads_include_self_from_its_context():
    """Without the own vector among the q gathered, r gathers k = q - f honest others (not q - f - 1)."""
    import dataclasses

    inst = instance_of(3, PHASE_GRAD)
    adv, kr = make_adv("dissensus", params={"dissensus_eps": 2.0})
    adv.context = dataclasses.replace(adv.context, include_self=False)
    feed(adv, kr, X, inst)
    r, k = 1, N - F - F
    m_r = np.mean([X[j] for j in range(H) if j != r], axis=0)
    np.testing.assert_allclose(written(adv, H, r, inst), X[r] - 2.0 * (k / F) * (m_r - X[r]), rtol=1e-12)
    assert adv.params.dissensus_eps == 2.0 and make_adv("ipm")[0].params.ipm_eps == 0.1  # typed, defaults declared
