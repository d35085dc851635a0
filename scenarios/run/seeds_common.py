"""What the cga, licchavi and gmm runners share: the checks' shape, the trace digest of a run without
a network (a blake2b digest over the run's numbers, in order), and the result's contract keys."""
from __future__ import annotations

import hashlib
import math
from typing import Any, Iterable

import numpy as np

RESULT_VERSION = 1


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


def check(holds: bool | None, measured: Any, bound: Any, detail: str, **extra: Any) -> dict[str, Any]:
    """One claim check: ``holds`` True/False computed from the run, or None when the claim's premise
    fails (then ``premise`` says why)."""
    out: dict[str, Any] = {"holds": None if holds is None else bool(holds), "measured": _num(measured),
                           "bound": _num(bound), "detail": detail}
    out.update({k: _num(v) for k, v in extra.items()})
    return out


def premise_failed(measured: Any, bound: Any, detail: str, why: str, **extra: Any) -> dict[str, Any]:
    return check(None, measured, bound, detail, premise=f"not applicable: {why}", **extra)


def at_most(measured: float, bound: float, detail: str, **extra: Any) -> dict[str, Any]:
    return check(bool(measured <= bound), measured, bound, detail, **extra)


def at_least(measured: float, bound: float, detail: str, **extra: Any) -> dict[str, Any]:
    return check(bool(measured >= bound), measured, bound, f"{detail} (measured >= bound)", **extra)


def _num(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else v
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def result(cfg: dict[str, Any], kind: str, digest: Digest, checks: dict[str, Any], body: dict[str, Any],
           wall: float) -> dict[str, Any]:
    """The result contract (DESIGN.md): scenario, seed, trace_digest, checks, plus the kind's object."""
    return {"version": RESULT_VERSION, "scenario": {k: v for k, v in cfg.items() if not k.startswith("_")},
            "seed": cfg["scenario"]["seed"], "trace_digest": digest.hexdigest(), "checks": checks, kind: body,
            "wall_seconds": wall}


def streams(seed: int, count: int = 4) -> list[np.random.Generator]:
    """Independent generators from the master seed (SeedSequence.spawn), as the simulator does."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def floats(values: Iterable[Any]) -> list[float]:
    return [float(v) for v in values]
