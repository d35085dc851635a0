import os
import sys

import pytest
from hypothesis import settings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Property tests draw the same examples on every run (a CI verdict must not depend on luck);
# HYPOTHESIS_PROFILE=explore draws fresh random examples, to hunt for new counterexamples.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
