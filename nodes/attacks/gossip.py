"""Two attacks of the decentralised learning literature, on any VEC protocol (LEARN's two phases
included): inner-product manipulation and dissensus.

* ``ipm``: inner-product manipulation (Xie, Koyejo and Gupta, "Fall of Empires: Breaking
  Byzantine-tolerant SGD by Inner Product Manipulation", UAI 2019): every Byzantine node sends
  B = -eps s, s the mean of the honest vectors of the same (instance, round) seen so far (param
  ``ipm_eps``, default 0.1 as in that paper and in the ClippedGossip authors' code), so that
  <mean of the aggregate, s> turns negative once the rule lets the f copies weigh enough. It is the
  NNM paper's FOE primitive B = s + eta (-s) with eta = 1 + eps (``foe`` with ``foe_eta = 1.1`` is the
  same vector); it is registered under its own name and parameter for the tables of the
  decentralised papers.
* ``dissensus``: the ClippedGossip paper's attack (He, Karimireddy and Jaggi, "Byzantine-robust
  decentralized learning via ClippedGossip", 2022, section 4: "dissensus"), which pushes honest
  neighbours apart. To recipient r it sends B_r = x_r - eps sum_{k in H_r} W_rk (x_k - x_r) / sum_{b in B}
  W_rb: with r's own vector x_r and uniform weights 1/q over the q vectors r gathers, of which f are
  Byzantine and k = q - f - 1 honest others (q - f without the own vector), this is
  B_r = x_r - eps (k / f) (m_r - x_r), m_r the mean of the honest vectors of the same (instance,
  round) other than r's seen so far (those r will gather are not known when the message is written).
  Under plain averaging, r's next vector is then x_r + (1 - eps) (k / q) (m_r - x_r): eps = 1 cancels
  the honest pull, eps > 1 pushes r away from its honest neighbours. Param ``dissensus_eps``
  (default 1.5). x_r is r's vector of this (instance, round) if seen, else the last one r sent; when
  the adversary knows neither x_r nor another honest vector, or r is not an honest peer (the trusted
  server of the ``server`` protocol), it sends nothing.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from net.params import PluginParams
from nodes.adversary import Attack
from nodes.attacks.learn import honest_matrix

MAX_EPS = 1e6
"""Largest eps of ``ipm`` and ``dissensus``: beyond it the Byzantine vectors overflow float64 within a
few rounds (and every honest node would refuse them)."""


class Ipm(Attack):
    """B = -eps s, the same vector to every recipient (module docstring)."""

    name = "ipm"

    class Params(PluginParams):
        ipm_eps: float = Field(0.1, ge=0.0, le=MAX_EPS, description="eps of B = -eps s (Xie et al.: 0.1)")

    def write(self, b, r, instance, round_):
        X = honest_matrix(self.adv, instance, round_)
        if X is None:
            return []
        eps = self.adv.params.ipm_eps
        return [self.vec(b, instance, round_, -eps * X.mean(axis=0))]


class Dissensus(Attack):
    """B_r = x_r - eps (k / f) (m_r - x_r), per recipient r (module docstring)."""

    name = "dissensus"

    class Params(PluginParams):
        dissensus_eps: float = Field(1.5, ge=0.0, le=MAX_EPS,
                                     description="eps of B_r = x_r - eps (k / f) (m_r - x_r); > 1 pushes r away")

    def _others(self, r: int, instance: int, round_: int) -> np.ndarray | None:
        adv = self.adv
        for rr in (round_, round_ - 1):
            if rr < 0:
                continue
            s = adv.seen(instance, rr)
            rows = [s[k] for k in sorted(s) if k != r]
            if rows:
                return np.stack(rows)
        return None

    def write(self, b, r, instance, round_):
        adv = self.adv
        if r not in adv.honest:  # e.g. the trusted server: no neighbour to push it away from
            return []
        x_r = adv.seen(instance, round_).get(r, adv.latest.get(r))
        others = self._others(r, instance, round_)
        if x_r is None or others is None:
            return []
        k = adv.q - adv.f - (1 if adv.context.include_self else 0)
        eps = adv.params.dissensus_eps
        m = others.mean(axis=0)
        return [self.vec(b, instance, round_, x_r - eps * (k / max(adv.f, 1)) * (m - x_r))]


GOSSIP = (Ipm, Dissensus)
