"""The two sinks of every session event: a log record and a trace-safe span event.

The log sink gets the full attribute set through an OTel ``Logger`` (scope
``codex_otel.log_only``); the trace sink adds a span event to the current span, or — when
no span is recording — to a short span of its own (scope ``codex_otel.trace_safe``) so the
event still reaches the traces exporter. What is trace-safe is decided by the caller
(:mod:`codex_otel_config.telemetry.session`): this module only delivers.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider, SeverityNumber, get_logger_provider
from opentelemetry.trace import TracerProvider

from codex_otel_config._version import __version__
from codex_otel_config.telemetry.names import OTEL_LOG_ONLY_TARGET, OTEL_TRACE_SAFE_TARGET

Attributes = dict[str, Any]

_INFO = SeverityNumber.INFO
_get_current_span = trace.get_current_span
_set_span_in_context = trace.set_span_in_context

# ``event.timestamp``: RFC 3339, UTC, milliseconds, ``Z``. The seconds part is formatted once
# per second; the cache is one tuple swapped atomically, so threads never see a torn value.
_second_cache: tuple[int, str] = (-1, "")


def rfc3339_millis(time_ns: int) -> str:
    """``2026-03-14T09:26:53.589Z`` for a UNIX time in nanoseconds."""
    global _second_cache
    seconds, rest = divmod(time_ns, 1_000_000_000)
    cached_second, prefix = _second_cache
    if cached_second != seconds:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second_cache = (seconds, prefix)
    return f"{prefix}.{rest // 1_000_000:03d}Z"


class EventRouter:
    """Delivers one event to the log sink, the trace sink, or both."""

    __slots__ = ("_logger", "_tracer")

    def __init__(
        self,
        logger_provider: LoggerProvider | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        # Without explicit providers the global ones are used; before they are set these
        # are the API's proxies, which start delivering once a provider is installed.
        lp = logger_provider if logger_provider is not None else get_logger_provider()
        tp = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
        self._logger = lp.get_logger(OTEL_LOG_ONLY_TARGET, __version__)
        self._tracer = tp.get_tracer(OTEL_TRACE_SAFE_TARGET, __version__)

    def emit(
        self,
        name: str,
        time_ns: int,
        log_attributes: Attributes | None,
        trace_attributes: Attributes | None,
    ) -> None:
        """Send ``name`` to the sinks whose attributes are not ``None``."""
        if trace_attributes is None:
            if log_attributes is not None:
                self._log(name, time_ns, log_attributes, None)
            return
        span = _get_current_span()
        if span.is_recording():
            if log_attributes is not None:
                self._log(name, time_ns, log_attributes, None)
            span.add_event(name, trace_attributes, time_ns)
            return
        # No recording span: one short span of our own holds the event, and the log record
        # (emitted inside it) carries its trace id, so the two sinks stay correlated.
        own = self._tracer.start_span(name, start_time=time_ns)
        try:
            if log_attributes is not None:
                self._log(name, time_ns, log_attributes, _set_span_in_context(own))
            own.add_event(name, trace_attributes, time_ns)
        finally:
            own.end()

    def _log(self, name: str, time_ns: int, attributes: Attributes, context: Any) -> None:
        self._logger.emit(
            timestamp=time_ns,
            context=context,
            severity_number=_INFO,
            severity_text="INFO",
            body=name,
            attributes=attributes,
            event_name=name,
        )
