"""Attacks on "iterate a rule" protocols (ICwTM, MDA, CVA, any rule): the payloads the adversary
writes. See :mod:`nodes.adversary` for how to write a new one.

Every attack reads only what the adversary may read (honest vectors sent so far) and writes per
recipient where that helps it.
"""
from __future__ import annotations

import struct
from typing import Literal

import msgpack
import numpy as np
from pydantic import Field

from agreement.messages import Envelope
from net import wire
from net.keys import SIGNATURE_SIZE
from net.params import PluginParams
from nodes.adversary import Attack


def honest_vectors(adv, instance: int, round_: int) -> dict[int, np.ndarray]:
    """Each honest node's vector of this round if the adversary has seen it, else its latest one."""
    seen = adv.seen(instance, round_)
    out = {}
    for i in adv.honest:
        x = seen.get(i)
        if x is None:
            x = adv.latest.get(i)
        if x is not None:
            out[i] = x
    return out


def honest_matrix_now(adv, instance: int, round_: int) -> np.ndarray | None:
    """Honest vectors as the adversary knows them now (this round where seen, else the latest)."""
    cur = honest_vectors(adv, instance, round_)
    return np.stack(list(cur.values())) if cur else None


class Silent(Attack):
    """Byzantine nodes send nothing (``none`` is the same attack)."""

    name = "silent"
    observes = False

    def slots(self, instance, round_):
        return []


class NoAttack(Silent):
    name = "none"


class Noise(Attack):
    """Honest mean plus Gaussian noise of std ``noise_scale`` times the honest coordinate spread
    (param ``noise_scale``, default 1), drawn anew per recipient."""

    name = "noise"

    class Params(PluginParams):
        noise_scale: float = Field(1.0, ge=0.0)

    def write(self, b, r, instance, round_):
        ref = honest_matrix_now(self.adv, instance, round_)
        if ref is None:
            return []
        spread = ref.max(axis=0) - ref.min(axis=0) + 1e-12
        s = self.adv.params.noise_scale
        return [self.vec(b, instance, round_, ref.mean(axis=0) + s * spread * self.adv.rng.standard_normal(self.adv.d))]


class Far(Attack):
    """A huge vector (param ``far_value``, default 1e6 times the largest honest magnitude)."""

    name = "far"

    class Params(PluginParams):
        far_value: float | None = None
        """The value of every coordinate; None: 1e6 times the largest honest magnitude (plus 1)."""

    def write(self, b, r, instance, round_):
        ref = honest_matrix_now(self.adv, instance, round_)
        scale = 1.0 if ref is None else float(np.abs(ref).max()) + 1.0
        v = self.adv.params.far_value
        v = 1e6 * scale if v is None else v
        return [self.vec(b, instance, round_, np.full(self.adv.d, v))]


class Equivocate(Attack):
    """A different vector to each recipient: uniform per coordinate over the honest range widened by
    its own width on each side."""

    name = "equivocate"

    def write(self, b, r, instance, round_):
        ref = honest_matrix_now(self.adv, instance, round_)
        if ref is None:
            return []
        lo, hi = ref.min(axis=0), ref.max(axis=0)
        w = hi - lo
        return [self.vec(b, instance, round_, self.adv.rng.uniform(lo - w, hi + w))]


class Split(Attack):
    """Push one group of honest nodes down and the other up (proof of Theorem 9, Lemma 15's worst case).

    ``split_mode = "coordinate"`` (default): per coordinate, a recipient whose current value is at or
    below the honest midpoint gets the honest minimum, the others the honest maximum: the value sits
    at the edge where trimming keeps it. ``split_mode = "halves"``: the first floor(h/2) honest nodes
    are pushed, per coordinate, to the honest extreme on their own group's side (the side where their
    group's mean lies), the others to the opposite extreme (pair it with the ``partition`` schedule).
    ``split_push`` (default 0) moves the values further out by that fraction of the honest range.
    """

    name = "split"

    class Params(PluginParams):
        split_push: float = Field(0.0, ge=0.0)
        split_mode: Literal["coordinate", "halves"] = "coordinate"

    def write(self, b, r, instance, round_):
        adv = self.adv
        ref = honest_matrix_now(adv, instance, round_)
        if ref is None:
            return []
        lo, hi = ref.min(axis=0), ref.max(axis=0)
        push = adv.params.split_push * (hi - lo)
        lo, hi = lo - push, hi + push
        if adv.params.split_mode == "halves":
            seen = honest_vectors(adv, instance, round_)
            half = len(adv.honest) // 2
            mine = adv.honest.index(r) < half
            own_g = [x for i, x in seen.items() if (adv.honest.index(i) < half) == mine]
            other = [x for i, x in seen.items() if (adv.honest.index(i) < half) != mine]
            if not own_g or not other:
                return [self.vec(b, instance, round_, lo if mine else hi)]
            below = np.mean(own_g, axis=0) <= np.mean(other, axis=0)
            return [self.vec(b, instance, round_, np.where(below, lo, hi))]
        own = adv.seen(instance, round_).get(r, adv.latest.get(r))
        if own is None:
            own = ref.mean(axis=0)
        mid = 0.5 * (ref.min(axis=0) + ref.max(axis=0))
        return [self.vec(b, instance, round_, np.where(own <= mid, lo, hi))]


class Garbage(Attack):
    """Malformed and mis-signed bytes of every kind the validator must reject, one of each per slot:
    random bytes, a truncated message, a flipped byte (bad signature), a message signed with the
    Byzantine key that claims an honest sender, NaN and inf vectors, a wrong shape, a wrong dtype,
    an unknown sender, an oversized message, a replay of an honest message, and a round far out of
    range. Each is counted under its reason; none may crash a node."""

    name = "garbage"

    def bind(self, adv):
        super().bind(adv)
        adv.keep_history = True

    def write(self, b, r, instance, round_):
        adv, d, rng = self.adv, self.adv.d, self.adv.rng
        signer = adv.signers[b]
        good = wire.encode(self.vec(b, instance, round_, np.zeros(d)), signer)
        out: list[bytes] = [rng.bytes(int(rng.integers(1, 200)))]                       # undecodable
        out.append(good[: len(good) // 2])                                              # truncated
        flipped = bytearray(good)
        flipped[len(flipped) - SIGNATURE_SIZE - 1] ^= 0x01
        out.append(bytes(flipped))                                                      # bad_signature
        victim = adv.honest[0]
        forged = wire.encode_unsigned(self.vec(victim, instance, round_, np.zeros(d)))
        out.append(forged + signer.sign(forged))                                        # claims honest sender
        for bad in (np.full(d, np.nan), np.full(d, np.inf)):                            # non_finite
            out.append(wire.encode(self.vec(b, instance, round_, bad), signer))
        out.append(wire.encode(self.vec(b, instance, round_, np.zeros(d + 1)), signer))  # wrong_shape
        out.append(self._wrong_dtype(b, instance, round_, d, signer))                   # wrong_dtype
        unknown = wire.encode_unsigned(Envelope(self.kind, adv.n + 7, round_, instance, {"x": np.zeros(d)}))
        out.append(unknown + signer.sign(unknown))                                      # unknown_sender
        big = wire.encode_unsigned(Envelope(self.kind, b, round_, instance, {"x": np.zeros(d), "pad": b"\0" * (8 * d + 80_000)}))
        out.append(big + signer.sign(big))                                              # oversized
        out.append(wire.encode(Envelope("NOPE", b, round_, instance, {}), signer))      # bad_schema
        out.append(wire.encode(self.vec(b, instance, 10**9, np.zeros(d)), signer))      # round_out_of_range
        if adv.history:                                                                 # replay
            out.append(adv.history[int(rng.integers(len(adv.history)))][2])
        return out

    def _wrong_dtype(self, b, instance, round_, d, signer) -> bytes:
        header = msgpack.packb([wire.VERSION, self.kind, b, round_, instance, {}, [["x", "<f4", [d]]]], use_bin_type=True)
        body = struct.pack("<I", len(header)) + header + np.zeros(d, dtype="<f4").tobytes()
        return body + signer.sign(body)


CORE = (NoAttack, Silent, Noise, Far, Equivocate, Split, Garbage)
