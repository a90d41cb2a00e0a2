"""The Codex telemetry API (layer 5): session events, 401 evidence, trace context.

``SessionTelemetry`` routes each event to a log sink (full attributes) and a trace sink
(trace-safe attributes); ``extract_response_debug_context`` and the feedback tags carry
the evidence of a 401; the trace-context helpers carry a trace across processes.
``MetricsClient``/``MetricsConfig`` are re-exported from :mod:`codex_otel_config.metrics`.
"""

from __future__ import annotations

from codex_otel_config.metrics import (
    MetricsClient,
    MetricsConfig,
    MetricsError,
    RuntimeMetricsSummary,
    RuntimeMetricTotals,
    global_metrics,
    install_global,
)
from codex_otel_config.telemetry.auth_env import AuthEnvTelemetry
from codex_otel_config.telemetry.debug_context import (
    ResponseDebugContext,
    extract_response_debug_context,
    http_error_message,
    telemetry_error_message,
)
from codex_otel_config.telemetry.feedback import (
    MAX_FEEDBACK_TAGS,
    RESERVED_FEEDBACK_TAGS,
    FeedbackRequestTags,
    FeedbackTagStore,
    default_feedback_store,
    emit_feedback_auth_recovery_tags,
    emit_feedback_request_tags,
    feedback_tags,
    recovery_followup,
)
from codex_otel_config.telemetry.inputs import ImageInput, LocalImageInput, TextInput, UserInput
from codex_otel_config.telemetry.names import (
    AuthRecoveryMode,
    AuthRecoveryOutcome,
    AuthRecoveryReason,
    AuthRecoveryStep,
    TelemetryAuthMode,
    ToolDecisionSource,
)
from codex_otel_config.telemetry.sentry import install_sentry_integration, set_sentry_tags
from codex_otel_config.telemetry.session import SessionTelemetry
from codex_otel_config.telemetry.trace_context import (
    W3cTraceContext,
    context_from_w3c_trace_context,
    current_span_trace_id,
    current_span_w3c_trace_context,
    set_parent_from_w3c_trace_context,
    span_w3c_trace_context,
    traceparent_context_from_env,
)

__all__ = [
    "MAX_FEEDBACK_TAGS",
    "RESERVED_FEEDBACK_TAGS",
    "AuthEnvTelemetry",
    "AuthRecoveryMode",
    "AuthRecoveryOutcome",
    "AuthRecoveryReason",
    "AuthRecoveryStep",
    "FeedbackRequestTags",
    "FeedbackTagStore",
    "ImageInput",
    "LocalImageInput",
    "MetricsClient",
    "MetricsConfig",
    "MetricsError",
    "ResponseDebugContext",
    "RuntimeMetricTotals",
    "RuntimeMetricsSummary",
    "SessionTelemetry",
    "TelemetryAuthMode",
    "TextInput",
    "ToolDecisionSource",
    "UserInput",
    "W3cTraceContext",
    "context_from_w3c_trace_context",
    "current_span_trace_id",
    "current_span_w3c_trace_context",
    "default_feedback_store",
    "emit_feedback_auth_recovery_tags",
    "emit_feedback_request_tags",
    "extract_response_debug_context",
    "feedback_tags",
    "global_metrics",
    "http_error_message",
    "install_global",
    "install_sentry_integration",
    "recovery_followup",
    "set_parent_from_w3c_trace_context",
    "set_sentry_tags",
    "span_w3c_trace_context",
    "telemetry_error_message",
    "traceparent_context_from_env",
]
