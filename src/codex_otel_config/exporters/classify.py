"""Turn what an export saw (an HTTP status, a gRPC status, an exception) into a stable `Code`.

Shared by the bootstrap reports and by ``check``, so both name a failure the same way.
Everything here is pure and cheap: no network, and no import of grpc, requests or urllib3
(those are recognised by class name and by duck typing, so classifying never pulls them in).
Messages are short, built from our own words plus a few safe fields (an HTTP status, an
OpenSSL verify message); response bodies and raw exception text are never copied verbatim.
"""

from __future__ import annotations

import functools
import re
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus

from codex_otel_config.outcomes import Code, ExportFailure
from codex_otel_config.redaction import scrub

__all__ = [
    "CREDENTIAL_STATUSES",
    "GRPC_PORT_MESSAGE",
    "classify_exception",
    "classify_grpc",
    "classify_grpc_ok",
    "classify_http",
    "header",
    "is_http2_frame",
    "safe_text",
]

_HTTP_CODES: Mapping[int, Code] = {
    401: Code.AUTH_REJECTED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    429: Code.RATE_LIMITED,
}

_GRPC_CODES: Mapping[str, Code] = {
    "OK": Code.OK,
    "UNAUTHENTICATED": Code.GRPC_UNAUTHENTICATED,
    "UNAVAILABLE": Code.GRPC_UNAVAILABLE,
    "UNIMPLEMENTED": Code.GRPC_UNIMPLEMENTED,
    "DEADLINE_EXCEEDED": Code.TIMEOUT,
    "PERMISSION_DENIED": Code.FORBIDDEN,
    "RESOURCE_EXHAUSTED": Code.RATE_LIMITED,
}

#: OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_X509_NAME_MISMATCH = frozenset({62, 64})
#: OpenSSL verify codes that mean "no chain to a trusted root" (self-signed, unknown issuer …).
_X509_UNTRUSTED = frozenset({2, 18, 19, 20, 21, 27})

_MAX_TEXT = 160


@functools.cache
def _url_re() -> re.Pattern[str]:
    return re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>[^\s'\"<>]+)")


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header value looked up case-insensitively (plain dicts are case-sensitive)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return str(value)
    lowered = name.lower()
    for key, candidate in headers.items():
        if str(key).lower() == lowered:
            return str(candidate)
    return None


def strip_urls(text: str) -> str:
    """Every URL in ``text`` cut to scheme://host:port (user info, path and query may carry
    tokens)."""
    return _url_re().sub(_strip_url, text)


def _strip_url(match: re.Match[str]) -> str:
    rest = match.group("rest")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    netloc = netloc.rsplit("@", 1)[-1]  # never echo user:password@
    return f"{match.group('scheme')}://{netloc}"


def safe_text(text: str, secrets: Sequence[str] = ()) -> str:
    """Text from elsewhere made safe to print: URLs cut to scheme://host:port (no userinfo,
    path or query, which may carry tokens), known secrets masked, one line, bounded length."""
    text = scrub(text, list(secrets))  # first: cutting URLs could break a secret apart
    text = strip_urls(text)
    text = " ".join(text.split())
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 1] + "…"
    return text


_ITEMS = {"traces": "spans", "logs": "log records", "metrics": "data points"}


def _location(headers: Mapping[str, str] | None) -> str:
    """Where a redirect points, cut to ``scheme://host:port`` (its path and query may carry
    tokens); a relative ``Location`` stays on the same server."""
    location = header(headers, "location")
    if not location:
        return "no Location given"
    if "://" not in location:
        return "another path on the same server"
    return strip_urls(location.split()[0])


def classify_http(
    status: int,
    headers: Mapping[str, str] | None = None,
    *,
    reason: str | None = None,
    body: bytes = b"",
    signal: str | None = None,
    secrets: Sequence[str] = (),
) -> ExportFailure:
    """Classify an HTTP answer to an OTLP export: the one rule for every report and probe.

    - 2xx is ``ok``, unless its ``partial_success`` rejected items (``partial_success``, with
      the count and the collector's reason) or it is an HTML page (``not_otlp``);
    - 3xx is ``redirected`` (never followed; the message names the ``Location`` host);
    - 4xx/5xx get their code, and the reason from the body (a ``google.rpc.Status`` message
      or short text, read to :data:`~codex_otel_config.exporters.answers.READ_LIMIT` bytes).

    The message is ``"http 400 Bad Request: <reason>"``: every part from the body passes
    :func:`safe_text` (URLs cut, secrets masked, one line, bounded).
    """
    from codex_otel_config.exporters import answers

    content_type = answers.media_type(headers)
    body = body[: answers.READ_LIMIT]
    rejected: int | None = None
    detail: str | None = None
    if 200 <= status < 300:
        code = Code.OK
        if answers.is_html(content_type, body):
            code, detail = Code.NOT_OTLP, "an HTML page, not an OTLP answer"
        else:
            part = answers.partial_success(signal, body, content_type)
            if part is not None:
                items = _ITEMS.get(signal or "", "items")
                if part.rejected > 0:
                    code, rejected = Code.PARTIAL_SUCCESS, part.rejected
                    detail = f"the collector rejected {part.rejected} {items}"
                else:
                    detail = "the collector warns"
                if part.message:
                    detail += f": {safe_text(part.message, secrets)}"
    elif 300 <= status < 400:
        code = Code.REDIRECTED
        detail = f"redirected to {_location(headers)} (not followed)"
    else:
        if status in _HTTP_CODES:
            code = _HTTP_CODES[status]
        elif 500 <= status < 600:
            code = Code.SERVER_ERROR
        else:
            code = Code.UNEXPECTED_RESPONSE
        if answers.is_html(content_type, body):
            detail = "an HTML page, not an OTLP answer"
            if code in (Code.NOT_FOUND, Code.UNEXPECTED_RESPONSE):
                code = Code.NOT_OTLP
        elif status not in (401, 403):  # a credentials answer may quote the token: not shown
            message = answers.status_message(body, content_type)
            detail = safe_text(message, secrets) if message else None
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = safe_text(reason or "", secrets)
    message = f"http {status} {phrase}".rstrip()
    if detail:
        message += f": {detail}"
    return ExportFailure(
        code=code,
        message=message,
        http_status=status,
        request_id=header(headers, "x-request-id") or header(headers, "x-oai-request-id"),
        cf_ray=header(headers, "cf-ray"),
        retry_after=header(headers, "retry-after") if code is Code.RATE_LIMITED else None,
        rejected=rejected,
    )


def _grpc_name(code_name: object) -> str:
    """``StatusCode.UNAVAILABLE``, a ``grpc.StatusCode`` or ``"unavailable"`` → ``UNAVAILABLE``."""
    name = getattr(code_name, "name", None)
    text = name if isinstance(name, str) else str(code_name)
    return text.rsplit(".", 1)[-1].strip().upper()


#: What grpc's ``UNAVAILABLE`` details say when the channel never got as far as a call.
_GRPC_UNAVAILABLE_CAUSES: tuple[tuple[tuple[str, ...], Code], ...] = (
    (
        ("is not in peer certificate", "hostname mismatch", "hostname verification"),
        Code.TLS_HOSTNAME_MISMATCH,
    ),
    (("certificate_verify_failed", "unable to get local issuer"), Code.TLS_UNTRUSTED),
    (("handshake failed", "ssl_error_ssl", "tsi_protocol_failure"), Code.TLS_HANDSHAKE_FAILED),
    (("dns resolution failed", "name or service not known"), Code.DNS_FAILED),
    (("connection refused",), Code.CONNECTION_REFUSED),
)


#: gRPC statuses whose details are the server's words about our credentials — the gRPC form of
#: a 401/403 body, which may quote the token it rejected: never copied into a message, just as
#: HTTP bodies never are. (Other details are kept, shortened and scrubbed: for UNAVAILABLE they
#: are grpc's own diagnosis of a failed connection.)
CREDENTIAL_STATUSES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})


def _grpc_unavailable_cause(details: str) -> Code | None:
    """``UNAVAILABLE`` covers every failure to connect; the details tell which one, so a
    wrong CA reads ``tls_untrusted`` over gRPC as over HTTP (``grpc_status`` keeps the name)."""
    text = details.lower()
    for markers, code in _GRPC_UNAVAILABLE_CAUSES:
        if any(marker in text for marker in markers):
            return code
    return None


def classify_grpc(
    code_name: str,
    details: str | None = None,
    metadata: Mapping[str, str] | None = None,
    *,
    secrets: Sequence[str] = (),
) -> ExportFailure:
    """Classify a gRPC status by name; ``details`` are scrubbed and shortened (and left out
    for :data:`CREDENTIAL_STATUSES`)."""
    name = _grpc_name(code_name)
    code = _GRPC_CODES.get(name, Code.UNEXPECTED_RESPONSE)
    if code is Code.GRPC_UNAVAILABLE and details:
        code = _grpc_unavailable_cause(details) or code
    message = f"grpc {name}"
    if details and name not in CREDENTIAL_STATUSES:
        message += f": {safe_text(details, secrets)}"
    return ExportFailure(
        code=code,
        message=message,
        grpc_status=name,
        request_id=header(metadata, "x-request-id") or header(metadata, "x-oai-request-id"),
        cf_ray=header(metadata, "cf-ray"),
        retry_after=header(metadata, "retry-after") if code is Code.RATE_LIMITED else None,
    )


def classify_grpc_ok(
    response: object, signal: str, *, secrets: Sequence[str] = ()
) -> ExportFailure:
    """Classify a gRPC ``OK`` by its ``Export<Signal>ServiceResponse`` (its partial success),
    by the same rule as :func:`classify_http` for a 200."""
    from codex_otel_config.exporters import answers

    part = None
    if hasattr(response, "HasField"):
        try:
            part = answers.partial_success_of(response, signal)
        except (ValueError, AttributeError):
            part = None
    if part is None:
        return ExportFailure(Code.OK, "grpc OK", grpc_status="OK")
    items = _ITEMS.get(signal, "items")
    if part.rejected > 0:
        message = f"grpc OK: the collector rejected {part.rejected} {items}"
    else:
        message = "grpc OK: the collector warns"
    if part.message:
        message += f": {safe_text(part.message, secrets)}"
    return ExportFailure(
        Code.PARTIAL_SUCCESS if part.rejected > 0 else Code.OK,
        message,
        grpc_status="OK",
        rejected=part.rejected if part.rejected > 0 else None,
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """Every exception reachable through ``__cause__``, ``__context__``, exception ``args``
    and urllib3's ``reason`` (MaxRetryError), breadth first, each once."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    while queue and len(seen) < 64:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked: list[object] = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
        ]
        linked.extend(current.args)
        queue.extend(item for item in linked if isinstance(item, BaseException))


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _grpc_failure(exc: BaseException, secrets: Sequence[str]) -> ExportFailure | None:
    """A ``grpc.RpcError`` (duck-typed: ``.code()`` returning a ``StatusCode``)."""
    code_method = getattr(exc, "code", None)
    if not callable(code_method) or "RpcError" not in _class_names(exc):
        return None
    try:
        status = code_method()
        details_method = getattr(exc, "details", None)
        details = details_method() if callable(details_method) else None
        trailing = getattr(exc, "trailing_metadata", None)
        pairs = trailing() if callable(trailing) else None
        metadata = {str(k): str(v) for k, v in pairs or () if isinstance(v, str)}
    except Exception:  # a half-built RpcError: fall back to the generic rules
        return None
    return classify_grpc(
        _grpc_name(status), details if isinstance(details, str) else None, metadata, secrets=secrets
    )


def _tls_verify_failure(exc: ssl.SSLCertVerificationError) -> ExportFailure:
    verify_message = safe_text(str(getattr(exc, "verify_message", "") or ""))
    verify_code = getattr(exc, "verify_code", None)
    text = f"{verify_message} {exc}".lower()
    if verify_code in _X509_NAME_MISMATCH or "mismatch" in text or "doesn't match" in text:
        return ExportFailure(
            Code.TLS_HOSTNAME_MISMATCH, f"tls: {verify_message or 'hostname mismatch'}"
        )
    if verify_code in _X509_UNTRUSTED or any(
        marker in text for marker in ("local issuer", "self-signed", "self signed", "unknown ca")
    ):
        return ExportFailure(
            Code.TLS_UNTRUSTED, f"tls: {verify_message or 'certificate not trusted'}"
        )
    return ExportFailure(
        Code.TLS_HANDSHAKE_FAILED, f"tls: {verify_message or 'certificate verify failed'}"
    )


_DNS_TEXT = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated with hostname",
    "failed to resolve",
    "dns resolution failed",
)
_TIMEOUT_CLASSES = {
    "TimeoutError",
    "timeout",
    "ReadTimeout",
    "ConnectTimeout",
    "Timeout",
    "ReadTimeoutError",
    "ConnectTimeoutError",
    "TimeoutException",
}


#: HTTP/2 frame types a server sends unasked: SETTINGS (its connection preface), GOAWAY.
_HTTP2_UNASKED = frozenset({"\x04", "\x07"})

GRPC_PORT_MESSAGE = "the server answered in HTTP/2 (a gRPC port), not in HTTP/1.1 (OTLP/HTTP)"


def is_http2_frame(data: str | bytes) -> bool:
    """Whether ``data`` (the first bytes a server sent) opens with an HTTP/2 connection-level
    frame: 3-byte length, type SETTINGS or GOAWAY, stream 0. An HTTP/1.1 client sees it as
    a garbled status line (``BadStatusLine('\x00\x00\x18\x04…')``)."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    return len(text) >= 9 and text[3] in _HTTP2_UNASKED and text[5:9] == "\x00" * 4


def _by_type(exc: BaseException) -> ExportFailure | None:
    """The typed rules, most specific first, applied to one exception of the chain."""
    names = _class_names(exc)
    if "BadStatusLine" in names and exc.args and is_http2_frame(str(exc.args[0])):
        return ExportFailure(Code.GRPC_PORT, GRPC_PORT_MESSAGE)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _tls_verify_failure(exc)
    if isinstance(exc, socket.gaierror) or "NameResolutionError" in names:
        return ExportFailure(Code.DNS_FAILED, "dns lookup failed")
    if isinstance(exc, ConnectionRefusedError):
        return ExportFailure(Code.CONNECTION_REFUSED, "connection refused")
    if isinstance(exc, TimeoutError) or names & _TIMEOUT_CLASSES:
        if any("Connect" in name for name in names & _TIMEOUT_CLASSES):
            return ExportFailure(Code.TIMEOUT, "timed out connecting to the collector")
        return ExportFailure(Code.TIMEOUT, "timed out waiting for the collector")
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None)
        detail = reason if isinstance(reason, str) else type(exc).__name__
        return ExportFailure(
            Code.TLS_HANDSHAKE_FAILED, f"tls handshake failed: {safe_text(detail)}"
        )
    return None


def _by_text(chain: Sequence[BaseException]) -> ExportFailure | None:
    """Fallback for libraries that flatten the cause into a message string."""
    text = " | ".join(str(e) for e in chain).lower()
    if "hostname mismatch" in text or "address mismatch" in text or "doesn't match" in text:
        return ExportFailure(Code.TLS_HOSTNAME_MISMATCH, "tls: hostname mismatch")
    if "certificate_verify_failed" in text or "certificate verify failed" in text:
        return ExportFailure(Code.TLS_UNTRUSTED, "tls: certificate verify failed")
    if any(marker in text for marker in _DNS_TEXT):
        return ExportFailure(Code.DNS_FAILED, "dns lookup failed")
    if "connection refused" in text or "errno 111" in text:
        return ExportFailure(Code.CONNECTION_REFUSED, "connection refused")
    if "timed out" in text or "timeout" in text:
        return ExportFailure(Code.TIMEOUT, "timed out")
    if "ssl" in text or "tls" in text:
        return ExportFailure(Code.TLS_HANDSHAKE_FAILED, "tls handshake failed")
    return None


def classify_exception(exc: BaseException, *, secrets: Sequence[str] = ()) -> ExportFailure:
    """Classify an exception raised (or returned) by a transport, walking its whole chain.

    A ``requests.ConnectionError`` wraps a urllib3 ``MaxRetryError`` whose ``reason`` is a
    ``NewConnectionError`` caused by ``ConnectionRefusedError``: the innermost typed cause
    decides. Unrecognised errors give ``unexpected_response`` with a scrubbed summary.
    """
    chain = list(_chain(exc))
    for item in chain:
        grpc_failure = _grpc_failure(item, secrets)
        if grpc_failure is not None:
            return grpc_failure
    # Typed rules: the deepest match is the most precise (a TLS error inside a timeout
    # wrapper is a TLS error), so scan from the innermost cause outwards.
    for item in reversed(chain):
        failure = _by_type(item)
        if failure is not None:
            return failure
    failure = _by_text(chain)
    if failure is not None:
        return failure
    summary = safe_text(str(exc), secrets)
    message = type(exc).__name__ + (f": {summary}" if summary else "")
    return ExportFailure(Code.UNEXPECTED_RESPONSE, message)
