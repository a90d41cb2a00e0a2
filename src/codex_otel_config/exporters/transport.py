"""The HTTP transport under our OTLP/HTTP exporters (protobuf and JSON alike).

Both SDK HTTP exporters send through a ``BaseHTTPTransport`` (package
``opentelemetry-exporter-http-transport``) and accept one via their ``_transport`` argument.
Supplying our own is the least fragile place to see the wire, because it is the interface
the SDK itself defines for transports: we get every attempt's status code, response headers
or exception, without patching the exporter or parsing its log lines. It also lets us:

- use exactly the headers the settings resolved (the SDK exporters merge
  ``OTEL_EXPORTER_OTLP_HEADERS`` from ``os.environ`` under ours: those are dropped here, so
  a header never applies twice, nor from an environment the settings did not read);
- use an ``ssl.SSLContext`` built by :mod:`codex_otel_config.exporters.tls` (custom CA alone,
  client certificate already validated);
- bound each request by urllib3's *total* timeout and by the flush/shutdown deadline;
- tell the SDK's retry loop that TLS verification failures are not worth retrying.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import urllib3
from opentelemetry.exporter.http.transport._base import BaseHTTPResult, BaseHTTPTransport

from codex_otel_config.exporters.attempts import AttemptLog, DeadlineReached
from codex_otel_config.exporters.classify import classify_exception, classify_http

__all__ = ["NotDelivered", "RecordingHttpTransport"]

#: Headers the SDK client itself sets; every other header comes from the settings only.
_SDK_HEADERS = frozenset({"content-type", "user-agent", "content-encoding"})

#: What the SDK's own urllib3 transport treats as retryable (NameResolutionError: urllib3 2).
_CONNECTION_ERRORS: tuple[type[Exception], ...] = tuple(
    error
    for error in (
        getattr(urllib3.exceptions, name, None)
        for name in (
            "ConnectionError",
            "NewConnectionError",
            "ConnectTimeoutError",
            "MaxRetryError",
            "ProtocolError",
            "NameResolutionError",
        )
    )
    if isinstance(error, type)
)


@dataclass(frozen=True, slots=True)
class HttpResult(BaseHTTPResult):
    """One attempt's result, as the SDK's retry loop expects it."""

    body: bytes = b""
    response_headers: Mapping[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return self.body

    def headers(self) -> Mapping[str, str]:
        return self.response_headers


class NotDelivered(Exception):
    """An answer the SDK would count as success that delivered nothing (a redirect, an
    HTML page): handed to the SDK as a failed, non-retryable attempt."""


def _read_bounded(response: Any) -> bytes:
    """At most :data:`READ_LIMIT` bytes of the answer (an OTLP answer is a few bytes; a
    proxy's error page may be megabytes). The connection is reused when the body was read
    whole, else dropped rather than drained. ``answers`` loads with the first answer, not
    with the exporter (``bootstrap_from_env()`` pays nothing for it)."""
    from codex_otel_config.exporters.answers import READ_LIMIT

    body: bytes = response.read(READ_LIMIT + 1) or b""
    if len(body) > READ_LIMIT:
        response.close()
        return body[:READ_LIMIT]
    response.release_conn()
    return body


def _is_tls_verification(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                stack.append(linked)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


class RecordingHttpTransport(BaseHTTPTransport):
    """urllib3 transport that records each attempt into an :class:`AttemptLog`."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str],
        attempts: AttemptLog,
        ssl_context: ssl.SSLContext | None = None,
        secrets: tuple[str, ...] = (),
        signal: str | None = None,
    ) -> None:
        pool_kwargs: dict[str, Any] = {"retries": urllib3.Retry(0, redirect=False)}
        if ssl_context is not None:
            pool_kwargs["ssl_context"] = ssl_context
        self._pool = urllib3.PoolManager(**pool_kwargs)
        self._headers = {name.lower(): value for name, value in headers.items()}
        self._attempts = attempts
        self._secrets = secrets
        self._signal = signal

    def _effective_headers(self, sent: Mapping[str, str] | None) -> dict[str, str]:
        final = {k: v for k, v in (sent or {}).items() if k.lower() in _SDK_HEADERS}
        final.update(self._headers)
        return final

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        data: bytes | None = None,
    ) -> BaseHTTPResult:
        bounded = self._attempts.clamp(timeout)
        if bounded is not None and bounded <= 0:
            self._attempts.deadline_failure()
            return HttpResult(error=DeadlineReached("flush/shutdown deadline reached"))
        try:
            response = self._pool.request(
                method,
                url,
                headers=self._effective_headers(headers),
                body=data,
                timeout=urllib3.Timeout(total=bounded) if bounded is not None else None,
                preload_content=False,  # the body is read bounded, below
                redirect=False,
            )
        except Exception as error:  # the SDK's retry loop wants a result, not an exception
            failure = classify_exception(error, secrets=self._secrets)
            self._attempts.record(failure)
            return HttpResult(error=error)
        response_headers = response.headers
        try:
            body = _read_bounded(response)
        except Exception as error:  # cut mid-body: classified like any broken exchange
            failure = classify_exception(error, secrets=self._secrets)
            self._attempts.record(failure)
            return HttpResult(error=error)
        outcome = classify_http(
            response.status,
            response_headers,
            reason=response.reason,
            body=body,
            signal=self._signal,
            secrets=self._secrets,
        )
        self._attempts.record(outcome)
        if response.status < 400 and not outcome.delivered:
            # The SDK counts every 2xx/3xx as delivered: say it was not, and final.
            return HttpResult(error=NotDelivered(outcome.message))
        return HttpResult(
            status_code=response.status,
            reason=response.reason,
            body=body,
            response_headers=response_headers,
        )

    def is_connection_error(self, exception: Exception | None) -> bool:
        """Retryable transport errors; a certificate that does not verify will not start
        verifying on the next attempt, and a deadline that passed stays passed (called on
        the exporting thread, right after the attempt, so its flush deadline applies)."""
        if exception is None or isinstance(exception, DeadlineReached):
            return False
        if self._attempts.deadline_passed():
            return False  # a retry could not be sent anyway: skip the back-off
        if self._attempts.refused_under_deadline():
            return False  # someone waits for this flush/shutdown: say so now, not at its end
        if _is_tls_verification(exception):
            return False
        return isinstance(exception, _CONNECTION_ERRORS)

    def close(self) -> None:
        self._pool.clear()
