"""``RuntimeMetricsSummary``: the crate's per-turn digest of a runtime-reader snapshot.

The runtime reader (``MetricsConfig.with_runtime_reader()``) is a second, on-demand reader
with delta temporality: each :meth:`MetricsClient.snapshot` returns what was recorded since
the previous one, independently of the periodic exporter. This module reduces such a
snapshot to the few totals a UI shows (``runtime_metrics.rs``): counts and summed durations
of tool calls, API calls, SSE events, websocket requests and events, and the latest
responses-API and turn timings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

from opentelemetry.sdk.metrics.export import Histogram, Metric, MetricsData, Sum

from codex_otel_config.metrics import names as mn


@dataclass(frozen=True)
class RuntimeMetricTotals:
    """How many calls of one kind, and their summed duration in whole milliseconds."""

    count: int = 0
    duration_ms: int = 0

    def is_empty(self) -> bool:
        return self.count == 0 and self.duration_ms == 0

    def merge(self, other: RuntimeMetricTotals) -> RuntimeMetricTotals:
        """Both totals added (a new value: the crate's ``merge`` mutates in place)."""
        return RuntimeMetricTotals(self.count + other.count, self.duration_ms + other.duration_ms)

    def to_dict(self) -> dict[str, int]:
        return {"count": self.count, "duration_ms": self.duration_ms}


#: Totals fields: (count metric, duration metric).
_TOTALS: dict[str, tuple[str, str]] = {
    "tool_calls": (mn.TOOL_CALL_COUNT_METRIC, mn.TOOL_CALL_DURATION_METRIC),
    "api_calls": (mn.API_CALL_COUNT_METRIC, mn.API_CALL_DURATION_METRIC),
    "streaming_events": (mn.SSE_EVENT_COUNT_METRIC, mn.SSE_EVENT_DURATION_METRIC),
    "websocket_calls": (mn.WEBSOCKET_REQUEST_COUNT_METRIC, mn.WEBSOCKET_REQUEST_DURATION_METRIC),
    "websocket_events": (mn.WEBSOCKET_EVENT_COUNT_METRIC, mn.WEBSOCKET_EVENT_DURATION_METRIC),
}

#: Latest-value fields: the duration histogram each one reads.
_LATEST: dict[str, str] = {
    "responses_api_overhead_ms": mn.RESPONSES_API_OVERHEAD_DURATION_METRIC,
    "responses_api_inference_time_ms": mn.RESPONSES_API_INFERENCE_TIME_DURATION_METRIC,
    "responses_api_engine_iapi_ttft_ms": mn.RESPONSES_API_ENGINE_IAPI_TTFT_DURATION_METRIC,
    "responses_api_engine_service_ttft_ms": mn.RESPONSES_API_ENGINE_SERVICE_TTFT_DURATION_METRIC,
    "responses_api_engine_iapi_tbt_ms": mn.RESPONSES_API_ENGINE_IAPI_TBT_DURATION_METRIC,
    "responses_api_engine_service_tbt_ms": mn.RESPONSES_API_ENGINE_SERVICE_TBT_DURATION_METRIC,
    "turn_ttft_ms": mn.TURN_TTFT_DURATION_METRIC,
    "turn_ttfm_ms": mn.TURN_TTFM_DURATION_METRIC,
}


@dataclass(frozen=True)
class RuntimeMetricsSummary:
    """The crate's ``RuntimeMetricsSummary``: five totals and eight latest timings (ms)."""

    tool_calls: RuntimeMetricTotals = RuntimeMetricTotals()
    api_calls: RuntimeMetricTotals = RuntimeMetricTotals()
    streaming_events: RuntimeMetricTotals = RuntimeMetricTotals()
    websocket_calls: RuntimeMetricTotals = RuntimeMetricTotals()
    websocket_events: RuntimeMetricTotals = RuntimeMetricTotals()
    responses_api_overhead_ms: int = 0
    responses_api_inference_time_ms: int = 0
    responses_api_engine_iapi_ttft_ms: int = 0
    responses_api_engine_service_ttft_ms: int = 0
    responses_api_engine_iapi_tbt_ms: int = 0
    responses_api_engine_service_tbt_ms: int = 0
    turn_ttft_ms: int = 0
    turn_ttfm_ms: int = 0

    def is_empty(self) -> bool:
        """Nothing recorded: every total empty and every timing zero."""
        return all(getattr(self, name).is_empty() for name in _TOTALS) and not any(
            getattr(self, name) for name in _LATEST
        )

    def merge(self, other: RuntimeMetricsSummary) -> RuntimeMetricsSummary:
        """Totals added; each timing is ``other``'s when non-zero (the latest), else ours."""
        changes: dict[str, Any] = {
            name: getattr(self, name).merge(getattr(other, name)) for name in _TOTALS
        }
        changes.update({name: getattr(other, name) for name in _LATEST if getattr(other, name)})
        return replace(self, **changes)

    def responses_api_summary(self) -> RuntimeMetricsSummary:
        """Only the six responses-API timings (the crate's ``responses_api_summary``)."""
        return RuntimeMetricsSummary(
            **{name: getattr(self, name) for name in _LATEST if name.startswith("responses_api")}
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: value.to_dict() if isinstance(value, RuntimeMetricTotals) else value
            for f in fields(self)
            for value in (getattr(self, f.name),)
        }

    @classmethod
    def from_snapshot(cls, snapshot: MetricsData) -> RuntimeMetricsSummary:
        """Counter points summed; histogram sums rounded to whole ms per point, then summed."""
        metrics = list(_metrics(snapshot))
        values: dict[str, Any] = {
            name: RuntimeMetricTotals(
                _sum_counter(metrics, count_metric), _sum_histogram_ms(metrics, duration_metric)
            )
            for name, (count_metric, duration_metric) in _TOTALS.items()
        }
        for name, metric in _LATEST.items():
            values[name] = _sum_histogram_ms(metrics, metric)
        return cls(**values)


def _metrics(snapshot: MetricsData) -> Iterator[Metric]:
    for resource_metrics in snapshot.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            yield from scope_metrics.metrics


def _sum_counter(metrics: list[Metric], name: str) -> int:
    return sum(
        int(point.value)
        for metric in metrics
        if metric.name == name and isinstance(metric.data, Sum)
        for point in metric.data.data_points
        if isinstance(point.value, int)
    )


def _sum_histogram_ms(metrics: list[Metric], name: str) -> int:
    return sum(
        whole_ms(point.sum)
        for metric in metrics
        if metric.name == name and isinstance(metric.data, Histogram)
        for point in metric.data.data_points
    )


def whole_ms(value: float) -> int:
    """Rounded half away from zero like Rust's ``f64::round``; 0 for non-finite or ≤ 0."""
    if not math.isfinite(value) or value <= 0:
        return 0
    return math.floor(value + 0.5)
