"""``codex-otel-config tui``: the Textual console over the ``check`` and ``send-test-events``
library calls (DESIGN §4.5). Importing this package does not import Textual; the app does.

``OtelConsoleApp`` lives in :mod:`codex_otel_config.tui.app`; see ``docs/tui.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codex_otel_config.tui.app import OtelConsoleApp

__all__ = ["OtelConsoleApp"]


def __getattr__(name: str) -> Any:
    if name == "OtelConsoleApp":
        from codex_otel_config.tui.app import OtelConsoleApp

        return OtelConsoleApp
    raise AttributeError(f"module 'codex_otel_config.tui' has no attribute {name!r}")
