"""Honest input vectors of an agreement run: ``h x d`` arrays drawn from the run's input stream.

Kinds: ``gaussian`` (N(0, scale^2)), ``uniform`` (U[-scale, scale]), ``clusters`` (two clusters at
+-scale along a random direction, plus noise), ``values`` (inline rows), ``file`` (a ``.npy``), and
named constructions registered in :data:`CONSTRUCTIONS` (each a function of (n, f, q, d)).

:func:`resolve_inputs` checks the table when the scenario is resolved (before anything runs): the
kind is known, inline values and files hold h x d finite numbers of magnitude at most
:data:`~scenarios.spec.schema.MAX_INPUT` (so that differences, sums and squared distances stay finite
in float64), a file is a ``.npy`` of numbers (read without pickle), and a construction can be built.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from agreement.registry import Registry
from scenarios.errors import ScenarioError
from scenarios.spec import constructions
from scenarios.spec.schema import MAX_INPUT, InputsTable
from scenarios.spec.validation import closest

CONSTRUCTIONS: Registry[Callable[..., np.ndarray]] = Registry("input construction", "jungle.inputs")
"""Named input constructions (the lower-bound proofs' inputs, :mod:`scenarios.spec.constructions`);
third-party ones come under the ``jungle.inputs`` entry point group. Each is called with keyword
arguments ``n, f, q, d, scenario, rng`` (``scenario`` the resolved scenario, or None while it is
being resolved) and returns the ``h x d`` honest inputs."""
for _name, _fn in constructions.LOWER_BOUND.items():
    CONSTRUCTIONS.register(_name, _fn)

DRAWN = ("gaussian", "uniform", "clusters")
"""Kinds drawn from the run's input stream."""
GIVEN = ("values", "file")
"""Kinds given by the user (inline rows, a .npy file)."""


def kinds() -> list[str]:
    """Every input kind a scenario may name."""
    return [*DRAWN, *GIVEN, *sorted(CONSTRUCTIONS)]


def checked_array(x: Any, key: str, h: int, d: int) -> np.ndarray:
    """``x`` as an h x d float64 array of finite numbers of magnitude <= MAX_INPUT, else one line."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf" or arr.ndim != 2:
        what = f"{arr.ndim}-d array of {arr.dtype}" if arr.dtype.kind in "iuf" else f"array of {arr.dtype}"
        raise ScenarioError(f"{key}: expected {h} rows (h = n - f) of {d} numbers (system.dim), got an {what}")
    if arr.shape != (h, d):
        raise ScenarioError(f"{key}: expected shape ({h}, {d}) = (h = n - f, system.dim), got {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ScenarioError(f"{key}: every value must be a finite number (NaN or inf found)")
    big = float(np.abs(arr).max(initial=0.0))
    if big > MAX_INPUT:
        raise ScenarioError(f"{key}: a value of magnitude {big:.3g} > {MAX_INPUT:g}: its differences and squared "
                            f"distances would overflow float64; scale the inputs down")
    return arr


def read_npy(path: Path, h: int, d: int) -> np.ndarray:
    """The h x d inputs of a ``.npy`` file (no pickle), checked as :func:`checked_array`."""
    key = f"inputs.path {str(path)!r}"
    if path.suffix != ".npy":
        raise ScenarioError(f"{key}: only .npy files (numpy.save of one array) are read, got {path.suffix or 'no suffix'!r}")
    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ScenarioError(f"{key} does not exist") from None
    except IsADirectoryError:
        raise ScenarioError(f"{key} is a directory, not a .npy file") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ScenarioError(f"{key} cannot be read as .npy: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not isinstance(x, np.ndarray):
        raise ScenarioError(f"{key}: not one array")
    return checked_array(x, key, h, d)


def resolve_inputs(inputs: InputsTable, *, n: int, f: int, q: int, d: int, base_dir: Path | None) -> InputsTable:
    """Check the ``[inputs]`` table against the system (see the module docstring); a relative
    ``path`` becomes absolute (relative to the scenario file's directory, else the working one)."""
    h = n - f
    kind = inputs.kind
    if kind not in kinds():
        hint = closest(kind, kinds())
        raise ScenarioError(f"inputs.kind = {kind!r} is unknown{f' (did you mean {hint!r}?)' if hint else ''}; "
                            f"use one of: {', '.join(kinds())}")
    if inputs.values is not None and kind != "values":
        raise ScenarioError(f"inputs.values is only read with inputs.kind = \"values\" (here {kind!r}): remove it")
    if inputs.path is not None and kind != "file":
        raise ScenarioError(f"inputs.path is only read with inputs.kind = \"file\" (here {kind!r}): remove it")
    if kind == "values":
        if inputs.values is None:
            raise ScenarioError("inputs.values is required with inputs.kind = \"values\": one row of d numbers per honest node")
        if any(len(row) != len(inputs.values[0]) for row in inputs.values):
            raise ScenarioError("inputs.values: every row must have the same length (system.dim)")
        checked_array(inputs.values, "inputs.values", h, d)
    elif kind == "file":
        if inputs.path is None:
            raise ScenarioError("inputs.path is required with inputs.kind = \"file\": a .npy file of h x d numbers")
        p = Path(inputs.path).expanduser()
        if not p.is_absolute():
            p = (base_dir or Path.cwd()) / p
        read_npy(p, h, d)
        return inputs.model_copy(update={"path": str(p.resolve())})
    elif kind in CONSTRUCTIONS:
        build_construction(kind, n=n, f=f, q=q, d=d, scenario=None, rng=np.random.default_rng(0))
    return inputs


def build_construction(kind: str, *, n: int, f: int, q: int, d: int, scenario, rng) -> np.ndarray:
    """A named construction's h x d inputs (checked); its own errors are one line."""
    try:
        x = CONSTRUCTIONS[kind](n=n, f=f, q=q, d=d, scenario=scenario, rng=rng)
    except ScenarioError:
        raise
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"inputs.kind = {kind!r}: {exc}") from None
    return checked_array(x, f"inputs.kind = {kind!r}", n - f, d)


def make_inputs(scenario, rng: np.random.Generator) -> np.ndarray:
    """The h x d honest inputs of a resolved scenario, drawn from ``rng`` (its input stream)."""
    sysc, inp = scenario.system, scenario.inputs
    n, f, d, h = sysc.n, sysc.f, sysc.dim, sysc.h
    kind, scale = inp.kind, inp.scale
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
        return np.asarray(inp.values, dtype=np.float64)
    if kind == "file":
        return read_npy(Path(inp.path), h, d)
    return build_construction(kind, n=n, f=f, q=sysc.q, d=d, scenario=scenario, rng=rng)
