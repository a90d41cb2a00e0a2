"""Small helpers over nested settings tables, shared by the loader's modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def leaves(prefix: str, value: Any) -> list[str]:
    """The dotted keys of every leaf under ``prefix`` (an empty table is a leaf itself)."""
    if isinstance(value, Mapping) and value:
        return [leaf for k, v in value.items() for leaf in leaves(f"{prefix}.{k}", v)]
    return [prefix]


def deep_merge(old: Any, new: Any) -> Any:
    """``new`` merged into ``old`` table by table; ``new`` wins for everything else."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **{k: deep_merge(old.get(k), v) for k, v in new.items()}}
    return new
