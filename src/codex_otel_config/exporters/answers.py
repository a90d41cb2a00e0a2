"""What an OTLP collector's answer *body* says (OTLP spec, "OTLP/HTTP Response").

- HTTP 200 carries an ``Export<Signal>ServiceResponse`` whose ``partial_success`` says how
  many items were rejected and why (a rejected count of 0 with a message is a warning);
- 4xx/5xx carry a ``google.rpc.Status`` whose ``message`` is the reason;
- both in the request's encoding: protobuf, or JSON (the proto3 JSON mapping).

The body is read only up to :data:`READ_LIMIT` bytes and decoded with the protobuf classes
the exporters use (``opentelemetry-proto``, ``googleapis-common-protos``); anything else that
is short plain text is shown as it is. Every text returned here is raw: callers pass it
through :func:`codex_otel_config.exporters.classify.safe_text` before it goes anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "READ_LIMIT",
    "PartialSuccess",
    "decode_response",
    "is_html",
    "media_type",
    "partial_success",
    "partial_success_of",
    "status_message",
]

#: The most of an answer body read for a message (a Status or a partial success is tiny).
READ_LIMIT = 4096

#: The response message of each signal's Export RPC, and its rejected-count field.
_RESPONSES: Mapping[str, tuple[str, str, str]] = {
    "traces": (
        "opentelemetry.proto.collector.trace.v1.trace_service_pb2",
        "ExportTraceServiceResponse",
        "rejected_spans",
    ),
    "logs": (
        "opentelemetry.proto.collector.logs.v1.logs_service_pb2",
        "ExportLogsServiceResponse",
        "rejected_log_records",
    ),
    "metrics": (
        "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2",
        "ExportMetricsServiceResponse",
        "rejected_data_points",
    ),
}


@dataclass(frozen=True)
class PartialSuccess:
    """An OTLP ``partial_success``: ``rejected`` items (0: a warning only) and the reason."""

    rejected: int
    message: str


def media_type(headers: Mapping[str, str] | None) -> str:
    """The answer's media type, lower-cased, without parameters (``""`` when absent)."""
    for key, value in (headers or {}).items():
        if str(key).lower() == "content-type":
            return str(value).split(";", 1)[0].strip().lower()
    return ""


def is_html(content_type: str, body: bytes) -> bool:
    """An HTML page: a web server or a login portal, not an OTLP collector."""
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:64].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _is_json(content_type: str, body: bytes) -> bool:
    return content_type.endswith("json") or body[:1] in (b"{", b"[")


def _response_type(signal: str) -> tuple[Any, str]:
    import importlib

    module, name, field = _RESPONSES[signal]
    return getattr(importlib.import_module(module), name), field


def partial_success_of(response: Any, signal: str) -> PartialSuccess | None:
    """The ``partial_success`` of a decoded response message (``None`` when unset)."""
    if not response.HasField("partial_success"):
        return None
    field = _RESPONSES[signal][2]
    part = response.partial_success
    return PartialSuccess(int(getattr(part, field)), str(part.error_message))


def decode_response(signal: str, data: bytes) -> Any:
    """A protobuf ``Export<Signal>ServiceResponse`` from its bytes (``None`` if not one)."""
    from google.protobuf.message import DecodeError

    cls, _ = _response_type(signal)
    response = cls()
    try:
        response.ParseFromString(data[:READ_LIMIT])
    except (DecodeError, RuntimeError, ValueError):
        return None
    return response


def partial_success(signal: str | None, body: bytes, content_type: str) -> PartialSuccess | None:
    """The ``partial_success`` of a 200 answer's body, or ``None`` (unset, or not decodable:
    the spec makes the body mandatory, but an empty 200 is common and means full success)."""
    if signal is None or signal not in _RESPONSES or not body:
        return None
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError

    cls, _ = _response_type(signal)
    response = cls()
    try:
        if _is_json(content_type, body):
            json_format.Parse(body[:READ_LIMIT].decode("utf-8"), response, True)
        else:
            response.ParseFromString(body[:READ_LIMIT])
    except (DecodeError, json_format.ParseError, UnicodeDecodeError, ValueError, RuntimeError):
        return None
    return partial_success_of(response, signal)


def status_message(body: bytes, content_type: str) -> str | None:
    """The reason in an error answer: a ``google.rpc.Status`` message (protobuf or JSON), a
    JSON ``message`` / ``error`` field, or short plain text. ``None`` for HTML or nothing."""
    body = body[:READ_LIMIT]
    if not body.strip() or is_html(content_type, body):
        return None
    if content_type in ("application/x-protobuf", "application/protobuf", "application/grpc"):
        return _protobuf_status(body)
    if _is_json(content_type, body):
        return _json_status(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _protobuf_status(body)
    # Text, not a binary body or terminal escapes (ESC is not printable): shown as one line.
    return text if all(c.isprintable() or c in "\t\r\n" for c in text) else None


def _protobuf_status(body: bytes) -> str | None:
    from google.protobuf.message import DecodeError
    from google.rpc.status_pb2 import Status

    status = Status()
    try:
        status.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError):
        return None
    return status.message or None


def _json_status(body: bytes) -> str | None:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    for key in ("message", "error"):
        value = document.get(key)
        if isinstance(value, dict):
            value = value.get("message")
        if isinstance(value, str) and value:
            return value
    return None
