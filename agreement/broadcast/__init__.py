"""Broadcast-based averaging agreement (agreement paper, section 6): Bracha reliable broadcast
(:mod:`.rb`), the witness technique (:mod:`.witness`) and the per-node machine (:mod:`.machine`)."""
from agreement.broadcast.machine import ECHO, INITIAL, KINDS, READY, REPORT, BroadcastAgreement
from agreement.broadcast.rb import DIGEST_SIZE, RBInstance, Thresholds, digest

__all__ = ["BroadcastAgreement", "RBInstance", "Thresholds", "digest", "DIGEST_SIZE",
           "INITIAL", "ECHO", "READY", "REPORT", "KINDS"]
