"""Scenario files, the runner, checks, reports and the ``jungle`` command line (the top floor).

Sub-packages, one job each: ``spec`` (scenario files, schema, inputs, built-in scenarios and grids),
``run`` (simulate, agreement and LEARN runners, protocol adapters, recorders, checks), ``explore``
(sweep, thresholds, search, shrink), ``report`` (text, result files, plots), ``bench`` and ``cli``
(argument parsing only). Importing this package installs the entry-point loader of every plugin
registry (:mod:`scenarios.plugins`) and the on-disk store of the numba kernels' generated sources
(:mod:`scenarios.kernel_cache`).
"""
from scenarios import kernel_cache as _kernel_cache
from scenarios import plugins as _plugins  # noqa: F401  (installs the registries' entry-point loader)

_kernel_cache.install()
