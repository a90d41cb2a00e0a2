"""Metric names and session tag keys of the crate (``metrics/names.rs``, ``tags.rs``).

Dashboards built for Codex query these names: never rename them.
"""

from __future__ import annotations

METER_NAME = "codex"

TOOL_CALL_COUNT_METRIC = "codex.tool.call"
TOOL_CALL_DURATION_METRIC = "codex.tool.call.duration_ms"
TOOL_CALL_UNIFIED_EXEC_METRIC = "codex.tool.unified_exec"
API_CALL_COUNT_METRIC = "codex.api_request"
API_CALL_DURATION_METRIC = "codex.api_request.duration_ms"
SSE_EVENT_COUNT_METRIC = "codex.sse_event"
SSE_EVENT_DURATION_METRIC = "codex.sse_event.duration_ms"
WEBSOCKET_REQUEST_COUNT_METRIC = "codex.websocket.request"
WEBSOCKET_REQUEST_DURATION_METRIC = "codex.websocket.request.duration_ms"
WEBSOCKET_EVENT_COUNT_METRIC = "codex.websocket.event"
WEBSOCKET_EVENT_DURATION_METRIC = "codex.websocket.event.duration_ms"
RESPONSES_API_OVERHEAD_DURATION_METRIC = "codex.responses_api_overhead.duration_ms"
RESPONSES_API_INFERENCE_TIME_DURATION_METRIC = "codex.responses_api_inference_time.duration_ms"
RESPONSES_API_ENGINE_IAPI_TTFT_DURATION_METRIC = "codex.responses_api_engine_iapi_ttft.duration_ms"
RESPONSES_API_ENGINE_SERVICE_TTFT_DURATION_METRIC = (
    "codex.responses_api_engine_service_ttft.duration_ms"
)
RESPONSES_API_ENGINE_IAPI_TBT_DURATION_METRIC = "codex.responses_api_engine_iapi_tbt.duration_ms"
RESPONSES_API_ENGINE_SERVICE_TBT_DURATION_METRIC = (
    "codex.responses_api_engine_service_tbt.duration_ms"
)
TURN_E2E_DURATION_METRIC = "codex.turn.e2e_duration_ms"
TURN_TTFT_DURATION_METRIC = "codex.turn.ttft.duration_ms"
TURN_TTFM_DURATION_METRIC = "codex.turn.ttfm.duration_ms"
TURN_NETWORK_PROXY_METRIC = "codex.turn.network_proxy"
TURN_TOOL_CALL_METRIC = "codex.turn.tool.call"
TURN_TOKEN_USAGE_METRIC = "codex.turn.token_usage"
PROFILE_USAGE_METRIC = "codex.profile.usage"
STARTUP_PREWARM_DURATION_METRIC = "codex.startup_prewarm.duration_ms"
STARTUP_PREWARM_AGE_AT_FIRST_TURN_METRIC = "codex.startup_prewarm.age_at_first_turn_ms"
THREAD_STARTED_METRIC = "codex.thread.started"

# Session metadata tags, added in this order (``SessionMetricTagValues::into_tags``).
AUTH_MODE_TAG = "auth_mode"
SESSION_SOURCE_TAG = "session_source"
ORIGINATOR_TAG = "originator"
SERVICE_NAME_TAG = "service_name"
MODEL_TAG = "model"
APP_VERSION_TAG = "app.version"

# Resource attribute keys of the metrics resource.
RESOURCE_SERVICE_NAME = "service.name"
RESOURCE_SERVICE_VERSION = "service.version"
RESOURCE_ENV = "env"
RESOURCE_OS = "os"
RESOURCE_OS_VERSION = "os_version"
