"""Names a package re-exports but imports only on first use (PEP 562 module ``__getattr__``).

Keeps ``import codex_otel_config`` and the bootstrap path free of modules a caller may never
need (the SDK, dynaconf, Textual, the runtime-metrics summary). Layer 0: imports nothing from
the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps each attribute to the module
    that defines it; the value is imported on first access and kept on the package."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
