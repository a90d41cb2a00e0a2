"""The export routing policy (the crate's ``otel_export_routing_policy`` suite).

Real SDK providers with in-memory exporters, passed explicitly (never the global ones).
"""

from __future__ import annotations

import io
import logging
import re
import urllib.error
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex_otel_config.metrics import InMemoryMetricExporter, MetricsClient, MetricsConfig
from codex_otel_config.telemetry import (
    AuthEnvTelemetry,
    ImageInput,
    LocalImageInput,
    SessionTelemetry,
    TelemetryAuthMode,
    TextInput,
    ToolDecisionSource,
    extract_response_debug_context,
)
from fixtures.telemetry import record_401

AUTH_ENV = AuthEnvTelemetry(
    openai_api_key_env_present=True,
    codex_api_key_env_present=False,
    codex_api_key_env_enabled=True,
    provider_env_key_name="configured",
    provider_env_key_present=True,
    refresh_token_url_override_present=True,
)


def assert_has(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """``actual`` holds every key of ``expected`` with that value and type (``True`` ≠ ``1``)."""
    found = {key: (type(actual.get(key)).__name__, actual.get(key, "<absent>")) for key in expected}
    assert found == {key: (type(value).__name__, value) for key, value in expected.items()}


@dataclass
class Otel:
    spans: InMemorySpanExporter
    logs: InMemoryLogRecordExporter
    tracer_provider: TracerProvider
    logger_provider: LoggerProvider
    metrics: MetricsClient

    def session(
        self,
        auth_mode: TelemetryAuthMode = TelemetryAuthMode.CHATGPT,
        log_user_prompts: bool = True,
    ) -> SessionTelemetry:
        return SessionTelemetry(
            "5b7d8c3e-0000-4000-8000-000000000001",
            "gpt-5.1",
            "gpt-5.1",
            "account-id",
            "engineer@example.com",
            auth_mode,
            "codex_exec",
            log_user_prompts,
            "tty",
            "cli",
            metrics=self.metrics,
            logger_provider=self.logger_provider,
            tracer_provider=self.tracer_provider,
        ).with_auth_env(AUTH_ENV)

    def root(self) -> Any:
        return self.tracer_provider.get_tracer("tests").start_as_current_span("root")

    def log_records(self, event: str) -> list[dict[str, Any]]:
        found = []
        for data in self.logs.get_finished_logs():
            record = data.log_record
            if record.event_name == event:
                found.append(dict(record.attributes or {}))
        return found

    def finished_spans(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def span_events(self, event: str) -> list[dict[str, Any]]:
        return [
            dict(e.attributes or {})
            for span in self.finished_spans()
            for e in span.events
            if e.name == event
        ]

    def metric_points(self, name: str) -> list[Any]:
        self.metrics.force_flush(5.0)
        exporter = self.metrics.config.exporter
        assert isinstance(exporter, InMemoryMetricExporter)
        return exporter.points(name)


@pytest.fixture
def otel() -> Iterator[Otel]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logs = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    metrics = MetricsClient(MetricsConfig.in_memory("test", "codex-cli", "0.0.0"))
    yield Otel(spans, logs, tracer_provider, logger_provider, metrics)
    metrics.shutdown()
    logger_provider.shutdown()
    tracer_provider.shutdown()


def only(items: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, items
    return items[0]


def assert_trace_safe(attributes: dict[str, Any]) -> None:
    for key in ("user.email", "user.account_id", "prompt", "arguments", "output"):
        assert key not in attributes, key


# -- the 401 change -----------------------------------------------------------------------


def test_routes_api_request_auth_observability(otel: Otel) -> None:
    session = otel.session()
    with otel.root():
        session.conversation_starts(
            "openai",
            reasoning_effort="high",
            reasoning_summary="auto",
            context_window=272000,
            approval_policy="on-request",
            sandbox_policy="workspace-write",
            mcp_servers=["docs", "github"],
            active_profile="work",
        )
        record_401(session)

    auth_fields = {
        "http.response.status_code": 401,
        "error.message": "http 401",
        "attempt": 1,
        "duration_ms": 42,
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
        "auth.env_codex_api_key_enabled": True,
        "auth.env_refresh_token_url_override_present": True,
    }
    log = only(otel.log_records("codex.api_request"))
    assert_has(log, auth_fields)
    assert log["user.email"] == "engineer@example.com"
    assert log["user.account_id"] == "account-id"
    assert log["auth_mode"] == "Chatgpt"
    assert log["event.name"] == "codex.api_request"

    event = only(otel.span_events("codex.api_request"))
    assert_has(
        event,
        {
            "auth.header_attached": True,
            "auth.header_name": "authorization",
            "auth.retry_after_unauthorized": True,
            "endpoint": "/responses",
            "auth.env_openai_api_key_present": True,
            "auth.recovery_phase": "refresh_token",
            "auth.request_id": "req-401",
        },
    )
    assert_trace_safe(event)

    starts_log = only(otel.log_records("codex.conversation_starts"))
    assert starts_log["auth.env_openai_api_key_present"] is True
    assert starts_log["auth.env_provider_key_name"] == "configured"
    assert starts_log["mcp_servers"] == "docs, github"
    assert starts_log["active_profile"] == "work"
    starts_trace = only(otel.span_events("codex.conversation_starts"))
    assert starts_trace["auth.env_provider_key_present"] is True
    assert starts_trace["mcp_server_count"] == 2
    assert starts_trace["active_profile_present"] is True
    assert "mcp_servers" not in starts_trace and "active_profile" not in starts_trace

    (count,) = otel.metric_points("codex.api_request")
    assert count.value == 1
    assert count.attributes["status"] == "401"
    assert count.attributes["success"] == "false"
    assert count.attributes["auth_mode"] == "Chatgpt"
    (duration,) = otel.metric_points("codex.api_request.duration_ms")
    assert duration.sum == pytest.approx(42.0)
    assert len(otel.metric_points("codex.profile.usage")) == 1


def test_routes_websocket_connect_auth_observability(otel: Otel) -> None:
    session = otel.session()
    with otel.root():
        session.record_websocket_connect(
            timedelta(milliseconds=17),
            401,
            "http 401",
            auth_header_attached=True,
            auth_header_name="authorization",
            retry_after_unauthorized=True,
            recovery_mode="managed",
            recovery_phase="reload",
            endpoint="/responses",
            connection_reused=False,
            request_id="req-ws-401",
            cf_ray="ray-ws-401",
            auth_error="missing_authorization_header",
            auth_error_code="token_expired",
        )
    log = only(otel.log_records("codex.websocket_connect"))
    assert_has(
        log,
        {
            "auth.header_attached": True,
            "auth.header_name": "authorization",
            "auth.error": "missing_authorization_header",
            "endpoint": "/responses",
            "auth.connection_reused": False,
            "auth.env_provider_key_name": "configured",
            "success": False,
            "duration_ms": 17,
        },
    )
    event = only(otel.span_events("codex.websocket_connect"))
    assert event["auth.recovery_phase"] == "reload"
    assert event["auth.env_refresh_token_url_override_present"] is True
    assert_trace_safe(event)
    assert otel.metric_points("codex.api_request") == []  # connect records no metrics


def test_routes_websocket_request_transport_observability(otel: Otel) -> None:
    session = otel.session()
    with otel.root():
        session.record_websocket_request(timedelta(milliseconds=23), "stream error", True)
    log = only(otel.log_records("codex.websocket_request"))
    assert log["auth.connection_reused"] is True
    assert log["error.message"] == "stream error"
    assert log["auth.env_openai_api_key_present"] is True
    event = only(otel.span_events("codex.websocket_request"))
    assert event["auth.connection_reused"] is True
    assert event["auth.env_provider_key_present"] is True
    (count,) = otel.metric_points("codex.websocket.request")
    assert count.attributes["success"] == "false"


def test_routes_auth_recovery_log_and_trace_events(otel: Otel) -> None:
    session = otel.session()
    with otel.root():
        session.record_auth_recovery(
            "managed",
            "reload",
            "recovery_succeeded",
            "req-401",
            "ray-401",
            "missing_authorization_header",
            "token_expired",
            None,
            True,
        )
    expected = {
        "auth.mode": "managed",
        "auth.step": "reload",
        "auth.outcome": "recovery_succeeded",
        "auth.request_id": "req-401",
        "auth.cf_ray": "ray-401",
        "auth.error": "missing_authorization_header",
        "auth.error_code": "token_expired",
        "auth.state_changed": True,
    }
    log = only(otel.log_records("codex.auth_recovery"))
    assert_has(log, expected)
    assert "auth.recovery_reason" not in log  # absent optionals are omitted
    (span,) = otel.finished_spans()
    assert len(span.events) == 1
    assert_has(dict(span.events[0].attributes or {}), expected)


def test_event_without_active_span_gets_a_span_of_its_own(otel: Otel) -> None:
    otel.session().record_auth_recovery("managed", "reload", "recovery_succeeded")
    (span,) = otel.finished_spans()
    assert span.name == "codex.auth_recovery"
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "codex_otel.trace_safe"
    assert [e.name for e in span.events] == ["codex.auth_recovery"]
    (data,) = otel.logs.get_finished_logs()
    assert data.log_record.trace_id == span.context.trace_id  # the two sinks correlate
    assert data.instrumentation_scope is not None
    assert data.instrumentation_scope.name == "codex_otel.log_only"


def test_routes_user_prompt_log_and_trace_events(otel: Otel) -> None:
    with otel.root():
        otel.session().user_prompt(
            [
                TextInput("super secret prompt"),
                ImageInput("https://example.com/image.png"),
                LocalImageInput("/tmp/image.png"),
            ]
        )
    log = only(otel.log_records("codex.user_prompt"))
    assert log["prompt"] == "super secret prompt"
    assert log["prompt_length"] == 19
    assert log["user.email"] == "engineer@example.com"
    (span,) = otel.finished_spans()
    assert len(span.events) == 1
    event = dict(span.events[0].attributes or {})
    assert_has(
        event,
        {
            "prompt_length": 19,
            "text_input_count": 1,
            "image_input_count": 1,
            "local_image_input_count": 1,
        },
    )
    assert_trace_safe(event)
    assert "super secret prompt" not in repr(event)


def test_user_prompt_is_redacted_in_logs_unless_opted_in(otel: Otel) -> None:
    otel.session(log_user_prompts=False).user_prompt(["super secret prompt"])
    log = only(otel.log_records("codex.user_prompt"))
    assert log["prompt"] == "[REDACTED]"
    assert log["prompt_length"] == 19


def test_routes_tool_result_log_and_trace_events(otel: Otel) -> None:
    with otel.root():
        otel.session().tool_result(
            "shell",
            "call-1",
            "secret arguments",
            timedelta(milliseconds=42),
            True,
            "secret output\nsecond line",
            (),
            "internal-mcp",
            "stdio",
        )
    log = only(otel.log_records("codex.tool_result"))
    assert log["arguments"] == "secret arguments"
    assert log["output"] == "secret output\nsecond line"
    assert log["mcp_server"] == "internal-mcp"
    assert log["mcp_server_origin"] == "stdio"
    event = only(otel.span_events("codex.tool_result"))
    assert_has(
        event,
        {
            "tool_name": "shell",
            "call_id": "call-1",
            "arguments_length": 16,
            "output_length": 25,
            "output_line_count": 2,
            "tool_origin": "mcp",
            "mcp_tool": True,
            "success": True,
            "duration_ms": 42,
        },
    )
    for key in ("arguments", "output", "mcp_server", "mcp_server_origin"):
        assert key not in event
    assert "secret" not in repr(event)
    (count,) = otel.metric_points("codex.tool.call")
    assert count.attributes["tool"] == "shell"
    assert count.attributes["success"] == "true"


def test_failed_tool_error_text_stays_out_of_traces(otel: Otel) -> None:
    """A tool that could not run: its error is its output — in logs, only its shape in traces."""
    with otel.root():
        otel.session().log_tool_failed("shell", "denied: cat /home/secret.txt\nline 2", "call-9")
    log = only(otel.log_records("codex.tool_result"))
    assert log["output"] == "denied: cat /home/secret.txt\nline 2"
    assert_has(log, {"success": False, "duration_ms": 0, "call_id": "call-9"})
    event = only(otel.span_events("codex.tool_result"))
    assert_has(
        event,
        {
            "tool_name": "shell",
            "call_id": "call-9",
            "success": False,
            "duration_ms": 0,
            "output_length": 35,
            "output_line_count": 2,
            "tool_origin": "builtin",
        },
    )
    assert "secret" not in repr(event)
    assert otel.metric_points("codex.tool.call") == []


def test_tool_decision_is_log_only(otel: Otel) -> None:
    otel.session().tool_decision("shell", "call-2", "Approved", ToolDecisionSource.USER)
    log = only(otel.log_records("codex.tool_decision"))
    assert_has(
        log,
        {
            "tool_name": "shell",
            "call_id": "call-2",
            "decision": "approved",
            "source": "User",
        },
    )
    assert otel.finished_spans() == []


def test_sse_events_route_by_outcome(otel: Otel) -> None:
    session = otel.session()
    with otel.root():
        session.sse_event("response.output_text.delta", 0.005)
        session.sse_event_failed(None, 0.010, "idle timeout waiting for SSE")
        session.sse_event_completed(10, 20, 3, 4, 5, duration=0.2)
    logs = otel.log_records("codex.sse_event")
    assert [log.get("event.kind") for log in logs] == [
        "response.output_text.delta",
        None,
        "response.completed",
    ]
    assert logs[1]["error.message"] == "idle timeout waiting for SSE"
    events = otel.span_events("codex.sse_event")  # success is log only
    assert [e["event.kind"] for e in events] == ["unknown", "response.completed"]
    assert "error.message" not in events[0]
    assert_has(
        events[1],
        {
            "input_token_count": 10,
            "output_token_count": 20,
            "cached_token_count": 3,
            "reasoning_token_count": 4,
            "tool_token_count": 5,
        },
    )
    kinds = sorted(
        (p.attributes["kind"], p.attributes["success"])
        for p in otel.metric_points("codex.sse_event")
    )
    assert kinds == [
        ("response.completed", "true"),
        ("response.output_text.delta", "true"),
        ("unknown", "false"),
    ]


def test_websocket_event_records_kind_and_metrics(otel: Otel) -> None:
    with otel.root():
        otel.session().record_websocket_event(
            "response.failed", 0.08, "response.failed event received"
        )
    event = only(otel.span_events("codex.websocket_event"))
    assert_has(
        event,
        {
            "event.kind": "response.failed",
            "success": False,
            "error.message": "response.failed event received",
            "duration_ms": 80,
        },
    )
    (count,) = otel.metric_points("codex.websocket.event")
    assert (count.attributes["kind"], count.attributes["success"]) == ("response.failed", "false")


def test_common_attributes(otel: Otel) -> None:
    otel.session(auth_mode=TelemetryAuthMode.API_KEY).record_websocket_request(0.001)
    log = only(otel.log_records("codex.websocket_request"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", log["event.timestamp"])
    assert_has(
        log,
        {
            "conversation.id": "5b7d8c3e-0000-4000-8000-000000000001",
            "auth_mode": "ApiKey",
            "originator": "codex_exec",
            "terminal.type": "tty",
            "model": "gpt-5.1",
            "slug": "gpt-5.1",
        },
    )
    assert isinstance(log["app.version"], str) and log["app.version"]
    event = only(otel.span_events("codex.websocket_request"))
    assert event["event.timestamp"] == log["event.timestamp"]
    assert_trace_safe(event)


def test_absent_account_fields_are_omitted(otel: Otel) -> None:
    session = SessionTelemetry(
        "c-1", "gpt-5.1", logger_provider=otel.logger_provider, tracer_provider=otel.tracer_provider
    )
    session.record_websocket_request(0.001)
    log = only(otel.log_records("codex.websocket_request"))
    assert "user.email" not in log and "user.account_id" not in log and "auth_mode" not in log


def test_session_metric_tags_with_default_and_call_tags(otel: Otel) -> None:
    metrics = MetricsClient(
        MetricsConfig.in_memory("test", "codex-cli", "0.0.0").with_tag("service", "codex-cli")
    )
    session = SessionTelemetry(
        "c-1",
        "gpt-5.1",
        "gpt-5.1",
        None,
        None,
        TelemetryAuthMode.API_KEY,
        "test_originator",
        False,
        "tty",
        "cli",
        metrics=metrics,
        logger_provider=otel.logger_provider,
        tracer_provider=otel.tracer_provider,
    )
    session.counter("codex.turns", 1, {"source": "tui"})
    metrics.shutdown()
    exporter = metrics.config.exporter
    assert isinstance(exporter, InMemoryMetricExporter)
    (point,) = exporter.points("codex.turns")
    assert dict(point.attributes or {}) == {
        "app.version": session.app_version,
        "auth_mode": "ApiKey",
        "model": "gpt-5.1",
        "originator": "test_originator",
        "service": "codex-cli",
        "session_source": "cli",
        "source": "tui",
    }


def test_metric_errors_are_logged_not_raised(otel: Otel, caplog: pytest.LogCaptureFixture) -> None:
    session = otel.session()
    with caplog.at_level(logging.WARNING, logger="codex_otel_config.telemetry"):
        session.counter("bad name", 1)
        session.histogram("codex.ok", 1, {"bad key": "x"})
        session.tool_result("bad tool name", "call-1", "", 0.01, True, "")
    assert "metrics counter [bad name] failed" in caplog.text
    assert "metrics histogram [codex.ok] failed" in caplog.text
    assert "metrics counter [codex.tool.call] failed" in caplog.text
    # the event itself still went out
    assert only(otel.log_records("codex.tool_result"))["tool_name"] == "bad tool name"


def test_http_error_body_never_reaches_telemetry(otel: Otel) -> None:
    headers = Message()
    headers["x-oai-request-id"] = "req-auth"
    body = io.BytesIO(b'{"error":{"message":"secret token leaked"}}')
    error = urllib.error.HTTPError(
        "https://chatgpt.com/backend-api/codex/responses", 401, "Unauthorized", headers, body
    )
    with otel.root():
        otel.session().record_api_request(
            1,
            401,
            error,
            0.05,
            endpoint="/responses",
            debug_context=extract_response_debug_context(401, headers),
        )
    log = only(otel.log_records("codex.api_request"))
    event = only(otel.span_events("codex.api_request"))
    assert log["error.message"] == event["error.message"] == "http 401"
    assert log["auth.request_id"] == "req-auth"
    everything = repr([d.log_record.attributes for d in otel.logs.get_finished_logs()])
    everything += repr([s.events[0].attributes for s in otel.finished_spans() if s.events])
    assert "secret token leaked" not in everything
    assert "chatgpt.com" not in everything  # no raw URLs either


def test_auth_mode_spellings() -> None:
    session = SessionTelemetry("c", "m", auth_mode="chatgpt")
    assert session.auth_mode == "Chatgpt"
    with pytest.raises(ValueError):
        SessionTelemetry("c", "m", auth_mode="password")


def test_extra_attributes_and_metric_tags_mark_every_event(otel: Otel) -> None:
    session = SessionTelemetry(
        "c-1",
        "gpt-5.1",
        metrics=otel.metrics,
        logger_provider=otel.logger_provider,
        tracer_provider=otel.tracer_provider,
        extra_attributes={"codex.test_event": True},
        extra_metric_tags={"codex.test_event": "true"},
    ).with_model("gpt-5.2")
    with otel.root():
        session.record_api_request(1, 200, None, 0.01, endpoint="/responses")
        session.user_prompt(["hi"])
    assert only(otel.log_records("codex.api_request"))["codex.test_event"] is True
    assert only(otel.log_records("codex.user_prompt"))["codex.test_event"] is True
    assert only(otel.span_events("codex.api_request"))["codex.test_event"] is True
    assert only(otel.span_events("codex.user_prompt"))["model"] == "gpt-5.2"
    (point,) = otel.metric_points("codex.api_request")
    assert point.attributes["codex.test_event"] == "true"
    assert point.attributes["success"] == "true"
    assert point.attributes["model"] == "gpt-5.2"
