"""What the cga, licchavi and gmm runners share: the checks (in the shape and with the tolerance of
:mod:`scenarios.run.checks.verdict`; a check whose premise fails is not applicable), the trace digest
of a run without a network (a blake2b digest over the run's numbers, in order), and the result's
contract keys (:func:`scenarios.run.result.digest_result`)."""
from __future__ import annotations

import hashlib
import math
from typing import Any, Iterable

import numpy as np

from scenarios.run.checks import verdict
from scenarios.run.result import digest_result
from scenarios.spec.schema import Scenario


class Digest:
    """blake2b over the numbers a run produced, fed in order: the ``trace_digest`` of a run that has
    no delivery sequence. Numbers are hashed at 10 significant digits (|x| < 1e-12 as 0), so that a
    last-bit difference of a BLAS kernel does not change the digest; strings as UTF-8. Feed primary
    outputs (trajectories, models, estimates), not residuals at rounding level."""

    def __init__(self):
        self.h = hashlib.blake2b(digest_size=32)

    def add(self, *items: Any) -> "Digest":
        for it in items:
            if isinstance(it, str):
                self.h.update(b"s" + it.encode() + b";")
                continue
            a = np.asarray(it, dtype=np.float64)
            a = np.where(np.abs(a) < 1e-12, 0.0, a)
            text = ",".join(format(float(v), ".10g") for v in a.ravel())
            self.h.update(b"a" + str(a.shape).encode() + text.encode() + b";")
        return self

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def check(holds: bool, measured: Any, bound: Any, detail: str, **extra: Any) -> dict[str, Any]:
    """A claim whose verdict combines several comparisons (``holds`` computed by the caller), in the
    shape of :mod:`scenarios.run.checks.verdict` (no single margin: ``margin`` is None)."""
    return {"holds": bool(holds), "measured": _num(measured), "bound": _num(bound), "margin": None, "detail": detail,
            **{k: _num(v) for k, v in extra.items()}}


def premise_failed(measured: Any, bound: Any, detail: str, why: str, **extra: Any) -> dict[str, Any]:
    """The claim's premise fails in this run: not applicable (never HOLDS), ``reason`` says why."""
    return verdict.not_applicable(why, detail, _num(measured), _num(bound), **{k: _num(v) for k, v in extra.items()})


def at_most(measured: float, bound: float, detail: str, **extra: Any) -> dict[str, Any]:
    """``measured <= bound`` with the one relative tolerance of :mod:`scenarios.run.checks.verdict`."""
    return _json(verdict.at_most(float(measured), float(bound), detail, **extra))


def at_least(measured: float, bound: float, detail: str, **extra: Any) -> dict[str, Any]:
    """``measured >= bound`` with the one relative tolerance of :mod:`scenarios.run.checks.verdict`."""
    return _json(verdict.at_least(float(measured), float(bound), f"{detail} (measured >= bound)", **extra))


def _json(check_: dict[str, Any]) -> dict[str, Any]:
    """The check's numbers as JSON values (NaN as None, numpy scalars and arrays as Python's)."""
    return {k: _num(v) for k, v in check_.items()}


def _num(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else v
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def result(scenario: Scenario, kind: str, digest: Digest, checks: dict[str, Any], body: dict[str, Any],
           wall: float) -> dict[str, Any]:
    """The result contract (DESIGN.md): scenario, seed, trace_digest, checks, plus the kind's object."""
    return digest_result(scenario, digest.hexdigest(), checks=checks, wall=wall, **{kind: body})


def streams(seed: int, count: int = 4) -> list[np.random.Generator]:
    """Independent generators from the master seed (SeedSequence.spawn), as the simulator does."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def floats(values: Iterable[Any]) -> list[float]:
    return [float(v) for v in values]
