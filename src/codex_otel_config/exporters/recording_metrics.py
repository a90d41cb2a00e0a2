"""The recording metric exporter (see :mod:`codex_otel_config.exporters.recording`)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

from codex_otel_config.exporters.recording import ExportStats, Recorder

__all__ = ["RecordingMetricExporter", "count_points"]


def count_points(data: MetricsData) -> int:
    """The number of data points in one export (what ``exported``/``failed`` count)."""
    return sum(
        len(metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    )


class RecordingMetricExporter(MetricExporter):
    """Wraps an SDK metric exporter; counts data points and keeps the last classified failure.

    The reader takes its temporality and aggregation preferences from the exporter, so the
    wrapper reports the inner exporter's.
    """

    def __init__(self, inner: MetricExporter, recorder: Recorder) -> None:
        super().__init__(
            preferred_temporality=dict(inner._preferred_temporality or {}),
            preferred_aggregation=dict(inner._preferred_aggregation or {}),
        )
        self.inner = inner
        self.recorder = recorder

    @property
    def stats(self) -> ExportStats:
        return self.recorder.stats

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        ok = self.recorder.run(
            count_points(metrics_data),
            lambda: (
                self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
                is MetricExportResult.SUCCESS
            ),
        )
        return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis=timeout_millis))

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.recorder.shutdown_inner()
