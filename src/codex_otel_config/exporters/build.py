"""Build the SDK exporter for one signal from a resolved ``OtlpHttp`` / ``OtlpGrpc``.

Every value is passed explicitly, so the settings (which already read the ``OTEL_*``
variables of the environment they were given) win over what the SDK exporters would read
from ``os.environ`` on their own:

- endpoint, timeout and compression are constructor arguments (the SDK only consults the
  environment when they are ``None``);
- headers: the SDK's HTTP exporters always parse ``OTEL_EXPORTER_OTLP[_<SIGNAL>]_HEADERS``
  from ``os.environ`` (and its gRPC ones when given none), logging the whole raw value — a
  secret — when it does not match their grammar. Those variables are the loader's: the SDK
  constructors run with them shielded (:func:`_shielded_environ`), so ``parse_env_headers``
  never runs; our transport / interceptor sends exactly the resolved headers, revealed from
  their :class:`~codex_otel_config.redaction.Secret` only there;
- TLS: HTTP gets our own transport (the SDK reads ``OTEL_EXPORTER_OTLP_CERTIFICATE`` and the
  credential-provider variables only when it builds its own); gRPC always gets explicit
  ``credentials`` (or ``insecure=True`` for ``http://``);
- metric temporality is the crate's (delta for counters and histograms), passed in full.

The SDK exporter modules are imported here, per protocol, on first use: a settings that
only uses OTLP/HTTP protobuf never imports grpc or the JSON exporter.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, overload

from codex_otel_config.exporters.attempts import AttemptLog
from codex_otel_config.exporters.recording import Recorder
from codex_otel_config.exporters.tls import MaterialError
from codex_otel_config.redaction import Secret, mask_url
from codex_otel_config.settings.model import EXPORTER_FIELD, Console, OtlpGrpc, OtlpHttp, Signal

if TYPE_CHECKING:
    from codex_otel_config.exporters.recording_logs import RecordingLogExporter
    from codex_otel_config.exporters.recording_metrics import RecordingMetricExporter
    from codex_otel_config.exporters.recording_traces import RecordingSpanExporter

__all__ = ["MaterialError", "build_exporter", "describe_exporter"]

_HTTP_MODULES: Mapping[tuple[str, Signal], tuple[str, str]] = {
    ("binary", "traces"): (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        "OTLPSpanExporter",
    ),
    ("binary", "logs"): ("opentelemetry.exporter.otlp.proto.http._log_exporter", "OTLPLogExporter"),
    ("binary", "metrics"): (
        "opentelemetry.exporter.otlp.proto.http.metric_exporter",
        "OTLPMetricExporter",
    ),
    ("json", "traces"): (
        "opentelemetry.exporter.otlp.json.http.trace_exporter",
        "OTLPSpanExporter",
    ),
    ("json", "logs"): ("opentelemetry.exporter.otlp.json.http._log_exporter", "OTLPLogExporter"),
    ("json", "metrics"): (
        "opentelemetry.exporter.otlp.json.http.metric_exporter",
        "OTLPMetricExporter",
    ),
}
_GRPC_MODULES: Mapping[Signal, tuple[str, str]] = {
    "traces": ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "OTLPSpanExporter"),
    "logs": ("opentelemetry.exporter.otlp.proto.grpc._log_exporter", "OTLPLogExporter"),
    "metrics": ("opentelemetry.exporter.otlp.proto.grpc.metric_exporter", "OTLPMetricExporter"),
}


#: The variables the SDK exporter constructors would parse themselves; the loader owns them.
_SHIELDED = (
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
)
_SHIELD_LOCK = threading.Lock()


@contextmanager
def _shielded_environ() -> Iterator[None]:
    """Run an SDK exporter constructor with :data:`_SHIELDED` absent from ``os.environ``
    (restored right after), so its environment fallback for headers cannot run: every value
    was passed explicitly. The window is one constructor call, under a lock."""
    with _SHIELD_LOCK:
        saved = {name: os.environ.pop(name) for name in _SHIELDED if name in os.environ}
        try:
            yield
        finally:
            os.environ.update(saved)


def _construct(cls: Any, kwargs: dict[str, Any]) -> Any:
    with _shielded_environ():
        return cls(**kwargs)


def _wire(headers: Mapping[str, Secret]) -> dict[str, str]:
    """The clear header values: they go on the wire (and nowhere else)."""
    return {name: value.reveal() for name, value in headers.items()}


def _load(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


def describe_exporter(exporter: OtlpHttp | OtlpGrpc | Console) -> str:
    """``otlp-http json https://collector:4318/v1/logs`` — for reports and logs (no headers,
    no user information)."""
    if isinstance(exporter, Console):
        return "console (stderr)"
    if isinstance(exporter, OtlpHttp):
        return f"otlp-http {exporter.protocol} {mask_url(exporter.endpoint)}"
    return f"otlp-grpc {mask_url(exporter.endpoint)}"


def _delta_temporality() -> dict[type, Any]:
    """The crate's metrics use delta temporality (``UpDownCounter``s stay cumulative, as the
    OTLP ``DELTA`` preference specifies)."""
    from opentelemetry.sdk.metrics import (
        Counter,
        Histogram,
        ObservableCounter,
        ObservableGauge,
        ObservableUpDownCounter,
        UpDownCounter,
    )
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    delta, cumulative = AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE
    return {
        Counter: delta,
        UpDownCounter: cumulative,
        Histogram: delta,
        ObservableCounter: delta,
        ObservableUpDownCounter: cumulative,
        ObservableGauge: cumulative,
    }


#: What an export timeout of 0 ("no limit") is passed as: the SDK exporters need a number
#: (flush and shutdown stay bounded by their own deadlines).
_NO_LIMIT_S = 365 * 86400.0


def _timeout(exporter: OtlpHttp | OtlpGrpc) -> float:
    return exporter.timeout or _NO_LIMIT_S


def _secrets(exporter: OtlpHttp | OtlpGrpc | Console) -> tuple[str, ...]:
    if isinstance(exporter, Console):
        return ()
    return tuple(value.reveal() for value in exporter.headers.values() if value)


def _build_console(signal: Signal) -> Any:
    """The SDK's console exporter of ``signal``, writing to stderr (stdout belongs to the app)."""
    import sys

    if signal == "traces":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(out=sys.stderr)
    if signal == "logs":
        from opentelemetry.sdk._logs.export import ConsoleLogExporter

        return ConsoleLogExporter(out=sys.stderr)
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

    return ConsoleMetricExporter(out=sys.stderr, preferred_temporality=_delta_temporality())


def _is_tls(endpoint: str) -> bool:
    return not endpoint.lower().startswith("http://")


def _build_http(signal: Signal, exporter: OtlpHttp, attempts: AttemptLog, prefix: str) -> Any:
    from opentelemetry.exporter.otlp.common.http import Compression

    from codex_otel_config.exporters.tls import ssl_context
    from codex_otel_config.exporters.transport import RecordingHttpTransport

    context = ssl_context(exporter.tls, prefix) if _is_tls(exporter.endpoint) else None
    transport = RecordingHttpTransport(
        headers=_wire(exporter.headers),
        attempts=attempts,
        ssl_context=context,
        secrets=_secrets(exporter),
        signal=signal,
    )
    cls = _load(*_HTTP_MODULES[(exporter.protocol, signal)])
    kwargs: dict[str, Any] = {
        "endpoint": exporter.endpoint,
        "headers": _wire(exporter.headers),
        "timeout": _timeout(exporter),
        "compression": Compression.GZIP if exporter.compression == "gzip" else Compression.NONE,
        "_transport": transport,
    }
    if signal == "metrics":
        kwargs["preferred_temporality"] = _delta_temporality()
    return _construct(cls, kwargs)


def _build_grpc(signal: Signal, exporter: OtlpGrpc, attempts: AttemptLog, prefix: str) -> Any:
    import grpc

    from codex_otel_config.exporters.grpc_channel import RecordingInterceptor, intercepted
    from codex_otel_config.exporters.tls import grpc_credentials

    secure = _is_tls(exporter.endpoint)
    credentials = grpc_credentials(exporter.tls, prefix) if secure else None
    interceptor = RecordingInterceptor(
        _wire(exporter.headers), attempts, _secrets(exporter), signal
    )
    cls = intercepted(_load(*_GRPC_MODULES[signal]), interceptor)
    kwargs: dict[str, Any] = {
        "endpoint": exporter.endpoint,
        "insecure": not secure,
        "credentials": credentials,
        # Non-empty so the SDK never falls back to OTEL_EXPORTER_OTLP_HEADERS; the
        # interceptor sends exactly the resolved headers anyway.
        "headers": tuple((k.lower(), v) for k, v in _wire(exporter.headers).items()) or (("", ""),),
        "timeout": _timeout(exporter),
        "compression": grpc.Compression.Gzip
        if exporter.compression == "gzip"
        else grpc.Compression.NoCompression,
    }
    if signal == "metrics":
        kwargs["preferred_temporality"] = _delta_temporality()
    return _construct(cls, kwargs)


_Buildable = OtlpHttp | OtlpGrpc | Console


@overload
def build_exporter(
    signal: Literal["traces"],
    exporter: OtlpHttp | OtlpGrpc | Console,
    *,
    setting_key: str | None = None,
) -> RecordingSpanExporter: ...
@overload
def build_exporter(
    signal: Literal["logs"],
    exporter: OtlpHttp | OtlpGrpc | Console,
    *,
    setting_key: str | None = None,
) -> RecordingLogExporter: ...
@overload
def build_exporter(
    signal: Literal["metrics"],
    exporter: OtlpHttp | OtlpGrpc | Console,
    *,
    setting_key: str | None = None,
) -> RecordingMetricExporter: ...
def build_exporter(
    signal: Signal, exporter: _Buildable, *, setting_key: str | None = None
) -> RecordingSpanExporter | RecordingLogExporter | RecordingMetricExporter:
    """The recording SDK exporter for ``signal``. No network I/O: connections open on the
    first export. Raises :class:`~codex_otel_config.errors.ExporterBuildError` (a
    :class:`MaterialError` naming ``<setting_key>.tls.<field>``) for unusable TLS material.
    """
    prefix = setting_key or f"{EXPORTER_FIELD[signal]}.{exporter.kind}"
    attempts = AttemptLog()
    if isinstance(exporter, OtlpHttp):
        inner = _build_http(signal, exporter, attempts, prefix)
    elif isinstance(exporter, OtlpGrpc):
        inner = _build_grpc(signal, exporter, attempts, prefix)
    elif isinstance(exporter, Console):
        inner = _build_console(signal)
    else:  # pragma: no cover - guarded by the type
        raise TypeError(f"cannot build an exporter from {type(exporter).__name__}")
    recorder = Recorder(
        signal, inner, attempts, secrets=_secrets(exporter), describe=describe_exporter(exporter)
    )
    if signal == "traces":
        from codex_otel_config.exporters.recording_traces import RecordingSpanExporter

        return RecordingSpanExporter(inner, recorder)
    if signal == "logs":
        from codex_otel_config.exporters.recording_logs import RecordingLogExporter

        return RecordingLogExporter(inner, recorder)
    from codex_otel_config.exporters.recording_metrics import RecordingMetricExporter

    return RecordingMetricExporter(inner, recorder)
