"""The typed, frozen settings model (DESIGN §1.1). Pure values: no I/O here.

The loader (:mod:`codex_otel_config.settings.loader`) builds these; everything above the
settings layer consumes them. ``OtelSettings.exporter_for(signal)`` is the single place that
turns a configured exporter into the one that will really be built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from codex_otel_config._version import __version__
from codex_otel_config.redaction import Secret, mask_url, register_url
from codex_otel_config.settings import schema
from codex_otel_config.settings.schema import DEFAULT_TIMEOUT_S

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


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


def _secret_headers(mapping: Mapping[str, str | Secret] | None) -> Mapping[str, Secret]:
    """Header values as :class:`Secret`: masked in every ``repr``, revealed only on the wire."""
    return MappingProxyType({name: Secret(value) for name, value in (mapping or {}).items()})


def _safe_repr(obj: object) -> str:
    """``OtlpHttp(endpoint='http://****@host:4318', headers={'x-api-key': Secret('****')})``:
    the dataclass fields with URL user information masked (header values mask themselves)."""
    parts = []
    for item in fields(obj):  # type: ignore[arg-type]
        name, value = item.name, getattr(obj, item.name)
        if isinstance(value, MappingProxyType):
            value = dict(value)
        shown = (
            repr(mask_url(value)) if name == "endpoint" and isinstance(value, str) else repr(value)
        )
        parts.append(f"{name}={shown}")
    return f"{type(obj).__name__}({', '.join(parts)})"


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


@dataclass(frozen=True)
class OtlpHttp:
    """OTLP over HTTP, protobuf (``binary``) or JSON."""

    kind: ClassVar[str] = "otlp-http"
    endpoint: str
    headers: Mapping[str, Secret] = field(default_factory=lambda: _secret_headers(None))
    protocol: HttpProtocol = "binary"
    tls: Tls | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    compression: Compression = "none"
    #: How ``/v1/<signal>`` joins ``endpoint`` (:func:`signal_endpoint`).
    signal_path: SignalPath = field(default="if-no-path", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _secret_headers(self.headers))
        register_url(self.endpoint)

    __repr__ = _safe_repr


@dataclass(frozen=True)
class OtlpGrpc:
    """OTLP over gRPC; the endpoint takes no path."""

    kind: ClassVar[str] = "otlp-grpc"
    endpoint: str
    headers: Mapping[str, Secret] = field(default_factory=lambda: _secret_headers(None))
    tls: Tls | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    compression: Compression = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _secret_headers(self.headers))
        register_url(self.endpoint)

    __repr__ = _safe_repr


@dataclass(frozen=True)
class Statsig:
    """The Statsig shorthand: OTLP/HTTP JSON with a ``statsig-api-key`` header.

    ``api_key`` is ``None`` only before the loader has looked at ``STATSIG_SERVER_SDK_SECRET``;
    a loaded ``Statsig`` always has a key (a missing one is a :class:`SettingsError`).
    """

    kind: ClassVar[str] = "statsig"
    api_key: Secret | None = None
    endpoint: str = STATSIG_ENDPOINT
    timeout: float = DEFAULT_TIMEOUT_S
    compression: Compression = "none"

    def __post_init__(self) -> None:
        if self.api_key is not None:
            object.__setattr__(self, "api_key", Secret(self.api_key))
        register_url(self.endpoint)

    __repr__ = _safe_repr

    def expand(self, signal: Signal) -> OtlpHttp:
        base = self.endpoint.rstrip("/")
        headers: dict[str, str | Secret] = (
            {STATSIG_API_KEY_HEADER: self.api_key} if self.api_key else {}
        )
        return OtlpHttp(
            endpoint=f"{base}/v1/{signal}",
            headers=_secret_headers(headers),
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
            where = str(self.file)
            if self.table:
                where += f" [{self.table}]"
        elif self.variable is not None:
            where = f"env {self.variable}"
        elif self.layer == "override":
            where = "override"
        elif self.layer == "default":
            where = "built-in default"
        else:
            where = self.layer
        if self.note:
            where += f" ({self.note})"
        return where


DEFAULT_SOURCE = Source(layer="default")


def nearest(mapping: Mapping[str, _T], key: str) -> _T | None:
    """The value recorded for a dotted key, else for its nearest recorded parent."""
    probe = key
    while probe:
        if probe in mapping:
            return mapping[probe]
        probe = probe.rpartition(".")[0]
    return None


def source_in(
    provenance: Mapping[str, Source], key: str, default: Source = DEFAULT_SOURCE
) -> Source:
    """The provenance of a dotted key, falling back to its nearest recorded parent."""
    found = nearest(provenance, key)
    return default if found is None else found


# The SDK's documented batch processor defaults, used when a tuning is not set, so values come
# from the settings (which read OTEL_BSP_* / OTEL_BLRP_* from the environment they were
# given), never from a second read of os.environ by the SDK.
BSP_DEFAULTS: Mapping[str, int] = MappingProxyType(
    {
        "schedule_delay_ms": 5000,
        "max_queue_size": 2048,
        "max_export_batch_size": 512,
        "export_timeout_ms": 30000,
    }
)
BLRP_DEFAULTS: Mapping[str, int] = MappingProxyType(
    {
        "schedule_delay_ms": 1000,
        "max_queue_size": 2048,
        "max_export_batch_size": 512,
        "export_timeout_ms": 30000,
    }
)
METRIC_EXPORT_INTERVAL_MS = 60000


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
        """The batch processor tuning of ``prefix`` with the SDK's defaults filled in."""
        defaults = BSP_DEFAULTS if prefix == "bsp" else BLRP_DEFAULTS
        return {
            name: value if (value := getattr(self, f"{prefix}_{name}")) is not None else default
            for name, default in defaults.items()
        }

    def problems(self) -> list[tuple[str, str]]:
        """``(key, message)`` for tunings the SDK would refuse with a bare ``ValueError``;
        checked when settings load (so ``show``/``check`` exit 2) and again at bootstrap."""
        found: list[tuple[str, str]] = []
        prefixes: tuple[Literal["bsp", "blrp"], ...] = ("bsp", "blrp")
        for prefix in prefixes:
            tuned = self.tuned(prefix)
            for name, value in tuned.items():
                if value <= 0 and name != "export_timeout_ms":
                    found.append((f"processors.{prefix}_{name}", f"must be > 0, got {value}"))
            if tuned["max_export_batch_size"] > tuned["max_queue_size"]:
                found.append(
                    (
                        f"processors.{prefix}_max_export_batch_size",
                        f"{tuned['max_export_batch_size']} exceeds the queue size "
                        f"{tuned['max_queue_size']}",
                    )
                )
        interval = self.metric_export_interval_ms
        if interval is not None and interval <= 0:
            found.append(("processors.metric_export_interval_ms", "must be > 0"))
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


def _default_codex_home() -> Path:
    return codex_home_from(os.environ)


@dataclass(frozen=True)
class OtelSettings:
    """The resolved settings: one frozen value that says what will be exported where."""

    environment: str = "dev"
    service_name: str = "codex-cli"
    service_version: str = __version__
    codex_home: Path = field(default_factory=_default_codex_home)
    log_user_prompt: bool = False
    exporter: Exporter = field(default_factory=NoExporter)
    trace_exporter: Exporter = field(default_factory=NoExporter)
    metrics_exporter: Exporter = field(default_factory=NoExporter)
    runtime_metrics: bool = False
    resource_attributes: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    sdk_disabled: bool = False
    processors: ProcessorSettings = field(default_factory=ProcessorSettings)
    provenance: Mapping[str, Source] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "resource_attributes", _frozen(self.resource_attributes))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    def configured_exporter(self, signal: Signal) -> Exporter:
        """The exporter as configured for ``signal`` (Statsig not yet expanded)."""
        exporter: Exporter = getattr(self, EXPORTER_FIELD[signal])
        return exporter

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
