"""Bucketing (Karimireddy, He and Jaggi, "Byzantine-robust learning on heterogeneous datasets via
bucketing", ICLR 2022; NNM paper, section 10) as a pre-aggregation: ``bucketing+RULE``.

The q gathered rows are permuted by pi, cut into ceil(q/s) consecutive buckets of s rows (the last
one may be smaller), and RULE is applied, with the same f, to the bucket means
y_i = mean_{k in bucket i} x_{pi(k)} (NNM paper, section 10; the last bucket is averaged over its own
members, as in the authors' code). A Byzantine row contaminates at most one bucket, hence f.

Bucket size: s = floor((q - 1) / (2f)) (at least 1; s = 1 when f = 0), so that ceil(q/s) > 2f
buckets remain and a rule needing more than 2f inputs (CwTM) still applies. The paper's
s = floor(n / (2f)) is the same unless 2f divides q.

The permutation is deterministic, since rules are pure functions of their inputs: pi is drawn from
``numpy.random.default_rng([seed, h(X)])`` with h a 64-bit BLAKE2b digest of X's shape and bytes, and
``seed`` = :data:`SEED` for the registered ``bucketing`` (:func:`bucketing` takes another). So the same
inputs always get the same permutation (a run stays a function of its seed), different inputs get
unrelated ones, and every node gathering the same rows in the same order buckets them alike. Note
that an omniscient adversary can compute pi too and, by choosing its rows, choose among
permutations; the paper's randomness is private to the server. Bucketing only reduces the
heterogeneity in expectation over pi (NNM paper, Observations 1 and 2).
Cost: O(q d) for the digest and the bucket means + the rule's on ceil(q/s) rows.
"""
from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np

SEED = 0
"""The seed mixed with the data digest by the registered ``bucketing`` pre-aggregation."""


def bucket_size(q: int, f: int) -> int:
    """s = max(1, floor((q - 1) / (2f))), 1 for f = 0: more than 2f buckets of q rows."""
    if f <= 0:
        return 1
    return max(1, (q - 1) // (2 * f))


def permutation(X: np.ndarray, seed: int = SEED) -> np.ndarray:
    """The deterministic permutation pi of X's rows (module docstring)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    h = hashlib.blake2b(np.asarray(X.shape, dtype=np.int64).tobytes() + X.tobytes(), digest_size=8)
    rng = np.random.default_rng([int(seed), int.from_bytes(h.digest(), "little")])
    return rng.permutation(X.shape[0])


def bucket_means(X: np.ndarray, f: int, s: int | None = None, seed: int = SEED) -> np.ndarray:
    """The ceil(q/s) bucket means of X permuted by :func:`permutation` (vectorised: ``np.add.reduceat``)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"bucketing: X must be a non-empty q x d array, got shape {X.shape}")
    q = X.shape[0]
    s = bucket_size(q, f) if s is None else int(s)
    if s < 1:
        raise ValueError(f"bucketing: bucket size must be >= 1, got {s}")
    starts = np.arange(0, q, s)
    counts = np.diff(np.append(starts, q))
    return np.add.reduceat(X[permutation(X, seed)], starts, axis=0) / counts[:, None]


def bucketing(rule: Callable, s: int | None = None, seed: int = SEED) -> Callable:
    """Bucketing with bucket size ``s`` (default :func:`bucket_size`) and ``seed``, then ``rule``."""
    def bucketed(X, f, own=None):
        return rule(bucket_means(X, f, s, seed), f, own)
    bucketed.__name__ = f"bucketing_{getattr(rule, '__name__', 'rule')}"
    bucketed.__doc__ = (f"Bucketing (s = {'floor((q-1)/(2f))' if s is None else s}, seed {seed}) then "
                        f"{getattr(rule, '__name__', 'the rule')}. Cost O(q d) + the rule's on ceil(q/s) rows.")
    return bucketed


PRE_AGGREGATIONS = {"bucketing": bucketing}
