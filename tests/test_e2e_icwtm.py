"""End-to-end trio runs of ICwTM under each shipped attack (pytest-trio)."""
import pytest

from nodes.attacks import ATTACKS
from scenarios.run.agreement import run_agreement_async

CORE_ATTACKS = ["none", "silent", "noise", "far", "equivocate", "split", "garbage"]


def cfg_for(make_scenario, attack, schedule="random", **system):
    return make_scenario(system={"n": 11, "f": 2, "dim": 4, **system}, algorithm={"name": "icwtm", "t": 3},
                         adversary={"attack": attack, "schedule": schedule})


@pytest.mark.parametrize("attack", CORE_ATTACKS)
async def test_icwtm_keeps_its_promises_under_each_attack(make_scenario, attack):
    cfg = cfg_for(make_scenario, attack)
    assert cfg.algorithm.theory.holds
    r = await run_agreement_async(cfg)
    c = r["checks"]
    assert c["termination"]["holds"], c
    assert c["contraction"]["holds"], c
    assert c["averaging"]["holds"], c
    assert c["averaging"]["measured"] <= c["averaging"]["bound"]


async def test_garbage_is_rejected_counted_and_harmless(make_scenario):
    r = await run_agreement_async(cfg_for(make_scenario, "garbage"))
    rej = r["messages"]["rejected"]
    for reason in ("undecodable", "bad_signature", "non_finite", "wrong_shape", "wrong_dtype", "unknown_sender",
                   "oversized", "bad_schema", "round_out_of_range"):
        assert rej.get(reason, 0) > 0, (reason, rej)
    assert rej.get("duplicate", 0) + rej.get("stale_round", 0) > 0  # replays
    assert r["checks"]["termination"]["holds"]


async def test_far_values_are_trimmed(make_scenario):
    r = await run_agreement_async(cfg_for(make_scenario, "far", schedule="byzantine-first"))
    assert r["iterations"][-1]["avg_error"] < 10.0  # a far value that got through would be ~1e6


@pytest.mark.parametrize("attack", sorted(set(ATTACKS) - set(CORE_ATTACKS) - {"worst-case"}))
# worst-case replays a configuration written by jungle worst-case and is silent without one (tests/test_worst_case.py)
async def test_every_other_attack_speaks_and_icwtm_keeps_its_promises(make_scenario, attack):
    """Every other registered attack (lower bounds, LEARN attacks, search) runs on ICwTM above its
    threshold (n = 11, f = 2): the Byzantine nodes do send (more messages than the silent run), and
    termination, contraction and averaging hold, as Theorem 8 says they must for any adversary."""
    silent = await run_agreement_async(cfg_for(make_scenario, "silent"))
    r = await run_agreement_async(cfg_for(make_scenario, attack))
    assert r["messages"]["sent"] > silent["messages"]["sent"], "the attack sent nothing"
    c = r["checks"]
    assert c["termination"]["holds"] and c["contraction"]["holds"] and c["averaging"]["holds"], c


async def test_below_threshold_split_partition_breaks_contraction(make_scenario):
    """Theorem 9 (q <= 3f): the split payload with the partition schedule stops contraction."""
    cfg = make_scenario(system={"n": 8, "f": 2, "dim": 3}, inputs={"kind": "clusters"},
                        algorithm={"name": "icwtm", "t": 3, "allow_below_threshold": True},
                        adversary={"attack": "split", "split_mode": "halves", "schedule": "partition"})
    assert not cfg.algorithm.theory.holds
    r = await run_agreement_async(cfg)
    assert r["checks"]["termination"]["holds"]
    assert not r["checks"]["contraction"]["holds"]
    assert r["checks"]["contraction"]["measured"] > 0.5
