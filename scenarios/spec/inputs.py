"""Honest input vectors of an agreement run: ``h x d`` arrays drawn from the run's input stream.

Kinds: ``gaussian`` (N(0, scale^2)), ``uniform`` (U[-scale, scale]), ``clusters`` (two clusters at
+-scale along a random direction, plus noise), ``values`` (inline rows), ``file`` (a ``.npy``), and
named constructions registered in :data:`CONSTRUCTIONS` (each a function of (n, f, q, d, cfg)).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from agreement.registry import Registry
from scenarios.errors import ScenarioError
from scenarios.spec import constructions

CONSTRUCTIONS: Registry[Callable[..., np.ndarray]] = Registry("input construction", "jungle.inputs")
"""Named input constructions (the lower-bound proofs' inputs, :mod:`scenarios.spec.constructions`);
third-party ones come under the ``jungle.inputs`` entry point group. Each is called with keyword
arguments ``n, f, q, d, cfg, rng`` and returns the ``h x d`` honest inputs."""
for _name, _fn in constructions.LOWER_BOUND.items():
    CONSTRUCTIONS.register(_name, _fn)


def make_inputs(cfg: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    sysc, inp = cfg["system"], cfg["inputs"]
    n, f, d = sysc["n"], sysc["f"], sysc["dim"]
    h = n - f
    kind = inp.get("kind", "gaussian")
    scale = float(inp.get("scale", 1.0))
    if kind == "gaussian":
        return scale * rng.standard_normal((h, d))
    if kind == "uniform":
        return rng.uniform(-scale, scale, (h, d))
    if kind == "clusters":
        u = rng.standard_normal(d)
        u /= np.linalg.norm(u)
        signs = np.where(np.arange(h) < h // 2, -1.0, 1.0)
        return scale * signs[:, None] * u[None, :] + 0.1 * scale * rng.standard_normal((h, d))
    if kind == "values":
        x = np.asarray(inp.get("values"), dtype=np.float64)
        if x.ndim != 2 or x.shape != (h, d):
            raise ScenarioError(f"inputs.values must be {h} rows (h = n - f) of {d} numbers (system.dim), got shape {x.shape}")
        return x
    if kind == "file":
        path = inp.get("path")
        if not path:
            raise ScenarioError("inputs.path is required when inputs.kind = \"file\"")
        p = Path(path)
        if not p.is_absolute() and "_base_dir" in cfg:
            p = Path(cfg["_base_dir"]) / p
        try:
            x = np.load(p)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"inputs.path {str(p)!r} cannot be read as .npy: {exc}") from None
        if x.shape != (h, d):
            raise ScenarioError(f"inputs.path holds shape {x.shape}; expected ({h}, {d}) = (n - f, system.dim)")
        return np.asarray(x, dtype=np.float64)
    if kind in CONSTRUCTIONS:
        return np.asarray(CONSTRUCTIONS[kind](n=n, f=f, q=sysc["q"], d=d, cfg=cfg, rng=rng), dtype=np.float64)
    known = ["gaussian", "uniform", "clusters", "values", "file", *sorted(CONSTRUCTIONS)]
    raise ScenarioError(f"inputs.kind {kind!r} is unknown; use one of: {', '.join(known)}")
