"""What the theory of an algorithm says for given (n, f, q, d, t): the :class:`Theory` record.

A record is immutable (a frozen dataclass whose ``extra`` is a read-only mapping): the resolved
scenario carries it as its ``algorithm.theory`` and every consumer reads that one object.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping


@dataclass(frozen=True)
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
    headline_n: int | None = None
    """The smallest n the paper states the algorithm for (its headline threshold: ICwTM 4f + 1, MDA
    6f + 1, CVA 7f + 1, broadcast 3f + 1); the assumption behind ``holds`` may ask for more."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Further numbers of the theorem (``C_formula``, ``N_formula``, ``bound_on``, ...), read-only."""

    def __post_init__(self):
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def __getstate__(self) -> dict[str, Any]:  # a mappingproxy cannot be pickled: send a dict
        return self.as_dict()

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self.__post_init__()

    def as_dict(self) -> dict[str, Any]:
        """A plain dict copy (``extra`` as a dict), for JSON."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["extra"] = dict(self.extra)
        return out
