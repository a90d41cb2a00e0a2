"""gRPC plumbing for the OTLP/gRPC exporters (imported only when a signal uses gRPC).

The SDK's gRPC exporters catch ``grpc.RpcError`` and only log it. A client interceptor — a
public grpc API — placed on the exporter's channel sees each call's status code, details and
metadata, so failures can be classified. It also sends exactly the metadata the settings
resolved (the SDK falls back to ``OTEL_EXPORTER_OTLP_HEADERS`` from ``os.environ`` when
given no headers) and bounds each call by the flush/shutdown deadline.

The SDK re-creates its channel after an ``UNAVAILABLE`` answer (in
``_initialize_channel_and_stub``, its reconnection hook), so the interceptor is installed
from an override of that hook rather than once after construction.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import grpc

from codex_otel_config.exporters.attempts import AttemptLog
from codex_otel_config.exporters.classify import (
    CREDENTIAL_STATUSES,
    classify_grpc,
    classify_grpc_ok,
    safe_text,
)
from codex_otel_config.outcomes import Code, ExportFailure

__all__ = ["RecordingInterceptor", "intercepted"]

#: A retry delay no export timeout reaches (about 31 years).
_NO_RETRY_DELAY_S = 10**9


class _CallDetails(
    namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,  # type: ignore[misc]
):
    """``grpc.ClientCallDetails`` is abstract; this is the usual concrete form."""


def _no_retry_metadata() -> tuple[tuple[str, bytes], ...]:
    """Trailing metadata with a ``RetryInfo`` delay longer than any export timeout: the SDK
    honours a server's retry delay and gives up when it exceeds the time left."""
    from google.rpc.error_details_pb2 import RetryInfo

    info = RetryInfo()
    info.retry_delay.seconds = _NO_RETRY_DELAY_S
    return (("google.rpc.retryinfo-bin", info.SerializeToString()),)


class FinalRpcError(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """A failed call the SDK must not retry: raised by the interceptor (no channel I/O)
    when a flush/shutdown deadline has passed, so the exporter gives up at once instead of
    sleeping a back-off only to be refused again."""

    def __init__(
        self,
        code: grpc.StatusCode = grpc.StatusCode.DEADLINE_EXCEEDED,
        details: str | None = "not sent: flush/shutdown deadline reached",
        trailing: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        super().__init__()
        self._code = code
        self._details = details
        self._trailing = trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str | None:
        return self._details

    def initial_metadata(self) -> tuple[tuple[str, Any], ...]:
        return ()

    def trailing_metadata(self) -> tuple[tuple[str, Any], ...]:
        return (*self._trailing, *_no_retry_metadata())

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float | None:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False


def _final(outcome: Any) -> FinalRpcError:
    """``outcome`` (a failed call) as final, keeping its status, details and metadata."""
    try:
        trailing = tuple(outcome.trailing_metadata() or ())
        return FinalRpcError(outcome.code(), outcome.details(), trailing)
    except Exception:  # a half-built outcome: the deadline is what matters
        return FinalRpcError()


class RecordingInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Forces our metadata and deadline onto each export call and records its status."""

    def __init__(
        self,
        headers: Mapping[str, str],
        attempts: AttemptLog,
        secrets: tuple[str, ...] = (),
        signal: str = "",
    ) -> None:
        self._metadata = tuple((name.lower(), value) for name, value in headers.items())
        self._attempts = attempts
        self._secrets = secrets
        self._signal = signal

    def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.ClientCallDetails, Any], Any],
        client_call_details: grpc.ClientCallDetails,
        request: Any,
    ) -> Any:
        timeout = self._attempts.clamp(client_call_details.timeout)
        if timeout is not None and timeout <= 0:
            # Not sent. A plain DEADLINE_EXCEEDED would be retried by the SDK (with back-off,
            # until its own timeout, holding the exporter): this one says it is final.
            self._attempts.deadline_failure()
            raise FinalRpcError()
        details = _CallDetails(
            client_call_details.method,
            timeout,
            self._metadata,
            client_call_details.credentials,
            getattr(client_call_details, "wait_for_ready", None),
            getattr(client_call_details, "compression", None),
        )
        outcome = continuation(details, request)
        if self._record(outcome) and (
            self._attempts.deadline_passed() or self._attempts.refused_under_deadline()
        ):
            # A retry could not be sent anyway, or a flush/shutdown waits on a port where
            # nothing listens: final now, no back-off.
            raise _final(outcome)
        return outcome

    def _record(self, outcome: Any) -> bool:
        """Record the call's status; ``True`` when it failed."""
        try:
            code = outcome.code()
        except Exception:  # not a finished call: nothing to learn
            return False
        if code is None or code == grpc.StatusCode.OK:
            try:
                response = outcome.result()
            except Exception:  # no message to read: a plain OK
                response = None
            self._attempts.record(classify_grpc_ok(response, self._signal, secrets=self._secrets))
            return False
        if code == grpc.StatusCode.CANCELLED and self._attempts.closing:
            self._attempts.record(
                ExportFailure(
                    Code.TIMEOUT,
                    "no answer before the exporter shut down (call cancelled)",
                    grpc_status="CANCELLED",
                )
            )
            return True
        metadata: dict[str, str] = {}
        for getter in ("initial_metadata", "trailing_metadata"):
            try:
                pairs = getattr(outcome, getter)() or ()
            except Exception:
                continue
            metadata.update({str(k): v for k, v in pairs if isinstance(v, str)})
        try:
            details = outcome.details()
        except Exception:
            details = None
        self._attempts.record(
            classify_grpc(
                code.name,
                details if isinstance(details, str) else None,
                metadata,
                secrets=self._secrets,
            )
        )
        return True


_E = TypeVar("_E")


def intercepted(base: type[_E], interceptor: RecordingInterceptor) -> type[_E]:
    """A subclass of an SDK gRPC exporter whose channel always carries ``interceptor``."""

    def _initialize_channel_and_stub(self: Any) -> None:
        base._initialize_channel_and_stub(self)  # type: ignore[attr-defined]
        self._channel = grpc.intercept_channel(self._channel, interceptor)
        self._client = self._stub(self._channel)

    return type(
        f"Recording{base.__name__}",
        (base,),
        {"_initialize_channel_and_stub": _initialize_channel_and_stub},
    )


class _SdkDetailsFilter(logging.Filter):
    """The SDK's gRPC exporter logs every failed call with the server's status details into
    the application's logging. Those details get the same treatment as in our messages:
    left out for :data:`CREDENTIAL_STATUSES` (a server rejecting a token may quote it), else
    URLs cut and the text bounded. Both of its "details" messages end with them."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(args, tuple)
            and args
            and isinstance(args[-1], str)
            and "details" in str(record.msg).lower()
        ):
            names = {getattr(arg, "name", None) for arg in args}
            details = "(omitted)" if names & CREDENTIAL_STATUSES else safe_text(args[-1])
            record.args = (*args[:-1], details)
        return True


def _filter_sdk_logs() -> None:
    logger = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")
    if not any(isinstance(f, _SdkDetailsFilter) for f in logger.filters):
        # First: the quieting filter (sdk_logs) merges the arguments this one reads.
        logger.filters.insert(0, _SdkDetailsFilter())


_filter_sdk_logs()
