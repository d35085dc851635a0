"""The ``jungle`` command line: argument parsing only; the work is in the other sub-packages."""
from __future__ import annotations

from scenarios.cli.main import main

__all__ = ["main"]
