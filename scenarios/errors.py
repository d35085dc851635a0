"""The one error a user can cause: a bad scenario, argument or input file.

Every ``ScenarioError`` message is one line naming the key (or argument, or file) to fix, what was
given and what is allowed; the CLI prints it and exits with status 2.
"""
from __future__ import annotations


class ScenarioError(ValueError):
    """A bad scenario, argument or input file: the message names the key and what to change."""


EXIT_BAD_INPUT = 2
"""Exit status of the CLI for a :class:`ScenarioError`."""


class UnknownKey(ScenarioError):
    """A key or table the schema does not know (a typo, usually): the message names the closest one.
    A sweep refuses a grid with one at once (every point would fail the same way)."""
