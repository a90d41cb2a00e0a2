"""The recording log record exporter (see :mod:`codex_otel_config.exporters.recording`)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from codex_otel_config.exporters.recording import ExportStats, Recorder

__all__ = ["RecordingLogExporter"]


class RecordingLogExporter(LogRecordExporter):
    """Wraps an SDK log exporter; counts log records and keeps the last classified failure."""

    def __init__(self, inner: LogRecordExporter, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    @property
    def stats(self) -> ExportStats:
        return self.recorder.stats

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        ok = self.recorder.run(
            len(batch), lambda: self.inner.export(batch) is LogRecordExportResult.SUCCESS
        )
        return LogRecordExportResult.SUCCESS if ok else LogRecordExportResult.FAILURE

    def shutdown(self) -> None:
        self.recorder.shutdown_inner()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))
