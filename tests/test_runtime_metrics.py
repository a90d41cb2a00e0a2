"""The runtime reader, snapshots and ``RuntimeMetricsSummary`` (the crate's
``runtime_summary.rs`` and ``snapshot.rs``), through the real SDK and a real receiver."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry._logs import NoOpLoggerProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, MetricsData, NumberDataPoint
from opentelemetry.trace import NoOpTracerProvider

from codex_otel_config.bootstrap import OtelProvider, build_provider
from codex_otel_config.metrics import (
    InMemoryMetricExporter,
    MetricsClient,
    MetricsConfig,
    MetricsError,
    RuntimeMetricsSummary,
    RuntimeMetricTotals,
    install_global,
)
from codex_otel_config.metrics import names as mn
from codex_otel_config.metrics.client import _reset_global_for_tests
from codex_otel_config.receiver import Receiver
from codex_otel_config.settings.model import OtelSettings, OtlpHttp
from codex_otel_config.telemetry import SessionTelemetry
from codex_otel_config.telemetry.websocket import duration_from_ms_value
from fixtures.check_cli import CliRunner, http, write_settings
from fixtures.check_cli import cli as cli

pytestmark = pytest.mark.timeout(60)

TIMING_FRAME = {
    "type": "responsesapi.websocket_timing",
    "timing_metrics": {
        "responses_duration_excl_engine_and_client_tool_time_ms": 124,
        "engine_service_total_ms": 457,
        "engine_iapi_ttft_total_ms": 211,
        "engine_service_ttft_total_ms": 233,
        "engine_iapi_tbt_across_engine_calls_ms": 377,
        "engine_service_tbt_across_engine_calls_ms": 399,
    },
}


@pytest.fixture
def no_global() -> Iterator[None]:
    """No global metrics client, so a session without one really has none."""
    previous = _reset_global_for_tests()
    yield
    _reset_global_for_tests()
    if previous is not None:
        install_global(previous)


@pytest.fixture
def clients() -> Iterator[list[MetricsClient]]:
    made: list[MetricsClient] = []
    yield made
    for client in made:
        client.shutdown()


def make_client(clients: list[MetricsClient], *, runtime: bool = True) -> MetricsClient:
    config = MetricsConfig.in_memory("test", "codex-cli", "1.2.3").with_tag("service", "codex-cli")
    client = MetricsClient(config.with_runtime_reader() if runtime else config)
    clients.append(client)
    return client


def make_session(metrics: MetricsClient | None) -> SessionTelemetry:
    return SessionTelemetry(
        "11111111-2222-3333-4444-555555555555",
        "gpt-5.1",
        "gpt-5.1",
        "account-id",
        None,
        "ApiKey",
        "test_originator",
        True,
        "tty",
        "cli",
        metrics=metrics,
        logger_provider=NoOpLoggerProvider(),
        tracer_provider=NoOpTracerProvider(),
    )


def points(snapshot: MetricsData, name: str) -> list[Any]:
    return [
        point
        for resource in snapshot.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


# -- the crate's runtime_summary.rs ------------------------------------------------------------


def test_runtime_metrics_summary_collects_tool_api_and_streaming_metrics(
    clients: list[MetricsClient],
) -> None:
    session = make_session(make_client(clients))
    session.reset_runtime_metrics()

    session.tool_result_with_tags(
        "shell", "call-1", '{"cmd":"echo"}', timedelta(milliseconds=250), True, "ok"
    )
    session.record_api_request(1, 200, None, timedelta(milliseconds=300), endpoint="/responses")
    session.record_websocket_request(timedelta(milliseconds=400))
    session.sse_event("response.created", timedelta(milliseconds=120))
    session.record_websocket_message('{"type":"response.created"}', timedelta(milliseconds=80))
    session.record_websocket_message(json.dumps(TIMING_FRAME), timedelta(milliseconds=20))
    session.record_duration(mn.TURN_TTFT_DURATION_METRIC, timedelta(milliseconds=95))
    session.record_duration(mn.TURN_TTFM_DURATION_METRIC, timedelta(milliseconds=180))

    assert session.runtime_metrics_summary() == RuntimeMetricsSummary(
        tool_calls=RuntimeMetricTotals(count=1, duration_ms=250),
        api_calls=RuntimeMetricTotals(count=1, duration_ms=300),
        streaming_events=RuntimeMetricTotals(count=1, duration_ms=120),
        websocket_calls=RuntimeMetricTotals(count=1, duration_ms=400),
        websocket_events=RuntimeMetricTotals(count=2, duration_ms=100),
        responses_api_overhead_ms=124,
        responses_api_inference_time_ms=457,
        responses_api_engine_iapi_ttft_ms=211,
        responses_api_engine_service_ttft_ms=233,
        responses_api_engine_iapi_tbt_ms=377,
        responses_api_engine_service_tbt_ms=399,
        turn_ttft_ms=95,
        turn_ttfm_ms=180,
    )
    # Delta: the summary consumed the snapshot, so nothing is left for the next one.
    assert session.runtime_metrics_summary() is None


def test_reset_discards_what_was_recorded_before(clients: list[MetricsClient]) -> None:
    session = make_session(make_client(clients))
    session.record_api_request(1, 200, None, 0.5)
    session.reset_runtime_metrics()
    session.record_api_request(2, 200, None, 0.25)
    summary = session.runtime_metrics_summary()
    assert summary is not None
    assert summary.api_calls == RuntimeMetricTotals(count=1, duration_ms=250)


def test_summary_is_none_without_reader_client_or_data(
    clients: list[MetricsClient], no_global: None
) -> None:
    assert make_session(make_client(clients, runtime=False)).runtime_metrics_summary() is None
    assert make_session(None).runtime_metrics_summary() is None
    assert make_session(make_client(clients)).runtime_metrics_summary() is None  # nothing yet
    make_session(None).reset_runtime_metrics()  # no client: nothing to do, no error


def test_merge_adds_totals_and_keeps_the_latest_non_zero_timing() -> None:
    first = RuntimeMetricsSummary(
        tool_calls=RuntimeMetricTotals(1, 250),
        websocket_events=RuntimeMetricTotals(2, 100),
        responses_api_overhead_ms=124,
        turn_ttft_ms=95,
    )
    second = RuntimeMetricsSummary(
        tool_calls=RuntimeMetricTotals(2, 50),
        api_calls=RuntimeMetricTotals(1, 300),
        responses_api_overhead_ms=200,
        turn_ttfm_ms=180,
    )
    merged = first.merge(second)
    assert merged == RuntimeMetricsSummary(
        tool_calls=RuntimeMetricTotals(3, 300),
        api_calls=RuntimeMetricTotals(1, 300),
        websocket_events=RuntimeMetricTotals(2, 100),
        responses_api_overhead_ms=200,  # the latest
        turn_ttft_ms=95,  # zero in the later summary: kept
        turn_ttfm_ms=180,
    )
    assert first.tool_calls == RuntimeMetricTotals(1, 250)  # values: merge builds a new one
    assert RuntimeMetricsSummary().is_empty() and not merged.is_empty()
    assert merged.to_dict()["tool_calls"] == {"count": 3, "duration_ms": 300}
    assert merged.responses_api_summary() == RuntimeMetricsSummary(responses_api_overhead_ms=200)


# -- the crate's snapshot.rs -------------------------------------------------------------------


def test_snapshot_collects_metrics_without_shutdown(clients: list[MetricsClient]) -> None:
    client = make_client(clients)
    client.counter("codex.tool.call", 1, {"tool": "shell", "success": "true"})

    snapshot = client.snapshot()

    (point,) = points(snapshot, "codex.tool.call")
    assert isinstance(point, NumberDataPoint) and point.value == 1
    assert dict(point.attributes or {}) == {
        "service": "codex-cli",
        "success": "true",
        "tool": "shell",
    }
    exporter = client.config.exporter
    assert isinstance(exporter, InMemoryMetricExporter)
    assert exporter.get_finished_metrics() == []  # no periodic export happened


def test_session_snapshot_metrics_collects_without_shutdown(clients: list[MetricsClient]) -> None:
    session = make_session(make_client(clients))
    session.counter("codex.tool.call", 1, {"tool": "shell", "success": "true"})

    (point,) = points(session.snapshot_metrics(), "codex.tool.call")
    assert dict(point.attributes or {}) == {
        "app.version": session.app_version,
        "auth_mode": "ApiKey",
        "model": "gpt-5.1",
        "originator": "test_originator",
        "service": "codex-cli",
        "session_source": "cli",
        "success": "true",
        "tool": "shell",
    }


def test_snapshot_errors_name_what_is_missing(
    clients: list[MetricsClient], no_global: None
) -> None:
    with pytest.raises(MetricsError) as unavailable:
        make_client(clients, runtime=False).snapshot()
    assert unavailable.value.kind == "runtime_snapshot_unavailable"
    assert "runtime_metrics = true" in str(unavailable.value)

    with pytest.raises(MetricsError) as disabled:
        make_session(None).snapshot_metrics()
    assert disabled.value.kind == "exporter_disabled"

    client = make_client(clients)
    client.shutdown()
    with pytest.raises(MetricsError) as collect:
        client.snapshot()
    assert collect.value.kind == "runtime_snapshot_collect"


def test_snapshots_do_not_take_from_the_periodic_exporter(clients: list[MetricsClient]) -> None:
    """Two readers, two delta states: a snapshot resets only its own."""
    client = make_client(clients)
    client.counter("codex.api_request", 2)
    assert [p.value for p in points(client.snapshot(), "codex.api_request")] == [2]
    client.counter("codex.api_request", 3)
    assert [p.value for p in points(client.snapshot(), "codex.api_request")] == [3]
    assert points(client.snapshot(), "codex.api_request") == []
    assert client.force_flush()
    exporter = client.config.exporter
    assert isinstance(exporter, InMemoryMetricExporter)
    assert sum(p.value for p in exporter.points("codex.api_request")) == 5  # type: ignore[misc]


# -- websocket frames ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected_ms"),
    [
        (124, 124),
        (0, 0),
        (12.5, 13),  # rounded half away from zero, like Rust's f64::round
        (2.4, 2),
        (-1, None),
        (math.inf, None),
        (math.nan, None),
        ("124", None),
        (True, None),
        (None, None),
    ],
)
def test_timing_values_are_whole_ms_and_bad_ones_dropped(
    value: object, expected_ms: int | None
) -> None:
    duration = duration_from_ms_value(value)
    assert (None if duration is None else duration // timedelta(milliseconds=1)) == expected_ms


def test_unusable_timing_fields_are_dropped(clients: list[MetricsClient]) -> None:
    client = make_client(clients)
    session = make_session(client)
    frame = {
        "type": "responsesapi.websocket_timing",
        "timing_metrics": {
            "responses_duration_excl_engine_and_client_tool_time_ms": -5,
            "engine_service_total_ms": "457",
            "engine_iapi_ttft_total_ms": 211.4,
        },
    }
    session.record_websocket_message(frame, 0.01)
    snapshot = client.snapshot()
    assert points(snapshot, mn.RESPONSES_API_OVERHEAD_DURATION_METRIC) == []
    assert points(snapshot, mn.RESPONSES_API_INFERENCE_TIME_DURATION_METRIC) == []
    (ttft,) = points(snapshot, mn.RESPONSES_API_ENGINE_IAPI_TTFT_DURATION_METRIC)
    assert isinstance(ttft, HistogramDataPoint) and ttft.sum == pytest.approx(211.0)
    (event,) = points(snapshot, mn.WEBSOCKET_EVENT_COUNT_METRIC)
    assert event.attributes["kind"] == "responsesapi.websocket_timing"


@pytest.mark.parametrize(
    ("message", "kind", "success"),
    [
        ('{"type":"response.completed"}', "response.completed", "true"),
        (
            '{"type":"response.failed","response":{"error":{"code":"x"}}}',
            "response.failed",
            "false",
        ),
        ("not json", "parse_error", "false"),
        (b"\x00\x01", "unknown", "false"),
        ("[1, 2]", "unknown", "true"),
    ],
)
def test_websocket_frames_give_kind_and_success(
    clients: list[MetricsClient], message: str | bytes, kind: str, success: str
) -> None:
    client = make_client(clients)
    make_session(client).record_websocket_message(message, 0.005)
    (point,) = points(client.snapshot(), mn.WEBSOCKET_EVENT_COUNT_METRIC)
    assert (point.attributes["kind"], point.attributes["success"]) == (kind, success)


def test_failed_frame_error_reaches_the_log_sink() -> None:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import (
        InMemoryLogRecordExporter,
        SimpleLogRecordProcessor,
    )

    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    session = SessionTelemetry(
        "c", "gpt-5.1", logger_provider=provider, tracer_provider=NoOpTracerProvider()
    )
    session.record_websocket_message(
        '{"type":"response.failed","response":{"error":{"code":"rate_limited"}}}', 0.001
    )
    session.record_websocket_message('{"type":"response.failed"}', 0.001)
    messages = [
        dict(record.log_record.attributes or {}).get("error.message")
        for record in exporter.get_finished_logs()
    ]
    assert messages == ['{"code":"rate_limited"}', "response.failed event received"]
    provider.shutdown()


# -- bootstrap: runtime_metrics = true wires the reader --------------------------------------------


@pytest.fixture
def providers() -> Iterator[list[OtelProvider]]:
    built: list[OtelProvider] = []
    yield built
    for provider in built:
        provider.shutdown(timeout=1)


def _build(settings: OtelSettings, providers: list[OtelProvider]) -> OtelProvider:
    provider = build_provider(settings, set_global=False)
    assert provider is not None
    providers.append(provider)
    return provider


def test_mid_session_snapshot_while_the_exporter_still_delivers(
    receiver: Receiver, providers: list[OtelProvider]
) -> None:
    settings = OtelSettings(
        metrics_exporter=OtlpHttp(endpoint=receiver.http_url), runtime_metrics=True
    )
    provider = _build(settings, providers)
    assert provider.metrics is not None and provider.metrics.runtime_reader is not None
    session = make_session(provider.metrics)

    session.tool_result("shell", "call-1", "{}", timedelta(milliseconds=250), True, "ok")
    first = session.runtime_metrics_summary()
    assert first is not None and first.tool_calls == RuntimeMetricTotals(1, 250)

    session.tool_result("shell", "call-2", "{}", timedelta(milliseconds=50), True, "ok")
    second = session.runtime_metrics_summary()
    assert second is not None and second.tool_calls == RuntimeMetricTotals(1, 50)

    # The periodic exporter is untouched by the snapshots: it delivers both calls.
    report = provider.force_flush(timeout=5)
    assert report.ok, str(report)

    def delivered() -> tuple[float, float, float]:
        got = receiver.metric_points
        calls = [p for p in got if p.name == mn.TOOL_CALL_COUNT_METRIC]
        durations = [p for p in got if p.name == mn.TOOL_CALL_DURATION_METRIC]
        return (
            sum(p.value or 0 for p in calls),
            sum(p.count or 0 for p in durations),
            sum(p.sum or 0.0 for p in durations),
        )

    assert receiver.wait_for(lambda: delivered()[:2] == (2, 2), 5), receiver.metric_points
    assert delivered()[2] == pytest.approx(300.0)
    assert {p.temporality for p in receiver.metric_points} == {"delta"}


def test_runtime_metrics_off_means_no_snapshot(
    receiver: Receiver, providers: list[OtelProvider], caplog: pytest.LogCaptureFixture
) -> None:
    provider = _build(
        OtelSettings(metrics_exporter=OtlpHttp(endpoint=receiver.http_url)), providers
    )
    assert provider.metrics is not None and provider.metrics.runtime_reader is None
    with pytest.raises(MetricsError) as error:
        provider.metrics.snapshot()
    assert error.value.kind == "runtime_snapshot_unavailable"
    session = make_session(provider.metrics)
    with caplog.at_level(logging.DEBUG, logger="codex_otel_config.telemetry"):
        session.reset_runtime_metrics()
    assert "runtime metrics reset skipped" in caplog.text
    assert session.runtime_metrics_summary() is None


def test_send_test_events_prints_the_runtime_summary(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    config = write_settings(
        tmp_path / "s.toml",
        {
            "default": {
                "runtime_metrics": True,
                "exporter": http(receiver.http_url),
                "metrics_exporter": http(receiver.http_url),
            }
        },
    )
    run = cli("send-test-events", "--config", str(config))
    assert run.returncode == 0, run.output
    assert "runtime: api_calls=2 (123 ms)" in run.stdout
    document = cli("send-test-events", "--config", str(config), "--json").json()
    assert document["runtime_metrics"]["api_calls"] == {"count": 2, "duration_ms": 123}
