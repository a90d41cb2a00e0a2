"""The recording span exporter (see :mod:`codex_otel_config.exporters.recording`)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from codex_otel_config.exporters.recording import ExportStats, Recorder

__all__ = ["RecordingSpanExporter"]


class RecordingSpanExporter(SpanExporter):
    """Wraps an SDK span exporter; counts spans and keeps the last classified failure."""

    def __init__(self, inner: SpanExporter, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    @property
    def stats(self) -> ExportStats:
        return self.recorder.stats

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        ok = self.recorder.run(
            len(spans), lambda: self.inner.export(spans) is SpanExportResult.SUCCESS
        )
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.recorder.shutdown_inner()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))
