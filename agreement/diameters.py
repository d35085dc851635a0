"""Diameters of a family of honest vectors (agreement paper, section 3.1, eq. 4 and 5).

A family is an ``h x d`` array, one row per honest node.
"""
from __future__ import annotations

import math

import numpy as np


def _centered(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"a family is an h x d array, got shape {x.shape}")
    return x - x.mean(axis=0)


BLOCK_ELEMENTS = 1 << 22
"""A family larger than this (32 MiB of float64) is centered and multiplied by column blocks of
about this size, so that measuring it never copies it whole."""


def pairwise_sq_distances(x: np.ndarray) -> np.ndarray:
    """Squared l2 distances between rows, ``h x h``, by one Gram product on centered rows.

    Centering first keeps the result accurate when the diameter is small against the norms. A large
    family (above :data:`BLOCK_ELEMENTS`) is centered and multiplied block by block of columns (the
    same sums, in another order: equal up to rounding).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.size > BLOCK_ELEMENTS:
        h, d = x.shape
        step = max(1, BLOCK_ELEMENTS // max(1, h))
        sq, g = np.zeros(h), np.zeros((h, h))
        for j in range(0, d, step):  # blocks of columns (few: d / step), each vectorised
            c = x[:, j:j + step] - x[:, j:j + step].mean(axis=0)
            sq += np.einsum("ij,ij->i", c, c)
            g += c @ c.T
    else:
        c = _centered(x)
        sq = np.einsum("ij,ij->i", c, c)
        g = c @ c.T
    d2 = sq[:, None] + sq[None, :] - 2.0 * g
    np.maximum(d2, 0.0, out=d2)
    np.fill_diagonal(d2, 0.0)
    return d2


def d2(x: np.ndarray) -> float:
    """l2 diameter D2(x) = max_{j,k} ||x_j - x_k||_2 (eq. 4 with r = 2). When the Gram product
    overflows (finite values beyond about 1e154), measured on x scaled by a power of two."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.sqrt(pairwise_sq_distances(x).max()))
    if not math.isfinite(out) and np.isfinite(x).all():
        top = float(np.max(np.abs(x)))
        k = math.frexp(top)[1] + 2 + math.ceil(math.log2(max(1, x.shape[1]))) // 2 + 1 - 500
        with np.errstate(over="ignore"):
            return float(np.ldexp(d2(np.ldexp(x, -k)), k))  # inf when the diameter itself exceeds the float range
    return out


def dcw(x: np.ndarray) -> np.ndarray:
    """Coordinate-wise diameter Dcw(x)[i] = max_j x_j[i] - min_j x_j[i] (eq. 5)."""
    x = np.asarray(x, dtype=np.float64)
    return x.max(axis=0) - x.min(axis=0)


def dcw2(x: np.ndarray) -> float:
    """Coordinate-wise l2 diameter Dcw2(x) = ||Dcw(x)||_2 (section 3.1); measured on x scaled by a
    power of two when that overflows (finite values near the float maximum)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.linalg.norm(dcw(x)))
    if not math.isfinite(out) and np.isfinite(x).all():
        top = float(np.max(np.abs(x)))
        k = math.frexp(top)[1] + 2 + math.ceil(math.log2(max(1, x.shape[1]))) // 2 + 1 - 500
        with np.errstate(over="ignore"):
            return float(np.ldexp(dcw2(np.ldexp(x, -k)), k))
    return out
