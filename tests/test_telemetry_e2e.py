"""End to end: SessionTelemetry and MetricsClient over real OTLP to the package's receiver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from codex_otel_config.metrics import MetricsClient, MetricsConfig
from codex_otel_config.receiver import Receiver
from codex_otel_config.telemetry import AuthEnvTelemetry, SessionTelemetry
from fixtures.receivers import make_exporter
from fixtures.telemetry import record_401

pytestmark = pytest.mark.timeout(30)


def assert_has(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """``actual`` holds every key of ``expected`` with that value and type (``True`` ≠ ``1``)."""
    found = {key: (type(actual.get(key)).__name__, actual.get(key, "<absent>")) for key in expected}
    assert found == {key: (type(value).__name__, value) for key, value in expected.items()}


def _session(
    logger_provider: LoggerProvider | None = None,
    tracer_provider: TracerProvider | None = None,
    metrics: MetricsClient | None = None,
) -> SessionTelemetry:
    return SessionTelemetry(
        "e2e-conversation",
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
        auth_env=AuthEnvTelemetry(openai_api_key_env_present=True),
        logger_provider=logger_provider or LoggerProvider(),
        tracer_provider=tracer_provider or TracerProvider(),
    )


def test_log_sink_reaches_the_receiver(receiver: Receiver) -> None:
    provider = LoggerProvider()
    provider.add_log_record_processor(
        BatchLogRecordProcessor(make_exporter("logs", "http", receiver))
    )
    record_401(_session(logger_provider=provider))
    assert provider.force_flush(10_000)
    record = receiver.wait_for_log("codex.api_request", timeout=10)
    assert record is not None
    assert record.scope == "codex_otel.log_only"
    assert_has(
        dict(record.attributes),
        {
            "event.name": "codex.api_request",
            "http.response.status_code": 401,
            "error.message": "http 401",
            "auth.header_name": "authorization",
            "auth.recovery_phase": "refresh_token",
            "auth.request_id": "req-401",
            "auth.error_code": "token_expired",
            "auth.env_openai_api_key_present": True,
            "user.email": "engineer@example.com",
        },
    )
    provider.shutdown()


def test_trace_sink_reaches_the_receiver_without_an_active_span(receiver: Receiver) -> None:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(make_exporter("traces", "http", receiver)))
    session = _session(tracer_provider=provider)
    session.record_auth_recovery(
        "managed", "reload", "recovery_succeeded", "req-401", "ray-401", auth_state_changed=True
    )
    assert provider.force_flush(10_000)
    span = receiver.wait_for_span("codex.auth_recovery", timeout=10)
    assert span is not None
    assert span.scope == "codex_otel.trace_safe"
    (event,) = span.events
    assert event.name == "codex.auth_recovery"
    assert_has(
        dict(event.attributes),
        {
            "auth.mode": "managed",
            "auth.step": "reload",
            "auth.outcome": "recovery_succeeded",
            "auth.request_id": "req-401",
            "auth.state_changed": True,
        },
    )
    assert "user.email" not in event.attributes
    provider.shutdown()


def test_session_metrics_reach_the_receiver_as_delta(receiver: Receiver) -> None:
    metrics = MetricsClient(
        MetricsConfig.otlp("e2e", "codex-cli", "0.0.0", make_exporter("metrics", "http", receiver))
    )
    record_401(_session(metrics=metrics))
    assert metrics.shutdown(timeout=10)
    point = receiver.wait_for_metric("codex.api_request", timeout=10)
    assert point is not None
    assert point.value == 1
    assert point.temporality == "delta"
    assert_has(dict(point.attributes), {"status": "401", "success": "false"})
    assert point.resource["service.name"] == "codex-cli"
    assert point.resource["env"] == "e2e"
    duration = receiver.wait_for_metric("codex.api_request.duration_ms", timeout=10)
    assert duration is not None and duration.unit == "ms" and duration.sum == pytest.approx(42.0)
