"""W3C trace-context helpers (``trace_context.rs`` tests) with a real SDK tracer provider."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex_otel_config.telemetry import (
    W3cTraceContext,
    context_from_w3c_trace_context,
    current_span_trace_id,
    current_span_w3c_trace_context,
    set_parent_from_w3c_trace_context,
    traceparent_context_from_env,
)
from codex_otel_config.telemetry.trace_context import _reset_env_cache

VALID = "00-00000000000000000000000000000001-0000000000000002-01"


@pytest.fixture
def tracing() -> Iterator[tuple[trace.Tracer, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("tests"), exporter
    provider.shutdown()


@pytest.fixture
def env_cache() -> Iterator[None]:
    _reset_env_cache()
    yield
    _reset_env_cache()


def parent_of(context: object) -> trace.SpanContext:
    return trace.get_current_span(context).get_span_context()  # type: ignore[arg-type]


def test_parses_valid_w3c_trace_context() -> None:
    context = context_from_w3c_trace_context(W3cTraceContext(traceparent=VALID))
    assert context is not None
    span_context = parent_of(context)
    assert span_context.trace_id == 1
    assert span_context.span_id == 2
    assert span_context.is_remote
    assert span_context.trace_flags.sampled


def test_accepts_a_header_mapping_with_tracestate() -> None:
    context = context_from_w3c_trace_context({"Traceparent": VALID, "tracestate": "vendor=x"})
    assert context is not None
    assert parent_of(context).trace_state.get("vendor") == "x"


@pytest.mark.parametrize(
    "carrier",
    [
        W3cTraceContext(traceparent="not-a-traceparent"),
        W3cTraceContext(),
        W3cTraceContext(tracestate="vendor=x"),  # tracestate alone continues nothing
        W3cTraceContext(traceparent="00-00000000000000000000000000000000-0000000000000002-01"),
    ],
    ids=["invalid", "missing", "tracestate-only", "zero-trace-id"],
)
def test_invalid_or_missing_traceparent_returns_none(carrier: W3cTraceContext) -> None:
    assert context_from_w3c_trace_context(carrier) is None


def test_round_trip_through_a_carrier(
    tracing: tuple[trace.Tracer, InMemorySpanExporter],
) -> None:
    tracer, exporter = tracing
    assert current_span_w3c_trace_context() is None
    assert current_span_trace_id() is None
    with tracer.start_as_current_span("client") as client:
        carrier = current_span_w3c_trace_context()
        trace_id = current_span_trace_id()
    assert carrier is not None and carrier.traceparent is not None
    expected = client.get_span_context()
    assert trace_id == f"{expected.trace_id:032x}"
    assert trace_id is not None and len(trace_id) == 32 and trace_id == trace_id.lower()
    assert carrier.tracestate is None

    parent = context_from_w3c_trace_context(carrier.as_carrier())
    assert parent is not None
    with tracer.start_as_current_span("server", context=parent):
        pass
    server = next(s for s in exporter.get_finished_spans() if s.name == "server")
    assert server.context.trace_id == expected.trace_id
    assert server.parent is not None
    assert server.parent.span_id == expected.span_id
    assert server.parent.is_remote


def test_set_parent_from_w3c_trace_context(
    tracing: tuple[trace.Tracer, InMemorySpanExporter],
) -> None:
    tracer, exporter = tracing
    span = tracer.start_span("request")
    own_span_id = span.get_span_context().span_id
    assert set_parent_from_w3c_trace_context(span, W3cTraceContext("bad")) is False
    assert set_parent_from_w3c_trace_context(span, W3cTraceContext(VALID)) is True
    span.end()
    (finished,) = exporter.get_finished_spans()
    assert finished.context.trace_id == 1
    assert finished.context.span_id == own_span_id
    assert finished.parent is not None and finished.parent.span_id == 2
    assert set_parent_from_w3c_trace_context(span, W3cTraceContext(VALID)) is False  # ended


def test_traceparent_from_explicit_environ(caplog: pytest.LogCaptureFixture) -> None:
    context = traceparent_context_from_env({"TRACEPARENT": VALID, "TRACESTATE": "k=v"})
    assert context is not None
    assert parent_of(context).trace_id == 1
    assert parent_of(context).trace_state.get("k") == "v"
    assert traceparent_context_from_env({}) is None
    with caplog.at_level(logging.WARNING, logger="codex_otel_config.telemetry"):
        assert traceparent_context_from_env({"TRACEPARENT": "not-a-traceparent"}) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "TRACEPARENT is set but invalid; ignoring trace context"
    ]


def test_traceparent_from_process_env_is_read_once(
    env_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEPARENT", VALID)
    first = traceparent_context_from_env()
    monkeypatch.setenv("TRACEPARENT", "00-00000000000000000000000000000003-0000000000000004-01")
    second = traceparent_context_from_env()
    assert first is second is not None
    assert parent_of(first).trace_id == 1


def test_invalid_process_traceparent_warns_once(
    env_cache: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TRACEPARENT", "not-a-traceparent")
    with caplog.at_level(logging.WARNING, logger="codex_otel_config.telemetry"):
        assert traceparent_context_from_env() is None
        assert traceparent_context_from_env() is None
    assert caplog.text.count("TRACEPARENT is set but invalid") == 1


def test_missing_process_traceparent(env_cache: None) -> None:
    assert traceparent_context_from_env() is None
