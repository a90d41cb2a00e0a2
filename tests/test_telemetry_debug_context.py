"""Response debug context and redacted error messages (``response_debug_context.rs``)."""

from __future__ import annotations

import base64
import io
import urllib.error
from email.message import Message

import pytest

from codex_otel_config.telemetry import (
    ResponseDebugContext,
    extract_response_debug_context,
    telemetry_error_message,
)

TOKEN_EXPIRED_JSON = "eyJlcnJvciI6eyJjb2RlIjoidG9rZW5fZXhwaXJlZCJ9fQ=="


def test_decodes_identity_headers() -> None:
    assert base64.b64decode(TOKEN_EXPIRED_JSON) == b'{"error":{"code":"token_expired"}}'
    headers = {
        "x-oai-request-id": "req-auth",
        "cf-ray": "ray-auth",
        "x-openai-authorization-error": "missing_authorization_header",
        "x-error-json": TOKEN_EXPIRED_JSON,
    }
    # The body would say something else; it is not an input at all.
    assert extract_response_debug_context(401, headers) == ResponseDebugContext(
        request_id="req-auth",
        cf_ray="ray-auth",
        auth_error="missing_authorization_header",
        auth_error_code="token_expired",
    )


def test_headers_are_case_insensitive_in_any_mapping_shape() -> None:
    message = Message()
    message["X-Request-Id"] = "req-primary"
    message["X-OAI-Request-Id"] = "req-fallback"
    message["CF-Ray"] = "ray-1"
    assert extract_response_debug_context(401, message).request_id == "req-primary"
    pairs = [("CF-RAY", b"ray-bytes"), ("X-Error-Json", TOKEN_EXPIRED_JSON)]
    context = extract_response_debug_context(403, pairs)
    assert context.cf_ray == "ray-bytes"
    assert context.auth_error_code == "token_expired"
    assert context.request_id is None


@pytest.mark.parametrize(
    "header",
    [
        "not base64 at all!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b'{"error":"flat"}').decode(),
        base64.b64encode(b'{"error":{"code":42}}').decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_error_json_is_absent(header: str) -> None:
    context = extract_response_debug_context(401, {"x-error-json": header, "cf-ray": "r"})
    assert context.auth_error_code is None
    assert context.cf_ray == "r"


def test_no_response_means_no_context() -> None:
    assert extract_response_debug_context(None, {"cf-ray": "r"}).is_empty()


def test_telemetry_error_messages_omit_http_bodies() -> None:
    body = io.BytesIO(b"upstream said: secret token leaked")
    error = urllib.error.HTTPError("https://example.com/x", 401, "Unauthorized", Message(), body)
    assert telemetry_error_message(error) == "http 401"
    assert telemetry_error_message(401) == "http 401"

    class Response:
        status_code = 401
        text = "secret token leaked"

    class ClientError(Exception):
        def __init__(self) -> None:
            super().__init__("401 Unauthorized: secret token leaked")
            self.response = Response()

    assert telemetry_error_message(ClientError()) == "http 401"


def test_telemetry_error_messages_preserve_non_http_details() -> None:
    assert telemetry_error_message(OSError("dns lookup failed")) == "dns lookup failed"
    assert telemetry_error_message(ValueError("invalid header value")) == "invalid header value"
    assert telemetry_error_message("socket closed") == "socket closed"
    assert telemetry_error_message(TimeoutError("read timed out")) == "timeout"
    assert telemetry_error_message(RuntimeError()) == "RuntimeError"


def test_telemetry_error_messages_cut_urls_to_their_host() -> None:
    """A transport error often quotes the URL it failed on; its query (a signed URL's token),
    path and user-info stay out of telemetry, the host stays as the useful detail."""
    error = ConnectionError(
        "error sending request for url (https://user:pw@api.example.com/v1/responses"
        "?sig=tok-123): connection reset"
    )
    message = telemetry_error_message(error)
    assert message.startswith("error sending request for url (https://api.example.com")
    assert message.endswith("connection reset")
    for secret in ("tok-123", "pw", "/v1/responses"):
        assert secret not in message
