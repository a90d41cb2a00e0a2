"""Exporters the metrics client wraps: an in-memory one for tests, and a delta adapter.

The Python SDK has an ``InMemoryMetricReader`` but no in-memory *exporter*; the crate's
``MetricsConfig::in_memory`` takes one, so that ``shutdown()`` can be seen to flush through
the same periodic reader production uses. This module provides it.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
)

# The crate exports with the Delta temporality selector: monotonic sums and histograms
# report the change since the last export; up-down counters and gauges stay cumulative.
DELTA_TEMPORALITY: dict[type, AggregationTemporality] = {
    Counter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
    ObservableCounter: AggregationTemporality.DELTA,
}


def prefers_delta(exporter: MetricExporter) -> bool:
    """True when the exporter already asks for delta counters and histograms."""
    preferred = getattr(exporter, "_preferred_temporality", None) or {}
    return all(preferred.get(kind) is AggregationTemporality.DELTA for kind in DELTA_TEMPORALITY)


class InMemoryMetricExporter(MetricExporter):
    """Keeps every exported :class:`MetricsData` batch in memory, with delta temporality."""

    def __init__(self) -> None:
        super().__init__(preferred_temporality=dict(DELTA_TEMPORALITY))
        self._lock = threading.Lock()
        self._batches: list[MetricsData] = []
        self._shut_down = False

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        if self._shut_down:
            return MetricExportResult.FAILURE
        with self._lock:
            self._batches.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._shut_down = True

    def get_finished_metrics(self) -> list[MetricsData]:
        """Every batch exported so far, oldest first."""
        with self._lock:
            return list(self._batches)

    def clear(self) -> None:
        with self._lock:
            self._batches.clear()

    def points(self, name: str) -> list[NumberDataPoint | HistogramDataPoint]:
        """Every data point of the metric ``name`` across all exported batches."""
        found: list[NumberDataPoint | HistogramDataPoint] = []
        for batch in self.get_finished_metrics():
            for resource_metrics in batch.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        if metric.name == name:
                            found.extend(metric.data.data_points)  # type: ignore[arg-type]
        return found


class DeltaTemporalityExporter(MetricExporter):
    """Delegates to another exporter but asks the reader for delta temporality.

    Bootstrap hands the client an exporter it built and wrapped for reporting; the
    reader takes its temporality from the exporter, so this adapter imposes the crate's
    delta choice without touching the wrapped object.
    """

    def __init__(self, inner: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=dict(DELTA_TEMPORALITY),
            preferred_aggregation=getattr(inner, "_preferred_aggregation", None),
        )
        self.inner = inner

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        # The SDK's periodic reader passes ``timeout=`` (milliseconds); normalise it.
        millis = kwargs.pop("timeout", timeout_millis)
        self.inner.shutdown(timeout_millis=millis, **kwargs)
