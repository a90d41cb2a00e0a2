"""Small helpers over nested settings tables, shared by the loader's modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def leaves(prefix: str, value: Any) -> list[str]:
    """The dotted keys of every leaf under ``prefix`` (an empty table is a leaf itself)."""
    if isinstance(value, Mapping) and value:
        out: list[str] = []
        for k, v in value.items():
            out += leaves(f"{prefix}.{k}", v)
        return out
    return [prefix]
