"""The SDK side of bootstrap: resource, batch processors, providers, one pipeline per signal.

Imported only once some signal is actually exported; each signal's SDK modules are imported
inside its builder, so a settings exporting only traces never imports the logs SDK.
"""

from __future__ import annotations

import atexit
import functools
import logging
import socket
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.exporters.recording import ExportStats, Recorder
from codex_otel_config.settings.model import METRIC_EXPORT_INTERVAL_MS, OtelSettings, Signal

__all__ = ["Pipeline", "build_resource", "check_processors", "resource_attributes"]

#: Loggers whose records a bridged handler must not export: the SDK's own export errors
#: and the HTTP/gRPC stacks under it would otherwise feed failures back into the pipeline.
_INTERNAL_LOGGERS = ("opentelemetry", "urllib3", "grpc", "codex_otel_config.exporters")


@dataclass
class Pipeline:
    """One exported signal: its recording exporter and how to flush / shut it down."""

    signal: Signal
    recorder: Recorder
    endpoint: str
    flush: Callable[[float], object]
    close: Callable[[float], object]
    counts_submitted: bool

    @property
    def stats(self) -> ExportStats:
        return self.recorder.stats


def check_processors(settings: OtelSettings) -> None:
    """Settings built in code skip the loader: refuse what the SDK would with a bare
    ``ValueError``, as a :class:`SettingsError` (the loader reports the same problems)."""
    problems = [
        Problem(key, settings.source_of(key).describe(), message)
        for key, message in settings.processors.problems()
    ]
    if problems:
        raise SettingsError(problems)


ResourceKind = Literal["logs", "traces"]

#: The resource attribute the logs resource carries and the traces resource never does.
HOST_NAME_ATTRIBUTE = "host.name"


def detected_host_name() -> str | None:
    """This machine's host name, or ``None`` when the system reports none."""
    return socket.gethostname() or None


def resource_attributes(
    settings: OtelSettings, host_name: str | None, kind: ResourceKind
) -> dict[str, str]:
    """The crate's ``resource_attributes``: ``service.name``, ``service.version``, ``env``
    and the configured attributes; ``host.name`` (trimmed, omitted when empty) on the
    **logs** resource only — per-host identity stays out of traces, as in the crate. A
    ``host.name`` in ``resource_attributes`` is the user's choice and kept on both."""
    from opentelemetry.sdk.resources import (
        TELEMETRY_SDK_LANGUAGE,
        TELEMETRY_SDK_NAME,
        TELEMETRY_SDK_VERSION,
    )
    from opentelemetry.sdk.version import __version__ as sdk_version

    attributes: dict[str, str] = {
        TELEMETRY_SDK_LANGUAGE: "python",
        TELEMETRY_SDK_NAME: "opentelemetry",
        TELEMETRY_SDK_VERSION: sdk_version,
    }
    host = (host_name or "").strip()
    if kind == "logs" and host:
        attributes[HOST_NAME_ATTRIBUTE] = host
    attributes.update(settings.resource_attributes)
    attributes["service.name"] = settings.service_name
    attributes["service.version"] = settings.service_version
    attributes["env"] = settings.environment
    return attributes


def build_resource(settings: OtelSettings, kind: ResourceKind) -> Any:
    """The ``kind`` resource, built directly (not ``Resource.create``) so
    ``OTEL_RESOURCE_ATTRIBUTES`` / ``OTEL_SERVICE_NAME`` are taken from the settings, not
    re-read from ``os.environ``."""
    from opentelemetry.sdk.resources import Resource

    host = detected_host_name() if kind == "logs" else None
    return Resource(resource_attributes(settings, host, kind))


@functools.cache
def _counting_span_processor() -> type:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    class CountingBatchSpanProcessor(BatchSpanProcessor):
        """Counts the spans handed to the queue, so drops can be told from exports."""

        def __init__(self, exporter: Any, stats: ExportStats, **kwargs: Any) -> None:
            super().__init__(exporter, **kwargs)
            self._codex_stats = stats

        def on_end(self, span: Any) -> None:
            if span.context is not None and span.context.trace_flags.sampled:
                self._codex_stats.note_submitted(1)
            super().on_end(span)

    return CountingBatchSpanProcessor


@functools.cache
def _counting_log_processor() -> type:
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    class CountingBatchLogRecordProcessor(BatchLogRecordProcessor):
        """Counts the log records handed to the queue."""

        def __init__(self, exporter: Any, stats: ExportStats, **kwargs: Any) -> None:
            super().__init__(exporter, **kwargs)
            self._codex_stats = stats

        def on_emit(self, log_record: Any) -> None:
            self._codex_stats.note_submitted(1)
            super().on_emit(log_record)

    return CountingBatchLogRecordProcessor


def build_traces(settings: OtelSettings, exporter: Any, resource: Any) -> tuple[Any, Pipeline]:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    processor = _batch(_counting_span_processor(), settings, "bsp", exporter)
    provider.add_span_processor(processor)
    return provider, _batched_pipeline("traces", provider, exporter)


def build_logs(settings: OtelSettings, exporter: Any, resource: Any) -> tuple[Any, Pipeline]:
    from opentelemetry.sdk._logs import LoggerProvider

    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    processor = _batch(_counting_log_processor(), settings, "blrp", exporter)
    provider.add_log_record_processor(processor)
    return provider, _batched_pipeline("logs", provider, exporter)


def _batch(
    processor_class: type, settings: OtelSettings, prefix: Literal["bsp", "blrp"], exporter: Any
) -> Any:
    """A counting batch processor tuned from ``OTEL_BSP_*`` / ``OTEL_BLRP_*`` (via settings)."""
    tuned = settings.processors.tuned(prefix)
    return processor_class(
        exporter,
        exporter.stats,
        max_queue_size=tuned["max_queue_size"],
        schedule_delay_millis=tuned["schedule_delay_ms"],
        max_export_batch_size=tuned["max_export_batch_size"],
        export_timeout_millis=tuned["export_timeout_ms"],
    )


def _batched_pipeline(signal: Signal, provider: Any, exporter: Any) -> Pipeline:
    return Pipeline(
        signal=signal,
        recorder=exporter.recorder,
        endpoint=exporter.recorder.describe,
        flush=lambda timeout: provider.force_flush(int(timeout * 1000)),
        close=lambda timeout: provider.shutdown(),
        counts_submitted=True,
    )


def build_metrics(settings: OtelSettings, exporter: Any) -> tuple[Any, Pipeline]:
    """The crate's ``MetricsClient`` over our recording exporter. Its ``MeterProvider``
    registers an unbounded SDK at-exit shutdown; that is replaced by ours."""
    from codex_otel_config.metrics import MetricsClient, MetricsConfig

    interval_ms = settings.processors.metric_export_interval_ms or METRIC_EXPORT_INTERVAL_MS
    config = (
        MetricsConfig.otlp(
            settings.environment, settings.service_name, settings.service_version, exporter
        )
        .with_export_interval(interval_ms / 1000.0)
        .with_resource_attributes(settings.resource_attributes)
    )
    if settings.runtime_metrics:
        config = config.with_runtime_reader()
    client = MetricsClient(config)
    atexit.unregister(client.meter_provider.shutdown)
    pipeline = Pipeline(
        signal="metrics",
        recorder=exporter.recorder,
        endpoint=exporter.recorder.describe,
        flush=lambda timeout: client.force_flush(timeout),
        close=lambda timeout: client.shutdown(timeout),
        counts_submitted=False,
    )
    return client, pipeline


class _InternalFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        return not any(name == p or name.startswith(p + ".") for p in _INTERNAL_LOGGERS)


def logging_handler(logger_provider: Any, level: int) -> logging.Handler:
    """The SDK's ``LoggingHandler`` on our logger provider, minus two hazards: its
    ``flush()`` starts a non-daemon thread running an unbounded ``force_flush`` (which can
    hold process exit), and records from the export machinery would loop back into it."""
    from opentelemetry.sdk._logs import LoggingHandler

    class BoundedLoggingHandler(LoggingHandler):
        def flush(self) -> None:
            thread = threading.Thread(
                target=logger_provider.force_flush,
                args=(5000,),
                name="codex-otel-handler-flush",
                daemon=True,
            )
            thread.start()

    with warnings.catch_warnings():
        # Deprecated in favour of opentelemetry-instrumentation-logging, which we do not
        # depend on; the SDK class is still the reference bridge in 1.45.
        warnings.simplefilter("ignore", DeprecationWarning)
        handler = BoundedLoggingHandler(level=level, logger_provider=logger_provider)
    handler.addFilter(_InternalFilter())
    return handler
