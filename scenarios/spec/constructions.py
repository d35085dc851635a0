"""Named input constructions of the agreement paper's lower-bound proofs (``[inputs] kind = ...``).

Each is a function of (n, f, q, d, scenario, rng) returning the h x d honest inputs; the values lie on the
first coordinate axis (the other coordinates are 0), so D2 is the spread of the first coordinate.

- ``theorem5``: (-1 x 2f, 0 x (h - 4f), 1 x 2f) (eq. 160; h - 4f = f - 1 at n = 6f - 1).
- ``theorem4``: (0 x (q - 2f), 1 x (h + 2f - q)) (eq. 158).
- ``theorem9``: (0 x floor(h/2), 1 x ceil(h/2)) (eq. 205).
"""
from __future__ import annotations

import numpy as np

from scenarios.errors import ScenarioError


def _on_axis(values: list[float], d: int) -> np.ndarray:
    x = np.zeros((len(values), d))
    x[:, 0] = values
    return x


def theorem5(n: int, f: int, q: int, d: int, scenario=None, rng=None) -> np.ndarray:
    h = n - f
    if f < 1 or h < 4 * f:
        raise ScenarioError(f"inputs.kind = \"theorem5\" needs f >= 1 and h = n - f >= 4f (got n = {n}, f = {f})")
    return _on_axis([-1.0] * (2 * f) + [0.0] * (h - 4 * f) + [1.0] * (2 * f), d)


def theorem4(n: int, f: int, q: int, d: int, scenario=None, rng=None) -> np.ndarray:
    h = n - f
    if q - 2 * f < 1 or h + 2 * f - q < 1:
        raise ScenarioError(f"inputs.kind = \"theorem4\" needs q - 2f >= 1 and h + 2f - q >= 1 (got n = {n}, f = {f}, q = {q})")
    return _on_axis([0.0] * (q - 2 * f) + [1.0] * (h + 2 * f - q), d)


def theorem9(n: int, f: int, q: int, d: int, scenario=None, rng=None) -> np.ndarray:
    h = n - f
    if h < 2:
        raise ScenarioError("inputs.kind = \"theorem9\" needs at least 2 honest nodes")
    return _on_axis([0.0] * (h // 2) + [1.0] * (h - h // 2), d)


LOWER_BOUND = {"theorem5": theorem5, "theorem4": theorem4, "theorem9": theorem9}
