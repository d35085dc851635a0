"""Theory of each algorithm, computed from (n, f, q, d, t): assumptions, e~, N(t), C.

Every algorithm module exposes ``theory(n, f, q, d, t) -> Theory``. Where the paper's assumption
cannot hold for the given parameters, ``holds`` is False and ``reason`` says which inequality fails;
no number is invented (``eps``, ``eps_tilde`` and ``C`` are then None).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Theory:
    algorithm: str
    n: int
    f: int
    q: int
    h: int
    d: int
    t: int
    holds: bool
    reason: str | None = None
    eps: float | None = None
    eps_tilde: float | None = None
    iterations: int | None = None
    """N(t), the paper's iteration count for a 2^-t contraction (None when the assumption fails)."""
    C: float | None = None
    """The averaging constant of the algorithm's theorem (None when the assumption fails)."""
    per_iteration: float | None = None
    """Bound on the per-iteration contraction factor of the diameter the proof tracks."""
    threshold: str = ""
    """The paper's resilience threshold in words, e.g. ``"n >= 4f + 1 (headline)"``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def theory_for(algorithm: str, n: int, f: int, q: int, d: int, t: int) -> Theory:
    """Dispatch to the algorithm's own theory; a plain rule has none (holds False, reason given)."""
    import importlib

    mod = {"icwtm": "icwtm", "mda": "mda", "cva": "cva", "broadcast": "broadcast"}.get(algorithm)
    if mod is not None:
        try:
            m = importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError:
            m = None
        if m is not None:
            return m.theory(n=n, f=f, q=q, d=d, t=t)
    return Theory(algorithm=algorithm, n=n, f=f, q=q, h=n - f, d=d, t=t, holds=False,
                  reason=f"no theory is known for {algorithm!r}: it is run as 'iterate a rule'")
