"""The live stages for one target: DNS → TCP → TLS → an empty OTLP export request.

Each stage is timed and bounded by the per-stage timeout, and yields one :class:`Finding`;
a failing stage ends the chain (later stages would only fail the same way). The OTLP request
is what an exporter would send — same URL, headers, protocol, compression and TLS material —
but with an empty ``Export*ServiceRequest``, so a healthy collector accepts it and stores
nothing. grpc is imported only for gRPC targets.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography import x509

from codex_otel_config._version import __version__
from codex_otel_config.check import hints
from codex_otel_config.check.certificates import (
    dns_names,
    hostname_matches,
    iso,
    name_of,
    now_utc,
    validity,
)
from codex_otel_config.check.model import Finding, Stage, Status
from codex_otel_config.check.target import Target
from codex_otel_config.exporters.answers import READ_LIMIT, decode_response
from codex_otel_config.exporters.classify import (
    GRPC_PORT_MESSAGE,
    classify_exception,
    classify_grpc,
    classify_grpc_ok,
    classify_http,
    is_http2_frame,
    safe_text,
)
from codex_otel_config.exporters.empty_request import empty_request
from codex_otel_config.exporters.tls import MaterialError, grpc_credentials, ssl_context
from codex_otel_config.outcomes import Code, ExportFailure
from codex_otel_config.settings.model import OtlpGrpc, OtlpHttp

Emit = Callable[[Finding], None]

#: The OTLP Export RPC of each signal.
_GRPC_METHOD = {
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}
#: How long the tls stage listens after the handshake for a TLS 1.3 alert (a server that
#: wants a client certificate says so only after the client thinks the handshake is done):
#: at least this, or twice the handshake's own time on slow links.
_ALERT_WAIT_S = 0.2
_X509_EXPIRED = 10
_X509_NOT_YET_VALID = 9


@dataclass(frozen=True)
class Address:
    """Where a target lives."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def address_of(endpoint: str) -> Address:
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Address(parts.scheme, host, port, path)


class _Stage:
    """Times one stage and builds its finding with the target's common fields."""

    def __init__(self, target: Target, stage: Stage) -> None:
        self.target = target
        self.stage: Stage = stage
        self.started = time.perf_counter()

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def finding(
        self, code: Code, status: Status, message: str, hint: str | None = None, **kw: Any
    ) -> Finding:
        return Finding(
            code=code,
            stage=self.stage,
            status=status,
            message=message,
            hint=hint,
            signal=self.target.signal,
            endpoint=self.target.endpoint,
            environment=self.target.environment,
            elapsed_ms=self.elapsed_ms,
            **kw,
        )

    def failure(self, failure: ExportFailure, **kw: Any) -> Finding:
        """A failing finding from a classified error, with the code's hint."""
        return self.finding(
            failure.code,
            "fail",
            failure.message,
            hints.hint_for(self.target, failure, self.stage),
            http_status=failure.http_status,
            grpc_status=failure.grpc_status,
            request_id=failure.request_id,
            cf_ray=failure.cf_ray,
            **kw,
        )


def _run_bounded(fn: Callable[[], Any], timeout: float) -> Any:
    """Run ``fn`` in a daemon thread; raise ``TimeoutError`` if it outlives ``timeout``.

    For calls with no timeout of their own (``getaddrinfo``): the thread is abandoned, never
    joined, so a hung resolver cannot hold ``check`` past its deadline.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=work, name="check-bounded", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _run_on_socket(
    fn: Callable[[], Any], timeout: float, sock: Callable[[], socket.socket | None]
) -> Any:
    """:func:`_run_bounded` for socket I/O: a socket timeout bounds each read, not the
    exchange, so a server that trickles bytes would hold the stage for ever. At the deadline
    the socket (``sock()``, looked up then) is shut down, which ends the abandoned call too."""
    try:
        return _run_bounded(fn, timeout)
    except TimeoutError:
        current = sock()
        if current is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown: the worker may still be inside the TLS object.
                socket.socket.shutdown(current, socket.SHUT_RDWR)
        raise


# --- dns ------------------------------------------------------------------------------------


def probe_dns(target: Target, address: Address, timeout: float) -> tuple[Finding, list[Any]]:
    stage = _Stage(target, "dns")
    try:
        infos = _run_bounded(
            lambda: socket.getaddrinfo(
                address.host, address.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            ),
            timeout,
        )
    except TimeoutError:
        failure = ExportFailure(Code.TIMEOUT, f"dns lookup of {address.host} timed out")
        return stage.failure(failure), []
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        failure = ExportFailure(Code.DNS_FAILED, f"{address.host} does not resolve ({reason})")
        return stage.failure(failure), []
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    shown = ", ".join(addresses[:3]) + (" …" if len(addresses) > 3 else "")
    return stage.finding(Code.OK, "ok", f"{address.host} → {shown}"), infos


# --- tcp ------------------------------------------------------------------------------------


def probe_tcp(
    target: Target, address: Address, infos: list[Any], timeout: float
) -> tuple[Finding, socket.socket | None]:
    """Connect to the resolved addresses in order, all within one stage deadline."""
    stage = _Stage(target, "tcp")
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    for family, kind, proto, _name, sockaddr in infos:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        sock.settimeout(remaining)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        peer = sockaddr[0]
        return stage.finding(Code.OK, "ok", f"connected to {peer} port {address.port}"), sock
    if last is None:
        last = TimeoutError("connect timed out")
    failure = classify_exception(last)
    where = f"{address.host}:{address.port}"
    if failure.code is Code.CONNECTION_REFUSED:
        failure = replace(failure, message=f"connection to {where} refused")
    elif failure.code is Code.TIMEOUT:
        failure = replace(failure, message=f"no answer from {where} within {timeout:g} s")
    else:
        failure = replace(failure, message=f"cannot connect to {where}: {failure.message}")
    return stage.failure(failure), None


# --- tls ------------------------------------------------------------------------------------


def client_context(target: Target, *, verify: bool = True) -> ssl.SSLContext:
    """The very TLS context the exporter builds (:func:`exporters.tls.ssl_context`: the
    configured CA replaces the system roots, the client certificate for mTLS), so ``check``
    tests what export will use. Raises :class:`MaterialError` for unusable files."""
    context = ssl_context(target.exporter.tls, f"{target.field}.{target.kind}")
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _material_failure(exc: MaterialError) -> ExportFailure:
    code = Code.TLS_HANDSHAKE_FAILED
    if "mismatch" in exc.detail:
        code = Code.KEY_MISMATCH
    return ExportFailure(code, f"cannot load the TLS files: {safe_text(str(exc))}")


def _alpn(target: Target) -> list[str]:
    return ["h2"] if isinstance(target.exporter, OtlpGrpc) else ["http/1.1"]


@dataclass(frozen=True)
class ServerCertificate:
    subject: str
    issuer: str
    not_after: str
    hostname_matches: bool
    names: tuple[str, ...]
    certificate: x509.Certificate

    def fields(self) -> dict[str, Any]:
        return {
            "cert_subject": self.subject,
            "cert_issuer": self.issuer,
            "cert_not_after": self.not_after,
            "hostname_matches": self.hostname_matches,
        }


def _describe_der(der: bytes | None, host: str) -> ServerCertificate | None:
    if not der:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return ServerCertificate(
        subject=name_of(cert.subject),
        issuer=name_of(cert.issuer),
        not_after=iso(cert.not_valid_after_utc),
        hostname_matches=hostname_matches(cert, host),
        names=tuple(dns_names(cert)),
        certificate=cert,
    )


def fetch_server_certificate(
    target: Target, address: Address, sockaddr: Any, timeout: float
) -> ServerCertificate | None:
    """The server certificate without verifying it, to explain a verification failure."""
    try:
        context = client_context(target, verify=False)
    except MaterialError:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(_alpn(target))
    try:
        with (
            socket.create_connection(sockaddr[:2], timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=address.host) as tls,
        ):
            return _describe_der(tls.getpeercert(binary_form=True), address.host)
    except (OSError, ValueError):
        return None


def probe_tls(target: Target, address: Address, sock: socket.socket, timeout: float) -> Finding:
    """The handshake with the configured CA and client certificate; closes ``sock``."""
    stage = _Stage(target, "tls")
    sockaddr = sock.getpeername()
    try:
        context = client_context(target)
    except MaterialError as exc:
        sock.close()
        return stage.failure(_material_failure(exc))
    context.set_alpn_protocols(_alpn(target))
    sock.settimeout(timeout)
    try:
        tls = context.wrap_socket(sock, server_hostname=address.host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        remaining = max(0.2, timeout - stage.elapsed_ms / 1000.0)
        server = fetch_server_certificate(target, address, sockaddr, remaining)
        return stage.failure(_verify_failure(exc, server), **(server.fields() if server else {}))
    except (OSError, ValueError) as exc:
        sock.close()
        return stage.failure(_handshake_failure(exc, address))
    with tls:
        version = tls.version() or "TLS"
        server = _describe_der(tls.getpeercert(binary_form=True), address.host)
        wait = min(timeout, max(_ALERT_WAIT_S, 2 * stage.elapsed_ms / 1000.0))
        alert = _post_handshake_alert(tls, version, wait)
    if alert is not None:
        return stage.failure(alert, **(server.fields() if server else {}))
    fields = server.fields() if server else {}
    if server is None:
        return stage.finding(Code.OK, "ok", f"{version} handshake ok", **fields)
    check = validity(server.certificate, now_utc(), "server certificate")
    message = f"{version}, {check.message}, issued by {server.issuer}"
    if check.status != "ok":
        return stage.finding(
            check.code, check.status, message, "the collector's certificate needs renewal", **fields
        )
    return stage.finding(Code.OK, "ok", message, **fields)


def _post_handshake_alert(tls: ssl.SSLSocket, version: str, wait: float) -> ExportFailure | None:
    """In TLS 1.3 a server rejects a missing or unknown client certificate only after the
    client's handshake completed: listen briefly for that alert (or for the server simply
    hanging up) so the tls stage reports it. Silence or data (an HTTP/2 server's SETTINGS)
    both mean the session stands."""
    if version != "TLSv1.3":
        return None
    tls.settimeout(wait)
    try:
        data = tls.recv(1)
    except (TimeoutError, BlockingIOError, ssl.SSLWantReadError):
        return None
    except ssl.SSLError as exc:
        reason = str(getattr(exc, "reason", "") or type(exc).__name__)
        return ExportFailure(
            Code.TLS_HANDSHAKE_FAILED, f"the server ended the TLS session: {safe_text(reason)}"
        )
    except OSError:
        data = b""
    if data:
        return None
    return ExportFailure(
        Code.TLS_HANDSHAKE_FAILED, "the server closed the connection right after the handshake"
    )


def _verify_failure(
    exc: ssl.SSLCertVerificationError, server: ServerCertificate | None
) -> ExportFailure:
    """Say *why* verification failed: untrusted issuer, wrong name, or dates."""
    failure = classify_exception(exc)
    verify_code = getattr(exc, "verify_code", None)
    if verify_code == _X509_EXPIRED:
        failure = replace(failure, code=Code.CERTIFICATE_EXPIRED)
    elif verify_code == _X509_NOT_YET_VALID:
        failure = replace(failure, code=Code.CERTIFICATE_NOT_YET_VALID)
    if server is None:
        return failure
    if failure.code is Code.TLS_HOSTNAME_MISMATCH:
        names = ", ".join(server.names) or "no names"
        message = f"the server certificate is for {names}, not for the host connected to"
    elif failure.code is Code.TLS_UNTRUSTED:
        message = (
            f"the server certificate {server.subject} (issued by {server.issuer}) is not trusted"
        )
        if not server.hostname_matches:
            message += "; its names do not match the host either"
    elif failure.code is Code.CERTIFICATE_EXPIRED:
        message = f"the server certificate {server.subject} expired on {server.not_after}"
    elif failure.code is Code.CERTIFICATE_NOT_YET_VALID:
        start = iso(server.certificate.not_valid_before_utc)
        message = f"the server certificate {server.subject} is not valid before {start}"
    else:
        return failure
    return replace(failure, message=message)


def _handshake_failure(exc: BaseException, address: Address) -> ExportFailure:
    failure = classify_exception(exc)
    reason = str(getattr(exc, "reason", "") or "")
    if reason == "WRONG_VERSION_NUMBER" or "wrong version number" in str(exc).lower():
        return ExportFailure(
            Code.TLS_HANDSHAKE_FAILED,
            f"{address.host}:{address.port} does not speak TLS (wrong version number)",
        )
    if failure.code is Code.TIMEOUT:
        return replace(failure, message="the TLS handshake timed out")
    if isinstance(exc, ConnectionError | EOFError) or reason == "UNEXPECTED_EOF_WHILE_READING":
        return ExportFailure(
            Code.TLS_HANDSHAKE_FAILED, "the server closed the connection during the handshake"
        )
    return failure


# --- otlp -----------------------------------------------------------------------------------


def _auth_fields(status: int, headers: Mapping[str, str]) -> dict[str, Any]:
    """``auth_error`` and ``auth_error_code`` from a rejected answer's headers (or metadata)."""
    from codex_otel_config.telemetry.debug_context import extract_response_debug_context

    context = extract_response_debug_context(status, headers)
    return {
        "auth_error": getattr(context, "auth_error", None),
        "auth_error_code": getattr(context, "auth_error_code", None),
    }


def probe_otlp_http(target: Target, address: Address, timeout: float) -> Finding:
    """POST an empty Export request with the configured headers, protocol and TLS."""
    stage = _Stage(target, "otlp")
    exporter = target.exporter
    assert isinstance(exporter, OtlpHttp)
    encoding: Literal["json", "protobuf"] = "json" if exporter.protocol == "json" else "protobuf"
    body = empty_request(target.signal, encoding)
    content_type = "application/json" if encoding == "json" else "application/x-protobuf"
    headers = {
        "Content-Type": content_type,
        "User-Agent": f"codex-otel-config-check/{__version__}",
    }
    if exporter.compression == "gzip":
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    headers.update({k: v.reveal() for k, v in exporter.headers.items()})
    secrets = target.secrets()
    connection: http.client.HTTPConnection
    try:
        if address.tls:
            connection = http.client.HTTPSConnection(
                address.host, address.port, timeout=timeout, context=client_context(target)
            )
        else:
            connection = http.client.HTTPConnection(address.host, address.port, timeout=timeout)

        def exchange() -> tuple[http.client.HTTPResponse, dict[str, str], bytes]:
            try:
                connection.request("POST", address.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = {k.lower(): v for k, v in response.getheaders()}
                return response, answer, response.read(READ_LIMIT)
            finally:
                connection.close()

        response, answer_headers, answer_body = _run_on_socket(
            exchange, timeout, lambda: connection.sock
        )
    except MaterialError as exc:
        return stage.failure(_material_failure(exc))
    except (UnicodeError, ValueError) as exc:
        failure = ExportFailure(
            Code.UNEXPECTED_RESPONSE,
            f"a configured header cannot be sent ({type(exc).__name__})",
        )
        return stage.failure(failure)
    except (OSError, http.client.HTTPException) as exc:
        failure = classify_exception(exc, secrets=secrets)
        if failure.code is not Code.GRPC_PORT and _hung_up(exc) and _speaks_http2(address, timeout):
            failure = ExportFailure(Code.GRPC_PORT, GRPC_PORT_MESSAGE)
        if failure.code is Code.TIMEOUT:
            failure = replace(failure, message=f"no answer within {timeout:g} s")
        elif (
            isinstance(exc, http.client.HTTPException) and failure.code is Code.UNEXPECTED_RESPONSE
        ):
            failure = replace(failure, message=f"not an HTTP answer ({type(exc).__name__})")
        return stage.failure(failure)
    failure = classify_http(
        response.status,
        answer_headers,
        reason=response.reason,
        body=answer_body,
        signal=target.signal,
        secrets=secrets,
    )
    if failure.code is Code.OK:
        return stage.finding(
            Code.OK,
            "ok",
            f"{target.protocol}: {failure.message}",
            http_status=response.status,
            request_id=failure.request_id,
            cf_ray=failure.cf_ray,
        )
    extra = _auth_fields(response.status, answer_headers) if response.status in (401, 403) else {}
    if failure.retry_after:
        failure = replace(failure, message=f"{failure.message} (retry after {failure.retry_after})")
    return stage.failure(failure, **extra)


def probe_otlp_grpc(target: Target, address: Address, timeout: float) -> Finding:
    """The Export RPC with an empty request, the configured metadata, TLS and a deadline."""
    import grpc

    stage = _Stage(target, "otlp")
    exporter = target.exporter
    assert isinstance(exporter, OtlpGrpc)
    tls = exporter.tls
    host = f"[{address.host}]" if ":" in address.host else address.host
    endpoint = f"{host}:{address.port}"
    compression = grpc.Compression.Gzip if exporter.compression == "gzip" else None
    secrets = target.secrets()
    try:
        if address.tls:
            credentials = grpc_credentials(tls, f"{target.field}.{target.kind}")
            channel = grpc.secure_channel(endpoint, credentials, compression=compression)
        else:
            channel = grpc.insecure_channel(endpoint, compression=compression)
    except MaterialError as exc:
        return stage.failure(_material_failure(exc))
    except (OSError, ValueError) as exc:
        return stage.failure(classify_exception(exc, secrets=secrets))
    method = _GRPC_METHOD[target.signal]
    metadata = [(k.lower(), v.reveal()) for k, v in exporter.headers.items()]
    metadata.append(("user-agent", f"codex-otel-config-check/{__version__}"))
    try:
        call = channel.unary_unary(method)
        answer_bytes, _ = call.with_call(
            empty_request(target.signal, "protobuf"), timeout=timeout, metadata=metadata
        )
    except grpc.RpcError as exc:
        code = exc.code() if callable(getattr(exc, "code", None)) else None  # type: ignore[attr-defined]
        details = exc.details() if callable(getattr(exc, "details", None)) else None  # type: ignore[attr-defined]
        pairs = list(exc.trailing_metadata() or ()) if hasattr(exc, "trailing_metadata") else []  # type: ignore[attr-defined]
        answer = {str(k).lower(): str(v) for k, v in pairs if isinstance(v, str)}
        failure = classify_grpc(getattr(code, "name", "UNKNOWN"), details, answer, secrets=secrets)
        if failure.code is Code.TIMEOUT:
            failure = replace(
                failure, message=f"grpc DEADLINE_EXCEEDED: no answer within {timeout:g} s"
            )
        extra = (
            _auth_fields(401, answer)
            if failure.grpc_status in ("UNAUTHENTICATED", "PERMISSION_DENIED")
            else {}
        )
        return stage.failure(failure, **extra)
    except (ValueError, TypeError) as exc:
        failure = ExportFailure(
            Code.UNEXPECTED_RESPONSE, f"a configured header cannot be sent ({type(exc).__name__})"
        )
        return stage.failure(failure)
    finally:
        channel.close()
    outcome = classify_grpc_ok(
        decode_response(target.signal, answer_bytes) if isinstance(answer_bytes, bytes) else None,
        target.signal,
    )
    if outcome.code is not Code.OK:
        return stage.failure(outcome)
    return stage.finding(Code.OK, "ok", outcome.message, grpc_status="OK")


def _hung_up(exc: BaseException) -> bool:
    """The server closed or reset the connection instead of answering."""
    return isinstance(exc, ConnectionError | http.client.RemoteDisconnected | EOFError)


def _speaks_http2(address: Address, timeout: float) -> bool:
    """Whether the server, on a fresh plain connection, speaks first with an HTTP/2 frame
    (gRPC servers send their SETTINGS at once; an HTTP/1.1 server waits for the request)."""
    if address.tls:
        return False
    try:
        with socket.create_connection((address.host, address.port), timeout=min(timeout, 1.0)) as s:
            return is_http2_frame(s.recv(16))
    except OSError:
        return False


# --- the chain ------------------------------------------------------------------------------


def probe_target(target: Target, timeout: float, emit: Emit) -> list[Finding]:
    """Run the live stages of one target in order, emitting each finding as it completes."""
    findings: list[Finding] = []

    def record(finding: Finding) -> bool:
        findings.append(finding)
        emit(finding)
        return not finding.failed

    address = address_of(target.exporter.endpoint)
    if not address.host:
        return findings
    dns, infos = probe_dns(target, address, timeout)
    if not record(dns):
        return findings
    tcp, sock = probe_tcp(target, address, infos, timeout)
    if not record(tcp) or sock is None:
        return findings
    if address.tls:
        if not record(probe_tls(target, address, sock, timeout)):
            return findings
    else:
        sock.close()
    if isinstance(target.exporter, OtlpGrpc):
        record(probe_otlp_grpc(target, address, timeout))
    else:
        record(probe_otlp_http(target, address, timeout))
    return findings
