"""The crate's metrics client (layer 3): ``MetricsConfig``, ``MetricsClient``, timers.

Imports only the settings-free SDK pieces it needs; bootstrap builds one per provider and
telemetry records session metrics through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_otel_config._lazy import lazy_attributes
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


__getattr__ = lazy_attributes(__name__, _LAZY)
