"""Each LEARN attack against its definition (NNM paper, section 14.3)."""
from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from agreement.learn import PHASE_GRAD, PHASE_PARAM, instance_of
from agreement.messages import Envelope
from agreement.rules import get_rule
from net import wire
from net.keys import Keyring
from nodes.adversary import Adversary
from nodes.attacks import ATTACKS
from nodes.attacks.learn import alie_z
from nodes.context import AttackContext, LearnContext
from nodes.workloads import Quadratic

N, F = 7, 2
H = N - F
D = 4


def make_adv(name, params=None, ctx=None, seed=0):
    kr = Keyring(0, N)
    attack = ATTACKS[name]()
    learn = LearnContext(**{"workload": None, "eta": 0.0, "theta1": np.zeros(D), "T": 1, "rule": get_rule("cwtm"),
                            **ctx}) if ctx else None
    adv = Adversary(attack, n=N, f=F, q=N - F, d=D, honest=list(range(H)), byzantine=list(range(H, N)),
                    signers={b: kr.signer(b) for b in range(H, N)}, rng=np.random.default_rng(seed),
                    params=params or {}, context=AttackContext(algorithm="icwtm", learn=learn))
    return adv, kr


def feed(adv, kr, X, instance, round_=0):
    for i, x in enumerate(X):
        env = Envelope("VEC", i, round_, instance, {"x": np.asarray(x, dtype=np.float64)})
        adv.observe(i, -1, env, wire.encode(env, kr.signer(i)))


def written(adv, b, r, instance, round_=0):
    out = adv.attack.write(b, r, instance, round_)
    assert len(out) == 1 and out[0].kind == "VEC" and out[0].sender == b
    assert out[0].instance == instance and out[0].round == round_
    return out[0].payload["x"]


X = np.random.default_rng(1).standard_normal((H, D))
S = X.mean(axis=0)


@pytest.mark.parametrize("phase", [PHASE_GRAD, PHASE_PARAM])
def test_alie_is_mean_plus_z_std(phase):
    adv, kr = make_adv("alie")
    inst = instance_of(3, phase)
    feed(adv, kr, X, inst)
    z = NormalDist().inv_cdf((N - (N // 2 + 1 - F)) / N)
    assert alie_z(N, F) == pytest.approx(z)
    assert np.allclose(written(adv, H, 0, inst), S + z * X.std(axis=0))
    adv2, kr2 = make_adv("alie", params={"alie_z": 3.0})
    feed(adv2, kr2, X, inst)
    assert np.allclose(written(adv2, H, 1, inst), S + 3.0 * X.std(axis=0))


@pytest.mark.parametrize("phase", [PHASE_GRAD, PHASE_PARAM])
def test_foe_and_sign_flip(phase):
    inst = instance_of(2, phase)
    for name, expect in (("foe", (1 - 1.1) * S), ("sf", -S), ("sign_flip", -S)):
        adv, kr = make_adv(name)
        feed(adv, kr, X, inst)
        assert np.allclose(written(adv, H + 1, 2, inst), expect)
    adv, kr = make_adv("foe", params={"foe_eta": 0.5})
    feed(adv, kr, X, inst)
    assert np.allclose(written(adv, H, 0, inst), 0.5 * S)


def test_attacks_use_only_the_same_instance_and_round():
    adv, kr = make_adv("sf")
    feed(adv, kr, X, instance_of(2, PHASE_GRAD))
    feed(adv, kr, 100 + X, instance_of(2, PHASE_PARAM))
    assert np.allclose(written(adv, H, 0, instance_of(2, PHASE_GRAD)), -S)
    assert np.allclose(written(adv, H, 0, instance_of(2, PHASE_PARAM)), -(100 + S))


def test_mimic_copies_the_farthest_honest_node_and_keeps_it():
    adv, kr = make_adv("mimic")
    inst = instance_of(2, PHASE_GRAD)
    feed(adv, kr, X, inst)
    far = int(np.argmax(np.linalg.norm(X - S, axis=1)))
    assert np.array_equal(written(adv, H, 0, inst), X[far])
    Y = X[::-1].copy()
    inst2 = instance_of(3, PHASE_GRAD)
    feed(adv, kr, Y, inst2)
    assert np.array_equal(written(adv, H + 1, 3, inst2), Y[far])  # the same node, not the new farthest


def test_gaussian_is_centered_on_the_honest_mean():
    adv, kr = make_adv("gaussian", params={"gaussian_std": 0.0})
    inst = instance_of(2, PHASE_PARAM)
    feed(adv, kr, X, inst)
    assert np.allclose(written(adv, H, 0, inst), S)
    adv, kr = make_adv("gaussian", params={"gaussian_std": 2.0})
    feed(adv, kr, X, inst)
    draws = np.stack([written(adv, H, r % H, inst) for r in range(2000)])
    assert np.allclose(draws.mean(axis=0), S, atol=0.2)
    assert np.allclose(draws.std(axis=0), 2.0, atol=0.2)
    assert not np.allclose(draws[0], draws[1])  # per recipient


def test_label_flip_runs_learn_on_flipped_data_in_both_phases():
    x = np.random.default_rng(2).standard_normal((H, D))
    w = Quadratic(x)
    theta1 = np.ones(D)
    eta = 0.25
    adv, kr = make_adv("lf", ctx={"workload": w, "eta": eta, "theta1": theta1})
    # t = 1: at theta_1, the gradient is the flipped one (towards -x_b)
    inst = instance_of(1, PHASE_GRAD)
    feed(adv, kr, X, inst)
    g = written(adv, H, 0, inst)
    assert np.allclose(g, w.flipped_grad(H, theta1, 1, None))
    inst_p = instance_of(1, PHASE_PARAM)
    feed(adv, kr, X, inst_p)
    assert np.allclose(written(adv, H, 0, inst_p), theta1 - eta * g)
    # t = 2: theta estimate = mean of the honest vectors of round 1's parameter phase (last iteration)
    inst2 = instance_of(2, PHASE_GRAD)
    feed(adv, kr, X, inst2)
    assert np.allclose(written(adv, H + 1, 0, inst2), w.flipped_grad(H + 1, X.mean(axis=0), 2, None))


@pytest.mark.parametrize("name", ["alie-opt", "foe-opt"])
def test_optimised_attacks_maximise_damage_over_their_grid(name):
    rule = get_rule("cwtm")
    adv, kr = make_adv(name, ctx={"rule": rule})
    inst = instance_of(2, PHASE_GRAD)
    feed(adv, kr, X, inst)
    r = 1
    B = written(adv, H, r, inst)
    attack = adv.attack
    a = X.std(axis=0) if name == "alie-opt" else -S
    rows = [X[k] for k in range(H)][: N - F - F]

    def damage(e):
        G = np.stack(rows + [S + e * a] * F)
        return np.linalg.norm(rule(G, F, S) - S)
    best = max(attack.grid, key=damage)
    assert damage(best) == pytest.approx(np.linalg.norm(rule(np.stack(rows + [B] * F), F, S) - S))
    assert np.array_equal(written(adv, H + 1, 3, inst), B)  # the same vector to every recipient
    assert any(np.allclose(B, S + e * a) for e in attack.grid)


def test_every_learn_attack_is_registered():
    for name in ("alie", "foe", "sf", "sign_flip", "lf", "label_flip", "mimic", "gaussian", "alie-opt", "foe-opt",
                 "split", "equivocate"):
        assert name in ATTACKS
