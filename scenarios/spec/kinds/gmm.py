"""The ``[gmm]`` table: robust personalised mean estimation for a Gaussian mixture."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GmmSpec(BaseModel):
    """k components N(mu_i, 1), mu_i = separation * i, (k + c) m clients, Algorithm 1 with backoff
    ``delta`` and Delta; the adversary's ``attack``; ``network``: clients send signed samples to the
    server through jungle's adversarial network (at the given m)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    k: int = Field(10, ge=1, le=1000)
    m: int = Field(20_000, ge=1)
    Delta: float = Field(3.0, gt=0)
    separation: float | None = Field(None, gt=0, description="D = |mu_i - mu_j|; default 9 Delta")
    delta: float = Field(0.05, gt=0, lt=1)
    c: float = Field(3.0, ge=0, description="corrupted mass: a client is corrupted with probability c/(k + c)")
    attack: Literal["none", "silent", "shift", "destroy", "worst", "lb"] = "silent"
    margin: float = Field(0.04, ge=0, description="destroy: extra mass over the threshold (filter noise)")
    shift_margin: float = Field(0.01, ge=0, description="shift: mass kept below the filter's threshold")
    replicates: int = Field(1, ge=1, le=1000, description="independent runs averaged (standard errors)")
    network: bool = Field(False, description="run the clients and the server on jungle's network")

    @model_validator(mode="after")
    def _m_above_m_h(self):
        m_h = 2.0 / self.delta ** 2 * math.log(self.k / self.delta)
        if self.m <= m_h:
            raise ValueError(f"m must exceed m_h = (2/delta^2) ln(k/delta) = {m_h:.0f} (Algorithm 1)")
        return self
