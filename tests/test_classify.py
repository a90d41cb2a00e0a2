"""Classification of export outcomes into stable codes, from real errors where they can be made."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
import trustme
import urllib3

from codex_otel_config.exporters.classify import (
    classify_exception,
    classify_grpc,
    classify_http,
    safe_text,
)
from codex_otel_config.outcomes import Code

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (200, Code.OK),
        (204, Code.OK),
        (401, Code.AUTH_REJECTED),
        (403, Code.FORBIDDEN),
        (404, Code.NOT_FOUND),
        (415, Code.UNSUPPORTED_MEDIA_TYPE),
        (429, Code.RATE_LIMITED),
        (500, Code.SERVER_ERROR),
        (503, Code.SERVER_ERROR),
        (400, Code.UNEXPECTED_RESPONSE),
        (418, Code.UNEXPECTED_RESPONSE),
        (799, Code.UNEXPECTED_RESPONSE),
    ],
)
def test_http_status_codes(status: int, code: Code) -> None:
    failure = classify_http(status, {})
    assert failure.code is code
    assert failure.http_status == status
    assert failure.message.startswith(f"http {status}")


def test_http_evidence_headers_case_insensitive() -> None:
    failure = classify_http(401, {"X-Request-Id": "req-1", "CF-Ray": "8f-IAD", "Retry-After": "9"})
    assert (failure.request_id, failure.cf_ray) == ("req-1", "8f-IAD")
    assert failure.retry_after is None  # only meaningful for 429
    assert classify_http(429, {"retry-after": "3"}).retry_after == "3"


def test_http_falls_back_to_oai_request_id() -> None:
    assert classify_http(503, {"x-oai-request-id": "oai-7"}).request_id == "oai-7"
    both = classify_http(503, {"x-oai-request-id": "oai-7", "x-request-id": "req-7"})
    assert both.request_id == "req-7"


# --- answer bodies (issue #12): partial success, Status, HTML, redirects --------------------------


def _partial(signal: str, rejected: int, message: str) -> object:
    from codex_otel_config.receiver.decode import partial_response

    return partial_response(signal, (rejected, message))  # type: ignore[arg-type]


@pytest.mark.parametrize("signal", ["traces", "logs", "metrics"])
@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_a_partial_success_is_read_from_protobuf_and_json(signal: str, encoding: str) -> None:
    from google.protobuf import json_format

    response = _partial(signal, 7, "over quota\nretry tomorrow")
    if encoding == "json":
        body = json_format.MessageToJson(response).encode()  # type: ignore[arg-type]
        headers = {"Content-Type": "application/json"}
    else:
        body = response.SerializeToString()  # type: ignore[attr-defined]
        headers = {"Content-Type": "application/x-protobuf"}
    failure = classify_http(200, headers, body=body, signal=signal)
    assert failure.code is Code.PARTIAL_SUCCESS and failure.delivered  # the rest arrived
    assert failure.rejected == 7
    assert failure.message.endswith(
        "rejected 7 "
        + {"traces": "spans", "logs": "log records", "metrics": "data points"}[signal]
        + ": over quota retry tomorrow"
    )
    warning = _partial(signal, 0, "deprecated field")
    ok = classify_http(
        200,
        {},
        body=warning.SerializeToString(),
        signal=signal,  # type: ignore[attr-defined]
    )
    assert ok.code is Code.OK and "warns: deprecated field" in ok.message
    assert classify_http(200, {}, body=b"", signal=signal).code is Code.OK


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("https://user:pw@lb.example:8443/v1/logs?token=s3cr3t", "https://lb.example:8443"),
        ("/other/v1/logs", "another path on the same server"),
        (None, "no Location given"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_delivered_and_names_its_host(
    status: int, location: str | None, shown: str
) -> None:
    failure = classify_http(status, {"Location": location} if location else {})
    assert failure.code is Code.REDIRECTED and not failure.delivered
    assert f"redirected to {shown} (not followed)" in failure.message
    assert "s3cr3t" not in failure.message and "pw@" not in failure.message


def test_an_error_body_gives_its_reason_on_one_redacted_line() -> None:
    from google.rpc.status_pb2 import Status

    secret = "tok-1234567890"
    status = Status(code=3, message=f"bad attribute\nsee https://h.example/x?k={secret} {secret}")
    proto = classify_http(
        400,
        {"content-type": "application/x-protobuf"},
        body=status.SerializeToString(),
        secrets=[secret],
    )
    assert proto.message == "http 400 Bad Request: bad attribute see https://h.example ****"
    as_json = classify_http(
        400, {"content-type": "application/json"}, body=b'{"code": 3, "message": "no field x"}'
    )
    assert as_json.message == "http 400 Bad Request: no field x"
    text = classify_http(503, {"content-type": "text/plain"}, body=b"upstream down\n")
    assert text.message == "http 503 Service Unavailable: upstream down"
    escape = classify_http(500, {}, body=b"\x1b[31mred\x1b[0m")
    assert escape.message == "http 500 Internal Server Error"  # terminal escapes: not shown
    # A credentials answer may quote the token it rejected: its body is never shown.
    assert classify_http(401, {}, body=secret.encode()).message == "http 401 Unauthorized"
    huge = classify_http(400, {}, body=b"x" * 100_000)
    assert len(huge.message) <= 200


def test_html_is_not_an_otlp_answer() -> None:
    page = b"<!DOCTYPE html><html><title>Login</title></html>"
    assert classify_http(200, {"content-type": "text/html"}, body=page).code is Code.NOT_OTLP
    assert classify_http(404, {}, body=page).code is Code.NOT_OTLP
    assert classify_http(401, {}, body=page).code is Code.AUTH_REJECTED  # still a 401


def test_an_http2_preface_is_a_grpc_port() -> None:
    import http.client

    settings = "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00@\x00\x00"
    error = urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.BadStatusLine(settings)
    )
    failure = classify_exception(error)
    assert failure.code is Code.GRPC_PORT and "\\x00" not in failure.message
    assert classify_exception(http.client.BadStatusLine("HTTP/9 nonsense")).code is not (
        Code.GRPC_PORT
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("UNAUTHENTICATED", Code.GRPC_UNAUTHENTICATED),
        ("StatusCode.UNAVAILABLE", Code.GRPC_UNAVAILABLE),
        ("unimplemented", Code.GRPC_UNIMPLEMENTED),
        ("DEADLINE_EXCEEDED", Code.TIMEOUT),
        ("PERMISSION_DENIED", Code.FORBIDDEN),
        ("RESOURCE_EXHAUSTED", Code.RATE_LIMITED),
        ("INTERNAL", Code.UNEXPECTED_RESPONSE),
    ],
)
def test_grpc_status_names(name: str, code: Code) -> None:
    failure = classify_grpc(name, None)
    assert failure.code is code
    assert failure.grpc_status == name.rsplit(".", 1)[-1].upper()


@pytest.mark.parametrize(
    ("details", "code"),
    [
        (
            "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: "
            "Failed to connect to remote host: Connection refused",
            Code.CONNECTION_REFUSED,
        ),
        (
            "Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: "
            "CERTIFICATE_VERIFY_FAILED: unable to get local issuer certificate",
            Code.TLS_UNTRUSTED,
        ),
        ("Peer name collector.example is not in peer certificate", Code.TLS_HOSTNAME_MISMATCH),
        ("DNS resolution failed for collector.invalid:4317", Code.DNS_FAILED),
        ("failed to connect to all addresses; last error: Socket closed", Code.GRPC_UNAVAILABLE),
    ],
)
def test_grpc_unavailable_details_name_the_cause(details: str, code: Code) -> None:
    failure = classify_grpc("UNAVAILABLE", details)
    assert failure.code is code
    assert failure.grpc_status == "UNAVAILABLE"


def test_grpc_details_are_scrubbed() -> None:
    secret = "sk-live-0123456789abcdef"
    failure = classify_grpc(
        "INTERNAL",
        f"bad key {secret} posting to https://user:pw@collector:4317/x?token=abc",
        {"x-request-id": "r-1"},
        secrets=[secret],
    )
    assert secret not in failure.message
    assert "pw" not in failure.message and "token" not in failure.message
    assert "https://collector:4317" in failure.message
    assert failure.request_id == "r-1"


def test_safe_text_is_bounded_and_single_line() -> None:
    text = safe_text("a\nb " + "x" * 500)
    assert "\n" not in text and len(text) <= 160


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_through_requests() -> None:
    with pytest.raises(requests.ConnectionError) as info:
        requests.post(f"http://127.0.0.1:{_free_port()}/v1/traces", timeout=5)
    assert classify_exception(info.value).code is Code.CONNECTION_REFUSED


def test_refused_through_urllib3() -> None:
    pool = urllib3.PoolManager(retries=urllib3.Retry(0))
    with pytest.raises(urllib3.exceptions.HTTPError) as info:
        pool.request("POST", f"http://127.0.0.1:{_free_port()}/v1/traces")
    assert classify_exception(info.value).code is Code.CONNECTION_REFUSED


def test_dns_failure() -> None:
    with pytest.raises(requests.ConnectionError) as info:
        requests.post("http://collector.invalid/v1/traces", timeout=5)
    assert classify_exception(info.value).code is Code.DNS_FAILED
    assert (
        classify_exception(socket.gaierror(-2, "Name or service not known")).code is Code.DNS_FAILED
    )


@contextmanager
def _black_hole() -> Iterator[int]:
    """A listener that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()


def test_read_timeout() -> None:
    with _black_hole() as port, pytest.raises(requests.Timeout) as info:
        requests.post(f"http://127.0.0.1:{port}/v1/traces", timeout=0.3)
    failure = classify_exception(info.value)
    assert failure.code is Code.TIMEOUT
    assert classify_exception(TimeoutError()).code is Code.TIMEOUT


@contextmanager
def _tls_server(cert: trustme.LeafCert) -> Iterator[int]:
    """A TLS listener that completes (or fails) handshakes and then closes."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except OSError:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        server.close()


def test_tls_untrusted_and_hostname_mismatch() -> None:
    ca = trustme.CA()
    other_ca = trustme.CA()
    leaf = ca.issue_cert("collector.example")
    with _tls_server(leaf) as port:
        with (
            pytest.raises(requests.exceptions.SSLError) as untrusted,
            other_ca.cert_pem.tempfile() as bundle,
        ):
            requests.post(f"https://127.0.0.1:{port}/", verify=bundle, timeout=5)
        assert classify_exception(untrusted.value).code is Code.TLS_UNTRUSTED
        with (
            pytest.raises(requests.exceptions.SSLError) as mismatch,
            ca.cert_pem.tempfile() as bundle,
        ):
            requests.post(f"https://127.0.0.1:{port}/", verify=bundle, timeout=5)
        failure = classify_exception(mismatch.value)
        assert failure.code is Code.TLS_HOSTNAME_MISMATCH
        assert "tls" in failure.message


def test_plain_ssl_error_is_handshake_failure() -> None:
    err = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    assert classify_exception(err).code is Code.TLS_HANDSHAKE_FAILED
    hidden = ConnectionError("wrapped")
    hidden.__cause__ = ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed")
    assert classify_exception(hidden).code is Code.TLS_HANDSHAKE_FAILED


def test_real_grpc_error_is_classified() -> None:
    grpc = pytest.importorskip("grpc")
    channel = grpc.insecure_channel(f"127.0.0.1:{_free_port()}")
    call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
    with pytest.raises(grpc.RpcError) as info:
        call(b"", timeout=3)
    channel.close()
    failure = classify_exception(info.value)
    assert failure.code is Code.CONNECTION_REFUSED  # UNAVAILABLE, and the details say why
    assert failure.grpc_status == "UNAVAILABLE"
    wrapped = RuntimeError("export failed")
    wrapped.__cause__ = info.value
    assert classify_exception(wrapped).grpc_status == "UNAVAILABLE"


def test_unknown_error_message_is_safe() -> None:
    secret = "tok-abcdef0123456789"
    failure = classify_exception(
        ValueError(f"boom at https://u:{secret}@h:1/p?k={secret}"), secrets=[secret]
    )
    assert failure.code is Code.UNEXPECTED_RESPONSE
    assert secret not in failure.message
    assert failure.message.startswith("ValueError")


def test_cyclic_chain_terminates() -> None:
    a = RuntimeError("a")
    b = RuntimeError("b")
    a.__context__ = b
    b.__context__ = a
    assert classify_exception(a).code is Code.UNEXPECTED_RESPONSE
