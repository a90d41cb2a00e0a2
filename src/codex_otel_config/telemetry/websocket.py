"""Reading a Responses API websocket frame as the crate's ``record_websocket_event`` does.

A text frame is JSON whose ``type`` is the event kind. ``response.failed`` is a failed event
(its ``response.error`` is the message); a ``responsesapi.websocket_timing`` frame also
carries the server's timing breakdown, which feeds six duration histograms.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from codex_otel_config.metrics import names as mn

RESPONSES_WEBSOCKET_TIMING_KIND = "responsesapi.websocket_timing"
RESPONSES_WEBSOCKET_TIMING_METRICS_FIELD = "timing_metrics"
RESPONSE_FAILED_KIND = "response.failed"
PARSE_ERROR_KIND = "parse_error"

#: ``timing_metrics`` field → the histogram it feeds (``session_telemetry.rs``).
TIMING_FIELDS: Mapping[str, str] = {
    "responses_duration_excl_engine_and_client_tool_time_ms": (
        mn.RESPONSES_API_OVERHEAD_DURATION_METRIC
    ),
    "engine_service_total_ms": mn.RESPONSES_API_INFERENCE_TIME_DURATION_METRIC,
    "engine_iapi_ttft_total_ms": mn.RESPONSES_API_ENGINE_IAPI_TTFT_DURATION_METRIC,
    "engine_service_ttft_total_ms": mn.RESPONSES_API_ENGINE_SERVICE_TTFT_DURATION_METRIC,
    "engine_iapi_tbt_across_engine_calls_ms": mn.RESPONSES_API_ENGINE_IAPI_TBT_DURATION_METRIC,
    "engine_service_tbt_across_engine_calls_ms": (
        mn.RESPONSES_API_ENGINE_SERVICE_TBT_DURATION_METRIC
    ),
}


@dataclass(frozen=True)
class WebsocketFrame:
    """What one frame says: its kind, its error (if it failed) and any timing durations."""

    kind: str | None
    error: str | None = None
    timings: tuple[tuple[str, timedelta], ...] = field(default=())


def duration_from_ms_value(value: object) -> timedelta | None:
    """A JSON number of milliseconds, rounded to whole ms; ``None`` when missing, not a
    number, negative or non-finite (the crate drops those)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return timedelta(milliseconds=math.floor(value + 0.5))


def timing_durations(value: Mapping[str, Any]) -> tuple[tuple[str, timedelta], ...]:
    """(metric, duration) for each usable field of ``value["timing_metrics"]``."""
    timing = value.get(RESPONSES_WEBSOCKET_TIMING_METRICS_FIELD)
    if not isinstance(timing, Mapping):
        return ()
    found: list[tuple[str, timedelta]] = []
    for name, metric in TIMING_FIELDS.items():
        duration = duration_from_ms_value(timing.get(name))
        if duration is not None:
            found.append((metric, duration))
    return tuple(found)


def read_frame(message: str | bytes | Mapping[str, Any]) -> WebsocketFrame:
    """A text frame (``str``, or its already-parsed JSON object) or a binary one (``bytes``)."""
    if isinstance(message, bytes | bytearray):
        return WebsocketFrame(None, "unexpected binary websocket event")
    if isinstance(message, str):
        try:
            value: Any = json.loads(message)
        except ValueError as parse_error:
            return WebsocketFrame(PARSE_ERROR_KIND, str(parse_error))
    else:
        value = message
    if not isinstance(value, Mapping):
        return WebsocketFrame(None)
    kind = value.get("type")
    kind = kind if isinstance(kind, str) else None
    if kind == RESPONSES_WEBSOCKET_TIMING_KIND:
        return WebsocketFrame(kind, timings=timing_durations(value))
    if kind == RESPONSE_FAILED_KIND:
        response = value.get("response")
        error = response.get("error") if isinstance(response, Mapping) else None
        text = (
            json.dumps(error, separators=(",", ":"))
            if error is not None
            else "response.failed event received"
        )
        return WebsocketFrame(kind, text)
    return WebsocketFrame(kind)
