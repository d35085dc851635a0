"""Attacks: the payloads the adversary writes for its Byzantine nodes (see :mod:`nodes.adversary`).

Two registries, one per family of protocols, built here from explicit imports:

- :data:`ATTACKS`: attacks on "iterate a rule" (ICwTM, MDA, CVA, any rule) and on LEARN over it:
  :mod:`~nodes.attacks.core`, the lower-bound constructions (:mod:`~nodes.attacks.lowerbound`), the
  LEARN attacks (:mod:`~nodes.attacks.learn`), IPM and dissensus (:mod:`~nodes.attacks.gossip`) and the search
  adversary (:mod:`~nodes.attacks.search`);
  third-party attacks come under the ``jungle.attacks`` entry point group;
- :data:`BROADCAST_ATTACKS`: attacks on broadcast-based agreement (:mod:`~nodes.attacks.broadcast`,
  plus the search adversary's broadcast variant); entry point group ``jungle.broadcast_attacks``.

:data:`LEARN_BROADCAST_ATTACKS` is not a third registry: it reads :data:`ATTACKS` and offers its vector
attacks to LEARN over broadcast-based agreement, each wrapped as a protocol-following reliable
broadcaster (:mod:`~nodes.attacks.learn_broadcast`).
"""
from __future__ import annotations

from agreement.registry import Registry
from nodes.adversary import Attack
from nodes.attacks import broadcast, cga, core, gossip, learn, lowerbound, search, worstcase
from nodes.attacks.learn_broadcast import LearnOverBroadcastAttacks

ATTACKS: Registry[type[Attack]] = Registry("attack", "jungle.attacks")
for _cls in (*core.CORE, *lowerbound.LOWER_BOUND, *learn.LEARN, *gossip.GOSSIP, *cga.CGA, search.Search,
             worstcase.WorstCase):
    ATTACKS.register(_cls.name, _cls)

BROADCAST_ATTACKS: Registry[type[Attack]] = Registry("broadcast attack", "jungle.broadcast_attacks")
for _cls in (*broadcast.ATTACK_CLASSES, search.BroadcastSearch):
    BROADCAST_ATTACKS.register(_cls.name, _cls)

LEARN_BROADCAST_ATTACKS = LearnOverBroadcastAttacks(ATTACKS)

__all__ = ["ATTACKS", "BROADCAST_ATTACKS", "LEARN_BROADCAST_ATTACKS", "Attack"]
