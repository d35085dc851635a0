"""The ``[pfl]`` table of a LEARN scenario with ``learn.workload = "pfl"``: personalised learning with
rho as LEARN's parameter (poisoning paper, run decentralised)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PflSpec(BaseModel):
    """``mode = "decentralised"``: LEARN with rho as its parameter, each honest node's gradient oracle
    holding its exact local model (``"server"``, the paper's loop through the trusted-server protocol,
    waits for that protocol: issue 12)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mode: Literal["decentralised", "server"] = "decentralised"
    regularization: Literal["l2sq", "l2", "smooth_l2", "l1"] = Field(
        "l2sq", description="'l1': LICCHAVI's strategyproof form (p = 1, Delta = I, coordinate-wise queries)")
    lam: float = Field(1.0, gt=0)
    lam0: float = Field(0.1, ge=0, description="l1 only: lambda_0 of lambda_0 ||rho||^2, shared by the honest nodes")
    target: float = Field(5.0, description="theta_dagger = target * ones")
    d: int = Field(5, ge=1, le=1000)
    samples: int = Field(50, ge=1)
    noise: float = Field(0.1, ge=0)
    hetero: float = Field(1.0, ge=0)
