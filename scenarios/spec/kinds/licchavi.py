"""The ``[licchavi]`` table: LICCHAVI's claims with exact solvers."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LicchaviSpec(BaseModel):
    """``experiment``: "manipulable" (p = 2: Theorems 6, 7, 8 and Lemma 17), "strategyproof"
    (Theorem 9 against p = 2), "byzantine" (Theorems 5, 11, 12 for Byzantine models rho*_H + M u),
    "theorem10" (the paper's non-strategyproofness instance and its true optimum)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    experiment: Literal["manipulable", "strategyproof", "byzantine", "theorem10"] = "manipulable"
    d: int = Field(5, ge=1, le=200)
    users: int = Field(11, ge=2, le=1000, description="N, strategic or Byzantine users included")
    samples: int = Field(40, ge=1, description="answers per honest user")
    noise: float = Field(0.1, ge=0)
    hetero: float = Field(1.0, ge=0, description="std of the true parameters theta_n_dagger")
    lam: float = Field(1.0, gt=0, description="lambda_n of every user")
    lam0: float = Field(0.1, gt=0, description="lambda_0")
    p0: float = Field(2.0, gt=1)
    queries: Literal["gaussian", "coordinate"] = Field("gaussian", description="'coordinate': Assumption 4")
    chi_scale: float = Field(10.0, gt=0, description="manipulable: the target chi is chi_scale times a unit vector")
    strategic_q: list[float] = Field(default_factory=lambda: [2.0, 3.0], min_length=1,
                                     description="manipulable: the strategic user's l_q norm (p_s = 2), 1 < q < inf")
    answers: list[int] = Field(default_factory=lambda: [10, 100, 1000, 10000, 100000], min_length=2,
                               description="manipulable: answers of the strategic dataset (Theorem 6)")
    misreports: int = Field(500, ge=1, description="strategyproof: misreports tried")
    byzantine: int = Field(3, ge=0, description="byzantine: F users reporting rho*_H + M u")
    magnitudes: list[float] = Field(default_factory=lambda: [10.0, 100.0, 1000.0], min_length=1)
    random_instances: int = Field(2000, ge=0, description="byzantine: random instances of Theorem 12")
    A_values: list[float] = Field(default_factory=lambda: [2.0, 5.0, 20.0], min_length=1,
                                  description="theorem10: the instance's A > 1")
