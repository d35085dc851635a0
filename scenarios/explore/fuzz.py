"""``jungle fuzz``: mutate signed messages and protocol messages, feed them to the validator and to
each protocol's machines, and check the four promises (issue 12, item 6):

1. no exception escapes the validator (:meth:`net.validate.Verifier.check`, for ANY object) or a
   machine (``feed`` of what the validator accepted);
2. no forgery is accepted: an accepted message that claims an honest sender is byte for byte one
   that honest sender signed;
3. no non-canonical encoding is accepted: an accepted message is byte for byte what the encoder
   writes for its content (fields in the schema's order), plus its signature;
4. every machine stays within its stated memory bound (``memory_bound()``, a formula in n, f, d and
   its window) whatever it is fed: ``agreement.footprint.deep_size`` is measured at checkpoints.

For each protocol (iterate a rule, broadcast-based agreement, LEARN over both, and every protocol
plugin of :data:`scenarios.run.protocols.PROTOCOLS`), the engine first runs the honest machines among
themselves (no network, FIFO) to collect a corpus of real honest messages, and builds a pool of
protocol-level messages signed with the Byzantine keys: far-future and negative rounds, unknown
instances, digests and kinds, ECHOs and REPORTs of values never sent, non-finite and huge vectors,
wrong sizes, replays and duplicates. Each of ``count`` mutations then draws an operator:

bit flips, truncation, extension, random bytes, header length lies, wrong types in the header
(round as a bool, a float, a string, negative or huge; kind as an integer; ...), integers in a
longer msgpack form, a repeated field, an extra field, bytes between the vectors and the signature
(re-signed), bytes after the signature, re-signing with a Byzantine key while claiming an honest
sender, signature tweaks (a flipped bit, zeros, another message's), non-bytes (bytearray,
memoryview, str, None, an int, a list, a bytes subclass that claims to equal everything), and the
protocol-level pool.

Speed: operators are drawn in numpy batches; signatures are verified once per distinct message (the
verifier's cache), most mutations are refused by the cheap checks before any signature is verified,
and protocol-level messages are signed once at setup.
"""
from __future__ import annotations

import random
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import msgpack
import numpy as np

from agreement.footprint import deep_size
from agreement.learn import LearnMachine, avg_builder, tau
from agreement.messages import Envelope
from agreement.rules import get_rule
from agreement.server import ServerMachine, WorkerMachine
from net import wire
from net.keys import SIGNATURE_SIZE, Keyring
from net.validate import Verifier, in_canonical_order
from scenarios.errors import ScenarioError
from scenarios.run.protocols import PROTOCOLS, protocol_for
from scenarios.run.protocols.server import ServerProtocol
from scenarios.spec.resolve import resolve

_U32 = struct.Struct("<I")

OPERATORS = ("bitflip", "truncate", "extend", "random", "length_lie", "wrong_type", "long_int", "repeat_field",
             "extra_field", "pad_inside", "pad_after", "claim_honest", "sig_flip", "sig_zero", "sig_swap",
             "not_bytes", "protocol", "protocol", "protocol", "protocol", "replay")
"""The mutation operators (``protocol`` weighted 4 times: the machines get a steady diet)."""
RESIGNING = frozenset(("wrong_type", "long_int", "repeat_field", "extra_field", "pad_inside", "claim_honest"))
"""Operators that sign what they build (with a Byzantine key)."""


class _Liar(bytes):
    """A bytes subclass that claims to equal every message (a cache-poisoning attempt)."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


@dataclass
class Target:
    """One protocol under fuzz: its parameters, schemas and a factory of honest machines."""

    name: str
    n: int
    f: int
    d: int
    schemas: dict[str, dict[str, Any]]
    machine: Callable[[int], Any]
    instances: tuple[int, ...] = (0,)
    """Instance ids the honest traffic uses (to derive unknown ones)."""


@dataclass
class Report:
    protocol: str
    count: int = 0
    seconds: float = 0.0
    accepted: int = 0
    fed: int = 0
    rejected: Counter = field(default_factory=Counter)
    """Validator and machine rejections by reason."""
    escaped: Counter = field(default_factory=Counter)
    forgeries: int = 0
    non_canonical: int = 0
    honest_refused: int = 0
    """Honest corpus messages the validator refused (an encoder/validator mismatch)."""
    memory: list[dict[str, Any]] = field(default_factory=list)
    operators: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        out = []
        if self.escaped:
            out.append(f"{sum(self.escaped.values())} escaped exception(s): {dict(self.escaped)}")
        if self.forgeries:
            out.append(f"{self.forgeries} forged message(s) accepted")
        if self.non_canonical:
            out.append(f"{self.non_canonical} non-canonical encoding(s) accepted")
        if self.honest_refused:
            out.append(f"{self.honest_refused} honest message(s) refused")
        for m in self.memory:
            if m["bound"] is not None and m["max_bytes"] > m["bound"]:
                out.append(f"machine {m['machine']} held {m['max_bytes']} bytes > its bound {m['bound']}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "count": self.count, "seconds": self.seconds, "accepted": self.accepted,
                "fed": self.fed, "rejected": {str(k): int(v) for k, v in sorted(self.rejected.items())},
                "escaped": dict(self.escaped), "forgeries": self.forgeries, "non_canonical": self.non_canonical,
                "honest_refused": self.honest_refused, "memory": self.memory,
                "operators": dict(sorted(self.operators.items())), "violations": self.violations(),
                "examples": self.examples[:10]}


# --------------------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------------------
def _cfg(algorithm: str, n: int, f: int, d: int, **alg):
    return resolve({"scenario": {"name": f"fuzz-{algorithm}", "seed": 1},
                    "system": {"n": n, "f": f, "dim": d},
                    "algorithm": {"name": algorithm, "t": 2, "allow_below_threshold": True, **alg},
                    "adversary": {"attack": "silent", "schedule": "fifo"}})


def _adapter_target(name: str, scenario) -> Target:
    proto = protocol_for(scenario)
    s = scenario.system
    d = s.dim
    x0 = np.random.default_rng(7).standard_normal((s.n, d))
    return Target(name, s.n, s.f, d, proto.schemas(d), lambda i: proto.machine(i, x0[i], None),
                  instances=tuple(range(s.n + 1)) if name == "broadcast" else (0,))


def _learn_target(name: str, algorithm: str, n: int, f: int, d: int, T: int = 3) -> Target:
    q = n - f
    if algorithm == "broadcast":
        builder = avg_builder("broadcast", n=n, f=f, rule="trimmed_middle")
        schemas = protocol_for(_cfg("broadcast", n, f, d)).schemas(d)
    else:
        builder = avg_builder(algorithm, n=n, f=f, q=q, include_self=True, rule="cwtm")
        schemas = protocol_for(_cfg("icwtm", n, f, d)).schemas(d)
    x = np.random.default_rng(11).standard_normal((n, d))
    theta1 = np.zeros(d)

    def machine(i: int) -> LearnMachine:
        return LearnMachine(i, theta1, lambda theta, t, _i=i: theta - x[_i], T=T, eta=0.5, avg=builder,
                            iterations=lambda t, phase: max(1, tau(t)) if phase == 0 else 1)
    span = int(getattr(builder, "span", 1))
    return Target(name, n, f, d, schemas, machine, instances=tuple(range(2 * span, (2 * T + 2) * span)))


def _server_target(n: int = 7, f: int = 1, d: int = 4, T: int = 3) -> Target:
    """The trusted server (``algorithm.name = "server"``) and its workers: here the server is node 0
    (honest), workers 1..n-1, the last f Byzantine (the fuzzer's honest ids are 0..n-f-1)."""
    workers = list(range(1, n))
    x = np.random.default_rng(13).standard_normal((n, d))
    rule = get_rule("cwtm")

    def machine(i: int):
        if i == 0:
            return ServerMachine(0, np.zeros(d), workers=workers, f=f, q=len(workers) - f, rule=rule, T=T, eta=0.5)
        return WorkerMachine(i, 0, lambda theta, t, _i=i: theta - x[_i], T=T, eta=0.5)
    return Target("server", n, f, d, ServerProtocol.schemas(None, d), machine, instances=tuple(range(1, 2 * T + 3)))


BUILTIN = ("iterate", "broadcast", "learn", "learn-broadcast")


def target_names() -> list[str]:
    """The shipped protocols and every protocol plugin registered in PROTOCOLS."""
    return list(BUILTIN) + [p for p in PROTOCOLS.names() if p not in BUILTIN]


def make_target(name: str) -> Target:
    if name in ("iterate", "icwtm"):
        return _adapter_target("iterate", _cfg("icwtm", 7, 1, 4))
    if name == "broadcast":
        return _adapter_target("broadcast", _cfg("broadcast", 4, 1, 4))
    if name == "learn":
        return _learn_target("learn", "icwtm", 7, 1, 4)
    if name == "learn-broadcast":
        return _learn_target("learn-broadcast", "broadcast", 4, 1, 3)
    if name == "server":
        return _server_target()
    if name in PROTOCOLS:
        return _adapter_target(name, _cfg(name, 7, 1, 4, rule="cwtm"))
    raise ScenarioError(f"--protocol {name!r} is unknown; known: {', '.join(target_names())}")


# --------------------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------------------
class Fuzzer:
    def __init__(self, target: Target, seed: int = 0, machines: int = 3):
        self.t = target
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.keys = Keyring(seed + 1000, target.n)
        self.h = target.n - target.f
        self.honest = list(range(self.h))
        self.byzantine = list(range(self.h, target.n))
        self.verifier = Verifier(self.keys, target.d, target.schemas)
        self.report = Report(target.name)
        self.legit: set[bytes] = set()
        """Every message an honest signer produced (what an accepted honest-claimed message must be)."""
        self.corpus: list[bytes] = []
        self.feeds: dict[int, list[bytes]] = {i: [] for i in self.honest}
        self._honest_run()
        if len(self.corpus) < 16:  # a protocol that says little on its own: messages built from its schemas
            self._schema_corpus()
        self.pool = self._protocol_pool(4000)
        self.sources = self.corpus + self.pool[:1000]
        self.resign_sources = self.rng.sample(self.sources, min(256, len(self.sources)))
        """What the re-signing operators start from (a sample: each variant is signed once and drawn again)."""
        self._signed: dict[tuple[bytes, int], bytes] = {}
        self.machines = self._targets(machines)

    # -- setup ----------------------------------------------------------------------------------
    def _sign(self, node: int, env: Envelope) -> bytes:
        env = in_canonical_order(env, self.verifier.order.get(env.kind))
        return wire.encode(env, self.keys.signer(node))

    def _honest_run(self, limit: int = 20_000) -> None:
        """The honest machines among themselves, FIFO: the corpus of real honest messages."""
        ms = {i: self.t.machine(i) for i in self.honest}
        queue: list[tuple[int, bytes]] = []
        head = 0

        def emit(i, step):
            for out in step.send:
                data = self._sign(i, out.envelope)
                if data not in self.legit:
                    self.legit.add(data)
                    self.corpus.append(data)
                targets = self.honest if out.to < 0 else [out.to]
                queue.extend((j, data) for j in targets if j != i)
        for i in self.honest:
            emit(i, ms[i].start())
        while head < len(queue) and head < limit:
            j, data = queue[head]
            head += 1
            env, reason = self.verifier.check(data)
            if env is None:
                self.report.honest_refused += 1
                continue
            self.feeds[j].append(data)
            emit(j, ms[j].feed(env))

    def _schema_corpus(self) -> None:
        """Well-formed messages of every kind, rounds 0-3, from every node, built from the schemas."""
        for kind, schema in self.t.schemas.items():
            for rnd in range(4):
                for inst in self.t.instances[:2]:
                    for node in range(self.t.n):
                        env = Envelope(kind, node, rnd, inst, {k: self._value(spec) for k, spec in schema.items()})
                        data = self._sign(node, env)
                        self.legit.add(data)
                        self.corpus.append(data)

    def _protocol_pool(self, size: int) -> list[bytes]:
        """Protocol-level messages, signed by the Byzantine keys and by every other key (and honest
        replays)."""
        rng, t = self.rng, self.t
        envs = [self.verifier.check(c)[0] for c in self.corpus]
        envs = [e for e in envs if e is not None]
        if not envs:
            envs = [Envelope(k, 0, 0, 0, {}) for k in t.schemas]
        kinds = list(t.schemas)
        pool = []
        far = (1, 2, 3, 5, 8, 64, 10 ** 6, 2 ** 40, 2 ** 62)
        for i in range(size):
            base = rng.choice(envs)
            # half of them from any identity, as a machine cannot tell who is Byzantine: every buffer
            # can be filled by every sender (signed with that node's key: legitimate bytes, not forgeries)
            b = rng.choice(self.byzantine) if i % 2 else rng.randrange(t.n)
            rnd, inst, kind = base.round, base.instance, base.kind
            payload = dict(base.payload)
            what = rng.randrange(12)
            if what == 0:
                rnd += rng.choice(far)                          # far-future round
            elif what == 1:
                rnd = -rng.choice((1, 2, 2 ** 31))              # negative round
            elif what == 2:
                inst = rng.choice((max(t.instances) + rng.choice(far), -1, rng.choice(t.instances)))
            elif what == 3:
                kind = rng.choice(kinds + ["NOPE", ""])          # another or unknown kind
                payload = {k: self._value(spec) for k, spec in t.schemas.get(kind, {"x": "vector"}).items()}
            elif what == 4:                                     # values never sent / digests never seen
                payload = {k: self._value(spec) for k, spec in t.schemas[kind].items()} if kind in t.schemas else payload
            elif what == 5:
                payload = {k: (np.full(t.d, rng.choice((np.nan, np.inf, 1e308, -1.7976931348623157e308)))
                               if isinstance(v, np.ndarray) else v) for k, v in payload.items()}
            elif what == 6:
                payload = {k: (np.zeros(t.d + rng.choice((1, -1 if t.d > 1 else 1))) if isinstance(v, np.ndarray) else v)
                           for k, v in payload.items()}
            elif what == 7:
                payload = {k: (list(reversed(v)) + [v[0]] if isinstance(v, list) and v else
                               (v[:-1] if isinstance(v, bytes) and v else v)) for k, v in payload.items()}
            elif what == 8:                                      # a duplicate: an honest message replayed
                pool.append(rng.choice(self.corpus))
                continue
            elif what == 9:
                rnd += rng.choice((1, 2))                       # a near-future round (buffered)
            elif what == 10:
                inst += rng.choice((1, 2, 3, 4, 5)) * (1 if len(t.instances) > 1 else 0) or 1
                rnd = rng.choice((0, 1, 2, 3, 4, 5, 6))
            # what == 11: the same content from another sender
            data = self._sign(b, Envelope(kind, b, rnd, inst, payload))
            if b in self.honest:
                self.legit.add(data)
            pool.append(data)
        return pool

    def _value(self, spec):
        rng, d = self.np_rng, self.t.d
        if spec == "vector":
            return rng.standard_normal(d) * 10.0 ** int(rng.integers(-3, 6))
        size = getattr(spec, "size", None)
        if size is not None:
            return rng.bytes(size)
        length = getattr(spec, "length", None)
        if length is not None:
            return [int(v) for v in rng.integers(0, self.t.n + 2, size=length)]
        if spec is bytes:
            return rng.bytes(32)
        if spec is list:
            return [int(v) for v in rng.integers(0, self.t.n, size=self.h)]
        if spec is int:
            return int(rng.integers(0, 100))
        if spec is str:
            return "s"
        return None

    def _targets(self, count: int) -> list[dict[str, Any]]:
        out = []
        plan = [(0, 0.0), (self.honest[-1], 0.5), (self.honest[min(1, self.h - 1)], 0.9)][:max(1, count)]
        for node, frac in plan:
            out.append(self._fresh(node, frac))
        return out

    def _fresh(self, node: int, frac: float) -> dict[str, Any]:
        m = self.t.machine(node)
        m.start()
        feed = self.feeds.get(node, [])
        for data in feed[: int(len(feed) * frac)]:
            env, _ = self.verifier.check(data)
            if env is not None:
                m.feed(env)
        label = f"{self.t.name}@node{node}+{int(frac * 100)}%"
        bound = getattr(m, "memory_bound", None)
        entry = {"machine": label, "node": node, "frac": frac, "m": m, "start_bytes": deep_size(m),
                 "max_bytes": 0, "bound": bound() if bound is not None else None, "restarts": 0}
        entry["max_bytes"] = entry["start_bytes"]
        return entry

    # -- mutations --------------------------------------------------------------------------------
    def _resign(self, body: bytes, signer_node: int) -> bytes:
        """``body`` signed by ``signer_node``, each distinct (body, signer) signed once."""
        key = (body, signer_node)
        out = self._signed.get(key)
        if out is None:
            out = body + self.keys.signer(signer_node).sign(body)
            if len(self._signed) > 200_000:
                self._signed.clear()
            self._signed[key] = out
        return out

    def _header_parts(self, data: bytes):
        try:
            (hlen,) = _U32.unpack_from(data, 0)
            header = msgpack.unpackb(data[4:4 + hlen], raw=False)
            if isinstance(header, list) and len(header) == 7:
                return header, hlen
        except Exception:
            pass
        return None, 0

    def mutate(self, op: str, data: bytes) -> Any:
        rng = self.rng
        n = len(data)
        if op == "bitflip":
            out = bytearray(data)
            for _ in range(rng.choice((1, 1, 2, 3))):
                p = rng.randrange(n)
                out[p] ^= 1 << rng.randrange(8)
            return bytes(out)
        if op == "truncate":
            return data[: rng.randrange(n)]
        if op == "extend":
            return data + rng.randbytes(rng.choice((1, 8, 64)))
        if op == "random":
            return rng.randbytes(rng.choice((0, 1, 4, 16, 69, 100, n)))
        if op == "length_lie":
            (hlen,) = _U32.unpack_from(data, 0)
            lie = rng.choice((0, 1, hlen - 1, hlen + 1, hlen + 8, n, 2 ** 32 - 1))
            return _U32.pack(lie % 2 ** 32) + data[4:]
        if op == "sig_flip":
            out = bytearray(data)
            out[n - 1 - rng.randrange(SIGNATURE_SIZE)] ^= 1 << rng.randrange(8)
            return bytes(out)
        if op == "sig_zero":
            return data[:-SIGNATURE_SIZE] + b"\0" * SIGNATURE_SIZE
        if op == "sig_swap":
            other = rng.choice(self.sources)
            return data[:-SIGNATURE_SIZE] + other[-SIGNATURE_SIZE:]
        if op == "pad_after":
            return data + b"\0" * rng.choice((1, 8, 64))
        if op == "not_bytes":
            return rng.choice((bytearray(data), memoryview(data), data.decode("latin-1"), None, 12345, [data],
                               _Liar(data), (data,), {"data": data}, 3.5))
        header, hlen = self._header_parts(data)
        if header is None:
            return rng.randbytes(16)
        body_tail = data[4 + hlen:n - SIGNATURE_SIZE]
        sender = header[2] if isinstance(header[2], int) else 0
        b = rng.choice(self.byzantine)
        signer = sender if (isinstance(sender, int) and sender in self.byzantine) else b
        if op == "claim_honest":
            claimed = list(header)
            claimed[2] = rng.choice(self.honest)
            hb = msgpack.packb(claimed, use_bin_type=True)
            return self._resign(_U32.pack(len(hb)) + hb + body_tail, b)
        if op == "wrong_type":
            bad = list(header)
            i = rng.choice((0, 1, 2, 3, 4, 5, 6))
            bad[i] = rng.choice((True, False, 1.0, "1", -1, 2 ** 64 - 1, None, [], {}, b"\x01"))
            hb = msgpack.packb(bad, use_bin_type=True)
            return self._resign(_U32.pack(len(hb)) + hb + body_tail, signer)
        if op == "long_int":
            hb = self._long_ints(header)
            return self._resign(_U32.pack(len(hb)) + hb + body_tail, signer)
        if op == "repeat_field":
            arrays = header[6] if isinstance(header[6], list) else []
            scalars = header[5] if isinstance(header[5], dict) else {}
            if arrays:
                rep = list(header)
                rep[6] = arrays + [arrays[0]]
                hb = msgpack.packb(rep, use_bin_type=True)
                tail = body_tail + body_tail[: 8 * self.t.d]
            elif scalars:
                k, v = next(iter(scalars.items()))
                hb = self._dup_map_key(header, k, v)
                tail = body_tail
            else:
                return data
            return self._resign(_U32.pack(len(hb)) + hb + tail, signer)
        if op == "extra_field":
            ext = list(header)
            sc = dict(header[5]) if isinstance(header[5], dict) else {}
            sc[rng.choice(("pad", "x2", "digest"))] = rng.choice((b"\0" * rng.choice((1, 100, 5000)), 1, "z"))
            ext[5] = sc
            hb = msgpack.packb(ext, use_bin_type=True)
            return self._resign(_U32.pack(len(hb)) + hb + body_tail, signer)
        if op == "pad_inside":
            body = data[:n - SIGNATURE_SIZE] + b"\0" * rng.choice((1, 8, 24))
            return self._resign(body, signer)
        return data

    @staticmethod
    def _long_ints(header) -> bytes:
        """The header with its integers in a longer msgpack form (uint32 / int64 instead of the
        shortest): the same content, another encoding."""
        out = bytearray(b"\x97")
        for i, v in enumerate(header):
            if i in (0, 2, 3, 4) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 32:
                out += b"\xce" + struct.pack(">I", v)
            else:
                out += msgpack.packb(v, use_bin_type=True)
        return bytes(out)

    @staticmethod
    def _dup_map_key(header, k, v) -> bytes:
        """The header with its scalars map holding key ``k`` twice."""
        out = bytearray(b"\x97")
        for i, item in enumerate(header):
            if i == 5:
                entries = list(item.items()) + [(k, v)]
                out += bytes([0x80 | len(entries)]) if len(entries) < 16 else b"\xde" + struct.pack(">H", len(entries))
                for kk, vv in entries:
                    out += msgpack.packb(kk, use_bin_type=True) + msgpack.packb(vv, use_bin_type=True)
            else:
                out += msgpack.packb(item, use_bin_type=True)
        return bytes(out)

    # -- checks ---------------------------------------------------------------------------------
    def _note(self, what: str, op: str, item: Any) -> None:
        if len(self.report.examples) < 20:
            self.report.examples.append(f"{what} ({op}): {item!r}"[:300])

    def _check_accepted(self, op: str, item: bytes, env: Envelope) -> None:
        rep = self.report
        if env.sender in self.honest and item not in self.legit:
            rep.forgeries += 1
            self._note("forgery", op, item)
        body = item[:-SIGNATURE_SIZE]
        canonical = wire.encode_unsigned(in_canonical_order(env, self.verifier.order.get(env.kind)))
        if canonical != body:
            rep.non_canonical += 1
            self._note("non-canonical", op, item)

    def _feed(self, env: Envelope, op: str) -> None:
        rep = self.report
        i = rep.fed % len(self.machines)
        entry = self.machines[i]
        m = entry["m"]
        try:
            step = m.feed(env)
            rep.fed += 1
            if step.rejected:
                rep.rejected[str(step.rejected)] += 1
            for r in step.dropped:
                rep.rejected[str(r)] += 1
            if getattr(m, "done", False) and self.rng.random() < 0.02:
                self._checkpoint(entry)
                self.machines[i] = self._fresh(entry["node"], entry["frac"])
                self.machines[i]["restarts"] = entry["restarts"] + 1
                self.machines[i]["max_bytes"] = max(self.machines[i]["max_bytes"], entry["max_bytes"])
        except Exception as exc:  # an exception escaped a machine: a violation
            rep.escaped[f"machine {type(exc).__name__}"] += 1
            self._note(f"machine raised {type(exc).__name__}: {exc}", op, env)

    def _checkpoint(self, entry: dict[str, Any]) -> None:
        size = deep_size(entry["m"])
        entry["max_bytes"] = max(entry["max_bytes"], size)
        bound = getattr(entry["m"], "memory_bound", None)
        if bound is not None:
            b = bound()
            entry["bound"] = b if entry["bound"] is None else max(entry["bound"], b)

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, count: int, progress: Callable[[int], None] | None = None) -> Report:
        rep = self.report
        t0 = time.perf_counter()
        ops = np.asarray(OPERATORS)
        checkpoint_every = max(2000, count // 25)
        verifier = self.verifier
        sources = self.sources
        pool = self.pool
        done = 0
        while done < count:
            batch = min(4096, count - done)
            picks = ops[self.np_rng.integers(len(ops), size=batch)]
            srcs = self.np_rng.integers(len(sources), size=batch)
            for k in range(batch):
                op = str(picks[k])
                rep.operators[op] += 1
                if op == "protocol":
                    item = pool[self.rng.randrange(len(pool))]
                elif op == "replay":
                    item = self.corpus[self.rng.randrange(len(self.corpus))] if self.corpus else b""
                else:
                    src = (sources[int(srcs[k])] if op not in RESIGNING else
                           self.resign_sources[int(srcs[k]) % len(self.resign_sources)])
                    try:
                        item = self.mutate(op, src)
                    except Exception as exc:  # the mutator itself: not a finding, but never silent
                        rep.escaped[f"mutator {type(exc).__name__}"] += 1
                        continue
                try:
                    env, reason = verifier.check(item)
                except Exception as exc:
                    rep.escaped[f"validator {type(exc).__name__}"] += 1
                    self._note(f"validator raised {type(exc).__name__}: {exc}", op, item)
                    continue
                if type(item) is bytes:
                    verifier.release(item)
                if env is None:
                    rep.rejected[str(reason)] += 1
                    continue
                rep.accepted += 1
                self._check_accepted(op, item, env)
                self._feed(env, op)
            done += batch
            if done % checkpoint_every < batch or done >= count:
                for entry in self.machines:
                    self._checkpoint(entry)
            if progress is not None:
                progress(done)
        for entry in self.machines:
            self._checkpoint(entry)
        rep.count = done
        rep.seconds = time.perf_counter() - t0
        rep.memory = [{k: v for k, v in e.items() if k != "m"} for e in self.machines]
        return rep


def fuzz(names: list[str] | None = None, count: int = 10_000, seed: int = 0,
         progress: Callable[[str, int], None] | None = None) -> list[Report]:
    """Fuzz each protocol in ``names`` (default: every shipped protocol and plugin) with ``count``
    mutations each; returns one :class:`Report` per protocol."""
    reports = []
    for name in names or target_names():
        fz = Fuzzer(make_target(name), seed=seed)
        reports.append(fz.run(count, (lambda k, _n=name: progress(_n, k)) if progress else None))
    return reports
