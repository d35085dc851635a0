"""Scenario files, the runner, checks, reports and the ``jungle`` command line."""
