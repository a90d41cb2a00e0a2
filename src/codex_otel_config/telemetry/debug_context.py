"""Identity evidence from a failed HTTP response's headers, and redacted error messages.

Only headers are read — never the body — so an upstream body that echoes a token cannot
reach telemetry. The four facts are what support needs to find a 401 in server logs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from codex_otel_config.exporters.classify import safe_text

REQUEST_ID_HEADER = "x-request-id"
OAI_REQUEST_ID_HEADER = "x-oai-request-id"
CF_RAY_HEADER = "cf-ray"
AUTH_ERROR_HEADER = "x-openai-authorization-error"
ERROR_JSON_HEADER = "x-error-json"

HeadersInput = Mapping[str, Any] | Iterable[tuple[str, Any]] | Any


@dataclass(frozen=True)
class ResponseDebugContext:
    """``request_id``, ``cf_ray``, ``auth_error`` and ``auth_error_code``; each may be absent."""

    request_id: str | None = None
    cf_ray: str | None = None
    auth_error: str | None = None
    auth_error_code: str | None = None

    def is_empty(self) -> bool:
        return not (self.request_id or self.cf_ray or self.auth_error or self.auth_error_code)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _lowered(headers: HeadersInput) -> dict[str, str]:
    """Header names lower-cased; the first value wins for repeated headers."""
    if headers is None:
        return {}
    items = headers.items() if hasattr(headers, "items") else headers
    found: dict[str, str] = {}
    for name, value in items:
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        text = _text(value)
        if text is not None:
            found.setdefault(key.lower(), text)
    return found


def decode_error_code(header_value: str | None) -> str | None:
    """``x-error-json``: standard base64 → JSON → ``error.code`` (a string); else ``None``."""
    if not header_value:
        return None
    try:
        raw = base64.b64decode(header_value, validate=True)
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and code else None


def extract_response_debug_context(
    status: int | None, headers: HeadersInput
) -> ResponseDebugContext:
    """The debug context of an HTTP response (``status`` ``None``: no response, nothing).

    ``headers`` is any mapping or sequence of pairs (``dict``, ``httpx.Headers``,
    ``http.client.HTTPMessage``…), matched case-insensitively.
    """
    if status is None:
        return ResponseDebugContext()
    found = _lowered(headers)
    return ResponseDebugContext(
        request_id=found.get(REQUEST_ID_HEADER) or found.get(OAI_REQUEST_ID_HEADER),
        cf_ray=found.get(CF_RAY_HEADER),
        auth_error=found.get(AUTH_ERROR_HEADER),
        auth_error_code=decode_error_code(found.get(ERROR_JSON_HEADER)),
    )


# -- redacted error messages ---------------------------------------------------------------


def http_error_message(status: int) -> str:
    """``"http 401"`` — the only thing an HTTP error contributes to telemetry."""
    return f"http {int(status)}"


def _status_of(error: BaseException) -> int | None:
    for holder in (error, getattr(error, "response", None)):
        if holder is None:
            continue
        for attr in ("status_code", "status", "code"):
            value = getattr(holder, attr, None)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                return value
    return None


def telemetry_error_message(error: BaseException | int | str) -> str:
    """A message safe to export for ``error``: never an HTTP body.

    An HTTP status (an ``int``, or an exception carrying ``status_code``/``status``/``code``
    on itself or its ``response``) becomes ``"http <status>"``; a timeout ``"timeout"``; any
    other exception its first line of text, like the crate's network errors, with URLs cut
    to ``scheme://host:port`` and bounded in length; a string is taken as an already-safe
    message.
    """
    if isinstance(error, bool):
        return str(error).lower()
    if isinstance(error, int):
        return http_error_message(error)
    if isinstance(error, str):
        return error
    status = _status_of(error)
    if status is not None:
        return http_error_message(status)
    if isinstance(error, TimeoutError):
        return "timeout"
    text = str(error).strip().splitlines()
    if not text:
        return type(error).__name__
    # Transport errors quote the URL they failed on: keep its host, drop user-info, path
    # and query (a signed URL carries its token there).
    return safe_text(text[0])
