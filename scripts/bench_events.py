#!/usr/bin/env python3
"""Cost of the telemetry API against the raw OpenTelemetry SDK calls it wraps.

Measures, in one process and interleaved round by round (so machine noise hits both
sides alike):

* ``SessionTelemetry.record_api_request(...)`` (a 401 with its auth evidence) against the
  raw calls it makes: one ``Logger.emit`` with the same attributes, one ``Span.add_event``
  with the trace attributes, one ``Counter.add`` and one ``Histogram.record``;
* ``MetricsClient.counter(...)`` (with and without per-call tags) against ``Counter.add``
  with the same attributes;
* the same ``record_api_request`` with the runtime reader on (``runtime_metrics = true``:
  a second, on-demand metric reader), against the raw calls through that client's
  ``MeterProvider`` — both sides pay the SDK's per-reader aggregation. The runtime reader is
  snapshotted between timed runs (untimed), as an application would once per turn.

The batch queues are drained (untimed) before each row after the first, so a row does not
run beside the export thread still working through the previous row's backlog.

Both sides share the same providers: batch processors with an exporter that drops what it
receives, as in production minus the network. Prints a markdown table of the median
per-call cost and the ratio of medians.

    python scripts/bench_events.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from codex_otel_config.metrics import MetricsClient, MetricsConfig
from codex_otel_config.telemetry import AuthEnvTelemetry, SessionTelemetry


class _DropSpans(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _DropLogs(LogRecordExporter):
    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


def _per_call_ns(fn: Callable[[], None], calls: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls


def _compare(
    ours: Callable[[], None],
    raw: Callable[[], None],
    calls: int,
    rounds: int,
    between: Callable[[], object] | None = None,
) -> tuple[float, float]:
    for fn in (ours, raw):  # warm caches (instruments, tag sets, attribute paths)
        _per_call_ns(fn, max(calls // 10, 10))
    ours_ns: list[float] = []
    raw_ns: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for i in range(rounds):
            order = (ours, raw) if i % 2 == 0 else (raw, ours)
            for fn in order:
                if between is not None:
                    between()  # untimed: e.g. a runtime snapshot, as once per turn
                value = _per_call_ns(fn, calls)
                (ours_ns if fn is ours else raw_ns).append(value)
    finally:
        gc.enable()
    return statistics.median(ours_ns), statistics.median(raw_ns)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per side")
    args = parser.parse_args(argv)

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_DropSpans(), max_queue_size=1 << 20))
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(_DropLogs(), max_queue_size=1 << 20)
    )
    metrics = MetricsClient(
        MetricsConfig.in_memory("bench", "codex-cli", "0.0.0").with_tag("service", "codex-cli")
    )
    session = SessionTelemetry(
        "11111111-2222-3333-4444-555555555555",
        "gpt-5.1",
        "gpt-5.1",
        "account-id",
        "engineer@example.com",
        "Chatgpt",
        "codex_exec",
        False,
        "tty",
        "cli",
        metrics=metrics,
        auth_env=AuthEnvTelemetry(True, False, True, "configured", True, True),
        logger_provider=logger_provider,
        tracer_provider=tracer_provider,
    )

    def record_api_request() -> None:
        session.record_api_request(
            1,
            401,
            "http 401",
            0.042,
            auth_header_attached=True,
            auth_header_name="authorization",
            retry_after_unauthorized=True,
            recovery_mode="managed",
            recovery_phase="refresh_token",
            endpoint="/responses",
            request_id="req-401",
            cf_ray="ray-401",
            auth_error="missing_authorization_header",
            auth_error_code="token_expired",
        )

    # The raw side: the same attributes, prebuilt, through the same providers.
    logger = logger_provider.get_logger("codex_otel.log_only")
    tracer = tracer_provider.get_tracer("bench")
    meter = metrics.meter_provider.get_meter("codex")
    raw_counter = meter.create_counter("codex.api_request")
    raw_histogram = meter.create_histogram("codex.api_request.duration_ms", unit="ms")
    fields: dict[str, Any] = {
        "duration_ms": 42,
        "http.response.status_code": 401,
        "error.message": "http 401",
        "attempt": 1,
        "auth.header_attached": True,
        "auth.header_name": "authorization",
        "auth.retry_after_unauthorized": True,
        "auth.recovery_mode": "managed",
        "auth.recovery_phase": "refresh_token",
        "endpoint": "/responses",
        "auth.request_id": "req-401",
        "auth.cf_ray": "ray-401",
        "auth.error": "missing_authorization_header",
        "auth.error_code": "token_expired",
        **AuthEnvTelemetry(True, False, True, "configured", True, True).attributes(),
    }
    common = {
        "event.name": "codex.api_request",
        "event.timestamp": "2026-03-14T09:26:53.589Z",
        "conversation.id": "11111111-2222-3333-4444-555555555555",
        "app.version": "0.1.0",
        "auth_mode": "Chatgpt",
        "originator": "codex_exec",
        "terminal.type": "tty",
        "model": "gpt-5.1",
        "slug": "gpt-5.1",
    }
    trace_attributes = {**fields, **common}
    log_attributes = {**trace_attributes, "user.account_id": "a", "user.email": "e@example.com"}
    metric_attributes = {
        "service": "codex-cli",
        **session.session_metric_tags,
        "status": "401",
        "success": "false",
    }
    info = SeverityNumber.INFO

    def raw_api_request() -> None:
        now = time.time_ns()
        logger.emit(
            timestamp=now,
            severity_number=info,
            severity_text="INFO",
            body="codex.api_request",
            attributes=log_attributes,
            event_name="codex.api_request",
        )
        trace.get_current_span().add_event("codex.api_request", trace_attributes, now)
        raw_counter.add(1, metric_attributes)
        raw_histogram.record(42.0, metric_attributes)

    # The runtime reader on: a second client (and session) built with it; the raw side goes
    # through that client's MeterProvider, which aggregates for both of its readers.
    runtime_metrics = MetricsClient(
        MetricsConfig.in_memory("bench", "codex-cli", "0.0.0")
        .with_tag("service", "codex-cli")
        .with_runtime_reader()
    )
    runtime_session = session.with_metrics(runtime_metrics)
    runtime_meter = runtime_metrics.meter_provider.get_meter("codex")
    runtime_counter = runtime_meter.create_counter("codex.api_request")
    runtime_histogram = runtime_meter.create_histogram("codex.api_request.duration_ms", unit="ms")

    def runtime_api_request() -> None:
        runtime_session.record_api_request(
            1,
            401,
            "http 401",
            0.042,
            auth_header_attached=True,
            auth_header_name="authorization",
            retry_after_unauthorized=True,
            recovery_mode="managed",
            recovery_phase="refresh_token",
            endpoint="/responses",
            request_id="req-401",
            cf_ray="ray-401",
            auth_error="missing_authorization_header",
            auth_error_code="token_expired",
        )

    def raw_runtime_api_request() -> None:
        now = time.time_ns()
        logger.emit(
            timestamp=now,
            severity_number=info,
            severity_text="INFO",
            body="codex.api_request",
            attributes=log_attributes,
            event_name="codex.api_request",
        )
        trace.get_current_span().add_event("codex.api_request", trace_attributes, now)
        runtime_counter.add(1, metric_attributes)
        runtime_histogram.record(42.0, metric_attributes)

    call_tags = {"source": "tui", "status": "ok"}
    counter_attributes = {"service": "codex-cli", **call_tags}
    bare_attributes = {"service": "codex-cli"}
    raw_bench_counter = meter.create_counter("codex.bench")

    def client_counter_tags() -> None:
        metrics.counter("codex.bench", 1, call_tags)

    def raw_counter_tags() -> None:
        raw_bench_counter.add(1, counter_attributes)

    raw_runtime_bench_counter = runtime_meter.create_counter("codex.bench")

    def runtime_counter_tags() -> None:
        runtime_metrics.counter("codex.bench", 1, call_tags)

    def raw_runtime_counter_tags() -> None:
        raw_runtime_bench_counter.add(1, counter_attributes)

    def client_counter_bare() -> None:
        metrics.counter("codex.bench", 1)

    def raw_counter_bare() -> None:
        raw_bench_counter.add(1, bare_attributes)

    def drain() -> None:
        """Empty the batch queues, so a row does not run beside the previous row's backlog."""
        logger_provider.force_flush()
        tracer_provider.force_flush()

    rows = []
    with tracer.start_as_current_span("root"):
        rows.append(
            (
                "`SessionTelemetry.record_api_request` (401, log + span event + 2 metrics)",
                *_compare(record_api_request, raw_api_request, args.calls, args.rounds),
            )
        )
        drain()
        rows.append(
            (
                "`SessionTelemetry.record_api_request` with the runtime reader on "
                "(`runtime_metrics = true`)",
                *_compare(
                    runtime_api_request,
                    raw_runtime_api_request,
                    args.calls,
                    args.rounds,
                    between=runtime_metrics.snapshot,
                ),
            )
        )
    drain()
    rows.append(
        (
            "`MetricsClient.counter(name, 1, tags)` (2 per-call tags)",
            *_compare(client_counter_tags, raw_counter_tags, args.calls, args.rounds),
        )
    )
    rows.append(
        (
            "`MetricsClient.counter(name, 1, tags)` with the runtime reader on",
            *_compare(
                runtime_counter_tags,
                raw_runtime_counter_tags,
                args.calls,
                args.rounds,
                between=runtime_metrics.snapshot,
            ),
        )
    )
    rows.append(
        (
            "`MetricsClient.counter(name)` (default tags only)",
            *_compare(client_counter_bare, raw_counter_bare, args.calls, args.rounds),
        )
    )

    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds x {args.calls} calls per side\n")
    print("| call | ours (µs/call) | raw SDK (µs/call) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for label, ours, raw in rows:
        print(f"| {label} | {ours / 1000:.2f} | {raw / 1000:.2f} | {ours / raw:.2f}x |")

    metrics.shutdown()
    runtime_metrics.shutdown()
    logger_provider.shutdown()
    tracer_provider.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
