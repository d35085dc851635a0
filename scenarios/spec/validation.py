"""pydantic validation with jungle's one-line errors.

:func:`validated` validates data against a model and turns pydantic's ``ValidationError`` into one
:class:`~scenarios.errors.ScenarioError` line naming the key, what was given and what is allowed::

    system.n = 'x': expected an integer (allowed: >= 1, <= 100000)
    system.nn is not a known key (did you mean system.n?); [system] keys: n, f, q, dim, include_self

Only the first error is reported (with the count of the others): fixing one line at a time is the
usual way, and a message must stay one line.
"""
from __future__ import annotations

import difflib
from typing import Any, Iterable, Mapping, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from scenarios.errors import ScenarioError, UnknownKey

M = TypeVar("M", bound=BaseModel)

REPR_MAX = 60
"""Longest repr of a given value in a message (longer ones are cut with an ellipsis)."""

_TYPES = {
    "int_type": "expected an integer", "int_from_float": "expected an integer",
    "float_type": "expected a number", "bool_type": "expected true or false", "string_type": "expected a string",
    "list_type": "expected a list", "dict_type": "expected a table", "model_type": "expected a table",
    "model_attributes_type": "expected a table", "finite_number": "expected a finite number",
    "int_parsing": "expected an integer", "float_parsing": "expected a number", "none_required": "expected nothing",
    "tuple_type": "expected a list", "is_instance_of": "expected a table",
}
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def short(value: Any) -> str:
    """``repr(value)``, cut to :data:`REPR_MAX` characters."""
    text = repr(value)
    return text if len(text) <= REPR_MAX else text[: REPR_MAX - 3] + "..."


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (difflib), or None when none is close."""
    match = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return match[0] if match else None


def _is_tag(p: Any) -> bool:
    """pydantic's names of union members in an error location (``int``, ``list[int]``,
    ``constrained-int``, ...): not part of the key."""
    return isinstance(p, str) and (p in ("int", "float", "str", "bool", "none", "list", "dict")
                                   or "[" in p or p.startswith(("function-", "constrained-")))


def _dotted(prefix: str, loc: tuple) -> str:
    """``system.n``, ``inputs.values[2]``: the key of an error location."""
    out = prefix
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        elif not _is_tag(p):
            out = f"{out}.{p}" if out else str(p)
    return out


def _allowed(info: FieldInfo | None) -> str:
    """The bounds of a field, e.g. ``>= 1, <= 100000`` (empty when it has none)."""
    if info is None:
        return ""
    out = []
    for m in info.metadata:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            v = getattr(m, attr, None)
            if v is not None:
                out.append(f"{sym} {v}")
    return ", ".join(out)


def _field(model: type[BaseModel], loc: tuple) -> FieldInfo | None:
    """The FieldInfo at ``loc`` (following nested models), for the allowed range."""
    info = None
    for p in loc:
        if not isinstance(p, str) or model is None:
            break
        info = model.model_fields.get(p)
        if info is None:
            return None
        ann = info.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return info


def _keys_of(model: type[BaseModel], loc: tuple) -> list[str]:
    """The known keys of the table that holds ``loc``'s last element."""
    for p in loc[:-1]:
        info = model.model_fields.get(p) if isinstance(p, str) else None
        if info is None:
            return []
        ann = info.annotation
        sub = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not sub:
            return []
        model = sub[0]
    return list(model.model_fields)


def unknown_key(key: str, known: Iterable[str], where: str) -> str:
    """The message for an unknown key: the closest known one, then every known one."""
    known = list(known)
    head, _, last = key.rpartition(".")
    close = closest(last, known)
    hint = f" (did you mean {head + '.' if head else ''}{close}?)" if close else ""
    return f"{key} is not a known key{hint}; {where}: {', '.join(known) or 'none'}"


def describe(err: Mapping[str, Any], model: type[BaseModel], prefix: str = "") -> str:
    """One line for one pydantic error (see the module docstring)."""
    loc = tuple(err.get("loc", ()))
    key = _dotted(prefix, loc) or prefix or "the scenario"
    kind = err.get("type", "")
    given, ctx = err.get("input"), err.get("ctx", {})
    if kind == "extra_forbidden":
        table = _dotted(prefix, loc[:-1])
        if not table:
            return unknown_key(f"[{loc[-1]}]", [f"[{k}]" for k in model.model_fields], "tables").replace(
                "is not a known key", "is not a known table")
        return unknown_key(key, _keys_of(model, loc), f"[{table}] keys")
    if kind == "missing":
        return f"{key} is required"
    if kind == "literal_error":
        return f"{key} = {short(given)}: expected one of {ctx.get('expected', '')}"
    if kind in _BOUNDS:
        return f"{key} = {short(given)}: must be {_BOUNDS[kind]} {next(iter(ctx.values()), '')}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        n = ctx.get("min_length", ctx.get("max_length"))
        if kind == "string_too_short" and n == 1:
            return f"{key} = {short(given)}: must not be empty"
        return f"{key} = {short(given)}: must have {'at least' if 'short' in kind else 'at most'} {n} item(s)"
    if kind == "string_pattern_mismatch":
        info = _field(model, loc)
        return f"{key} = {short(given)}: expected {info.description if info and info.description else ctx.get('pattern')}"
    if kind == "value_error":
        return f"{key} = {short(given)}: {ctx.get('error', err.get('msg', 'invalid'))}"
    return f"{key} = {short(given)}: {_TYPES.get(kind, err.get('msg', 'invalid'))}"


def validated(model: type[M], data: Any, prefix: str = "") -> M:
    """``model.model_validate(data)``; a ``ValidationError`` becomes one ScenarioError line (the
    first error; the alternatives of a union are joined: "expected an integer or a list")."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        unknown = exc.errors()[0].get("type") == "extra_forbidden"
        raise (UnknownKey if unknown else ScenarioError)(one_line(exc, model, prefix)) from None


def one_line(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    """The one-line message of a ``ValidationError`` (see :func:`validated`): the first error, the
    types a union accepts joined with "or", the field's bounds, and how many other errors there are."""
    errors = exc.errors(include_url=False)
    top = _dotted(prefix, tuple(errors[0].get("loc", ())))
    # within one key, the most specific error: [1, 'x'] for "int | list[int]" is about 'x', not the list
    first = max((e for e in errors if _dotted(prefix, tuple(e.get("loc", ()))).startswith(top)),
                key=lambda e: len(_dotted(prefix, tuple(e.get("loc", ())))))
    loc = tuple(first.get("loc", ()))
    key = _dotted(prefix, loc)
    same = [e for e in errors if _dotted(prefix, tuple(e.get("loc", ()))) == key]
    types = list(dict.fromkeys(_TYPES[e["type"]].removeprefix("expected ") for e in same if e["type"] in _TYPES))
    if first["type"] in _TYPES:
        line = f"{key or prefix or 'the scenario'} = {short(first.get('input'))}: expected {' or '.join(types)}"
        allowed = _allowed(_field(model, loc))
        line += f" (allowed: {allowed})" if allowed else ""
    else:
        line = describe(first, model, prefix)
    rest = len({k for k in (_dotted(prefix, tuple(e.get("loc", ()))) for e in errors) if not k.startswith(top)})
    return line + (f" (and {rest} more error{'s' if rest > 1 else ''})" if rest else "")
