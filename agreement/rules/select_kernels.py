"""Compiled per-column order statistics for the trimmed rules (numba; pure: numba + numpy only).

``np.sort(X, axis=0)`` on a ``q x d`` array costs about 12x ``numpy.mean`` at q = 31, d = 100,000
(``jungle bench --only rules``): numpy sorts each strided column separately. The kernels here sort
all the columns at once with a *sorting network*, vectorised across columns:

- a compare-exchange network over the q rows: Batcher's odd-even merge sort for q
  (:func:`batcher_network`), *pruned* (:func:`pruned_network`) to the comparators on which the ranks
  the rule reads depend (q = 31, f = 5: 180 of 186 comparators for the trimmed mean, 152 for the
  median, 155 for the trimmed middle);
- the network is unrolled into straight-line code over q scalar variables (one per row), inside a
  loop over the d columns; each comparator is ``lo = a if a < b else b``, ``hi = b if a < b else a``
  emitted as one LLVM ``fcmp olt`` + ``select`` (:func:`_lo`, :func:`_hi`: numba would otherwise
  compile the conditional expression to branches, which multiplies compile time by ~6), so LLVM's
  loop vectoriser runs the whole network on SIMD registers, several columns at once, reading each
  element of X once and writing each output once (no q x d temporary, no sort buffer).

Measured alternatives (q = 31, f = 5, d = 100,000, same machine, ratio to ``numpy.mean``): one generic
kernel taking the network as a runtime array, on an L1 block buffer of B columns with explicit
``<8 x double>`` compare-exchanges: 5x-7x (each comparator loads and stores two vectors; for every
B in 32..256); the same with auto-vectorised loops: 5x-12x (LLVM does not vectorise the row pair of
one buffer); the unrolled network: 1.7x-3.6x (the spread is the shared machine's load).

The price: one compiled kernel per (rule kind, q, ranks), generated as Python source and compiled on
first use (about 2-4 s at q = 31, 0.3-1 s for q <= 11; ``jungle bench --only rules`` prints it) and
kept for the process. numba's ``cache=True`` needs a source file, so :func:`kernel_for` asks the
installed source store (:func:`set_source_store`; the application's :mod:`scenarios.kernel_cache`
writes the file in the user's cache) and compiles it from there: the compile is paid once per machine
(and numba version), later processes load the kernel from numba's on-disk cache in milliseconds (plus
importing numba, about a second, once per process).

Bit-identity with the numpy reference (:mod:`agreement.rules.trimmed`): the network leaves each
column sorted at the ranks read (ties are equal values, so the value at each rank is numpy's, up to
the sign of a zero when both -0.0 and +0.0 occur, an order numpy's own sort does not specify: the
kernel flags that case, and the caller falls back to numpy); the trimmed mean adds rows f, f + 1,
..., q - f - 1 in that order starting from row f and divides by q - 2f, which is what ``np.sort(X,
axis=0)[f:q-f].mean(axis=0)`` computes for a C-ordered 2-D array with d >= 2 (numpy's add.reduce
along axis 0 then adds whole rows one after the other; it switches to pairwise summation when the
reduced axis is the contiguous one: d = 1 or Fortran order; the dispatch in trimmed.py keeps those
on numpy). +-inf sort like numpy's; a NaN anywhere is flagged too (numpy sorts it last; a comparator
does not), and the caller falls back to numpy.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Callable

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

Q_MAX = 64  # larger q: the unrolled network (O(q log^2 q) comparators) compiles too slowly; numpy


# ----------------------------------------------------------------------------- networks (Python)
def batcher_network(n: int) -> list[tuple[int, int]]:
    """Batcher's odd-even merge sort on n wires (Knuth, TAOCP vol. 3, 5.3.4, algorithm M), built
    for the next power of two and restricted to wires < n (the missing wires act as +inf, so every
    comparator touching them is a no-op). Each pair (i, j) has i < j: after it, wire i holds the
    smaller value."""
    p = 1
    while p < n:
        p *= 2
    out: list[tuple[int, int]] = []
    t = 1
    while t < p:
        k = t
        while k >= 1:
            for j in range(k % t, p - k, 2 * k):
                for i in range(min(k, p - j - k)):
                    if (i + j) // (2 * t) == (i + j + k) // (2 * t):
                        out.append((i + j, i + j + k))
            k //= 2
        t *= 2
    return [(a, b) for a, b in out if b < n]


@lru_cache(maxsize=256)
def pruned_network(q: int, ranks: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """The comparators of :func:`batcher_network` on which the wires ``ranks`` depend (walk the
    network backwards keeping a comparator iff one of its wires is still needed, and then both
    are). The wires ``ranks`` end holding exactly the values of those ranks in sorted order."""
    need = set(ranks)
    keep: list[tuple[int, int]] = []
    for a, b in reversed(batcher_network(q)):
        if a in need or b in need:
            keep.append((a, b))
            need.update((a, b))
    return tuple(keep[::-1])



# --------------------------------------------------------------------- intrinsics (LLVM IR)
@intrinsic
def _lo(typingctx, a, b):
    """``a if a < b else b`` as one ``fcmp olt`` + ``select`` (no branch in numba's IR)."""
    def codegen(context, builder, sig, args):
        x, y = args
        return builder.select(builder.fcmp_ordered("<", x, y), x, y)
    return types.float64(types.float64, types.float64), codegen


@intrinsic
def _hi(typingctx, a, b):
    """``b if a < b else a`` as one ``fcmp olt`` + ``select``."""
    def codegen(context, builder, sig, args):
        x, y = args
        return builder.select(builder.fcmp_ordered("<", x, y), y, x)
    return types.float64(types.float64, types.float64), codegen


@intrinsic
def _zero_or_nan(typingctx, a):
    """``a == 0.0 or a != a`` as one ``fcmp ueq a, 0.0`` (no branch: OR-ed over the unrolled rows
    and the column loop, it costs one vector compare and one mask OR per row)."""
    def codegen(context, builder, sig, args):
        return builder.fcmp_unordered("==", args[0], ir.Constant(ir.DoubleType(), 0.0))
    return types.boolean(types.float64), codegen


@intrinsic
def _sel(typingctx, c, a, b):
    """``a if c else b`` as one ``select`` (no branch)."""
    def codegen(context, builder, sig, args):
        return builder.select(args[0], args[1], args[2])
    return types.float64(types.boolean, types.float64, types.float64), codegen


@intrinsic
def _key_lt(typingctx, da, db, ia, ib):
    """``da < db or (da == db and ia < ib)`` (lexicographic order of (deviation, row)), branch-free."""
    def codegen(context, builder, sig, args):
        x, y, i, j = args
        eq = builder.and_(builder.fcmp_ordered("==", x, y), builder.fcmp_ordered("<", i, j))
        return builder.or_(builder.fcmp_ordered("<", x, y), eq)
    return types.boolean(types.float64, types.float64, types.float64, types.float64), codegen


@intrinsic
def _nonfinite(typingctx, a):
    """``not isfinite(a)`` as ``fcmp une (a - a), 0.0`` (a NaN or an infinity gives NaN)."""
    def codegen(context, builder, sig, args):
        r = builder.fsub(args[0], args[0])
        return builder.fcmp_unordered("!=", r, ir.Constant(ir.DoubleType(), 0.0))
    return types.boolean(types.float64), codegen


# ---------------------------------------------------------------------- generated kernels
def kernel_source(kind: str, q: int, r0: int, r1: int) -> str:
    """Python source of the kernel ``k(X, out) -> bool`` for a C-ordered float64 ``q x d`` array X,
    returning whether X holds a zero or a NaN (:func:`_zero_or_nan`); out is numpy's result unless X
    holds a NaN or both a +0.0 and a -0.0 (equal values whose order numpy's sort leaves
    unspecified), which :func:`_run` then checks. With S the column sorted: kind "mean":
    ``out = (((S[r0] + S[r0+1]) + ...) + S[r1]) / (r1 - r0 + 1)``; "row": ``out = S[r0]``;
    "mid": ``out = 0.5 * (S[r0] + S[r1])``."""
    ranks = tuple(range(r0, r1 + 1)) if kind == "mean" else (r0,) if kind == "row" else (r0, r1)
    L = ["def k(X, out):", "    d = X.shape[1]", "    seen = False", "    for c in range(d):"]
    L += [f"        x{r} = X[{r}, c]" for r in range(q)]
    L.append("        seen |= " + " | ".join(f"_zero_or_nan(x{r})" for r in range(q)))
    for a, b in pruned_network(q, ranks):
        L.append(f"        x{a}, x{b} = _lo(x{a}, x{b}), _hi(x{a}, x{b})")
    if kind == "mean":
        L.append(f"        acc = x{r0}")
        L += [f"        acc = acc + x{r}" for r in range(r0 + 1, r1 + 1)]
        L.append(f"        out[c] = acc / {float(r1 - r0 + 1)!r}")
    elif kind == "row":
        L.append(f"        out[c] = x{r0}")
    else:
        L.append(f"        out[c] = 0.5 * (x{r0} + x{r1})")
    L.append("    return seen")
    return "\n".join(L) + "\n"


def meamed_source(q: int, k: int) -> str:
    """Python source of the MeaMed kernel ``k(X, out) -> bool`` for a C-ordered float64 ``q x d`` array
    X of FINITE values: per column, the median m (pruned network on a copy; the middle value, or
    ``0.5 * (a + b)`` of the two middle ones, which is numpy's ``(a + b) / 2``), the deviations
    ``|x - m|``, then a network sorting the triples (deviation, row, value) by (deviation, row),
    pruned to the first k ranks: they come out in the order of ``np.argsort(dev, axis=0,
    kind="stable")``, and ``out = (((v0 + v1) + ...) + v(k-1)) / k``, numpy's mean of the rows taken
    in that order. Returns True when a deviation is not finite (an overflow: the caller recomputes
    with numpy, which rescales); out is then meaningless."""
    mid = (q // 2,) if q % 2 else (q // 2 - 1, q // 2)
    L = ["def k(X, out):", "    d = X.shape[1]", "    bad = False", "    for c in range(d):"]
    L += [f"        x{r} = X[{r}, c]" for r in range(q)]
    L += [f"        m{r} = x{r}" for r in range(q)]
    for a, b in pruned_network(q, mid):
        L.append(f"        m{a}, m{b} = _lo(m{a}, m{b}), _hi(m{a}, m{b})")
    L.append(f"        med = m{mid[0]}" if q % 2 else f"        med = 0.5 * (m{mid[0]} + m{mid[1]})")
    L += [f"        e{r} = abs(x{r} - med)" for r in range(q)]
    L += [f"        i{r} = {float(r)!r}" for r in range(q)]
    L.append("        bad |= " + " | ".join(f"_nonfinite(e{r})" for r in range(q)))
    for a, b in pruned_network(q, tuple(range(k))):
        L.append(f"        s = _key_lt(e{b}, e{a}, i{b}, i{a})")
        for v in "eix":
            L.append(f"        {v}{a}, {v}{b} = _sel(s, {v}{b}, {v}{a}), _sel(s, {v}{a}, {v}{b})")
    L.append("        acc = x0")
    L += [f"        acc = acc + x{r}" for r in range(1, k)]
    L.append(f"        out[c] = acc / {float(k)!r}")
    L.append("    return bad")
    return "\n".join(L) + "\n"


_BUILT: list[tuple[str, int, int, int]] = []

SourceStore = Callable[[str, str], "str | None"]
_store: list[SourceStore] = []


def set_source_store(store: SourceStore | None) -> None:
    """Install where generated kernel sources are kept as files: ``store(name, src)`` returns the path
    of a file holding exactly ``src`` (or None). numba's on-disk cache (``cache=True``) needs a real
    source file; this package stays pure (no file I/O, DESIGN.md), so the application installs the
    store (:mod:`scenarios.kernel_cache`, on import of :mod:`scenarios`). Without one, kernels are
    compiled in memory once per process."""
    _store.clear()
    if store is not None:
        _store.append(store)


def _source_file(name: str, src: str) -> str | None:
    return _store[0](name, src) if _store else None


def _compile(name: str, src: str, q: int, label: str):
    """Compile the generated ``src`` (function ``k(X, out)``) from the source store's file with
    numba's ``cache=True`` when there is one, in memory otherwise; called once on a q x 2 array."""
    tag = hashlib.sha256(f"{numba.__version__}\n{src}".encode()).hexdigest()[:16]
    path = _source_file(f"{name}_{tag}", src)
    # __name__: this module (importable: numba rebuilds a cached kernel's environment from it)
    ns = {"__name__": __name__, "_lo": _lo, "_hi": _hi, "_zero_or_nan": _zero_or_nan, "_sel": _sel,
          "_key_lt": _key_lt, "_nonfinite": _nonfinite}
    exec(compile(src, path or f"<{label}>", "exec"), ns)
    try:
        k = njit(nogil=True, cache=path is not None)(ns["k"])
        k(np.zeros((q, 2)), np.empty(2))  # compile (or load) now, for the one signature ever used
    except Exception:  # noqa: BLE001 - a broken cache must never break a rule: compile in memory
        if path is None:
            raise
        k = njit(nogil=True)(ns["k"])
        k(np.zeros((q, 2)), np.empty(2))
    return k


@lru_cache(maxsize=None)
def kernel_for(kind: str, q: int, r0: int, r1: int):
    """The compiled kernel of :func:`kernel_source` (kind "mean", "row", "mid") or of
    :func:`meamed_source` (kind "meamed", k = r1 + 1 ranks; r0 = 0), kept for the process
    (:func:`compiled_kernels` lists them). Its source goes to the source store (file name: kind,
    q, ranks and a digest of the source and numba's version) and compiled from there with
    ``cache=True``: the first process on a machine pays the compile (1-6 s at q = 31; the MeaMed
    kernel more), later ones load it from numba's cache."""
    if not 1 <= q <= Q_MAX or not 0 <= r0 <= r1 < q:
        raise ValueError(f"select kernel: bad (q, r0, r1) = ({q}, {r0}, {r1})")
    src = meamed_source(q, r1 + 1) if kind == "meamed" else kernel_source(kind, q, r0, r1)
    k = _compile(f"select_{kind}_q{q}_r{r0}_{r1}", src, q, f"select_kernel {kind} q={q} r={r0}..{r1}")
    _BUILT.append((kind, q, r0, r1))
    return k


def compiled_kernels() -> list[tuple[str, int, int, int]]:
    """(kind, q, r0, r1) of every kernel compiled in this process so far, in build order."""
    return list(_BUILT)


def _run(kind: str, X: np.ndarray, r0: int, r1: int) -> np.ndarray | None:
    """X must be a C-contiguous float64 2-D array with 1 <= q <= Q_MAX (the dispatch checks)."""
    out = np.empty(X.shape[1])
    if kernel_for(kind, X.shape[0], r0, r1)(X, out) and not numpy_agrees(X):
        return None
    return out


def numpy_agrees(X: np.ndarray) -> bool:
    """Whether the network's output is numpy's for an X known to hold a zero or a NaN: not if a NaN
    (numpy sorts it last; a comparator with a NaN does not move it) or both signs of zero occur.
    One more O(q d) pass, only when the kernel saw such a value."""
    if np.isnan(X).any():
        return False
    zeros = np.signbit(X[X == 0])
    return bool(zeros.all() or not zeros.any())


def cwtm(X: np.ndarray, f: int) -> np.ndarray | None:
    """Trimmed mean per column (q > 2f); None when numpy must do it (:func:`kernel_source`)."""
    return _run("mean", X, f, X.shape[0] - f - 1)


def trimmed_middle(X: np.ndarray, f: int) -> np.ndarray | None:
    """Midpoint of the (f+1)-th smallest and (f+1)-th largest per column; None: see :func:`cwtm`."""
    return _run("mid", X, f, X.shape[0] - f - 1)


def meamed(X: np.ndarray, f: int) -> np.ndarray | None:
    """MeaMed per column for a FINITE X (q > f): the mean of the q - f values closest to the median,
    in order of distance (ties: lower row); None when a deviation overflows (numpy rescales)."""
    out = np.empty(X.shape[1])
    if kernel_for("meamed", X.shape[0], 0, X.shape[0] - f - 1)(X, out):
        return None
    return out


def cwmed(X: np.ndarray) -> np.ndarray | None:
    """Median per column (mean of the two middle values for even q); None: see :func:`cwtm`."""
    q = X.shape[0]
    return _run("row", X, q // 2, q // 2) if q % 2 else _run("mid", X, q // 2 - 1, q // 2)
