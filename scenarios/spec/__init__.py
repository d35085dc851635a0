"""Scenario files: loading and ``--set`` overrides, resolution (defaults, validation, theory), honest
inputs and the lower-bound constructions, ``[compare]`` variants, built-in scenarios and grids."""
