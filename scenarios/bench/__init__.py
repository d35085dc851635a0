"""Benchmarks: ratios measured in one run (rules against numpy.mean, the engine against its compute
floor, memory against the honest state)."""
