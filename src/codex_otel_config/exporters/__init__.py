"""Layer 2: SDK exporters built from resolved settings, wrapped so reports tell the truth.

Importing this package is cheap: the SDK exporters (and grpc, and the JSON exporter) are
imported inside the builders, only for the protocols the settings use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_otel_config._lazy import lazy_attributes
from codex_otel_config.exporters.classify import classify_exception, classify_grpc, classify_http

if TYPE_CHECKING:
    from codex_otel_config.exporters.build import build_exporter
    from codex_otel_config.exporters.recording import ExportStats, StatsSnapshot

__all__ = [
    "ExportStats",
    "StatsSnapshot",
    "build_exporter",
    "classify_exception",
    "classify_grpc",
    "classify_http",
]

_LAZY = {
    "build_exporter": "codex_otel_config.exporters.build",
    "ExportStats": "codex_otel_config.exporters.recording",
    "StatsSnapshot": "codex_otel_config.exporters.recording",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
