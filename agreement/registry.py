"""Named plugins of one kind: the one registry type behind rules, pre-aggregations, attacks,
schedules, protocols, input constructions, workloads and subcommands.

A registry is filled by explicit ``register`` calls in the package that owns the kind (for example
``agreement.rules`` registers the rule zoo). Third-party packages add to it through the Python entry
point group named by :attr:`Registry.group` (``jungle.rules``, ``jungle.attacks``, ...). Loading them is
not done here: the top floor installs a loader (:meth:`Registry.set_loader`, done by
``scenarios.plugins``), which each registry calls once, on its first lookup. This module only stores
names; it imports nothing and reads nothing, so ``agreement`` stays pure.
"""
from __future__ import annotations

import contextlib
import difflib
from typing import Callable, ClassVar, Generic, Iterator, Mapping, TypeVar

T = TypeVar("T")


class UnknownName(KeyError):
    """A name no plugin of this kind has; the message lists the known ones and the closest."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Registry(Mapping[str, T], Generic[T]):
    """An ordered, read-mostly mapping name -> plugin with one way in (:meth:`register`)."""

    _loader: ClassVar[Callable[["Registry"], None] | None] = None

    @classmethod
    def set_loader(cls, loader: Callable[["Registry"], None] | None) -> None:
        """Install the function that adds a registry's third-party plugins (called once per registry,
        on its first lookup)."""
        cls._loader = loader

    def _ensure_loaded(self) -> None:
        if not self._loaded and Registry._loader is not None:
            self._loaded = True
            Registry._loader(self)

    def __init__(self, kind: str, group: str):
        self.kind = kind
        """What the plugins are, for messages ("attack", "schedule", ...)."""
        self.group = group
        """The entry point group third-party packages register under."""
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, obj: T | None = None, *, replace: bool = False):
        """Register ``obj`` under ``name``; without ``obj``, a decorator. A name is taken once
        unless ``replace`` (a plugin cannot silently shadow a built-in)."""
        if obj is None:
            def deco(o: T) -> T:
                self.register(name, o, replace=replace)
                return o
            return deco
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} needs a non-empty string name, got {name!r}")
        if name in self._items and not replace and self._items[name] is not obj:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        return obj

    @contextlib.contextmanager
    def temporarily(self, name: str, obj: T):
        """Register ``obj`` under a new ``name`` for the duration of a ``with`` block (tests, one-off
        experiments); the name is free again afterwards."""
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        try:
            yield obj
        finally:
            del self._items[name]

    def unknown(self, name: object) -> UnknownName:
        """The error for a name that is not here, naming the closest known name."""
        self._ensure_loaded()
        known = sorted(self._items)
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return UnknownName(f"unknown {self.kind} {name!r}{hint}; known: {', '.join(known) or 'none'}")

    def __getitem__(self, name: str) -> T:
        self._ensure_loaded()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise self.unknown(name) from None

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        try:
            return name in self._items
        except TypeError:
            return False

    def __iter__(self) -> Iterator[str]:
        self._ensure_loaded()
        return iter(self._items)

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._items)

    def names(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._items)

    def filtered(self, keep: Callable[[str, T], bool]) -> dict[str, T]:
        self._ensure_loaded()
        return {k: v for k, v in self._items.items() if keep(k, v)}

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
