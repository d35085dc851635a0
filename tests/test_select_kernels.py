"""The numba sorting-network kernels (agreement/rules/select_kernels.py) against the numpy reference
(agreement/rules/trimmed.py with the kernels off): bit for bit, on every layout and dtype the rules
accept, with ties, +-inf, signed zeros and NaN (fallback), and for the ``.owned`` variants.

Compiling a kernel costs 0.3-2.5 s per (rule, q, ranks), so the compiled path is checked on a fixed
list of (q, f); the networks themselves (the part that depends on q) are checked for every q in
1..40 and every f in pure numpy."""
from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from agreement.rules import select_kernels as sk
from agreement.rules import trimmed
from agreement.rules.trimmed import cwmed, cwtm, trimmed_middle

RULES = (cwtm, cwmed, trimmed_middle)
# (q, f) whose kernels get compiled here: tiny q, odd and even q, f = 0 and f = (q - 1) // 2, and the
# benchmark's q = 31, f = 5
COMBOS = ((1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (8, 2), (12, 3), (31, 5))


@contextlib.contextmanager
def kernels(on: bool, min_d: int = 2):
    saved = trimmed.USE_KERNELS, trimmed.KERNEL_MIN_D
    trimmed.USE_KERNELS, trimmed.KERNEL_MIN_D = on, min_d
    try:
        yield
    finally:
        trimmed.USE_KERNELS, trimmed.KERNEL_MIN_D = saved


def apply_network(net, X: np.ndarray) -> np.ndarray:
    """The comparators applied with numpy to every column of X (a reference for the kernels)."""
    S = np.array(X, dtype=float, copy=True)
    for a, b in net:
        lo, hi = np.minimum(S[a], S[b]), np.maximum(S[a], S[b])
        S[a], S[b] = lo, hi
    return S


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ------------------------------------------------------------------------------ networks, all q
def test_batcher_network_sorts_every_0_1_input():
    """0-1 principle: a comparator network sorts every input iff it sorts every 0/1 input."""
    for q in range(1, 15):
        X = ((np.arange(2 ** q)[None, :] >> np.arange(q)[:, None]) & 1).astype(float)
        np.testing.assert_array_equal(apply_network(sk.batcher_network(q), X), np.sort(X, axis=0))


def test_pruned_networks_give_the_ranks_each_rule_reads():
    rng = np.random.default_rng(0)
    for q in range(1, 41):
        X = rng.integers(-3, 4, (q, 64)).astype(float)  # many ties
        X[:, :8] = rng.standard_normal((q, 8))
        S = np.sort(X, axis=0)
        full = sk.batcher_network(q)
        assert all(0 <= a < b < q for a, b in full)
        np.testing.assert_array_equal(apply_network(full, X), S)
        rank_sets = {(q // 2,), (q // 2 - 1, q // 2) if q > 1 else (0,)}
        for f in range((q - 1) // 2 + 1):
            rank_sets |= {tuple(range(f, q - f)), (f, q - f - 1)}
        for ranks in rank_sets:
            net = sk.pruned_network(q, ranks)
            assert set(net) <= set(full) and len(net) <= len(full)
            Y = apply_network(net, X)
            np.testing.assert_array_equal(Y[list(ranks)], S[list(ranks)], err_msg=f"q={q} ranks={ranks}")


def test_pruning_drops_comparators_only_where_ranks_allow():
    assert len(sk.pruned_network(31, (15,))) < len(sk.pruned_network(31, tuple(range(5, 26)))) <= len(
        sk.batcher_network(31))
    assert sk.pruned_network(1, (0,)) == ()


def test_generated_mean_adds_the_sorted_rows_in_order():
    """numpy's mean over axis 0 of the sorted C-ordered rows adds them row after row starting from
    row f; the generated kernel must do exactly that (the order decides the rounding)."""
    src = sk.kernel_source("mean", 9, 2, 6)
    body = [line.strip() for line in src.splitlines() if "acc" in line]
    assert body == ["acc = x2", "acc = acc + x3", "acc = acc + x4", "acc = acc + x5", "acc = acc + x6",
                    "out[c] = acc / 5.0"]


def test_numpy_reduction_order_assumption():
    """What the bit-identity rests on: for a C-ordered (k, d) array with d >= 2, ``mean(axis=0)`` is
    the rows added one after the other from the first, divided by k."""
    rng = np.random.default_rng(1)
    for k, d in itertools.product((1, 2, 9, 21, 40), (2, 3, 17, 1000)):
        A = rng.standard_normal((k, d)) * 10.0 ** rng.integers(-8, 9, (k, d))
        acc = A[0].copy()
        for r in range(1, k):
            acc = acc + A[r]
        assert same_bits(A.mean(axis=0), acc / k)


# ----------------------------------------------------------------------- compiled kernels
def _values(draw, kind: str, q: int, d: int) -> np.ndarray:
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "gauss":
        return rng.standard_normal((q, d)) * 10.0 ** rng.integers(-3, 4)
    if kind == "ties":
        return rng.choice(np.array([-2.0, -1.0, -0.5, 1.0, 3.0, 7.25]), (q, d))
    if kind == "inf":
        return rng.choice(np.array([-np.inf, -1.0, 0.5, 2.0, np.inf]), (q, d))
    if kind == "zeros":  # one sign of zero: the kernel's answer stands
        return rng.choice(np.array([-1.0, 0.0, 2.0]), (q, d))
    if kind == "signed_zeros":  # both signs: numpy's order of equal values is unspecified -> fallback
        return rng.choice(np.array([-1.0, -0.0, 0.0, 2.0]), (q, d))
    X = rng.standard_normal((q, d))  # "nan"
    X[rng.integers(q), rng.integers(d)] = np.nan
    return X


def _layout(X: np.ndarray, layout: str):
    if layout == "C":
        return X
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "rows":
        return np.repeat(X, 2, axis=0)[::2]
    if layout == "cols":
        return np.repeat(X, 2, axis=1)[:, ::2]
    if layout == "reversed":
        return X[::-1, ::-1]
    if layout == "float32":
        return X.astype(np.float32)
    return np.nan_to_num(X, posinf=9, neginf=-9).astype(np.int64)  # "int"


@st.composite
def cases(draw):
    q, f = draw(st.sampled_from(COMBOS))
    d = draw(st.integers(1, 300))
    kind = draw(st.sampled_from(("gauss", "ties", "inf", "zeros", "signed_zeros", "nan")))
    layout = draw(st.sampled_from(("C", "C", "F", "rows", "cols", "reversed", "float32", "int")))
    return _layout(_values(draw, kind, q, d), layout), f


@settings(max_examples=120, deadline=None)
@given(cases())
def test_rules_with_kernels_are_bit_identical_to_numpy(case):
    X, f = case
    for rule in RULES:
        if X.shape[0] <= 2 * f and rule is not cwmed:
            continue
        with kernels(False), np.errstate(invalid="ignore"):  # inf - inf in the reference
            ref = rule(X, f)
            ref_owned = rule.owned(np.array(X, copy=True, order="K"), f)
        with kernels(True), np.errstate(invalid="ignore"):
            got = rule(X, f)
            got_owned = rule.owned(np.array(X, copy=True, order="K"), f)
        assert same_bits(got, ref), (rule.__name__, X.shape, X.dtype, got, ref)
        assert same_bits(got_owned, ref_owned), (rule.__name__, "owned")


@pytest.mark.parametrize("q,f", [c for c in COMBOS if c[0] > 2 * c[1]])
def test_kernels_compute_the_rules_directly(q, f):
    """The kernel entry points on C-ordered float64 input, against np.sort (also at d = 1, which the
    dispatch sends to numpy for cwtm)."""
    rng = np.random.default_rng(q * 100 + f)
    for d in (1, 7, 8, 9, 64, 257):
        X = rng.standard_normal((q, d))
        S = np.sort(X, axis=0)
        if f:
            np.testing.assert_array_equal(sk.cwtm(X, f), S[f:q - f].mean(axis=0))
            assert same_bits(sk.trimmed_middle(X, f), 0.5 * (S[f] + S[q - f - 1]))
        med = S[q // 2] if q % 2 else 0.5 * (S[q // 2 - 1] + S[q // 2])
        assert same_bits(sk.cwmed(X), med)


def test_kernel_reports_nan_and_mixed_zero_signs():
    X = np.random.default_rng(2).standard_normal((5, 40))
    assert sk.cwmed(X) is not None
    Y = X.copy()
    Y[3, 17] = np.nan
    assert sk.cwmed(Y) is None and sk.cwtm(Y, 1) is None
    Z = X.copy()
    Z[0, 1], Z[2, 30] = 0.0, -0.0
    assert sk.trimmed_middle(Z, 1) is None
    Z[2, 30] = 0.0
    assert same_bits(sk.trimmed_middle(Z, 1), 0.5 * (np.sort(Z, axis=0)[1] + np.sort(Z, axis=0)[3]))


def test_dispatch_uses_the_kernel_only_when_allowed(monkeypatch):
    calls = []
    real = sk.cwtm
    monkeypatch.setattr(sk, "cwtm", lambda X, f: calls.append(X.shape) or real(X, f))
    X = np.random.default_rng(3).standard_normal((8, 50))
    with kernels(True, min_d=2):
        cwtm(X, 2)
        cwtm.owned(X.copy(), 2)
        cwtm(np.asfortranarray(X), 2)  # numpy sums a Fortran-ordered sort pairwise: numpy does it
        cwtm(X[:, :1], 2)  # d = 1: same
        cwtm(X, 0)  # f = 0: plain mean
    assert calls == [(8, 50), (8, 50)]
    with kernels(True, min_d=51):
        cwtm(X, 2)
    with kernels(False):
        cwtm(X, 2)
    assert len(calls) == 2


def test_env_var_forces_numpy():
    code = "from agreement.rules import trimmed; print(trimmed.USE_KERNELS)"
    env = dict(os.environ, JUNGLE_NUMPY_RULES="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bad_kernel_arguments_are_refused():
    with pytest.raises(ValueError):
        sk.kernel_for("mean", sk.Q_MAX + 1, 0, 0)
    with pytest.raises(ValueError):
        sk.kernel_for("mean", 5, 3, 2)


def test_kernel_source_cache_files(tmp_path, monkeypatch):
    """The generated source goes to a file in the cache dir (numba's cache=True needs one), written
    once and never rewritten (numba keys its index on the file); JUNGLE_KERNEL_CACHE=0 disables it."""
    from agreement.rules import select_kernels as sk
    from scenarios import kernel_cache as kc

    monkeypatch.setenv(kc.CACHE_ENV, str(tmp_path / "k"))
    src = sk.kernel_source("row", 5, 2, 2)
    path = sk._source_file("t", src)  # through the store scenarios installed
    assert path is not None and open(path).read() == src
    mtime = os.stat(path).st_mtime_ns
    assert sk._source_file("t", src) == path and os.stat(path).st_mtime_ns == mtime
    monkeypatch.setenv(kc.CACHE_ENV, "0")
    assert kc.cache_dir() is None and sk._source_file("t", src) is None
    monkeypatch.delenv(kc.CACHE_ENV)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
    assert kc.cache_dir() == os.path.join(str(tmp_path / "nb"), "select_kernels")


def test_a_second_process_loads_the_kernel_from_the_cache(tmp_path):
    """Compiled once per machine: a fresh process finds the kernel in numba's on-disk cache."""
    code = ("import numpy as np, scenarios; from agreement.rules import select_kernels as sk; "
            "k = sk.kernel_for('row', 5, 2, 2); X = np.arange(10.0).reshape(5, 2)[::-1].copy(); "
            "print(sum(k.stats.cache_hits.values()), sk.cwmed(X).tolist())")
    env = {**os.environ, "JUNGLE_KERNEL_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                           cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout.split(None, 1)
            for _ in range(2)]
    assert runs[0][0] == "0" and runs[1][0] != "0"
    assert runs[0][1] == runs[1][1]


@pytest.mark.parametrize("q,f", [(1, 0), (2, 1), (5, 2), (8, 3), (31, 5)])
def test_meamed_kernel_is_numpy_bit_for_bit(q, f, monkeypatch):
    """The MeaMed kernel: the same numbers as the numpy reference (median, deviations, stable order of
    the q - f nearest, row-by-row mean), with ties in deviation, signed zeros and an overflow."""
    from agreement.rules import meamed as mm

    rng = np.random.default_rng(q * 100 + f)
    cases = [rng.standard_normal((q, 40)), np.round(rng.standard_normal((q, 40)) * 2) / 2,
             rng.choice([-1.0, -0.0, 0.0, 1.0, 3.0], size=(q, 40)), rng.standard_normal((q, 40)) * 1e307]
    for X in cases:
        with kernels(False):
            ref = mm.meamed(X, f)
        monkeypatch.setattr(mm, "KERNEL_MIN_D", 2)
        with kernels(True):
            got = mm.meamed(X, f)
        monkeypatch.setattr(mm, "KERNEL_MIN_D", 8192)
        assert np.array_equal(got, ref), X
    if q > 1:  # the kernel was used
        assert ("meamed", q, 0, q - f - 1) in sk.compiled_kernels()
