"""Where the numba kernels' generated sources live on disk (:mod:`agreement.rules.select_kernels`).

numba's on-disk cache (``cache=True``) needs a real source file; :mod:`agreement` stays pure (no file
I/O), so this module, installed when :mod:`scenarios` is imported, writes each generated source to a
file in the user's cache: ``$JUNGLE_KERNEL_CACHE`` (``0``: off, kernels compiled in memory once per
process), else ``$NUMBA_CACHE_DIR/select_kernels``, else ``$XDG_CACHE_HOME/jungle/select_kernels`` or
``~/.cache/jungle/select_kernels``. A read-only install does not matter (the files are the user's);
a file that cannot be written means a compile in memory, never an error.
"""
from __future__ import annotations

import os

from agreement.rules import select_kernels

CACHE_ENV = "JUNGLE_KERNEL_CACHE"


def cache_dir() -> str | None:
    """The directory of the generated sources (numba puts its cache beside them); None when off."""
    env = os.environ.get(CACHE_ENV, "")
    if env == "0":
        return None
    if env:
        return env
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "jungle")
    return os.path.join(base, "select_kernels")


def source_file(name: str, src: str) -> str | None:
    """The path of a file holding exactly ``src`` (written once, atomically, never rewritten: numba's
    cache index is keyed on the file's modification time), or None when it cannot be written."""
    d = cache_dir()
    if d is None:
        return None
    path = os.path.join(d, f"{name}.py")
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == src:
                return path
    except OSError:
        pass
    try:
        os.makedirs(d, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(src)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def install() -> None:
    select_kernels.set_source_store(source_file)
