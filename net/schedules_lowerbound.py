"""Schedules of the agreement paper's lower-bound proofs (pair each with its attack in
``nodes.attacks_lowerbound``).

Both are *gated*: a message of iteration k (honest or a Byzantine slot) is delivered only once every
honest node has sent its iteration-k vector, so the Byzantine payloads are written from the whole
round (a rushing, omniscient adversary), and in a fixed order (no randomness: the proofs' schedule
is deterministic). Held messages are never picked by the schedule: with the proofs' counts every
receiver gathers q messages without them (the network's liveness rule would deliver them only if a
receiver could not progress otherwise).

- ``theorem5``: L = first 2f honest, R = last 2f, M = the rest. The last f nodes of R are never
  heard by L, the first f nodes of L never by R (eq. 161); Byzantine slots first. Nodes of M hear
  everyone, alternating L and R senders first, so that MDA's lexicographic tie rule keeps a
  symmetric subset (the proof assumes the rigorous all-minimal average; both give 0 there).
- ``theorem4``: the last h + f - q honest nodes are never heard by the first q - f (proof of
  Theorem 4); Byzantine slots first.
- ``split``: proof of Theorem 9: two groups of honest nodes, each receiver hears the Byzantine
  nodes, then its own group, then the other group (see :class:`SplitSchedule`).
"""
from __future__ import annotations

from .schedules import Schedule


class GatedSchedule(Schedule):
    name = "gated"

    def bind(self, net, rng):
        super().bind(net, rng)
        self._sent: dict[tuple[int, int], set[int]] = {}
        self._groups_ready = False
        self._cand: list = []

    def _setup(self) -> None:
        """Compute the groups (may read ``net.adversary``, e.g. for q); called once, lazily."""

    def _ensure(self) -> None:
        if not self._groups_ready:
            self._setup()
            self._groups_ready = True

    def on_submit(self, d):
        self._ensure()
        if not d.slot:
            self._sent.setdefault((d.instance, d.round), set()).add(d.sender)
        if not self.holds(d):
            self._cand.append(d)

    def ready(self, d) -> bool:
        return len(self._sent.get((d.instance, d.round), ())) >= len(self.net.honest)

    def holds(self, d) -> bool:
        return False

    def rank(self, d) -> tuple:
        return (0 if d.slot else 1, d.sender)

    def pick(self):
        self._ensure()
        best, best_key, keep = None, None, []
        done = self.net.done
        for d in self._cand:
            if not d.pending:
                continue
            keep.append(d)
            if d.receiver in done or not self.ready(d):
                continue
            key = (d.round, d.instance) + self.rank(d) + (d.receiver, d.key)
            if best_key is None or key < best_key:
                best, best_key = d, key
        self._cand = keep
        return best


class Theorem5Schedule(GatedSchedule):
    name = "theorem5"

    def _setup(self):
        hon, f = list(self.net.honest), len(self.net.byzantine)
        self.L, self.R = set(hon[: 2 * f]), set(hon[len(hon) - 2 * f :])
        self.M = set(hon) - self.L - self.R
        self.far_from_L = set(hon[len(hon) - f :])  # last f of R, never heard by L
        self.far_from_R = set(hon[:f])              # first f of L, never heard by R
        Ls, Rs, Ms = sorted(self.L), sorted(self.R), sorted(self.M)
        order = [x for pair in zip(Ls, Rs) for x in pair] + Ms
        self.m_rank = {s: i for i, s in enumerate(order)}

    def holds(self, d):
        if d.slot:
            return False
        return (d.receiver in self.L and d.sender in self.far_from_L) or (d.receiver in self.R and d.sender in self.far_from_R)

    def rank(self, d):
        if d.slot:
            return (0, d.sender)
        if d.receiver in self.M:
            return (1, self.m_rank.get(d.sender, d.sender))
        return (1, d.sender)


class Theorem4Schedule(GatedSchedule):
    name = "theorem4"

    def _setup(self):
        hon = list(self.net.honest)
        q = int(self.params.get("q", getattr(self.net.adversary, "q", len(hon))))
        f = len(self.net.byzantine)
        self.early = set(hon[: q - f])
        self.late = set(hon[q - f :])

    def holds(self, d):
        return (not d.slot) and d.sender in self.late and d.receiver in self.early


class SplitSchedule(GatedSchedule):
    """Proof of Theorem 9 (Lemma 16), deterministic: honest nodes form groups (``groups`` param,
    default the first floor(h/2) and the rest, as ``partition``); in every iteration each receiver
    gets the Byzantine slots first, then its own group, then the other groups, so that it gathers
    its own group (at least q - 2f when q <= 3f), f Byzantine vectors and only as many vectors of
    the other group as it still needs. Nothing is held back: the order alone does it. Pair it with
    the ``theorem9`` attack (or the core's ``split`` with ``split_mode = "halves"``)."""

    name = "split"

    def _setup(self):
        hon = list(self.net.honest)
        groups = self.params.get("groups") or [hon[: len(hon) // 2], hon[len(hon) // 2 :]]
        self.group_of = {i: g for g, members in enumerate(groups) for i in members}

    def rank(self, d):
        if d.slot:
            return (0, d.sender)
        same = self.group_of.get(d.sender) == self.group_of.get(d.receiver)
        return (1 if same else 2, d.sender)


SCHEDULES = {cls.name: cls for cls in (Theorem5Schedule, Theorem4Schedule, SplitSchedule)}
