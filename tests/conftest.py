import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def scenario(**tables):
    """A resolved scenario from table overrides, e.g. scenario(system={"n": 7, "f": 1})."""
    from scenarios.spec.resolve import resolve

    data = {"scenario": {"name": "test", "seed": tables.pop("seed", 1)}}
    for k, v in tables.items():
        data[k] = v
    return resolve(data)


@pytest.fixture
def make_scenario():
    return scenario
