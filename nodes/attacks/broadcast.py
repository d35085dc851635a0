"""The attacks aimed at broadcast-based agreement (agreement paper, section 6); the protocol
adapter and its checks are in :mod:`scenarios.run.protocols.broadcast`.

Attacks (``adversary.attack``), each a :class:`BroadcastAttack`: a Byzantine identity that follows
the protocol (echoes and readies the honest values it has seen, reliably broadcasts a value of its
own, reports) except where the attack deviates:

- ``none`` / ``silent``: no Byzantine message at all;
- ``follow``: Byzantine nodes follow the protocol with a value far outside the honest box;
- ``equivocate``: different INITIAL (and ECHO/READY) to different honest nodes;
- ``fake-echo``: ECHO/READY for values never sent, on honest instances and on its own;
- ``partial``: the Byzantine broadcaster reaches only f + 1 honest nodes (INITIAL, ECHO, READY);
- ``fake-report``: REPORTs naming values that were never broadcast;
- ``withhold-report``: participates but never sends a REPORT;
- ``replay``: replays honest and own messages of earlier iterations, and re-broadcasts a stale value;
- ``forged-sender``: messages signed with a Byzantine key that claim an honest sender, and INITIALs
  for an honest broadcaster's instance;
- ``theorem7``: the proof of Theorem 7 (n <= 3f; pair it with the ``partition`` schedule): the
  Byzantine nodes act, towards each half of the honest nodes, like honest nodes of that half whose
  values make the half output what the adversary dictates.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from agreement.broadcast import ECHO, INITIAL, READY, REPORT, digest
from agreement.messages import BROADCAST, Envelope
from net import wire
from net.params import PluginParams
from nodes.adversary import Attack


# ------------------------------------------------------------------------------------------------
# attacks
# ------------------------------------------------------------------------------------------------
class BroadcastAttack(Attack):
    """Base: a protocol-following Byzantine identity with hooks. It also counts the honest traffic
    it observes per iteration and kind (the message-complexity table)."""

    name = "follow"
    kind = INITIAL
    report = True
    help_honest = True

    def bind(self, adv):
        super().bind(adv)
        self.initials: dict[tuple[int, int], tuple[np.ndarray, bytes]] = {}
        """(k, honest s) -> (x, digest) of every honest INITIAL observed."""
        self.sent: dict[tuple[int, int, int], set] = defaultdict(set)
        self.values: dict[tuple[int, int, int], np.ndarray | None] = {}
        self.count: dict[tuple[int, str], int] = defaultdict(int)
        self.nbytes: dict[tuple[int, str], int] = defaultdict(int)
        self.h_index = {r: i for i, r in enumerate(adv.honest)}
        self.latest_initial: dict[int, tuple[int, np.ndarray]] = {}
        observe = adv.observe

        def observing(sender, to, env, data):
            recipients = adv.n - 1 if to == BROADCAST else 1
            self.count[(env.round, env.kind)] += recipients
            self.nbytes[(env.round, env.kind)] += recipients * len(data)
            if env.kind == INITIAL and env.instance == sender + 1:
                x = env.payload["x"]
                self.initials[(env.round, sender)] = (x, digest(x))
                if env.round >= self.latest_initial.get(sender, (-1, None))[0]:
                    self.latest_initial[sender] = (env.round, x)
            observe(sender, to, env, data)

        adv.observe = observing

    # -- what the honest nodes did --------------------------------------------------------------
    def honest_seen(self, k: int) -> list[int]:
        return [s for s in self.adv.honest if (k, s) in self.initials]

    def honest_box(self, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        seen = self.honest_seen(k)
        if not seen:
            return None
        X = np.stack([self.initials[(k, s)][0] for s in seen])
        return X.min(axis=0), X.max(axis=0)

    # -- hooks ----------------------------------------------------------------------------------
    def own_value(self, b: int, r: int, k: int) -> np.ndarray | None:
        """The value Byzantine b reliably broadcasts to honest r in iteration k (None: nothing)."""
        box = self.honest_box(k)
        if box is None:
            return None
        lo, hi = box
        return hi + 3.0 * (hi - lo) + 1.0

    def _value(self, b: int, r: int, k: int) -> np.ndarray | None:
        key = (b, r, k)
        if key not in self.values:
            v = self.own_value(b, r, k)
            if v is None:
                return None  # decide later, when more is known
            self.values[key] = np.asarray(v, dtype=np.float64)
        return self.values[key]

    def echo_honest(self, b: int, r: int, k: int, s: int) -> list[Envelope]:
        x, dg = self.initials[(k, s)]
        return [Envelope(ECHO, b, k, s + 1, {"x": x}), Envelope(READY, b, k, s + 1, {"dg": dg})]

    def report_pairs(self, b: int, r: int, k: int) -> list[tuple[int, bytes]] | None:
        pairs = [(s, self.initials[(k, s)][1]) for s in self.honest_seen(k)]
        for b2 in self.adv.byzantine:
            v = self.values.get((b2, r, k))
            if v is not None:
                pairs.append((b2, digest(v)))
        need = self.adv.n - self.adv.f
        if len(pairs) < need:
            return None
        byz = [p for p in pairs if p[0] in self.adv.byzantine]
        return sorted((byz + [p for p in pairs if p[0] not in self.adv.byzantine])[:need])

    def extra(self, b: int, r: int, instance: int, k: int) -> list[Envelope | bytes]:
        return []

    # -- the Attack interface -------------------------------------------------------------------
    def write(self, b, r, instance, k):
        st = self.sent[(b, r, k)]
        out: list[Envelope | bytes] = []
        for b2 in self.adv.byzantine:  # every Byzantine identity's value for r, echoed by b
            v = self._value(b2, r, k)
            if v is None or ("own", b2) in st:
                continue
            st.add(("own", b2))
            if b2 == b:
                out.append(Envelope(INITIAL, b, k, b + 1, {"x": v}))
            out.append(Envelope(ECHO, b, k, b2 + 1, {"x": v}))
            out.append(Envelope(READY, b, k, b2 + 1, {"dg": digest(v)}))
        if self.help_honest:
            for s in self.honest_seen(k):
                if ("echo", s) not in st:
                    st.add(("echo", s))
                    out.extend(self.echo_honest(b, r, k, s))
        if self.report and "report" not in st:
            pairs = self.report_pairs(b, r, k)
            if pairs is not None:
                st.add("report")
                out.append(Envelope(REPORT, b, k, 0, {"ids": [p[0] for p in pairs],
                                                       "dgs": b"".join(p[1] for p in pairs)}))
        out.extend(self.extra(b, r, instance, k))
        return out


class Silent(BroadcastAttack):
    name = "silent"

    def slots(self, instance, round_):
        return []


class NoAttack(Silent):
    name = "none"


class Equivocate(BroadcastAttack):
    """A different INITIAL to each honest node: far below the honest box for even-indexed
    recipients, far above for odd ones; the Byzantine nodes echo and ready, to each recipient, the
    value it got. Reliable broadcast lets at most one of them be delivered."""

    name = "equivocate"

    def own_value(self, b, r, k):
        box = self.honest_box(k)
        if box is None:
            return None
        lo, hi = box
        w = hi - lo + 1.0
        return lo - 2.0 * w if self.h_index[r] % 2 == 0 else hi + 2.0 * w


class FakeEcho(BroadcastAttack):
    """ECHO and READY for values never sent: on each honest instance, a made-up vector (far from the
    honest box) and its digest; on its own instance, READYs for a digest whose vector nobody ever
    sent, and no INITIAL."""

    name = "fake-echo"

    def own_value(self, b, r, k):
        return None

    def echo_honest(self, b, r, k, s):
        x, _ = self.initials[(k, s)]
        fake = x + 100.0 * (1.0 + np.abs(x))
        return [Envelope(ECHO, b, k, s + 1, {"x": fake}), Envelope(READY, b, k, s + 1, {"dg": digest(fake)})]

    def extra(self, b, r, instance, k):
        st = self.sent[(b, r, k)]
        if "ghost" in st:
            return []
        st.add("ghost")
        ghost = digest(np.full(self.adv.d, float(1000 + b + 7 * k)))
        return [Envelope(READY, b, k, b2 + 1, {"dg": ghost}) for b2 in self.adv.byzantine]


class Partial(BroadcastAttack):
    """The Byzantine broadcaster reaches only f + 1 honest nodes (the first ones): INITIAL, ECHO and
    READY go to them alone. They deliver; totality says every honest node must then deliver too."""

    name = "partial"

    def own_value(self, b, r, k):
        if self.h_index[r] > self.adv.f:
            return None
        box = self.honest_box(k)
        if box is None:
            return None
        lo, hi = box
        return lo - (hi - lo) - 1.0

    def _value(self, b, r, k):
        if self.h_index[r] > self.adv.f:
            return None
        return super()._value(b, r, k)


class FakeReport(BroadcastAttack):
    """REPORTs naming values that were never broadcast: Byzantine instances that never existed and
    honest instances with a wrong digest. No Byzantine value is broadcast."""

    name = "fake-report"

    def own_value(self, b, r, k):
        return None

    def report_pairs(self, b, r, k):
        need = self.adv.n - self.adv.f
        pairs = [(b2, digest(np.full(self.adv.d, -1e9 - b2))) for b2 in self.adv.byzantine]
        for s in self.adv.honest:
            if len(pairs) >= need:
                break
            pairs.append((s, digest(np.full(self.adv.d, 1e9 + s + k))))
        return sorted(pairs[:need])


class WithholdReport(BroadcastAttack):
    """Participates in every reliable broadcast (its value far above the honest box) but never
    sends a REPORT."""

    name = "withhold-report"
    report = False


class Replay(BroadcastAttack):
    """Replays from earlier iterations: a few honest and own signed messages of iterations < k,
    verbatim, per slot; and, as its own value in iteration k, the honest input vector of iteration 0
    it saw first (a stale value, legitimately signed by the Byzantine node)."""

    name = "replay"

    def bind(self, adv):
        super().bind(adv)
        adv.keep_history = True
        self.own_sent: list[tuple[int, bytes]] = []
        self._older: dict[int, tuple[list, int, list, int]] = {}

    def _before(self, k: int) -> tuple[list[bytes], list[bytes]]:
        """(honest messages of iterations < k in the order observed, own ones likewise): kept per k
        and extended with what arrived since (both sources only grow), not rebuilt per slot."""
        old, seen, own, seen_own = self._older.get(k, ([], 0, [], 0))
        history = self.adv.history
        old.extend(data for (_, env, data) in history[seen:] if env.round < k)
        own.extend(data for (kk, data) in self.own_sent[seen_own:] if kk < k)
        self._older[k] = (old, len(history), own, len(self.own_sent))
        return old, own

    def own_value(self, b, r, k):
        if k == 0:
            return super().own_value(b, r, k)
        box0 = self.honest_seen(0)
        if not box0:
            return None
        return self.initials[(0, box0[(b + k) % len(box0)])][0]

    def write(self, b, r, instance, k):
        envs = super().write(b, r, instance, k)
        out: list[Envelope | bytes] = []
        for e in envs:
            data = self.adv.sign(b, e)
            self.own_sent.append((e.round, data))
            out.append(data)
        old, old_own = self._before(k)
        rng = self.adv.rng
        for pool in (old, old_own):
            if pool:
                for i in rng.integers(len(pool), size=min(3, len(pool))):
                    out.append(pool[int(i)])
        return out


class ForgedSender(BroadcastAttack):
    """Messages signed with the Byzantine key that claim an honest sender (rejected: bad_signature),
    and INITIALs signed by the Byzantine node for an honest broadcaster's instance (rejected:
    not_broadcaster). Otherwise follows the protocol."""

    name = "forged-sender"

    def extra(self, b, r, instance, k):
        st = self.sent[(b, r, k)]
        if "forged" in st or not self.adv.honest:
            return []
        st.add("forged")
        signer = self.adv.signers[b]
        victim = self.adv.honest[(b + k) % len(self.adv.honest)]
        x = np.full(self.adv.d, 1e6)
        out: list[Envelope | bytes] = []
        for env in (Envelope(INITIAL, victim, k, victim + 1, {"x": x}),
                    Envelope(ECHO, victim, k, victim + 1, {"x": x}),
                    Envelope(READY, victim, k, victim + 1, {"dg": digest(x)})):
            body = wire.encode_unsigned(env)
            out.append(body + signer.sign(body))
        out.append(Envelope(INITIAL, b, k, victim + 1, {"x": x}))
        return out


class Theorem7(BroadcastAttack):
    """Proof of Theorem 7 (n <= 3f), with the ``partition`` schedule: honest nodes are split into
    halves A (first floor(h/2)) and B; towards each half the Byzantine nodes behave like honest nodes
    of that half (echo, ready and report the half's values) whose own values dictate the half's
    output. With m = 2f values (f honest, f Byzantine) a node trims f - 1 per side and takes the
    midpoint of [z, min x_A] (A) or [max x_B, z] (B); z is chosen so that A outputs
    min x_A - push * w and B outputs max x_B, w the honest coordinate spread of the latest values
    (param ``theorem7_push``, default 1): the halves never come together and the mean drifts."""

    name = "theorem7"

    class Params(PluginParams):
        theorem7_push: float = 1.0

    def half(self, r: int) -> list[int]:
        h = len(self.adv.honest)
        return self.adv.honest[: h // 2] if self.h_index[r] < h // 2 else self.adv.honest[h // 2:]

    def honest_seen(self, k):
        return self._r_half_seen

    def own_value(self, b, r, k):
        half = self.half(r)
        if not all((k, s) in self.initials for s in half):
            return None
        X = np.stack([self.initials[(k, s)][0] for s in half])
        L = np.stack([self.latest_initial[s][1] for s in sorted(self.latest_initial)])
        w = L.max(axis=0) - L.min(axis=0) + 1e-9
        push = self.adv.params.theorem7_push
        if half[0] == self.adv.honest[0]:  # half A: output min x_A - push w (z below every x_A)
            m = X.min(axis=0)
            return 2.0 * (m - push * w) - m
        return X.max(axis=0)  # half B: output max x_B (z at the top of B)

    def write(self, b, r, instance, k):
        self._r_half_seen = [s for s in self.half(r) if (k, s) in self.initials]
        return super().write(b, r, instance, k)


ATTACK_CLASSES = (
    NoAttack, Silent, BroadcastAttack, Equivocate, FakeEcho, Partial, FakeReport, WithholdReport, Replay,
    ForgedSender, Theorem7)
