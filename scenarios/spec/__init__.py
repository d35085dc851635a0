"""Scenario files: the schema (:mod:`~scenarios.spec.schema`, every key typed and bounded, every
default) and its JSON Schema, loading and ``--set`` overrides, resolution into one immutable
:class:`~scenarios.spec.schema.Scenario` (validation, registries, theory, resource budget), honest
inputs and the lower-bound constructions, ``[compare]`` variants, built-in scenarios and grids."""
