"""What the theory of an algorithm says for given (n, f, q, d, t): the :class:`Theory` record."""
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
