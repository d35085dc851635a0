"""The runners of the seed kinds, the scenario kinds with their own table (cga, licchavi, gmm):
kind -> ``runner(scenario, progress) -> result``."""
from __future__ import annotations

from scenarios.run.cga import run_cga
from scenarios.run.gmm import run_gmm
from scenarios.run.licchavi import run_licchavi

SEED_RUNNERS = {"cga": run_cga, "licchavi": run_licchavi, "gmm": run_gmm}
