"""Personalised learning and the counter-gradient attack against slow references (agreement.pfl.
regularizers, cga, poisoning)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.pfl.cga import (
    ExactLeastSquares,
    cga_estimate,
    cga_report,
    envelope_smoothness_l2sq,
    run_pfl,
    theorem4_ratio,
)
from agreement.pfl.poisoning import (
    clean_optimum,
    envelope_grad,
    envelope_value,
    geometric_median,
    optimum_l2sq,
    prop4_model,
    section52_model,
    theorem5_point,
    two_worlds,
)
from agreement.pfl.regularizers import (
    REGULARIZERS,
    R_value,
    grad_rho,
    local_exact,
    plausible,
    project_grad,
    project_grad_slow,
)

scipy_optimize = pytest.importorskip("scipy.optimize")


def linreg(rng, h=5, m=20, d=3, noise=0.1):
    truth = rng.standard_normal((h, d))
    Q = rng.standard_normal((h, m, d))
    A = np.einsum("hmd,hd->hm", Q, truth) + noise * rng.standard_normal((h, m))
    return (np.einsum("hmd,hme->hde", Q, Q), np.einsum("hmd,hm->hd", Q, A), 0.5 * np.einsum("hm,hm->h", A, A), truth)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=4).map(np.array), st.floats(0.2, 5.0),
       st.sampled_from(REGULARIZERS))
def test_projection_on_GRAD_matches_brute_force(h, lam, kind):
    p = project_grad(kind, lam, h)
    assert plausible(kind, lam, p)
    slow = project_grad_slow(kind, lam, h)
    assert np.linalg.norm(p - h) <= np.linalg.norm(slow - h) + 1e-12
    assert np.linalg.norm(p - h) == pytest.approx(np.linalg.norm(slow - h), abs=0.05 * lam + 1e-9)


@pytest.mark.parametrize("kind", REGULARIZERS)
def test_grad_rho_is_the_derivative(kind):
    rng = np.random.default_rng(1)
    z = rng.standard_normal(4)
    num = np.array([(R_value(kind, 1.7, z + 1e-6 * e) - R_value(kind, 1.7, z - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
    assert np.allclose(grad_rho(kind, 1.7, z), num, atol=1e-6)


@pytest.mark.parametrize("kind", REGULARIZERS)
@pytest.mark.parametrize("seed", range(3))
def test_exact_local_model_against_scipy(kind, seed):
    rng = np.random.default_rng(seed)
    H, b, _, _ = linreg(rng, h=1)
    rho = 3 * rng.standard_normal(3)
    lam = [0.5, 5.0, 50.0][seed]
    th = local_exact(kind, lam, H[0], b[0], rho)
    fn = lambda t: 0.5 * t @ H[0] @ t - b[0] @ t + R_value(kind, lam, rho - t)  # noqa: E731
    ref = scipy_optimize.minimize(fn, np.zeros(3), method="Nelder-Mead",
                                  options={"xatol": 1e-11, "fatol": 1e-14, "maxiter": 40000, "maxfev": 40000})
    assert fn(th) <= ref.fun + 1e-9
    assert np.allclose(th, ref.x, atol=1e-5)


def test_l2_local_model_is_rho_inside_the_ball():
    H, b = np.eye(2) * 10, np.array([10.0, 0.0])
    rho = np.array([1.05, 0.0])  # H rho - b = (0.5, 0): inside the ball of radius 1
    assert np.array_equal(local_exact("l2", 1.0, H, b, rho), rho)


def test_envelope_smoothness_is_the_envelope_hessian():
    rng = np.random.default_rng(2)
    H, b, _, _ = linreg(rng)
    rho = rng.standard_normal(3)
    hs = np.stack([(envelope_grad("l2sq", 1.3, H, b, rho + 1e-5 * e) - envelope_grad("l2sq", 1.3, H, b, rho - 1e-5 * e)) / 2e-5
                   for e in np.eye(3)])
    assert envelope_smoothness_l2sq(H, 1.3) == pytest.approx(np.linalg.eigvalsh(0.5 * (hs + hs.T))[-1], rel=1e-6)
    assert envelope_smoothness_l2sq(H, 1.3) <= 2 * 1.3 * len(H)


def test_cga_hits_the_target_in_one_round_when_the_others_are_constant():
    """Eq. 174: rho^{t+1} = theta_dagger - eta (G^t - G^{t-1}); constant G gives the target at once."""
    G, eta, target = np.array([3.0, -1.0]), 0.1, np.array([5.0, 5.0])
    rho_prev, rho = np.zeros(2), np.array([0.2, 0.1])
    g_prev = (rho_prev - rho) / eta - G  # what the strategic user applied last round
    g_hat = cga_estimate(rho, rho_prev, g_prev, eta)
    assert np.allclose(g_hat, G)
    g = cga_report("l2sq", 1.0, rho, target, g_hat, eta)
    assert np.allclose(rho - eta * (G + g), target)
    assert np.allclose(cga_estimate(rho, None, None, eta), 0)


def test_colluders_split_the_counter_gradient():
    g1 = cga_report("l2", 1.0, np.ones(2), np.zeros(2), np.zeros(2), 0.01, f=1)
    g3 = cga_report("l2", 1.0, np.ones(2), np.zeros(2), np.zeros(2), 0.01, f=3)
    assert np.allclose(g1, g3) and np.linalg.norm(g1) == pytest.approx(1.0)  # both saturate the ball
    assert np.allclose(cga_report("l2sq", 1.0, np.ones(2), np.zeros(2), np.zeros(2), 0.5, f=4) * 4, 2 * np.ones(2))


def test_theorem4_ratio_on_a_geometric_sequence():
    rhos = [np.array([0.5 ** t]) for t in range(30)]
    r, count = theorem4_ratio(rhos)
    assert r == pytest.approx(0.25) and count > 10


def test_cga_run_reaches_target_under_l2sq_and_proposition4_and_theorem5():
    rng = np.random.default_rng(3)
    H, b, c, truth = linreg(rng, h=6, m=30)
    lam, target = 2.0, 4 * np.ones(3)
    eta = 1 / (3 * envelope_smoothness_l2sq(H, lam))
    tr = run_pfl(np.zeros(3), np.zeros((6, 3)), ExactLeastSquares("l2sq", lam, H, b), "l2sq", lam, eta, 400, target=target)
    assert np.linalg.norm(tr.rho[-1] - target) < 1e-9
    assert theorem4_ratio(tr.rho)[0] <= 7 / 9
    g_inf = tr.g_s[-1]
    rho_star = optimum_l2sq(H, b, lam, prop4_model(target, g_inf, lam)[None])[0]
    assert np.linalg.norm(rho_star - target) < 1e-9
    rho_52 = optimum_l2sq(H, b, lam, section52_model(target, g_inf)[None])[0]
    assert np.linalg.norm(rho_52 - target) > 1e-2  # the text's theta_dagger - g/2 is wrong for lambda != 1
    g = envelope_grad("l2sq", lam, H, b, target)
    spade = target + g / (2 * lam)
    for sign, ok in ((1.0, True), (-1.0, False)):
        Qp, Ap = theorem5_point(g, spade, sign)
        H2, b2 = np.concatenate([H, np.outer(Qp, Qp)[None]]), np.concatenate([b, (Ap * Qp)[None]])
        err = np.linalg.norm(optimum_l2sq(H2, b2, lam)[0] - target)
        assert (err < 1e-9 * (1 + np.linalg.norm(target) * np.linalg.norm(Qp))) == ok


@pytest.mark.parametrize("kind", ["l2", "smooth_l2"])
def test_clean_optimum_against_scipy(kind):
    rng = np.random.default_rng(4)
    H, b, c, truth = linreg(rng, h=4, m=15)
    r = clean_optimum(kind, 1.0, H, b, c, truth.mean(0))
    ref = scipy_optimize.minimize(lambda x: envelope_value(kind, 1.0, H, b, c, x), truth.mean(0), method="Nelder-Mead",
                                  options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 1500})
    assert envelope_value(kind, 1.0, H, b, c, r) <= ref.fun + 1e-8
    assert np.allclose(r, ref.x, atol=1e-3)


def test_geometric_median_against_scipy():
    rng = np.random.default_rng(5)
    X, w = rng.standard_normal((9, 3)), rng.uniform(0.5, 2, 9)
    gm = geometric_median(X, w)
    fn = lambda y: float(np.sum(w * np.linalg.norm(X - y, axis=1)))  # noqa: E731
    ref = scipy_optimize.minimize(fn, X.mean(0), method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14})
    assert fn(gm) <= ref.fun + 1e-10
    X[0] = gm  # a data point at the median
    assert fn(geometric_median(X, w)) <= fn(gm) + 1e-10


def test_two_worlds_same_reports():
    theta1, m1, theta2, m2, gap = two_worlds(11, 3, "corollary2")
    assert np.array_equal(theta1, theta2)
    assert theta1[m1].mean() == 0 and theta2[m2].mean() == pytest.approx(3 / 8) and gap == pytest.approx(3 / 8)
    assert np.ptp(theta1[m1]) == 0 and np.ptp(theta2[m2]) == 1


def test_batched_softmax_gradient_matches_per_user():
    from agreement.pfl.softmax import batch_sum_ce_grad, padded, sum_ce, sum_ce_grad

    rng = np.random.default_rng(6)
    Xs = [rng.standard_normal((m, 4)) for m in (3, 7, 5)]
    ys = [rng.integers(0, 3, len(x)) for x in Xs]
    thetas = rng.standard_normal((3, 12))
    Xp, yp = padded(Xs, ys)
    slow = np.stack([sum_ce_grad(Xs[u], ys[u], thetas[u], 3) for u in range(3)])
    assert np.allclose(batch_sum_ce_grad(Xp, yp, thetas, 3), slow, atol=1e-12)
    num = np.array([(sum_ce(Xs[0], ys[0], thetas[0] + 1e-6 * e, 3) - sum_ce(Xs[0], ys[0], thetas[0] - 1e-6 * e, 3)) / 2e-6
                    for e in np.eye(12)])
    assert np.allclose(slow[0], num, atol=1e-6)


@pytest.mark.parametrize("kind", REGULARIZERS)
def test_one_step_regularization_term_is_grad_rho(kind):
    from agreement.pfl.cga import OneStep

    rng = np.random.default_rng(7)
    rho, thetas = rng.standard_normal(3), rng.standard_normal((4, 3))
    thetas[1] = rho
    users = OneStep(kind, 1.5, lambda th: np.zeros_like(th), 4, 0.1)
    assert np.allclose(users.grads(rho, thetas), [grad_rho(kind, 1.5, rho - t) for t in thetas])


def test_section54_variant_converges_only_below_its_step_bound():
    """Section 5.4's variant (aim at theta_dagger + g_hat/(2 lambda (N - 1))) moves the honest average
    local model to the target for eta below local_variant_max_eta, and diverges above it (at Theorem 4's
    1/(3L) too)."""
    from agreement.pfl.cga import local_variant_max_eta

    rng = np.random.default_rng(8)
    H, b, c, truth = linreg(rng, h=6, m=30)
    lam, target = 1.0, 3 * np.ones(3)
    cap = local_variant_max_eta(H, lam, 7)
    assert cap < 1 / (3 * envelope_smoothness_l2sq(H, lam))

    def run(eta):
        tr = run_pfl(np.zeros(3), np.zeros((6, 3)), ExactLeastSquares("l2sq", lam, H, b), "l2sq", lam, eta, 1500,
                     target=target, aim="local", N=7)
        return tr.thetas.mean(axis=0), tr.rho[-1]

    with np.errstate(over="ignore", invalid="ignore"):
        avg, rho = run(0.8 * cap)
        assert np.linalg.norm(avg - target) < 1e-5 and np.linalg.norm(rho - target) > 1.0
        avg, _ = run(1.3 * cap)
        assert not np.linalg.norm(avg - target) < 1.0
