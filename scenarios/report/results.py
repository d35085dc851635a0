"""Result files: JSON a user can keep (numpy values written as plain numbers and lists)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def json_default(o: Any):
    """``json.dumps(default=...)`` for numpy arrays and scalars (anything else as its string)."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def dump_json(result: dict[str, Any], path: str | Path) -> None:
    """Write ``result`` as indented JSON, creating the parent directory."""
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(result, indent=2, default=json_default, allow_nan=True) + "\n")
