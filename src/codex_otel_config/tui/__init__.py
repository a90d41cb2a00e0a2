"""``codex-otel-config tui``: the Textual console over the ``check`` and ``send-test-events``
library calls (DESIGN §4.5). Importing this package does not import Textual; the app does.

``OtelConsoleApp`` lives in :mod:`codex_otel_config.tui.app`; see ``docs/tui.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_otel_config._lazy import lazy_attributes

if TYPE_CHECKING:
    from codex_otel_config.tui.app import OtelConsoleApp

__all__ = ["OtelConsoleApp"]


__getattr__ = lazy_attributes(__name__, {"OtelConsoleApp": "codex_otel_config.tui.app"})
