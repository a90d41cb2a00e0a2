"""The typed, frozen settings model (DESIGN §1.1). Pure values: no I/O here.

The loader (:mod:`codex_otel_config.settings.loader`) builds these; everything above the
settings layer consumes them. ``OtelSettings.exporter_for(signal)`` is the single place that
turns a configured exporter into the one that will really be built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from codex_otel_config.redaction import Secret, mask_url, register_url
from codex_otel_config.settings import schema

_T = TypeVar("_T")

Signal = Literal["logs", "traces", "metrics"]
SIGNALS: tuple[Signal, ...] = ("logs", "traces", "metrics")
HttpProtocol = Literal["binary", "json"]
Compression = Literal["none", "gzip"]
#: How ``/v1/<signal>`` joins an OTLP/HTTP endpoint, decided by the layer that set it:
#: ``append`` (the generic ``OTEL_EXPORTER_OTLP_ENDPOINT``: always, as the spec says),
#: ``if-no-path`` (a URL from a file, the Codex table, ``CODEX_OTEL_*`` or an override: only a
#: base URL without a path), ``verbatim`` (a per-signal variable, or a URL already complete).
SignalPath = Literal["append", "if-no-path", "verbatim"]

STATSIG_ENDPOINT = str(schema.FIELDS_BY_KEY["statsig.endpoint"].default)
STATSIG_API_KEY_HEADER = "statsig-api-key"
STATSIG_KEY_VARIABLE = schema.FIELDS_BY_KEY["statsig.api_key"].otel_env[0]

#: The settings attribute that holds each signal's exporter (declared in the schema).
EXPORTER_FIELD: Mapping[Signal, str] = MappingProxyType(schema.SIGNAL_KEYS)  # type: ignore[arg-type]


def _default(key: str) -> Any:
    """The schema's default of a key: settings built in code agree with loaded ones."""
    return next(p.default for p in schema.ALL_PARAMS if p.key == key)


class _Sends:
    """What the exporters that send have in common: header values and the Statsig key become
    :class:`Secret` (masked in every ``repr``, revealed only on the wire), the endpoint is
    registered for masking, and ``repr`` shows the fields with the URL user information masked
    (``OtlpHttp(endpoint='http://****@host:4318', headers={'x-api-key': Secret('****')})``)."""

    endpoint: str

    def __post_init__(self) -> None:
        if hasattr(self, "headers"):
            headers = self.headers or {}  # type: ignore[attr-defined]
            secret = {name: Secret(value) for name, value in headers.items()}
            object.__setattr__(self, "headers", MappingProxyType(secret))
        if (api_key := getattr(self, "api_key", None)) is not None:
            object.__setattr__(self, "api_key", Secret(api_key))
        register_url(self.endpoint)

    def __repr__(self) -> str:
        values = vars(self) | {"endpoint": mask_url(self.endpoint)}
        shown = (
            f"{k}={dict(v) if isinstance(v, MappingProxyType) else v!r}" for k, v in values.items()
        )
        return f"{type(self).__name__}({', '.join(shown)})"


def signal_endpoint(endpoint: str, signal: Signal, rule: SignalPath = "if-no-path") -> str:
    """The one endpoint rule: the URL an OTLP/HTTP exporter of ``signal`` posts to.

    ``append`` adds ``v1/<signal>`` after a ``/`` (one is added only when the URL does not
    end in one; nothing else changes), ``if-no-path`` replaces an empty path or ``/`` by
    ``/v1/<signal>``, ``verbatim`` keeps the URL.
    """
    if rule == "append":
        return endpoint + ("" if endpoint.endswith("/") else "/") + f"v1/{signal}"
    if rule == "if-no-path":
        parts = urlsplit(endpoint)
        if parts.path in ("", "/"):
            return urlunsplit(parts._replace(path=f"/v1/{signal}"))
    return endpoint


@dataclass(frozen=True)
class Tls:
    """TLS material for an exporter; paths are absolute once loaded."""

    ca_certificate: Path | None = None
    client_certificate: Path | None = None
    client_private_key: Path | None = None

    @property
    def is_mtls(self) -> bool:
        return self.client_certificate is not None and self.client_private_key is not None


@dataclass(frozen=True, repr=False)
class OtlpHttp(_Sends):
    """OTLP over HTTP, protobuf (``binary``) or JSON."""

    kind: ClassVar[str] = "otlp-http"
    endpoint: str
    headers: Mapping[str, Secret] = field(default_factory=dict)
    protocol: HttpProtocol = field(default=_default("otlp-http.protocol"))
    tls: Tls | None = None
    timeout: float = field(default=_default("otlp-http.timeout"))
    compression: Compression = field(default=_default("otlp-http.compression"))
    #: How ``/v1/<signal>`` joins ``endpoint`` (:func:`signal_endpoint`).
    signal_path: SignalPath = field(default="if-no-path", compare=False)


@dataclass(frozen=True, repr=False)
class OtlpGrpc(_Sends):
    """OTLP over gRPC; the endpoint takes no path."""

    kind: ClassVar[str] = "otlp-grpc"
    endpoint: str
    headers: Mapping[str, Secret] = field(default_factory=dict)
    tls: Tls | None = None
    timeout: float = field(default=_default("otlp-grpc.timeout"))
    compression: Compression = field(default=_default("otlp-grpc.compression"))


@dataclass(frozen=True, repr=False)
class Statsig(_Sends):
    """The Statsig shorthand: OTLP/HTTP JSON with a ``statsig-api-key`` header.

    ``api_key`` is ``None`` only before the loader has looked at ``STATSIG_SERVER_SDK_SECRET``;
    a loaded ``Statsig`` always has a key (a missing one is a :class:`SettingsError`).
    """

    kind: ClassVar[str] = "statsig"
    api_key: Secret | None = None
    endpoint: str = field(default=_default("statsig.endpoint"))
    timeout: float = field(default=_default("statsig.timeout"))
    compression: Compression = field(default=_default("statsig.compression"))

    def expand(self, signal: Signal) -> OtlpHttp:
        return OtlpHttp(
            endpoint=f"{self.endpoint.rstrip('/')}/v1/{signal}",
            headers={STATSIG_API_KEY_HEADER: self.api_key} if self.api_key else {},
            protocol="json",
            timeout=self.timeout,
            compression=self.compression,
            signal_path="verbatim",
        )


@dataclass(frozen=True)
class NoExporter:
    """``none``: the signal is exported nowhere."""

    kind: ClassVar[str] = "none"


@dataclass(frozen=True)
class Console:
    """``console``: the SDK's console exporter, writing each item to stderr (for debugging;
    ``OTEL_{SIGNAL}_EXPORTER=console`` in the specification)."""

    kind: ClassVar[str] = "console"


Exporter = OtlpHttp | OtlpGrpc | Statsig | Console | NoExporter
ResolvedExporter = OtlpHttp | OtlpGrpc | Console | NoExporter


@dataclass(frozen=True)
class Source:
    """Where one resolved value came from.

    ``layer`` is one of ``default``, ``codex-config``, ``file``, ``secrets``, ``otel-env``,
    ``otel-config`` (``OTEL_CONFIG_FILE``; ``note`` holds the location in it), ``codex-env``,
    ``override``, ``derived``. Files carry ``file`` and ``table``; variables
    carry ``variable``; ``note`` explains derived values (e.g. an inherited trace endpoint).
    """

    layer: str
    file: Path | None = None
    table: str | None = None
    variable: str | None = None
    note: str | None = None

    def describe(self) -> str:
        """A short human string: ``settings.toml [production]``, ``env OTEL_SERVICE_NAME``."""
        if self.file is not None:
            where = f"{self.file} [{self.table}]" if self.table else str(self.file)
        elif self.variable is not None:
            where = f"env {self.variable}"
        else:
            where = "built-in default" if self.layer == "default" else self.layer
        return f"{where} ({self.note})" if self.note else where


DEFAULT_SOURCE = Source(layer="default")


def nearest(mapping: Mapping[str, _T], key: str) -> _T | None:
    """The value recorded for a dotted key, else for its nearest recorded parent."""
    while key and key not in mapping:
        key = key.rpartition(".")[0]
    return mapping.get(key) if key else None


def source_in(
    provenance: Mapping[str, Source], key: str, default: Source = DEFAULT_SOURCE
) -> Source:
    """The provenance of a dotted key, falling back to its nearest recorded parent."""
    return nearest(provenance, key) or default


METRIC_EXPORT_INTERVAL_MS = schema.PROCESSOR_SDK_DEFAULTS["metric_export_interval_ms"]


@dataclass(frozen=True)
class ProcessorSettings:
    """Batch processor and reader tuning from ``OTEL_BSP_*``, ``OTEL_BLRP_*`` and
    ``OTEL_METRIC_EXPORT_INTERVAL``. ``None`` means the SDK's default."""

    bsp_schedule_delay_ms: int | None = None
    bsp_max_queue_size: int | None = None
    bsp_max_export_batch_size: int | None = None
    bsp_export_timeout_ms: int | None = None
    blrp_schedule_delay_ms: int | None = None
    blrp_max_queue_size: int | None = None
    blrp_max_export_batch_size: int | None = None
    blrp_export_timeout_ms: int | None = None
    metric_export_interval_ms: int | None = None

    def tuned(self, prefix: Literal["bsp", "blrp"]) -> dict[str, int]:
        """The batch processor tuning of ``prefix`` with the SDK's defaults filled in, so the
        values come from the settings, never from a second read of ``os.environ`` by the SDK."""
        defaults = schema.PROCESSOR_SDK_DEFAULTS
        own = {name: getattr(self, name) for name in defaults if name.startswith(f"{prefix}_")}
        return {
            name.removeprefix(f"{prefix}_"): defaults[name] if value is None else value
            for name, value in own.items()
        }

    def problems(self) -> list[tuple[str, str]]:
        """``(key, message)`` for tunings the SDK would refuse with a bare ``ValueError``;
        checked when settings load (so ``show``/``check`` exit 2) and again at bootstrap. The
        loader has checked each value against the schema's range, settings built in code have
        not; a batch larger than its queue can only be judged across two keys."""
        found = [
            (key, f"expected {param.range_text()}, found {value}")
            for key, param in schema.SETTINGS_BY_KEY.items()
            if key.startswith("processors.")
            and (value := getattr(self, key.removeprefix("processors."))) is not None
            and not param.in_range(value)
        ]
        prefixes: tuple[Literal["bsp", "blrp"], ...] = ("bsp", "blrp")
        for prefix in prefixes:
            tuned = self.tuned(prefix)
            batch, queue = tuned["max_export_batch_size"], tuned["max_queue_size"]
            if batch > queue:
                key = f"processors.{prefix}_max_export_batch_size"
                found.append((key, f"{batch} exceeds the queue size {queue}"))
        return found


def expand_user(value: str) -> Path:
    """``value`` with a leading ``~`` / ``~user`` expanded; kept as written when that is
    impossible (an unknown user: ``expanduser`` raises ``RuntimeError``), so the path is then
    reported missing like any other instead of crashing the loader."""
    try:
        return Path(value).expanduser()
    except RuntimeError:
        return Path(value)


def codex_home_from(environ: Mapping[str, str]) -> Path:
    """The one CODEX_HOME rule: ``$CODEX_HOME`` (``~`` expanded) or ``~/.codex``."""
    value = (environ.get("CODEX_HOME") or "").strip()
    return expand_user(value) if value else Path.home() / ".codex"


@dataclass(frozen=True)
class OtelSettings:
    """The resolved settings: one frozen value that says what will be exported where."""

    environment: str = field(default=_default("environment"))
    service_name: str = field(default=_default("service_name"))
    service_version: str = field(default=_default("service_version"))
    codex_home: Path = field(default_factory=lambda: codex_home_from(os.environ))
    log_user_prompt: bool = field(default=_default("log_user_prompt"))
    exporter: Exporter = field(default_factory=NoExporter)
    trace_exporter: Exporter = field(default_factory=NoExporter)
    metrics_exporter: Exporter = field(default_factory=NoExporter)
    runtime_metrics: bool = field(default=_default("runtime_metrics"))
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    sdk_disabled: bool = field(default=_default("sdk_disabled"))
    processors: ProcessorSettings = field(default_factory=ProcessorSettings)
    provenance: Mapping[str, Source] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("resource_attributes", "provenance"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name) or {})))

    def configured_exporter(self, signal: Signal) -> Exporter:
        """The exporter as configured for ``signal`` (Statsig not yet expanded)."""
        return cast(Exporter, getattr(self, EXPORTER_FIELD[signal]))

    def exporter_for(self, signal: Signal) -> ResolvedExporter:
        """The exporter as it will be built: Statsig expanded, the endpoint resolved by
        :func:`signal_endpoint` with the rule the layer that set it recorded."""
        exporter = self.configured_exporter(signal)
        if self.sdk_disabled:
            return NoExporter()
        if isinstance(exporter, Statsig):
            return exporter.expand(signal)
        if isinstance(exporter, OtlpHttp) and exporter.signal_path != "verbatim":
            endpoint = signal_endpoint(exporter.endpoint, signal, exporter.signal_path)
            return replace(exporter, endpoint=endpoint, signal_path="verbatim")
        return exporter

    def source_of(self, key: str) -> Source:
        """The provenance of a dotted key, falling back to its nearest recorded parent."""
        return source_in(self.provenance, key)

    @property
    def exports_anything(self) -> bool:
        return any(not isinstance(self.exporter_for(s), NoExporter) for s in SIGNALS)
