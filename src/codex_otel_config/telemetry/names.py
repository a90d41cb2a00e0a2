"""Event names, attribute keys and vocabularies of the crate's ``SessionTelemetry``.

Dashboards built for Codex match on these strings: they are fixed (see AUTH401.md).
"""

from __future__ import annotations

from enum import StrEnum

# Instrumentation scopes, named after the crate's tracing targets: logs are exported under
# ``codex_otel.log_only`` and the spans this package starts under ``codex_otel.trace_safe``.
OTEL_TARGET_PREFIX = "codex_otel"
OTEL_LOG_ONLY_TARGET = "codex_otel.log_only"
OTEL_TRACE_SAFE_TARGET = "codex_otel.trace_safe"

# -- events ------------------------------------------------------------------------------
CONVERSATION_STARTS = "codex.conversation_starts"
API_REQUEST = "codex.api_request"
WEBSOCKET_CONNECT = "codex.websocket_connect"
WEBSOCKET_REQUEST = "codex.websocket_request"
WEBSOCKET_EVENT = "codex.websocket_event"
AUTH_RECOVERY = "codex.auth_recovery"
SSE_EVENT = "codex.sse_event"
USER_PROMPT = "codex.user_prompt"
TOOL_DECISION = "codex.tool_decision"
TOOL_RESULT = "codex.tool_result"

# -- common attributes -------------------------------------------------------------------
EVENT_NAME = "event.name"
EVENT_TIMESTAMP = "event.timestamp"
CONVERSATION_ID = "conversation.id"
APP_VERSION = "app.version"
AUTH_MODE = "auth_mode"
ORIGINATOR = "originator"
USER_ACCOUNT_ID = "user.account_id"  # log sink only
USER_EMAIL = "user.email"  # log sink only
TERMINAL_TYPE = "terminal.type"
MODEL = "model"
SLUG = "slug"

# -- request / auth attributes -----------------------------------------------------------
DURATION_MS = "duration_ms"
HTTP_STATUS = "http.response.status_code"
ERROR_MESSAGE = "error.message"
ATTEMPT = "attempt"
SUCCESS = "success"
ENDPOINT = "endpoint"
AUTH_HEADER_ATTACHED = "auth.header_attached"
AUTH_HEADER_NAME = "auth.header_name"
AUTH_RETRY_AFTER_UNAUTHORIZED = "auth.retry_after_unauthorized"
AUTH_RECOVERY_MODE = "auth.recovery_mode"
AUTH_RECOVERY_PHASE = "auth.recovery_phase"
AUTH_CONNECTION_REUSED = "auth.connection_reused"
AUTH_REQUEST_ID = "auth.request_id"
AUTH_CF_RAY = "auth.cf_ray"
AUTH_ERROR = "auth.error"
AUTH_ERROR_CODE = "auth.error_code"
AUTH_RECOVERY_MODE_ATTR = "auth.mode"
AUTH_RECOVERY_STEP = "auth.step"
AUTH_RECOVERY_OUTCOME = "auth.outcome"
AUTH_RECOVERY_REASON = "auth.recovery_reason"
AUTH_STATE_CHANGED = "auth.state_changed"
EVENT_KIND = "event.kind"

# -- auth-env presence (never values) ----------------------------------------------------
AUTH_ENV_OPENAI_API_KEY_PRESENT = "auth.env_openai_api_key_present"
AUTH_ENV_CODEX_API_KEY_PRESENT = "auth.env_codex_api_key_present"
AUTH_ENV_CODEX_API_KEY_ENABLED = "auth.env_codex_api_key_enabled"
AUTH_ENV_PROVIDER_KEY_NAME = "auth.env_provider_key_name"
AUTH_ENV_PROVIDER_KEY_PRESENT = "auth.env_provider_key_present"
AUTH_ENV_REFRESH_TOKEN_URL_OVERRIDE_PRESENT = "auth.env_refresh_token_url_override_present"

REDACTED = "[REDACTED]"
PROVIDER_KEY_CONFIGURED = "configured"


class TelemetryAuthMode(StrEnum):
    """How the session authenticates; the value is what ``auth_mode`` carries."""

    API_KEY = "ApiKey"
    CHATGPT = "Chatgpt"


class ToolDecisionSource(StrEnum):
    """Who decided a tool call (the crate's strum ``Display`` spelling)."""

    AUTOMATED_REVIEWER = "AutomatedReviewer"
    CONFIG = "Config"
    USER = "User"


class AuthRecoveryMode(StrEnum):
    MANAGED = "managed"
    EXTERNAL = "external"
    NONE = "none"


class AuthRecoveryStep(StrEnum):
    RELOAD = "reload"
    REFRESH_TOKEN = "refresh_token"
    EXTERNAL_REFRESH = "external_refresh"
    DONE = "done"
    NONE = "none"


class AuthRecoveryOutcome(StrEnum):
    SUCCEEDED = "recovery_succeeded"
    FAILED_PERMANENT = "recovery_failed_permanent"
    FAILED_TRANSIENT = "recovery_failed_transient"
    NOT_RUN = "recovery_not_run"


class AuthRecoveryReason(StrEnum):
    NOT_CHATGPT_AUTH = "not_chatgpt_auth"
    NO_EXTERNAL_REFRESHER = "no_external_refresher"
    RECOVERY_EXHAUSTED = "recovery_exhausted"
    AUTH_MANAGER_MISSING = "auth_manager_missing"


# Endpoint names the crate tags requests with.
RESPONSES_ENDPOINT = "/responses"
RESPONSES_COMPACT_ENDPOINT = "/responses/compact"
MEMORIES_SUMMARIZE_ENDPOINT = "/memories/trace_summarize"
MODELS_ENDPOINT = "/models"
