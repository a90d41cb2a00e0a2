"""``SessionTelemetry``: the crate's session events, routed to a log sink and a trace sink.

Every event has a fixed name and attribute keys (AUTH401.md). The log sink receives the
full attribute set, including opted-in prompt text, tool arguments and output, e-mail and
account id; the trace sink receives only trace-safe shapes — lengths, counts, booleans,
identifiers of requests — and never those. Events that the crate also counts record
metrics through a :class:`MetricsClient`; a metric failure is a warning, never an error.

The per-session attributes (common attributes, auth-env flags, session metric tags) are
computed once at construction so an event costs little more than the SDK calls it makes.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from opentelemetry._logs import LoggerProvider
from opentelemetry.trace import TracerProvider

from codex_otel_config._version import __version__
from codex_otel_config.metrics import MetricsClient, MetricsError, Timer, global_metrics
from codex_otel_config.metrics import names as mn
from codex_otel_config.metrics.validation import sanitize_metric_tag_value, tag_pairs
from codex_otel_config.redaction import redact
from codex_otel_config.telemetry import names as n
from codex_otel_config.telemetry.auth_env import AuthEnvTelemetry
from codex_otel_config.telemetry.debug_context import ResponseDebugContext, telemetry_error_message
from codex_otel_config.telemetry.inputs import ImageInput, LocalImageInput, TextInput, UserInput
from codex_otel_config.telemetry.routing import Attributes, EventRouter, rfc3339_millis

_log = logging.getLogger("codex_otel_config.telemetry")

Duration = float | timedelta
"""Seconds (``float``/``int``) or a ``timedelta``."""
ErrorInput = str | BaseException | None
"""An already-redacted message, or an exception turned into one (``"http 401"``…)."""
Tags = tuple[tuple[str, str], ...]
TagsInput = Mapping[str, str] | Iterable[tuple[str, str]] | None

_ONE_MS = timedelta(milliseconds=1)
_TRUE_FALSE = ("false", "true")

_AUTH_MODES = {
    "apikey": n.TelemetryAuthMode.API_KEY,
    "api_key": n.TelemetryAuthMode.API_KEY,
    "chatgpt": n.TelemetryAuthMode.CHATGPT,
    "chatgptauthtokens": n.TelemetryAuthMode.CHATGPT,
}


def _auth_mode(value: n.TelemetryAuthMode | str | None) -> str | None:
    if value is None:
        return None
    mode = _AUTH_MODES.get(str(value).lower())
    if mode is None:
        raise ValueError(f"auth_mode must be 'ApiKey' or 'Chatgpt', got {value!r}")
    return mode.value


def _millis(duration: Duration) -> int:
    """Whole milliseconds, as the crate's ``Duration::as_millis`` (never negative)."""
    if isinstance(duration, timedelta):
        return max(duration // _ONE_MS, 0)
    return max(int(duration * 1000), 0)


def _seconds(duration: Duration) -> float:
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)


def _error_text(error: ErrorInput) -> str | None:
    """``error.message``: free text (a caller's string, an exception's first line) crosses
    :func:`~codex_otel_config.redaction.redact`, so a key an exception quotes is masked."""
    if error is None:
        return None
    return redact(error if isinstance(error, str) else telemetry_error_message(error))


def _compact(fields: dict[str, Any]) -> Attributes:
    """Absent optional values are omitted, never sent as empty."""
    return {k: v for k, v in fields.items() if v is not None}


def _add_auth_evidence(
    fields: Attributes,
    status: int | None,
    message: str | None,
    auth_header_name: str | None,
    recovery_mode: str | None,
    recovery_phase: str | None,
    request_id: str | None,
    cf_ray: str | None,
    auth_error: str | None,
    auth_error_code: str | None,
    debug_context: ResponseDebugContext | None,
) -> None:
    """The auth evidence of a request or handshake; ``debug_context`` (from
    :func:`extract_response_debug_context`) fills the fields not given explicitly."""
    if debug_context is not None:
        request_id = request_id or debug_context.request_id
        cf_ray = cf_ray or debug_context.cf_ray
        auth_error = auth_error or debug_context.auth_error
        auth_error_code = auth_error_code or debug_context.auth_error_code
    # Direct inserts: this runs for every request, and is cheaper than filtering a dict.
    if status is not None:
        fields[n.HTTP_STATUS] = status
    if message is not None:
        fields[n.ERROR_MESSAGE] = message
    if auth_header_name is not None:
        fields[n.AUTH_HEADER_NAME] = auth_header_name
    if recovery_mode is not None:
        fields[n.AUTH_RECOVERY_MODE] = recovery_mode
    if recovery_phase is not None:
        fields[n.AUTH_RECOVERY_PHASE] = recovery_phase
    if request_id is not None:
        fields[n.AUTH_REQUEST_ID] = request_id
    if cf_ray is not None:
        fields[n.AUTH_CF_RAY] = cf_ray
    if auth_error is not None:  # the server's words: they may echo the rejected key
        fields[n.AUTH_ERROR] = redact(auth_error)
    if auth_error_code is not None:
        fields[n.AUTH_ERROR_CODE] = auth_error_code


def _is_2xx(status: int | None) -> bool:
    return status is not None and 200 <= status <= 299


class SessionTelemetry:
    """One conversation's telemetry: events to logs and traces, session metrics.

    The positional order mirrors the crate's ``SessionTelemetry::new``. Providers default
    to the global OpenTelemetry ones; ``metrics`` defaults to the global metrics client
    (:func:`codex_otel_config.metrics.install_global`), looked up at each metric call.
    The ``with_*`` methods return a new session sharing the sinks.

    ``extra_attributes`` are added to every event in both sinks (so they must be
    trace-safe) and ``extra_metric_tags`` to every session metric — e.g. a marker such
    as ``codex.test_event=true`` for synthetic traffic.
    """

    def __init__(
        self,
        conversation_id: str | UUID,
        model: str,
        slug: str | None = None,
        account_id: str | None = None,
        account_email: str | None = None,
        auth_mode: n.TelemetryAuthMode | str | None = None,
        originator: str = "codex_cli_rs",
        log_user_prompts: bool = False,
        terminal_type: str = "unknown",
        session_source: str = "cli",
        *,
        metrics: MetricsClient | None = None,
        metrics_metadata_tags: bool = True,
        auth_env: AuthEnvTelemetry | None = None,
        service_name: str | None = None,
        app_version: str | None = None,
        logger_provider: LoggerProvider | None = None,
        tracer_provider: TracerProvider | None = None,
        extra_attributes: Mapping[str, str | bool | int | float] | None = None,
        extra_metric_tags: Mapping[str, str] | None = None,
    ) -> None:
        self.conversation_id = str(conversation_id)
        self.model = model
        self.slug = slug if slug is not None else model
        self.account_id = account_id
        self.account_email = account_email
        self.auth_mode = _auth_mode(auth_mode)
        self.originator = sanitize_metric_tag_value(originator)
        self.log_user_prompts = log_user_prompts
        self.terminal_type = terminal_type
        self.session_source = str(session_source)
        self.auth_env = auth_env if auth_env is not None else AuthEnvTelemetry()
        self.service_name = service_name
        self.app_version = app_version or __version__
        self.metrics_metadata_tags = metrics_metadata_tags
        self.extra_attributes = dict(extra_attributes or {})
        self.extra_metric_tags = dict(extra_metric_tags or {})
        self._metrics = metrics
        self._router = EventRouter(logger_provider, tracer_provider)
        self._prepare()

    # -- derived, precomputed state -------------------------------------------------------

    def _prepare(self) -> None:
        trace_common = _compact(
            {
                n.CONVERSATION_ID: self.conversation_id,
                n.APP_VERSION: self.app_version,
                n.AUTH_MODE: self.auth_mode,
                n.ORIGINATOR: self.originator,
                n.TERMINAL_TYPE: self.terminal_type,
                n.MODEL: self.model,
                n.SLUG: self.slug,
            }
        )
        trace_common.update(self.extra_attributes)
        self._trace_common: Attributes = trace_common
        self._user_attributes: Attributes = _compact(
            {n.USER_ACCOUNT_ID: self.account_id, n.USER_EMAIL: self.account_email}
        )
        self._log_common: Attributes = {**trace_common, **self._user_attributes}
        self._auth_env_attributes: Attributes = dict(self.auth_env.attributes())
        tags: list[tuple[str, str]] = []
        if self.metrics_metadata_tags:
            if self.auth_mode is not None:
                tags.append((mn.AUTH_MODE_TAG, self.auth_mode))
            tags.append((mn.SESSION_SOURCE_TAG, sanitize_metric_tag_value(self.session_source)))
            tags.append((mn.ORIGINATOR_TAG, self.originator))
            if self.service_name is not None:
                tags.append((mn.SERVICE_NAME_TAG, sanitize_metric_tag_value(self.service_name)))
            tags.append((mn.MODEL_TAG, sanitize_metric_tag_value(self.model)))
            tags.append((mn.APP_VERSION_TAG, sanitize_metric_tag_value(self.app_version)))
        tags.extend(self.extra_metric_tags.items())
        self._session_tags: Tags = tuple(tags)

    def _derive(self, **changes: Any) -> SessionTelemetry:
        clone = copy.copy(self)
        for key, value in changes.items():
            setattr(clone, key, value)
        clone._prepare()
        return clone

    def with_auth_env(self, auth_env: AuthEnvTelemetry) -> SessionTelemetry:
        """A session whose events carry this auth-env snapshot."""
        return self._derive(auth_env=auth_env)

    def with_model(self, model: str, slug: str | None = None) -> SessionTelemetry:
        return self._derive(model=model, slug=slug if slug is not None else model)

    def with_metrics_service_name(self, service_name: str) -> SessionTelemetry:
        """A session whose metrics also carry ``service_name``."""
        return self._derive(service_name=service_name)

    def with_metrics(self, metrics: MetricsClient) -> SessionTelemetry:
        """A session recording through ``metrics``, with the session metadata tags."""
        return self._derive(_metrics=metrics, metrics_metadata_tags=True)

    def with_metrics_without_metadata_tags(self, metrics: MetricsClient) -> SessionTelemetry:
        """A session recording through ``metrics`` with only the client's and per-call tags."""
        return self._derive(_metrics=metrics, metrics_metadata_tags=False)

    @property
    def metrics(self) -> MetricsClient | None:
        """The client metrics go to: the given one, else the global one, else ``None``."""
        return self._metrics if self._metrics is not None else global_metrics()

    @property
    def session_metric_tags(self) -> dict[str, str]:
        return dict(self._session_tags)

    # -- delivery -------------------------------------------------------------------------

    def _emit(self, name: str, log: Attributes | None, trace: Attributes | None) -> None:
        now = time.time_ns()
        stamp = rfc3339_millis(now)
        head = {n.EVENT_NAME: name, n.EVENT_TIMESTAMP: stamp}
        try:
            self._router.emit(
                name,
                now,
                None if log is None else {**head, **log, **self._log_common},
                None if trace is None else {**head, **trace, **self._trace_common},
            )
        except Exception as error:  # telemetry must never break the session
            _log.warning("telemetry event %s could not be emitted: %s", name, error)

    def _emit_same(self, name: str, fields: Attributes) -> None:
        """Both sinks, same fields: the trace set plus the user fields for the log."""
        now = time.time_ns()
        trace = {
            n.EVENT_NAME: name,
            n.EVENT_TIMESTAMP: rfc3339_millis(now),
            **fields,
            **self._trace_common,
        }
        user = self._user_attributes
        try:
            self._router.emit(name, now, {**trace, **user} if user else trace, trace)
        except Exception as error:  # telemetry must never break the session
            _log.warning("telemetry event %s could not be emitted: %s", name, error)

    def _count_and_time(
        self, count_name: str, duration_name: str, duration: Duration | None, extra: Tags
    ) -> None:
        client = self._metrics if self._metrics is not None else global_metrics()
        if client is None:
            return
        tags = self._session_tags + extra
        try:
            client.counter(count_name, 1, tags)
        except Exception as error:
            _log.warning("metrics counter [%s] failed: %s", count_name, error)
        if duration is None:
            return
        try:
            client.record_duration(duration_name, duration, tags)
        except Exception as error:
            _log.warning("metrics duration [%s] failed: %s", duration_name, error)

    # -- metrics with the session's tags (errors logged, not raised) ------------------------

    def _tags(self, tags: TagsInput) -> Tags:
        return self._session_tags + tag_pairs(tags)

    def counter(self, name: str, inc: int = 1, tags: TagsInput = None) -> None:
        self._record("counter", name, inc, tags)

    def histogram(self, name: str, value: float, tags: TagsInput = None) -> None:
        self._record("histogram", name, value, tags)

    def record_duration(self, name: str, duration: Duration, tags: TagsInput = None) -> None:
        self._record("record_duration", name, duration, tags)

    def _record(self, method: str, name: str, value: Any, tags: TagsInput) -> None:
        """Session metrics never raise into the application: a bad name or tag is a warning."""
        client = self.metrics
        if client is None:
            return
        try:
            getattr(client, method)(name, value, self._tags(tags))
        except Exception as error:
            _log.warning("metrics %s [%s] failed: %s", method, name, error)

    def start_timer(self, name: str, tags: TagsInput = None) -> Timer:
        """A timer with the session's tags; :class:`MetricsError` when there is no client."""
        client = self.metrics
        if client is None:
            raise MetricsError("exporter_disabled", "no metrics client for this session")
        return client.start_timer(name, self._tags(tags))

    # -- events ---------------------------------------------------------------------------

    def conversation_starts(
        self,
        provider_name: str,
        reasoning_effort: str | None = None,
        reasoning_summary: str | None = None,
        context_window: int | None = None,
        auto_compact_token_limit: int | None = None,
        approval_policy: str | None = None,
        sandbox_policy: str | None = None,
        mcp_servers: Sequence[str] = (),
        active_profile: str | None = None,
    ) -> None:
        """``codex.conversation_starts``; ``codex.profile.usage`` +1 when a profile is active."""
        common = _compact(
            {
                "provider_name": provider_name,
                "reasoning_effort": None if reasoning_effort is None else str(reasoning_effort),
                "reasoning_summary": None if reasoning_summary is None else str(reasoning_summary),
                "context_window": context_window,
                "auto_compact_token_limit": auto_compact_token_limit,
                "approval_policy": None if approval_policy is None else str(approval_policy),
                "sandbox_policy": None if sandbox_policy is None else str(sandbox_policy),
            }
        )
        common.update(self._auth_env_attributes)
        log = {**common, "mcp_servers": ", ".join(mcp_servers)}
        if active_profile is not None:
            log["active_profile"] = active_profile
        trace = {
            **common,
            "mcp_server_count": len(mcp_servers),
            "active_profile_present": active_profile is not None,
        }
        self._emit(n.CONVERSATION_STARTS, log, trace)
        if active_profile is not None:
            self.counter(mn.PROFILE_USAGE_METRIC, 1)

    def record_api_request(
        self,
        attempt: int,
        status: int | None,
        error: ErrorInput,
        duration: Duration,
        *,
        auth_header_attached: bool = False,
        auth_header_name: str | None = None,
        retry_after_unauthorized: bool = False,
        recovery_mode: str | None = None,
        recovery_phase: str | None = None,
        endpoint: str = "unknown",
        request_id: str | None = None,
        cf_ray: str | None = None,
        auth_error: str | None = None,
        auth_error_code: str | None = None,
        debug_context: ResponseDebugContext | None = None,
    ) -> None:
        """``codex.api_request`` (same attributes in both sinks) and its two metrics.

        ``debug_context`` (from :func:`extract_response_debug_context`) fills the
        request id, cf-ray and auth error fields not given explicitly.
        """
        message = _error_text(error)
        fields: Attributes = {
            n.DURATION_MS: _millis(duration),
            n.ATTEMPT: attempt,
            n.AUTH_HEADER_ATTACHED: auth_header_attached,
            n.AUTH_RETRY_AFTER_UNAUTHORIZED: retry_after_unauthorized,
            n.ENDPOINT: endpoint,
        }
        _add_auth_evidence(
            fields,
            status,
            message,
            auth_header_name,
            recovery_mode,
            recovery_phase,
            request_id,
            cf_ray,
            auth_error,
            auth_error_code,
            debug_context,
        )
        fields.update(self._auth_env_attributes)
        self._emit_same(n.API_REQUEST, fields)
        success = _is_2xx(status) and message is None
        self._count_and_time(
            mn.API_CALL_COUNT_METRIC,
            mn.API_CALL_DURATION_METRIC,
            duration,
            (
                ("status", "none" if status is None else str(status)),
                ("success", _TRUE_FALSE[success]),
            ),
        )

    api_request = record_api_request

    def record_websocket_connect(
        self,
        duration: Duration,
        status: int | None,
        error: ErrorInput,
        *,
        auth_header_attached: bool = False,
        auth_header_name: str | None = None,
        retry_after_unauthorized: bool = False,
        recovery_mode: str | None = None,
        recovery_phase: str | None = None,
        endpoint: str = "unknown",
        connection_reused: bool = False,
        request_id: str | None = None,
        cf_ray: str | None = None,
        auth_error: str | None = None,
        auth_error_code: str | None = None,
        debug_context: ResponseDebugContext | None = None,
    ) -> None:
        """``codex.websocket_connect``: the handshake and its auth evidence (no metrics)."""
        message = _error_text(error)
        success = message is None and (status is None or _is_2xx(status))
        fields: Attributes = {
            n.DURATION_MS: _millis(duration),
            n.SUCCESS: success,
            n.AUTH_HEADER_ATTACHED: auth_header_attached,
            n.AUTH_RETRY_AFTER_UNAUTHORIZED: retry_after_unauthorized,
            n.ENDPOINT: endpoint,
            n.AUTH_CONNECTION_REUSED: connection_reused,
        }
        _add_auth_evidence(
            fields,
            status,
            message,
            auth_header_name,
            recovery_mode,
            recovery_phase,
            request_id,
            cf_ray,
            auth_error,
            auth_error_code,
            debug_context,
        )
        fields.update(self._auth_env_attributes)
        self._emit_same(n.WEBSOCKET_CONNECT, fields)

    websocket_connect = record_websocket_connect

    def record_websocket_request(
        self, duration: Duration, error: ErrorInput = None, connection_reused: bool = False
    ) -> None:
        """``codex.websocket_request`` and ``codex.websocket.request`` (+ duration)."""
        message = _error_text(error)
        fields = _compact(
            {
                n.DURATION_MS: _millis(duration),
                n.SUCCESS: message is None,
                n.ERROR_MESSAGE: message,
                n.AUTH_CONNECTION_REUSED: connection_reused,
            }
        )
        fields.update(self._auth_env_attributes)
        self._emit_same(n.WEBSOCKET_REQUEST, fields)
        self._count_and_time(
            mn.WEBSOCKET_REQUEST_COUNT_METRIC,
            mn.WEBSOCKET_REQUEST_DURATION_METRIC,
            duration,
            (("success", _TRUE_FALSE[message is None]),),
        )

    websocket_request = record_websocket_request

    def record_websocket_event(
        self, kind: str | None, duration: Duration, error: ErrorInput = None
    ) -> None:
        """``codex.websocket_event`` (kind ``unknown`` when not known) and its metrics.

        The caller skips ping/pong frames and names unparsable JSON ``parse_error``.
        """
        kind = kind or "unknown"
        message = _error_text(error)
        fields = _compact(
            {
                n.EVENT_KIND: kind,
                n.DURATION_MS: _millis(duration),
                n.SUCCESS: message is None,
                n.ERROR_MESSAGE: message,
            }
        )
        self._emit_same(n.WEBSOCKET_EVENT, fields)
        self._count_and_time(
            mn.WEBSOCKET_EVENT_COUNT_METRIC,
            mn.WEBSOCKET_EVENT_DURATION_METRIC,
            duration,
            (("kind", kind), ("success", _TRUE_FALSE[message is None])),
        )

    websocket_event = record_websocket_event

    def record_auth_recovery(
        self,
        mode: str,
        step: str,
        outcome: str,
        request_id: str | None = None,
        cf_ray: str | None = None,
        auth_error: str | None = None,
        auth_error_code: str | None = None,
        recovery_reason: str | None = None,
        auth_state_changed: bool | None = None,
    ) -> None:
        """``codex.auth_recovery``: one per 401 handled (same attributes in both sinks)."""
        fields = _compact(
            {
                n.AUTH_RECOVERY_MODE_ATTR: str(mode),
                n.AUTH_RECOVERY_STEP: str(step),
                n.AUTH_RECOVERY_OUTCOME: str(outcome),
                n.AUTH_REQUEST_ID: request_id,
                n.AUTH_CF_RAY: cf_ray,
                n.AUTH_ERROR: auth_error,
                n.AUTH_ERROR_CODE: auth_error_code,
                n.AUTH_RECOVERY_REASON: None if recovery_reason is None else str(recovery_reason),
                n.AUTH_STATE_CHANGED: auth_state_changed,
            }
        )
        self._emit_same(n.AUTH_RECOVERY, fields)

    auth_recovery = record_auth_recovery

    def sse_event(self, kind: str, duration: Duration) -> None:
        """A successful SSE event: log only (``event.kind``, ``duration_ms``), and metrics."""
        self._emit(n.SSE_EVENT, {n.EVENT_KIND: kind, n.DURATION_MS: _millis(duration)}, None)
        self._count_and_time(
            mn.SSE_EVENT_COUNT_METRIC,
            mn.SSE_EVENT_DURATION_METRIC,
            duration,
            (("kind", kind), ("success", "true")),
        )

    def sse_event_failed(self, kind: str | None, duration: Duration, error: ErrorInput) -> None:
        """A failed SSE event: log with ``error.message``, trace with ``event.kind`` only."""
        message = _error_text(error)
        log = _compact(
            {n.EVENT_KIND: kind, n.DURATION_MS: _millis(duration), n.ERROR_MESSAGE: message}
        )
        self._emit(n.SSE_EVENT, log, {n.EVENT_KIND: kind or "unknown"})
        self._count_and_time(
            mn.SSE_EVENT_COUNT_METRIC,
            mn.SSE_EVENT_DURATION_METRIC,
            duration,
            (("kind", kind or "unknown"), ("success", "false")),
        )

    def sse_event_completed(
        self,
        input_token_count: int,
        output_token_count: int,
        cached_token_count: int | None = None,
        reasoning_token_count: int | None = None,
        tool_token_count: int = 0,
        *,
        duration: Duration | None = None,
    ) -> None:
        """``response.completed`` with its token counts, in both sinks."""
        fields = _compact(
            {
                n.EVENT_KIND: "response.completed",
                n.DURATION_MS: None if duration is None else _millis(duration),
                "input_token_count": input_token_count,
                "output_token_count": output_token_count,
                "cached_token_count": cached_token_count,
                "reasoning_token_count": reasoning_token_count,
                "tool_token_count": tool_token_count,
            }
        )
        self._emit_same(n.SSE_EVENT, fields)
        self._count_and_time(
            mn.SSE_EVENT_COUNT_METRIC,
            mn.SSE_EVENT_DURATION_METRIC,
            duration,
            (("kind", "response.completed"), ("success", "true")),
        )

    def sse_event_completed_failed(self, error: ErrorInput, duration: Duration = 0.0) -> None:
        """A ``response.completed`` that could not be read (the crate's ``see_event_…``)."""
        self.sse_event_failed("response.completed", duration, error)

    def user_prompt(self, items: Sequence[UserInput]) -> None:
        """``codex.user_prompt``: the text only in logs, and only when opted in."""
        texts: list[str] = []
        images = local_images = 0
        for item in items:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, TextInput):
                texts.append(item.text)
            elif isinstance(item, ImageInput):
                images += 1
            elif isinstance(item, LocalImageInput):
                local_images += 1
        prompt = "".join(texts)
        log = {
            "prompt_length": len(prompt),
            "prompt": prompt if self.log_user_prompts else n.REDACTED,
        }
        trace = {
            "prompt_length": len(prompt),
            "text_input_count": len(texts),
            "image_input_count": images,
            "local_image_input_count": local_images,
        }
        self._emit(n.USER_PROMPT, log, trace)

    def tool_decision(
        self,
        tool_name: str,
        call_id: str,
        decision: str,
        source: n.ToolDecisionSource | str,
    ) -> None:
        """``codex.tool_decision``: log only."""
        self._emit(
            n.TOOL_DECISION,
            {
                "tool_name": tool_name,
                "call_id": call_id,
                "decision": str(decision).lower(),
                "source": str(source),
            },
            None,
        )

    def tool_result(
        self,
        tool_name: str,
        call_id: str,
        arguments: str,
        duration: Duration,
        success: bool,
        output: str,
        extra_tags: TagsInput = None,
        mcp_server: str | None = None,
        mcp_server_origin: str | None = None,
    ) -> None:
        """``codex.tool_result``: arguments and output in logs; only their shape in traces."""
        ms = _millis(duration)
        log = _compact(
            {
                "tool_name": tool_name,
                "call_id": call_id,
                "arguments": arguments,
                n.DURATION_MS: ms,
                n.SUCCESS: success,
                "output": output,
                "mcp_server": mcp_server,
                "mcp_server_origin": mcp_server_origin,
            }
        )
        trace = {
            "tool_name": tool_name,
            "call_id": call_id,
            n.DURATION_MS: ms,
            n.SUCCESS: success,
            "arguments_length": len(arguments),
            "output_length": len(output),
            "output_line_count": len(output.splitlines()),
            "tool_origin": "mcp" if mcp_server is not None else "builtin",
            "mcp_tool": mcp_server is not None,
        }
        self._emit(n.TOOL_RESULT, log, trace)
        self._count_and_time(
            mn.TOOL_CALL_COUNT_METRIC,
            mn.TOOL_CALL_DURATION_METRIC,
            duration,
            (("tool", tool_name), ("success", _TRUE_FALSE[bool(success)]), *tag_pairs(extra_tags)),
        )

    tool_result_with_tags = tool_result

    def log_tool_failed(self, tool_name: str, error: str, call_id: str | None = None) -> None:
        """A tool that could not run at all: no metric, ``success=false``, 0 ms.

        The error stands in for the tool's output: the text goes to logs only, and traces
        get its shape, as for :meth:`tool_result`.
        """
        log = _compact(
            {
                "tool_name": tool_name,
                "call_id": call_id,
                n.DURATION_MS: 0,
                n.SUCCESS: False,
                "output": error,
            }
        )
        trace = _compact(
            {
                "tool_name": tool_name,
                "call_id": call_id,
                n.DURATION_MS: 0,
                n.SUCCESS: False,
                "output_length": len(error),
                "output_line_count": len(error.splitlines()),
                "tool_origin": "builtin",
            }
        )
        self._emit(n.TOOL_RESULT, log, trace)
