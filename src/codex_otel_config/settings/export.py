"""The resolved settings written in the formats users run: an OpenTelemetry declarative
configuration (``OTEL_CONFIG_FILE``), Codex's ``config.toml`` ``[otel]`` table, or shell
``export`` lines of ``OTEL_*`` variables. Pure: text in, text out (the CLI writes files).

Each format is what its own reader (our layers, the SDK's ``configure_sdk``, a shell) reads
back as the same settings. Secrets (header values, the Statsig key) are ``${VAR}`` references
by default, each variable named in a comment; in clear only when asked. What a format cannot
hold is listed in a comment, never dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal
from urllib.parse import quote

from codex_otel_config.redaction import Secret
from codex_otel_config.settings._declarative import BATCH_FIELDS, ENCODINGS, TLS_FIELDS
from codex_otel_config.settings.model import (
    SIGNALS,
    STATSIG_API_KEY_HEADER,
    STATSIG_ENDPOINT,
    STATSIG_KEY_VARIABLE,
    Console,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Signal,
    Statsig,
    Tls,
)
from codex_otel_config.settings.schema import DEFAULT_TIMEOUT_S, SETTINGS, SIGNAL_KEYS, TLS_KEY_OF

Format = Literal["otel-config", "codex", "env"]
FORMATS: tuple[Format, ...] = ("otel-config", "codex", "env")
#: The declarative configuration section of each signal.
PROVIDER_OF: dict[Signal, str] = {
    "logs": "logger_provider",
    "traces": "tracer_provider",
    "metrics": "meter_provider",
}
#: Our batch tuning prefix of each signal (metrics have a periodic reader instead).
_BATCH_PREFIX: dict[Signal, str] = {"logs": "blrp", "traces": "bsp"}
_ENCODING_OF = {ours: theirs for theirs, ours in ENCODINGS.items()}
_TLS_OF = {ours: theirs for theirs, ours in TLS_FIELDS.items()}


def secret_text(value: Secret | str) -> str:
    """The clear text of a secret (``--include-secrets``): the one place an export reads one."""
    return value.reveal() if isinstance(value, Secret) else str(value)


@dataclass(frozen=True)
class Exported:
    """The text, the variables its ``${VAR}`` references need, and what the format omits."""

    text: str
    variables: Mapping[str, str] = field(default_factory=dict)  # name → what it holds
    omitted: tuple[str, ...] = ()


def export_settings(
    settings: OtelSettings, fmt: Format, *, include_secrets: bool = False
) -> Exported:
    """``settings`` written as ``fmt``; secrets as ``${VAR}`` unless ``include_secrets``."""
    secrets = _Secrets(settings, include_secrets)
    if fmt == "otel-config":
        return _otel_config(settings, secrets)
    if fmt == "codex":
        return _codex(settings, secrets)
    return _env(settings, secrets)


def reference_name(settings: OtelSettings, signal: Signal, header: str) -> str:
    """The variable a ``${VAR}`` reference names for ``header`` of ``signal``:
    ``STATSIG_SERVER_SDK_SECRET`` for the Statsig key, ``OTLP_HEADER_<NAME>`` for a header
    with one value on every signal, else ``OTLP_<SIGNAL>_HEADER_<NAME>``."""
    return _Secrets(settings, include=False).variable(signal, header)


class _Ref(str):
    """A ``${VAR}`` reference this module wrote: the one string :func:`_escaped` keeps."""

    __slots__ = ()


def _escaped(value: Any) -> Any:
    """Every string as a literal for a reader that substitutes ``${VAR}`` (the declarative
    configuration, our settings files): ``$`` doubled, except in our own references."""
    if isinstance(value, _Ref):
        return str(value)
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, Mapping):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


class _Secrets:
    """Names a variable for each secret and remembers which were used."""

    def __init__(self, settings: OtelSettings, include: bool) -> None:
        self.include = include
        self.used: dict[str, str] = {}
        values: dict[str, set[str]] = {}
        for signal in SIGNALS:
            exporter = settings.exporter_for(signal)
            if isinstance(exporter, OtlpHttp | OtlpGrpc):
                for name, value in exporter.headers.items():
                    values.setdefault(name, set()).add(secret_text(value))
        self._shared = {name for name, seen in values.items() if len(seen) == 1}
        self._statsig = {
            signal
            for signal in SIGNALS
            if isinstance(settings.configured_exporter(signal), Statsig)
        }

    def variable(self, signal: Signal, header: str) -> str:
        if header == STATSIG_API_KEY_HEADER and signal in self._statsig:
            return STATSIG_KEY_VARIABLE
        stem = re.sub(r"[^A-Z0-9]+", "_", header.upper()).strip("_")
        if header in self._shared:
            return f"OTLP_HEADER_{stem}"
        return f"OTLP_{signal.upper()}_HEADER_{stem}"

    def header(self, signal: Signal, name: str, value: Secret | str) -> tuple[str, str | None]:
        """``(text to write, variable referenced or None)``."""
        if self.include:
            return secret_text(value), None
        variable = self.variable(signal, name)
        if variable == STATSIG_KEY_VARIABLE:
            self.used[variable] = "the Statsig server secret"
        else:
            holders = self.used.get(variable)
            what = f"the value of the header {name}"
            self.used[variable] = holders or what
        return _Ref("${" + variable + "}"), variable

    def banner(self, comment: str = "#") -> list[str]:
        if self.include:
            return [
                f"{comment} Secrets are written in clear (--include-secrets): keep this private."
            ]
        if not self.used:
            return []
        lines = [f"{comment} Secrets are written as ${{VAR}} references; set these variables:"]
        lines += [f"{comment}   {name}: {what}" for name, what in sorted(self.used.items())]
        return lines


# -- OpenTelemetry declarative configuration ---------------------------------------------


def _otel_config(settings: OtelSettings, secrets: _Secrets) -> Exported:
    import yaml

    doc: dict[str, Any] = {"file_format": "1.0"}
    if settings.sdk_disabled:
        doc["disabled"] = True
    attributes = [
        {"name": "service.name", "value": settings.service_name},
        {"name": "service.version", "value": settings.service_version},
        {"name": "env", "value": settings.environment},
    ]
    attributes += [
        {"name": k, "value": v}
        for k, v in sorted(settings.resource_attributes.items())
        if k not in ("service.name", "service.version", "env")
    ]
    doc["resource"] = {"attributes": attributes}
    for signal in SIGNALS:
        exporter = _declarative_exporter(settings, signal, secrets)
        if exporter is None:
            continue
        section = PROVIDER_OF[signal]
        if signal == "metrics":
            reader: dict[str, Any] = {}
            interval = settings.processors.metric_export_interval_ms
            if interval is not None:
                reader["interval"] = interval
            reader["exporter"] = exporter
            doc[section] = {"readers": [{"periodic": reader}]}
        else:
            batch: dict[str, Any] = {}
            prefix = _BATCH_PREFIX[signal]
            for theirs, ours in BATCH_FIELDS.items():
                value = getattr(settings.processors, f"{prefix}_{ours}")
                if value is not None:
                    batch[theirs] = value
            batch["exporter"] = exporter
            doc[section] = {"processors": [{"batch": batch}]}
    omitted = _omitted(settings, ("log_user_prompt", "runtime_metrics"))
    lines = [
        "# OpenTelemetry declarative configuration (OTEL_CONFIG_FILE), from codex-otel-config."
    ]
    lines += secrets.banner()
    if omitted:
        lines.append("# Not expressible in this format: " + ", ".join(omitted))
    lines += _sdk_gaps(settings)
    dumped = yaml.safe_dump(_escaped(doc), sort_keys=False, allow_unicode=True)
    text = "\n".join(lines) + "\n" + dumped
    return Exported(text, dict(secrets.used), omitted)


def _sdk_gaps(settings: OtelSettings) -> list[str]:
    """What the Python SDK's ``configure_sdk`` (opentelemetry-configuration 0.66b2) does not
    apply although the schema has it: said in the file so nobody is surprised."""
    built = [_built(settings, signal) for signal in SIGNALS]
    gaps = []
    if any(getattr(e, "tls", None) is not None for e in built):
        gaps.append("tls (use OTEL_EXPORTER_OTLP_*CERTIFICATE/*CLIENT_* with it)")
    if any(isinstance(e, OtlpHttp) and e.protocol == "json" for e in built):
        gaps.append("otlp_http encoding json (it sends protobuf)")
    if not gaps:
        return []
    return ["# Note: the Python SDK's configure_sdk (0.66b2) does not apply " + "; ".join(gaps)]


def _declarative_exporter(
    settings: OtelSettings, signal: Signal, secrets: _Secrets
) -> dict[str, Any] | None:
    exporter = _built(settings, signal)
    if isinstance(exporter, NoExporter):
        return None
    if isinstance(exporter, Console):
        return {"console": {}}
    body: dict[str, Any] = {"endpoint": exporter.endpoint}
    if isinstance(exporter, OtlpHttp):
        body["encoding"] = _ENCODING_OF[exporter.protocol]
    if exporter.headers:
        body["headers"] = [
            {"name": name, "value": secrets.header(signal, name, value)[0]}
            for name, value in exporter.headers.items()
        ]
    if exporter.compression != "none":
        body["compression"] = exporter.compression
    body["timeout"] = round(exporter.timeout * 1000)
    tls = _tls_items(exporter.tls)
    if tls:
        body["tls"] = {_TLS_OF[key]: path for key, path in tls.items()}
    return {"otlp_http" if isinstance(exporter, OtlpHttp) else "otlp_grpc": body}


def _built(settings: OtelSettings, signal: Signal) -> Any:
    """The exporter as it would be built, even when ``sdk_disabled`` turns it off (the
    export says ``disabled`` separately)."""
    return replace(settings, sdk_disabled=False).exporter_for(signal)


def _tls_items(tls: Tls | None) -> dict[str, str]:
    if tls is None:
        return {}
    return {
        TLS_KEY_OF[f.name]: str(getattr(tls, f.name))
        for f in fields(tls)
        if getattr(tls, f.name) is not None
    }


def _omitted(settings: OtelSettings, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of ``keys`` whose value differs from the default: what a format loses."""
    default = OtelSettings()
    return tuple(
        f"{key} = {json.dumps(getattr(settings, key), default=str)}"
        for key in keys
        if getattr(settings, key) != getattr(default, key)
    )


# -- Codex [otel] table -------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _codex(settings: OtelSettings, secrets: _Secrets) -> Exported:
    lines = ["[otel]", f"environment = {_toml(_escaped(settings.environment))}"]
    lines.append(f"log_user_prompt = {_toml(settings.log_user_prompt)}")
    lost: list[str] = []
    for signal in SIGNALS:
        key = SIGNAL_KEYS[signal]
        configured = settings.configured_exporter(signal)
        if isinstance(configured, Statsig):
            table: dict[str, str] = {}
            if configured.endpoint != STATSIG_ENDPOINT:
                table["endpoint"] = configured.endpoint
            if secrets.include and configured.api_key:
                table["api_key"] = secret_text(configured.api_key)
            else:
                secrets.used[STATSIG_KEY_VARIABLE] = "the Statsig server secret"
            value = _toml(_escaped({"statsig": table})) if table else '"statsig"'
            lines.append(f"{key} = {value}")
            if configured.timeout != DEFAULT_TIMEOUT_S or configured.compression != "none":
                lost.append(f"{key} timeout/compression")
            continue
        exporter = _built(settings, signal)
        if isinstance(exporter, NoExporter | Console):
            lines.append(f"{key} = {_toml(exporter.kind)}")
            continue
        body: dict[str, Any] = {"endpoint": exporter.endpoint}
        if isinstance(exporter, OtlpHttp):
            body["protocol"] = exporter.protocol
        if exporter.headers:
            body["headers"] = {
                name: secrets.header(signal, name, value)[0]
                for name, value in exporter.headers.items()
            }
        tls = _tls_items(exporter.tls)
        if tls:
            body["tls"] = tls
        lines.append(f"{key} = {_toml(_escaped({exporter.kind: body}))}")
        if exporter.timeout != DEFAULT_TIMEOUT_S or exporter.compression != "none":
            lost.append(f"{key}.{exporter.kind} timeout/compression")
    omitted = _omitted(
        settings,
        ("service_name", "service_version", "runtime_metrics", "sdk_disabled"),
    )
    omitted += ("resource_attributes",) if settings.resource_attributes else ()
    omitted += ("processors",) if settings.processors != type(settings.processors)() else ()
    omitted += tuple(lost)
    header = ["# Codex config.toml [otel] table, from codex-otel-config.", *secrets.banner()]
    if omitted:
        header.append("# Not expressible in Codex's [otel] table: " + ", ".join(omitted))
    return Exported("\n".join([*header, *lines]) + "\n", dict(secrets.used), omitted)


# -- OTEL_* variables ---------------------------------------------------------------------

_PROTOCOL = {"binary": "http/protobuf", "json": "http/json"}
_TLS_SUFFIX = {"ca-certificate": "CERTIFICATE", "client-certificate": "CLIENT_CERTIFICATE"}
_TLS_SUFFIX["client-private-key"] = "CLIENT_KEY"
#: Left as written in a ``k=v,…`` value; the rest is percent-encoded (the list separators, the
#: escape itself, and whatever a shell would interpret inside double quotes).
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ",=%;\"'\\$`")


def _pct(text: str) -> str:
    """Percent-encoded for a ``k=v,…`` list variable (the specification's decoding)."""
    return quote(text, safe=_SAFE)


def _sq(text: str) -> str:
    """Single-quoted for a POSIX shell: nothing inside is expanded."""
    return "'" + text.replace("'", "'\\''") + "'"


def _dq(text: str) -> str:
    """Double-quoted text in which ``${VAR}`` is the only expansion (the rest is escaped)."""
    escaped = re.sub(r'([\\"`])', r"\\\1", text)
    escaped = re.sub(r"\$(?!\{[A-Z0-9_]+\})", r"\\$", escaped)
    return '"' + escaped + '"'


def _env(settings: OtelSettings, secrets: _Secrets) -> Exported:
    out: list[str] = [
        f"export OTEL_SERVICE_NAME={_sq(settings.service_name)}",
    ]
    attributes = {"service.version": settings.service_version, **settings.resource_attributes}
    pairs = ",".join(
        f"{quote(k, safe=_SAFE)}={quote(v, safe=_SAFE)}" for k, v in attributes.items()
    )
    out.append(f"export OTEL_RESOURCE_ATTRIBUTES={_sq(pairs)}")
    if settings.sdk_disabled:
        out.append("export OTEL_SDK_DISABLED=true")
    for param in SETTINGS:
        if param.key.startswith("processors."):
            value = getattr(settings.processors, param.key.split(".", 1)[1])
            if value is not None:
                out.append(f"export {param.otel_env[0]}={value}")
    for signal in SIGNALS:
        out += _env_signal(settings, signal, secrets)
    codex = [
        "# No OTEL_* variable holds these: the CODEX_OTEL_* layer does.",
        f"export CODEX_OTEL_ENVIRONMENT={_sq(settings.environment)}",
        f"export CODEX_OTEL_LOG_USER_PROMPT={_toml(settings.log_user_prompt)}",
        f"export CODEX_OTEL_RUNTIME_METRICS={_toml(settings.runtime_metrics)}",
    ]
    header = ["# OTEL_* variables, from codex-otel-config (source this file).", *secrets.banner()]
    return Exported("\n".join([*header, *out, *codex]) + "\n", dict(secrets.used))


def _env_signal(settings: OtelSettings, signal: Signal, secrets: _Secrets) -> list[str]:
    upper = signal.upper()
    exporter = _built(settings, signal)
    if isinstance(exporter, NoExporter | Console):
        return [f"export OTEL_{upper}_EXPORTER={exporter.kind}"]
    assert isinstance(exporter, OtlpHttp | OtlpGrpc)
    prefix = f"OTEL_EXPORTER_OTLP_{upper}"
    lines = [f"export OTEL_{upper}_EXPORTER=otlp"]
    protocol = _PROTOCOL[exporter.protocol] if isinstance(exporter, OtlpHttp) else "grpc"
    lines.append(f"export {prefix}_PROTOCOL={protocol}")
    lines.append(f"export {prefix}_ENDPOINT={_sq(exporter.endpoint)}")
    if exporter.headers:
        written = []
        for name, value in exporter.headers.items():
            text, variable = secrets.header(signal, name, value)
            shown = text if variable else quote(text, safe=_SAFE + " ")
            written.append(f"{quote(name, safe=_SAFE)}={shown}")
        lines.append(f"export {prefix}_HEADERS={_dq(','.join(written))}")
    lines.append(f"export {prefix}_TIMEOUT={round(exporter.timeout * 1000)}")
    lines.append(f"export {prefix}_COMPRESSION={exporter.compression}")
    for key, path in _tls_items(exporter.tls).items():
        lines.append(f"export {prefix}_{_TLS_SUFFIX[key]}={_sq(path)}")
    return lines
