"""Argument types and path checks shared by every subcommand: each bad argument or path is one
``jungle: error: ...`` line (exit status 2), found before anything runs.

- :class:`Parser`: an ``ArgumentParser`` whose errors are :class:`ScenarioError` (one line, no usage);
- ``type=`` functions: :func:`seed`, :func:`positive_int`, :func:`non_negative_int`, :func:`int_list`,
  :func:`seed_list`, :func:`name_list`;
- :func:`output_file` and :func:`output_dir`: an output path is checked (and its directory made)
  before a run starts, so that a long run never ends on an unwritable path;
- :func:`input_path`: an existing file (or directory, when allowed) to read.
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

from scenarios.errors import ScenarioError
from scenarios.spec.schema import MAX_SEED
from scenarios.spec.validation import short


class Parser(argparse.ArgumentParser):
    """argparse with jungle's one-line errors (subparsers inherit the class)."""

    def error(self, message: str):
        where = self.prog.removeprefix("jungle").strip()
        raise ScenarioError(f"{where + ': ' if where else ''}{message}")


def _int(text: str, lo: int, hi: int | None, what: str) -> int:
    try:
        v = int(text.strip())
    except (ValueError, AttributeError):
        raise argparse.ArgumentTypeError(f"expected {what}, got {short(text)}") from None
    if v < lo or (hi is not None and v > hi):
        raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
    return v


def seed(text: str) -> int:
    """A seed: an integer in 0..2^63-1."""
    return _int(text, 0, MAX_SEED, "a seed (an integer from 0 to 2^63 - 1)")


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return _int(text, 1, None, "an integer >= 1")


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    return _int(text, 0, None, "an integer >= 0")


def int_list(text: str, lo: int = 1, what: str = "integers >= 1") -> list[int]:
    """Comma-separated integers >= ``lo`` (at least one)."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {short(text)}")
    return [_int(p, lo, MAX_SEED, f"comma-separated {what}") for p in parts]


def seed_list(text: str) -> list[int]:
    """Comma-separated seeds (integers >= 0)."""
    return int_list(text, 0, "seeds (integers >= 0)")


def float_list(text: str) -> list[float]:
    """Comma-separated positive finite numbers (at least one)."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    out = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            v = math.nan
        if not (math.isfinite(v) and v > 0):
            raise argparse.ArgumentTypeError(f"expected comma-separated positive numbers, got {short(text)}")
        out.append(v)
    if not out:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive numbers, got {short(text)}")
    return out


def name_list(text: str) -> list[str]:
    """Comma-separated non-empty names (at least one)."""
    names = [p.strip() for p in str(text).split(",") if p.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {short(text)}")
    return names


def _writable_dir(d: Path, option: str, path: Path) -> None:
    """Make ``d`` (and its parents) and prove it writable by creating and removing a file in it."""
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, prefix=".jungle-probe-"):
            pass
    except FileExistsError:
        raise ScenarioError(f"{option} {str(path)!r}: {str(d)!r} is a file, not a directory") from None
    except OSError as exc:
        raise ScenarioError(f"{option} {str(path)!r}: cannot write in {str(d)!r} ({exc.strerror or exc})") from None


def output_file(path: str | Path, option: str) -> Path:
    """Check, before a run, that ``path`` can be written as a file (its directory is made)."""
    p = Path(path)
    if p.is_dir():
        raise ScenarioError(f"{option} {str(p)!r} is a directory: give a file name")
    if p.exists() and not os.access(p, os.W_OK):
        raise ScenarioError(f"{option} {str(p)!r} exists and is not writable")
    _writable_dir(p.parent if str(p.parent) else Path("."), option, p)
    return p


def output_dir(path: str | Path, option: str) -> Path:
    """Check, before a run, that ``path`` is (or can be made) a writable directory."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ScenarioError(f"{option} {str(p)!r} is a file, not a directory")
    _writable_dir(p, option, p)
    return p


def input_path(path: str | Path, option: str, *, directory: bool = False) -> Path:
    """An existing file to read (or a directory, when ``directory``)."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(f"{option} {str(p)!r} does not exist")
    if p.is_dir() and not directory:
        raise ScenarioError(f"{option} {str(p)!r} is a directory, not a file")
    if not os.access(p, os.R_OK):
        raise ScenarioError(f"{option} {str(p)!r} is not readable")
    return p
