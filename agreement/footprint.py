"""How much memory a protocol machine's state holds, measured (``deep_size``), and the constants
its stated bound (``memory_bound()``) is written with.

A machine's memory bound is a formula in n, f, d and its window (rounds or instances ahead it
buffers); ``jungle fuzz`` feeds every machine junk and checks ``deep_size(machine) <=
machine.memory_bound()``. ``deep_size`` counts every object reachable from the machine once: a
vector that is a view of a received message counts the whole message it keeps alive; functions,
methods, classes, modules and enumeration members (code and constants shared by every machine)
are not counted.
"""
from __future__ import annotations

import enum
import sys
import types

import numpy as np

WORD = 8
VECTOR_OVERHEAD = 512
"""Bytes a buffered vector costs besides its 8d bytes: the ndarray header (112), the rest of its
message (bytes object header, wire header, signature: about 140 at the shipped kinds), and the
table slots and key objects that hold it (generous: measured 250-350)."""
MESSAGE_OVERHEAD = 1024
"""Bytes a buffered envelope costs besides its vectors: the envelope, its payload dict, scalars and
the table slots that hold it."""

_SKIP = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.BuiltinMethodType,
         types.ModuleType, type, enum.Enum, types.CodeType, np.dtype)


def deep_size(obj, exclude: tuple = ()) -> int:
    """Bytes reachable from ``obj`` (each object once); see the module docstring."""
    seen: set[int] = set()
    stack = [obj]
    total = 0
    while stack:
        o = stack.pop()
        i = id(o)
        if i in seen:
            continue
        seen.add(i)
        if isinstance(o, _SKIP) or (exclude and isinstance(o, exclude)) or o is None:
            continue
        if isinstance(o, np.ndarray):
            total += sys.getsizeof(o)  # includes the data when the array owns it
            if o.base is not None:
                stack.append(o.base)
            continue
        if isinstance(o, memoryview):
            total += sys.getsizeof(o)
            stack.append(o.obj)
            continue
        if callable(o) and not hasattr(o, "__dict__") and not hasattr(type(o), "__slots__"):
            continue
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif isinstance(o, (str, bytes, bytearray, int, float, complex, bool)):
            pass
        else:
            d = getattr(o, "__dict__", None)
            if d is not None:
                stack.append(d)
            for cls in type(o).__mro__:
                for slot in getattr(cls, "__slots__", ()):
                    if slot in ("__dict__", "__weakref__"):
                        continue
                    v = getattr(o, slot, None)
                    if v is not None:
                        stack.append(v)
    return total
