"""The test auth-401 scenario of ``send-test-events`` and the TUI, through the real pipeline.

One scenario, as Codex would record it: a request answered 401 (with its request id, cf-ray,
authorization error and error code, and the ``auth_401_*`` feedback tags), the auth
recovery, the retried request answered 200, and a counter — all emitted through
:class:`~codex_otel_config.telemetry.SessionTelemetry` inside one span, so everything shares
a trace id a user can look up. Every event carries ``codex.test_event=true`` (so dashboards
can filter it out) and every request id starts with ``test-``. Then the provider is
force-flushed and shut down, and their per-signal reports say what really arrived.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from codex_otel_config.telemetry import (
    AuthRecoveryMode,
    AuthRecoveryOutcome,
    AuthRecoveryStep,
    FeedbackRequestTags,
    FeedbackTagStore,
    SessionTelemetry,
    TelemetryAuthMode,
    emit_feedback_auth_recovery_tags,
    emit_feedback_request_tags,
    extract_response_debug_context,
    http_error_message,
    recovery_followup,
)

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import FlushReport, OtelProvider, ShutdownReport

#: The attribute (and metric tag) that marks test telemetry.
TEST_EVENT_ATTRIBUTE = "codex.test_event"
TEST_COUNTER = "codex.test_event"
SCENARIO_SPAN = "codex.test_event.auth_401"
TEST_MODEL = "codex-otel-config-test"
TEST_ORIGINATOR = "codex_otel_config_test"
TEST_ENDPOINT = "/responses"
AUTH_HEADER = "authorization"

OnStep = Callable[[str], None]


@dataclass(frozen=True)
class EmittedEvent:
    """One event the scenario emitted, with the evidence it carried (no secrets: test values)."""

    name: str
    sinks: tuple[str, ...]
    attributes: Mapping[str, object]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "sinks": list(self.sinks), "attributes": dict(self.attributes)}


@dataclass(frozen=True)
class ScenarioResult:
    """What the scenario emitted and what flush and shutdown then achieved, per signal."""

    events: tuple[EmittedEvent, ...]
    metrics: tuple[str, ...]
    trace_id: str | None
    request_ids: tuple[str, ...]
    feedback_tags: Mapping[str, str]
    flush: FlushReport | None
    shutdown: ShutdownReport | None
    signals: tuple[str, ...] = ()
    elapsed_ms: float = 0.0
    expected: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every exported signal delivered everything in flush and shutdown
        (none degraded, failed or timed out)."""
        return all(report is None or report.ok for report in (self.flush, self.shutdown))

    def exported(self) -> dict[str, int]:
        """Items each signal's exporter delivered (the shutdown report's running totals)."""
        report = self.shutdown or self.flush
        if report is None:
            return {}
        return {signal: one.exported for signal, one in report.signals.items()}

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "signals": list(self.signals),
            "trace_id": self.trace_id,
            "request_ids": list(self.request_ids),
            "events": [event.to_dict() for event in self.events],
            "metrics": list(self.metrics),
            "feedback_tags": dict(self.feedback_tags),
            "expected": dict(self.expected),
            "exported": self.exported(),
            "flush": self.flush.to_dict() if self.flush is not None else None,
            "shutdown": self.shutdown.to_dict() if self.shutdown is not None else None,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def _test_id(prefix: str = "test-") -> str:
    return f"{prefix}{uuid.uuid4().hex[:20]}"


def _rejection_headers(request_id: str) -> dict[str, str]:
    """The headers of the simulated 401, as an OpenAI edge would send them."""
    error = json.dumps({"error": {"code": "test_token_expired"}}).encode()
    return {
        "x-request-id": request_id,
        "cf-ray": f"{secrets.token_hex(8)}-TEST",
        "x-openai-authorization-error": "test_invalid_token",
        "x-error-json": base64.b64encode(error).decode(),
    }


def _providers(provider: OtelProvider) -> tuple[Any, Any]:
    """The provider's tracer and logger providers, no-op ones for signals exported nowhere
    (never the global ones: test events go only where ``provider`` sends them)."""
    from opentelemetry._logs import NoOpLoggerProvider
    from opentelemetry.trace import NoOpTracerProvider

    tracer = provider.tracer_provider or NoOpTracerProvider()
    logger = provider.logger_provider or NoOpLoggerProvider()
    return tracer, logger


#: The most of the scenario's timeout kept for the shutdown after the flush.
SHUTDOWN_RESERVE_S = 1.0


def run_test_scenario(
    provider: OtelProvider,
    *,
    timeout: float = 5.0,
    on_step: OnStep | None = None,
    shutdown: bool = True,
) -> ScenarioResult:
    """Emit the test auth-401 scenario through ``provider``, then force-flush and shut down.

    ``timeout`` bounds the flush and the shutdown *together*: the flush gets the timeout
    less a reserve for the shutdown (a quarter, at most :data:`SHUTDOWN_RESERVE_S`), the
    shutdown what is left (at least that reserve). ``on_step`` is told what happens
    (``"emitted codex.api_request (401)"``, ``"force_flush"``, ``"shutdown"``) as it happens,
    from the calling thread. With ``shutdown=False`` the provider is only flushed.
    """
    from opentelemetry.trace import format_trace_id

    step = on_step or (lambda _text: None)
    started = time.perf_counter()
    tracer_provider, logger_provider = _providers(provider)
    # The marker rides on every event (both sinks) and every session metric.
    session = SessionTelemetry(
        uuid.uuid4(),
        TEST_MODEL,
        auth_mode=TelemetryAuthMode.CHATGPT,
        originator=TEST_ORIGINATOR,
        session_source="cli",
        metrics=provider.metrics,
        service_name=provider.settings.service_name,
        logger_provider=logger_provider,
        tracer_provider=tracer_provider,
        extra_attributes={TEST_EVENT_ATTRIBUTE: True},
        extra_metric_tags={TEST_EVENT_ATTRIBUTE: "true"},
    )
    store = FeedbackTagStore()
    events: list[EmittedEvent] = []
    sinks = ("log", "trace")
    first_id, retry_id = _test_id(), _test_id()
    tracer = tracer_provider.get_tracer("codex_otel_config.scenario")
    with tracer.start_as_current_span(
        SCENARIO_SPAN, attributes={TEST_EVENT_ATTRIBUTE: True}
    ) as span:
        context = span.get_span_context()
        trace_id = format_trace_id(context.trace_id) if context.is_valid else None

        # 1. The request is rejected: 401 with the edge's debug headers.
        debug = extract_response_debug_context(401, _rejection_headers(first_id))
        evidence: dict[str, object] = {
            "http.response.status_code": 401,
            "attempt": 1,
            "auth.header_attached": True,
            "auth.header_name": AUTH_HEADER,
            "auth.request_id": debug.request_id,
            "auth.cf_ray": debug.cf_ray,
            "auth.error": debug.auth_error,
            "auth.error_code": debug.auth_error_code,
            "error.message": http_error_message(401),
            TEST_EVENT_ATTRIBUTE: True,
        }
        session.record_api_request(
            1,
            401,
            http_error_message(401),
            0.042,
            auth_header_attached=True,
            auth_header_name=AUTH_HEADER,
            endpoint=TEST_ENDPOINT,
            debug_context=debug,
        )
        emit_feedback_request_tags(
            FeedbackRequestTags(
                endpoint=TEST_ENDPOINT,
                auth_header_attached=True,
                auth_header_name=AUTH_HEADER,
                auth_mode=TelemetryAuthMode.CHATGPT.value,
                auth_retry_after_unauthorized=False,
                auth_request_id=debug.request_id,
                auth_cf_ray=debug.cf_ray,
                auth_error=debug.auth_error,
                auth_error_code=debug.auth_error_code,
            ),
            store=store,
        )
        events.append(EmittedEvent("codex.api_request", sinks, evidence))
        step("emitted codex.api_request (401)")

        # 2. The recovery: a managed reload of the credentials succeeds.
        mode, phase = AuthRecoveryMode.MANAGED.value, AuthRecoveryStep.RELOAD.value
        outcome = AuthRecoveryOutcome.SUCCEEDED.value
        session.record_auth_recovery(
            mode,
            phase,
            outcome,
            request_id=debug.request_id,
            cf_ray=debug.cf_ray,
            auth_error=debug.auth_error,
            auth_error_code=debug.auth_error_code,
            auth_state_changed=True,
        )
        emit_feedback_auth_recovery_tags(
            mode,
            phase,
            outcome,
            debug.request_id,
            debug.cf_ray,
            debug.auth_error,
            debug.auth_error_code,
            store=store,
        )
        events.append(
            EmittedEvent(
                "codex.auth_recovery",
                sinks,
                {
                    "auth.mode": mode,
                    "auth.step": phase,
                    "auth.outcome": outcome,
                    "auth.request_id": debug.request_id,
                    "auth.state_changed": True,
                    TEST_EVENT_ATTRIBUTE: True,
                },
            )
        )
        step("emitted codex.auth_recovery")

        # 3. The retried request succeeds; the 401 evidence stays in the feedback tags.
        session.record_api_request(
            2,
            200,
            None,
            0.081,
            auth_header_attached=True,
            auth_header_name=AUTH_HEADER,
            retry_after_unauthorized=True,
            recovery_mode=mode,
            recovery_phase=phase,
            endpoint=TEST_ENDPOINT,
            request_id=retry_id,
        )
        followup_success, followup_status = recovery_followup(True, None, 200)
        emit_feedback_request_tags(
            FeedbackRequestTags(
                endpoint=TEST_ENDPOINT,
                auth_header_attached=True,
                auth_header_name=AUTH_HEADER,
                auth_mode=TelemetryAuthMode.CHATGPT.value,
                auth_retry_after_unauthorized=True,
                auth_recovery_mode=mode,
                auth_recovery_phase=phase,
                auth_request_id=retry_id,
                auth_recovery_followup_success=followup_success,
                auth_recovery_followup_status=followup_status,
            ),
            store=store,
        )
        events.append(
            EmittedEvent(
                "codex.api_request",
                sinks,
                {
                    "http.response.status_code": 200,
                    "attempt": 2,
                    "auth.header_attached": True,
                    "auth.header_name": AUTH_HEADER,
                    "auth.retry_after_unauthorized": True,
                    "auth.recovery_mode": mode,
                    "auth.recovery_phase": phase,
                    "auth.request_id": retry_id,
                    TEST_EVENT_ATTRIBUTE: True,
                },
            )
        )
        step("emitted codex.api_request (200, retried)")

        # 4. A counter of its own, so a dashboard can count test runs.
        session.counter(TEST_COUNTER, 1, {"scenario": "auth_401"})
        step(f"counted {TEST_COUNTER}")

    signals = tuple(provider.signals)
    expected = {
        "logs": len(events) if "logs" in signals else 0,
        "traces": 1 if "traces" in signals else 0,
    }
    step("force_flush")
    deadline = time.monotonic() + timeout
    reserve = min(SHUTDOWN_RESERVE_S, timeout / 4) if shutdown else 0.0
    flush = provider.force_flush(timeout=timeout - reserve)
    step("shutdown" if shutdown else "flushed")
    final = (
        provider.shutdown(timeout=max(reserve, deadline - time.monotonic())) if shutdown else None
    )
    step("done")
    return ScenarioResult(
        events=tuple(events),
        metrics=(
            "codex.api_request",
            "codex.api_request.duration_ms",
            TEST_COUNTER,
        ),
        trace_id=trace_id,
        request_ids=(first_id, retry_id),
        feedback_tags=MappingProxyType(store.snapshot()),
        flush=flush,
        shutdown=final,
        signals=signals,
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
        expected=MappingProxyType(expected),
    )
