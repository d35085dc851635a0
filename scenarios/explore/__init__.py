"""Exploring parameter spaces: sweeps over grids, resilience thresholds, the search adversary and
the shrinking of counterexamples."""
