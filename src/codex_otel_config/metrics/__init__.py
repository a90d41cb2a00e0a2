"""The crate's metrics client (layer 3): ``MetricsConfig``, ``MetricsClient``, timers.

Imports only the settings-free SDK pieces it needs; bootstrap builds one per provider and
telemetry records session metrics through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codex_otel_config.metrics.client import (
    MetricsClient,
    global_metrics,
    install_global,
    start_global_timer,
)
from codex_otel_config.metrics.config import MetricsConfig
from codex_otel_config.metrics.errors import MetricsError
from codex_otel_config.metrics.in_memory import InMemoryMetricExporter
from codex_otel_config.metrics.timer import Timer
from codex_otel_config.metrics.validation import (
    sanitize_metric_tag_value,
    validate_metric_name,
    validate_tag_key,
    validate_tag_value,
)

if TYPE_CHECKING:
    from codex_otel_config.metrics.runtime import RuntimeMetricsSummary, RuntimeMetricTotals

__all__ = [
    "InMemoryMetricExporter",
    "MetricsClient",
    "MetricsConfig",
    "MetricsError",
    "RuntimeMetricTotals",
    "RuntimeMetricsSummary",
    "Timer",
    "global_metrics",
    "install_global",
    "sanitize_metric_tag_value",
    "start_global_timer",
    "validate_metric_name",
    "validate_tag_key",
    "validate_tag_value",
]

#: Loaded on first use: only a session with ``runtime_metrics = true`` summarises snapshots,
#: so ``bootstrap_from_env()`` does not pay for this module.
_LAZY = {
    "RuntimeMetricTotals": "codex_otel_config.metrics.runtime",
    "RuntimeMetricsSummary": "codex_otel_config.metrics.runtime",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'codex_otel_config.metrics' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
