"""The ``[cga]`` table: personalised learning and the counter-gradient attack (poisoning paper)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Regularization = Literal["l2sq", "l2", "smooth_l2"]


class CgaSpec(BaseModel):
    """``experiment``: "linreg" (Theorem 4, Propositions 2-3, the Theorem 12 bound against l2),
    "model_attack" (Proposition 4 and Lemma 2's data poisoning), "single_point" (Theorem 5),
    "digits" (Figure 1's shape, softmax on sklearn's digits), "corollary2" (Corollaries 1-2)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    experiment: Literal["linreg", "model_attack", "single_point", "digits", "corollary2"] = "linreg"
    d: int = Field(5, ge=1, le=1000, description="parameter dimension (linear regression)")
    honest: int = Field(10, ge=1, le=1000, description="honest users")
    samples: int = Field(50, ge=1, description="data points per honest user")
    noise: float = Field(0.1, ge=0, description="std of the answers' noise")
    hetero: float = Field(1.0, ge=0, description="std of the honest preferred models theta_n_dagger")
    lam: float = Field(1.0, gt=0, description="lambda of the regularization R")
    eta: float | None = Field(None, gt=0, description="server learning rate; default 1/(6 lambda N), N = users in all")
    rounds: int = Field(300, ge=1, le=1_000_000)
    target: float = Field(5.0, description="theta_s_dagger = target * ones (linear regression)")
    regularizations: list[Regularization] = Field(default_factory=lambda: ["l2sq", "l2", "smooth_l2"], min_length=1)
    colluders: int = Field(1, ge=0, le=100, description="f strategic users sharing the CGA report")
    aim: Literal["global", "local"] = Field("global", description="'local': section 5.4's variant")
    local: Literal["exact", "one_step"] = Field("exact", description="honest local update per round")
    local_lr: float | None = Field(None, gt=0, description="step of the one-step local update")
    poison_sizes: list[int] = Field(default_factory=lambda: [10, 100, 1000, 10000], min_length=2,
                                    description="model_attack: answers of the poisoning dataset (Lemma 2)")
    growth_honest: list[int] = Field(default_factory=lambda: [5, 10, 20, 40], min_length=2,
                                     description="single_point: honest users for the Theta(N), Theta(N^2) growth")
    corollary_N: int = Field(11, ge=2, le=1000)
    corollary_F: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5], min_length=1)
    alpha: float = Field(1e3, gt=0, description="digits: Dirichlet(alpha) label split of the honest shards")
    target_steps: int = Field(400, ge=1, description="digits: gradient steps to learn the target model")
