"""codex-otel-config: layered OpenTelemetry settings, a safe bootstrap, and operator tools.

The public surface is the names in ``__all__``; everything else is importable but not
promised. Heavy modules (the SDK, exporters, grpc, textual) load only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_otel_config._lazy import lazy_attributes
from codex_otel_config._version import __version__
from codex_otel_config.errors import CodexOtelError, SettingsError
from codex_otel_config.settings.model import OtelSettings

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import OtelProvider, bootstrap_from_env
    from codex_otel_config.metrics import MetricsClient, MetricsConfig
    from codex_otel_config.settings.loader import load_settings
    from codex_otel_config.telemetry import (
        SessionTelemetry,
        context_from_w3c_trace_context,
        current_span_trace_id,
        current_span_w3c_trace_context,
        set_parent_from_w3c_trace_context,
        traceparent_context_from_env,
    )

__all__ = [
    "CodexOtelError",
    "MetricsClient",
    "MetricsConfig",
    "OtelProvider",
    "OtelSettings",
    "SessionTelemetry",
    "SettingsError",
    "__version__",
    "bootstrap_from_env",
    "context_from_w3c_trace_context",
    "current_span_trace_id",
    "current_span_w3c_trace_context",
    "load_settings",
    "set_parent_from_w3c_trace_context",
    "traceparent_context_from_env",
]

_LAZY = {
    "load_settings": "codex_otel_config.settings.loader",
    "bootstrap_from_env": "codex_otel_config.bootstrap",
    "OtelProvider": "codex_otel_config.bootstrap",
    "MetricsClient": "codex_otel_config.metrics",
    "MetricsConfig": "codex_otel_config.metrics",
    "SessionTelemetry": "codex_otel_config.telemetry",
    "context_from_w3c_trace_context": "codex_otel_config.telemetry",
    "current_span_trace_id": "codex_otel_config.telemetry",
    "current_span_w3c_trace_context": "codex_otel_config.telemetry",
    "set_parent_from_w3c_trace_context": "codex_otel_config.telemetry",
    "traceparent_context_from_env": "codex_otel_config.telemetry",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
