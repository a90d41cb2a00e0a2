"""W3C trace-context helpers: carry a trace across a process or a websocket boundary.

Mirrors the crate's ``trace_context.rs`` with the W3C ``TraceContextTextMapPropagator``:
read the current span's ``traceparent``/``tracestate``, turn a carrier back into a remote
parent context, and continue a trace from ``TRACEPARENT``/``TRACESTATE`` in the environment.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT_ENV = "TRACEPARENT"
TRACESTATE_ENV = "TRACESTATE"

_log = logging.getLogger("codex_otel_config.telemetry")
_propagator = TraceContextTextMapPropagator()


@dataclass(frozen=True)
class W3cTraceContext:
    """A W3C carrier: ``traceparent`` (required to continue a trace) and ``tracestate``."""

    traceparent: str | None = None
    tracestate: str | None = None

    def as_carrier(self) -> dict[str, str]:
        """The HTTP-header form, absent fields omitted."""
        carrier: dict[str, str] = {}
        if self.traceparent:
            carrier["traceparent"] = self.traceparent
        if self.tracestate:
            carrier["tracestate"] = self.tracestate
        return carrier


TraceContextInput = W3cTraceContext | Mapping[str, str]


def span_w3c_trace_context(span: Span) -> W3cTraceContext | None:
    """``span``'s carrier, or ``None`` when its span context is invalid."""
    if not span.get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    traceparent = carrier.get("traceparent")
    if not traceparent:
        return None
    return W3cTraceContext(traceparent=traceparent, tracestate=carrier.get("tracestate") or None)


def current_span_w3c_trace_context() -> W3cTraceContext | None:
    """The current span's carrier, or ``None`` when no valid span is current."""
    return span_w3c_trace_context(trace.get_current_span())


def current_span_trace_id() -> str | None:
    """The current trace id as 32 lower-case hex characters, or ``None``."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return trace.format_trace_id(span_context.trace_id)


def _carrier(ctx: TraceContextInput) -> dict[str, str]:
    if isinstance(ctx, W3cTraceContext):
        return ctx.as_carrier()
    return {k.lower(): v for k, v in ctx.items() if isinstance(v, str) and v}


def remote_span_context(ctx: TraceContextInput) -> SpanContext | None:
    """The remote parent's span context named by the carrier, or ``None`` if invalid."""
    carrier = _carrier(ctx)
    if "traceparent" not in carrier:
        return None  # tracestate alone continues nothing
    extracted = _propagator.extract(carrier, context=Context())
    span_context = trace.get_current_span(extracted).get_span_context()
    if not span_context.is_valid:
        return None
    return span_context


def context_from_w3c_trace_context(ctx: TraceContextInput) -> Context | None:
    """A context whose (remote) parent is the carrier's span, or ``None`` if invalid.

    Start spans under it: ``tracer.start_as_current_span(name, context=parent)``.
    """
    span_context = remote_span_context(ctx)
    if span_context is None:
        return None
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context), Context())


def set_parent_from_w3c_trace_context(span: Span, ctx: TraceContextInput) -> bool:
    """Re-parent an open SDK ``span`` under the carrier's span; ``False`` if invalid.

    The crate sets the parent of a span before it is exported; OpenTelemetry Python fixes
    the parent at start, so this rewrites the open span's identity (same span id, the remote
    trace id and parent). Do it before the span starts children or logs; in new code prefer
    :func:`context_from_w3c_trace_context` and pass the context to ``start_span``.
    """
    parent = remote_span_context(ctx)
    if parent is None:
        return False
    own = span.get_span_context()
    if (
        not span.is_recording()
        or getattr(span, "end_time", 1) is not None
        or not hasattr(span, "_parent")
        or not hasattr(span, "_context")
    ):
        return False
    span._context = SpanContext(  # type: ignore[attr-defined]
        trace_id=parent.trace_id,
        span_id=own.span_id,
        is_remote=False,
        trace_flags=own.trace_flags,
        trace_state=parent.trace_state,
    )
    span._parent = parent  # type: ignore[attr-defined]
    return True


# -- TRACEPARENT / TRACESTATE from the environment, read once ------------------------------

_env_lock = threading.Lock()
_env_loaded = False
_env_context: Context | None = None


def _context_from_environ(environ: Mapping[str, str]) -> Context | None:
    traceparent = environ.get(TRACEPARENT_ENV)
    if traceparent is None or not traceparent.strip():
        return None
    carrier = W3cTraceContext(traceparent.strip(), (environ.get(TRACESTATE_ENV) or "").strip())
    context = context_from_w3c_trace_context(carrier)
    if context is None:
        _log.warning("TRACEPARENT is set but invalid; ignoring trace context")
        return None
    _log.debug("TRACEPARENT detected; continuing trace from parent context")
    return context


def traceparent_context_from_env(environ: Mapping[str, str] | None = None) -> Context | None:
    """The parent context named by ``TRACEPARENT`` (and ``TRACESTATE``), or ``None``.

    With ``environ`` omitted, ``os.environ`` is read once per process and the result kept
    (an invalid value warns once). An explicit ``environ`` is read on every call.
    """
    global _env_loaded, _env_context
    if environ is not None:
        return _context_from_environ(environ)
    with _env_lock:
        if not _env_loaded:
            _env_context = _context_from_environ(os.environ)
            _env_loaded = True
        return _env_context


def _reset_env_cache() -> None:
    """Forget the cached environment read (tests only)."""
    global _env_loaded, _env_context
    with _env_lock:
        _env_loaded, _env_context = False, None
