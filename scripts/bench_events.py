#!/usr/bin/env python3
"""Cost of the telemetry API against the raw OpenTelemetry SDK calls it wraps.

Compares, in one process:

* ``SessionTelemetry.record_api_request(...)`` (a 401 with its auth evidence) against the
  raw calls it makes: one ``Logger.emit`` with the same attributes, one ``Span.add_event``
  with the trace attributes, one ``Counter.add`` and one ``Histogram.record``;
* ``MetricsClient.counter(...)`` (with and without per-call tags) against ``Counter.add``
  with the same attributes;
* the same ``record_api_request`` with the runtime reader on (``runtime_metrics = true``:
  a second, on-demand metric reader), against the raw calls through that client's
  ``MeterProvider`` — both sides pay the SDK's per-reader aggregation. The runtime reader is
  snapshotted before each timed block (untimed), as an application would once per turn;
* control: the raw calls of the first row against themselves. Its true ratio is 1, so its
  interval shows how finely this run resolves a ratio (and should contain 1.0).

Target: <= 1.2x the raw SDK calls.

Method (docs/benchmarks.md says why). A round runs each side in ``--blocks`` short blocks
of ``--calls`` calls, in the order A B B A (A B B A A B B A … with more blocks), the first
side at random, so both sides run within milliseconds of each other. The primary figure is
the CPU time of the calling thread (``time.thread_time``): it leaves out time spent waiting
for a CPU (or for the GIL) held by something else, and the export thread's work, which
handles the same records for both sides; wall time is a secondary column. Per round, the
ratio ours / raw of the summed blocks; over the rounds, the median of those ratios with a
95 % bootstrap interval and a verdict from the interval ("ok", "over" or "inconclusive"),
as in ``bench_bootstrap.py`` (shared code: ``scripts/_benchstats.py``). The garbage
collector is off while a row is timed; the batch queues are drained (untimed) between rows,
so a row does not run beside the export thread still working through the previous backlog.

Both sides share the same providers: batch processors with an exporter that drops what it
receives, as in production minus the network. Prints a markdown table.

    python scripts/bench_events.py [--rounds 60] [--blocks 2] [--calls 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from _benchstats import Sample, table_header, table_row
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


TARGET = 1.2


@dataclass(frozen=True)
class Row:
    """One comparison: our call against the raw SDK calls it makes."""

    name: str
    ours: Callable[[], None]
    raw: Callable[[], None]
    target: float | None = TARGET
    between: Callable[[], object] | None = None  # untimed, before each block


def _block(fn: Callable[[], None], calls: int) -> Sample:
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    return Sample(time.thread_time() - cpu, time.perf_counter() - wall)


def measure(
    row: Row, rounds: int, blocks: int, calls: int, rng: random.Random
) -> tuple[list[Sample], list[Sample]]:
    """Per round and side, the seconds per call of ``blocks`` alternating blocks (ABBA…)."""
    sides = (row.ours, row.raw)
    for fn in sides:  # warm caches (instruments, tag sets, attribute paths)
        _block(fn, calls)
    per_round: tuple[list[Sample], list[Sample]] = ([], [])
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            first = rng.randrange(2)
            cpu, wall = [0.0, 0.0], [0.0, 0.0]
            for index in range(2 * blocks):
                side = first ^ ((index + 1) // 2 % 2)  # A B B A A B B A …
                if row.between is not None:
                    row.between()
                sample = _block(sides[side], calls)
                cpu[side] += sample.cpu
                wall[side] += sample.wall
            for side in (0, 1):
                per_round[side].append(
                    Sample(cpu[side] / (blocks * calls), wall[side] / (blocks * calls))
                )
    finally:
        gc.enable()
    return per_round


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="measured rounds (>= 5)")
    parser.add_argument("--blocks", type=int, default=2, help="blocks per side and round")
    parser.add_argument("--calls", type=int, default=200, help="calls per block")
    parser.add_argument("--seed", type=int, default=0, help="block order and bootstrap")
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

    def api_request(on: SessionTelemetry) -> Callable[[], None]:
        """Our call on ``on``: a 401 with every auth field set."""

        def call() -> None:
            on.record_api_request(
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

        return call

    record_api_request = api_request(session)

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

    def raw_calls(counter: Any, histogram: Any) -> Callable[[], None]:
        """The raw SDK calls ``record_api_request`` makes, through ``counter``/``histogram``."""

        def call() -> None:
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
            counter.add(1, metric_attributes)
            histogram.record(42.0, metric_attributes)

        return call

    raw_api_request = raw_calls(raw_counter, raw_histogram)

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

    runtime_api_request = api_request(runtime_session)
    raw_runtime_api_request = raw_calls(runtime_counter, runtime_histogram)

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

    rows = (
        Row(
            "`SessionTelemetry.record_api_request` (401, log + span event + 2 metrics) vs raw SDK",
            record_api_request,
            raw_api_request,
        ),
        Row(
            "`SessionTelemetry.record_api_request` with the runtime reader on "
            "(`runtime_metrics = true`) vs raw SDK",
            runtime_api_request,
            raw_runtime_api_request,
            between=runtime_metrics.snapshot,
        ),
        Row(
            "control: raw SDK calls of `record_api_request` vs themselves (true ratio 1: the "
            "interval shows this run's resolution)",
            raw_api_request,
            raw_api_request,
            target=None,
        ),
        Row(
            "`MetricsClient.counter(name, 1, tags)` (2 per-call tags) vs raw SDK",
            client_counter_tags,
            raw_counter_tags,
        ),
        Row(
            "`MetricsClient.counter(name, 1, tags)` with the runtime reader on vs raw SDK",
            runtime_counter_tags,
            raw_runtime_counter_tags,
            between=runtime_metrics.snapshot,
        ),
        Row(
            "`MetricsClient.counter(name)` (default tags only) vs raw SDK",
            client_counter_bare,
            raw_counter_bare,
        ),
    )
    rounds, blocks, calls = max(5, args.rounds), max(1, args.blocks), max(1, args.calls)
    rng = random.Random(args.seed)
    lines = [table_header("call", "µs/call")]
    with tracer.start_as_current_span("root"):  # the span the events are added to
        for row in rows:
            ours, raw = measure(row, rounds, blocks, calls, rng)
            lines.append(table_row(row.name, ours, raw, row.target, rng, scale=1e6, digits=2))
            drain()

    print(
        f"One process, {rounds} rounds; each round runs {blocks} blocks of {calls} calls per "
        "side, alternating, first side at random; CPU time of the calling thread; median of "
        f"per-round ratios, 95 % bootstrap interval (Python {sys.version.split()[0]}, load "
        f"average {os.getloadavg()[0]:.1f} at the end):\n"
    )
    print("\n".join(lines))

    metrics.shutdown()
    runtime_metrics.shutdown()
    logger_provider.shutdown()
    tracer_provider.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
