"""Theory of each algorithm, computed from (n, f, q, d, t): assumptions, e~, N(t), C.

Every algorithm module exposes ``theory(n, f, q, d, t) -> Theory``. Where the paper's assumption
cannot hold for the given parameters, ``holds`` is False and ``reason`` says which inequality fails;
no number is invented (``eps``, ``eps_tilde`` and ``C`` are then None).
"""
from __future__ import annotations

from agreement.theory import broadcast, cva, icwtm, mda
from agreement.theory.base import Theory

THEORIES = {"icwtm": icwtm.theory, "mda": mda.theory, "cva": cva.theory, "broadcast": broadcast.theory}
"""algorithm name -> ``theory(n, f, q, d, t) -> Theory``."""


def theory_for(algorithm: str, n: int, f: int, q: int, d: int, t: int) -> Theory:
    """Dispatch to the algorithm's own theory; a plain rule has none (holds False, reason given)."""
    if algorithm in THEORIES:
        return THEORIES[algorithm](n=n, f=f, q=q, d=d, t=t)
    return Theory(algorithm=algorithm, n=n, f=f, q=q, h=n - f, d=d, t=t, holds=False,
                  reason=f"no theory is known for {algorithm!r}: it is run as 'iterate a rule'")
