"""The resolved settings written in the formats users run: an OpenTelemetry declarative
configuration (``OTEL_CONFIG_FILE``), Codex's ``config.toml`` ``[otel]`` table, or shell
``export`` lines of ``OTEL_*`` variables. Pure: text in, text out (the CLI writes files).

Each format is what its own reader (our layers, the SDK's ``configure_sdk``, a shell) reads
back as the same settings; the declarative file is written with the tables its reader
(:mod:`codex_otel_config.settings.declarative`) maps from. Secrets (header values, the Statsig
key) are ``${VAR}`` references by default, each variable named in a comment; in clear only
when asked. What a format cannot hold is listed in a comment, never dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import quote

from codex_otel_config.redaction import Secret
from codex_otel_config.settings import declarative, schema
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

Format = Literal["otel-config", "codex", "env"]
FORMATS: tuple[Format, ...] = ("otel-config", "codex", "env")
#: Our name → the file's, for exporter kinds, encodings and TLS fields (no name is in two).
_THEIRS = {
    ours: theirs
    for table in (declarative.EXPORTERS, declarative.ENCODINGS, declarative.TLS_FIELDS)
    for theirs, ours in table.items()
}


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
    writer = {"otel-config": _otel_config, "codex": _codex, "env": _env}[fmt]
    return writer(settings, _Secrets(settings, include_secrets))


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
        self._statsig = {s for s in SIGNALS if isinstance(settings.configured_exporter(s), Statsig)}

    def variable(self, signal: Signal, header: str) -> str:
        if header == STATSIG_API_KEY_HEADER and signal in self._statsig:
            return STATSIG_KEY_VARIABLE
        stem = re.sub(r"[^A-Z0-9]+", "_", header.upper()).strip("_")
        if header in self._shared:
            return f"OTLP_HEADER_{stem}"
        return f"OTLP_{signal.upper()}_HEADER_{stem}"

    def header(self, signal: Signal, name: str, value: Secret | str) -> str:
        """The clear text, or a :class:`_Ref` to the variable that holds it."""
        if self.include:
            return secret_text(value)
        variable = self.variable(signal, name)
        statsig = variable == STATSIG_KEY_VARIABLE
        self.used.setdefault(
            variable, "the Statsig server secret" if statsig else f"the value of the header {name}"
        )
        return _Ref("${" + variable + "}")

    def done(
        self, title: str, body: list[str], omitted: tuple[str, ...] = (), fmt: str = "this format"
    ) -> Exported:
        """The text: ``title``, the secrets banner, what ``omitted`` lists, then ``body``."""
        head = [f"# {title}"]
        if self.include:
            head.append("# Secrets are written in clear (--include-secrets): keep this private.")
        elif self.used:
            head.append("# Secrets are written as ${VAR} references; set these variables:")
            head += [f"#   {name}: {what}" for name, what in sorted(self.used.items())]
        if omitted:
            head.append(f"# Not expressible in {fmt}: " + ", ".join(omitted))
        return Exported("\n".join([*head, *body]) + "\n", dict(self.used), omitted)


def _built(settings: OtelSettings, signal: Signal) -> Any:
    """The exporter as it would be built, even when ``sdk_disabled`` turns it off (the
    export says ``disabled`` separately)."""
    return replace(settings, sdk_disabled=False).exporter_for(signal)


def _tls_items(tls: Tls | None) -> dict[str, str]:
    """Our TLS key → path, for the paths set."""
    return {
        key: str(path)
        for key, attr, _ in schema.TLS_FIELDS
        if tls is not None and (path := getattr(tls, attr)) is not None
    }


def _omitted(settings: OtelSettings, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of ``keys`` whose value differs from the default: what a format loses."""
    default = OtelSettings()
    return tuple(
        f"{key} = {json.dumps(getattr(settings, key), default=str)}"
        for key in keys
        if getattr(settings, key) != getattr(default, key)
    )


# -- OpenTelemetry declarative configuration ---------------------------------------------


def _otel_config(settings: OtelSettings, secrets: _Secrets) -> Exported:
    import yaml

    doc: dict[str, Any] = {"file_format": "1.0"}
    if settings.sdk_disabled:
        doc["disabled"] = True
    attributes = {n: getattr(settings, key) for n, key in declarative.RESOURCE_KEYS.items()}
    attributes |= {
        k: v for k, v in sorted(settings.resource_attributes.items()) if k not in attributes
    }
    doc["resource"] = {"attributes": [{"name": k, "value": v} for k, v in attributes.items()]}
    for signal, provider in declarative.PROVIDERS.items():
        exporter = _declarative_exporter(settings, signal, secrets)
        if exporter is not None:
            entry = {
                theirs: value
                for theirs, ours in provider.tunings.items()
                if (value := getattr(settings.processors, ours)) is not None
            }
            entry["exporter"] = exporter
            doc[provider.section] = {provider.entries: [{provider.entry: entry}]}
    dumped = yaml.safe_dump(_escaped(doc), sort_keys=False, allow_unicode=True)
    return secrets.done(
        "OpenTelemetry declarative configuration (OTEL_CONFIG_FILE), from codex-otel-config.",
        [*_sdk_gaps(settings), dumped.rstrip("\n")],
        _omitted(settings, ("log_user_prompt", "runtime_metrics")),
    )


def _sdk_gaps(settings: OtelSettings) -> list[str]:
    """What the Python SDK's ``configure_sdk`` (opentelemetry-configuration 0.66b2) does not
    apply although the schema has it: said in the file so nobody is surprised."""
    built = [_built(settings, signal) for signal in SIGNALS]
    gaps = []
    if any(getattr(e, "tls", None) is not None for e in built):
        gaps.append("tls (use OTEL_EXPORTER_OTLP_*CERTIFICATE/*CLIENT_* with it)")
    if any(isinstance(e, OtlpHttp) and e.protocol == "json" for e in built):
        gaps.append("otlp_http encoding json (it sends protobuf)")
    note = "# Note: the Python SDK's configure_sdk (0.66b2) does not apply "
    return [note + "; ".join(gaps)] if gaps else []


def _declarative_exporter(
    settings: OtelSettings, signal: Signal, secrets: _Secrets
) -> dict[str, Any] | None:
    exporter = _built(settings, signal)
    if isinstance(exporter, NoExporter):
        return None
    if isinstance(exporter, Console):
        return {_THEIRS[exporter.kind]: {}}
    body: dict[str, Any] = {"endpoint": exporter.endpoint}
    if isinstance(exporter, OtlpHttp):
        body["encoding"] = _THEIRS[exporter.protocol]
    if exporter.headers:
        body["headers"] = [
            {"name": name, "value": secrets.header(signal, name, value)}
            for name, value in exporter.headers.items()
        ]
    if exporter.compression != "none":
        body["compression"] = exporter.compression
    body["timeout"] = round(exporter.timeout * 1000)
    if tls := _tls_items(exporter.tls):
        body["tls"] = {_THEIRS[key]: path for key, path in tls.items()}
    return {_THEIRS[exporter.kind]: body}


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
        key, exporter = schema.SIGNAL_KEYS[signal], settings.configured_exporter(signal)
        if not isinstance(exporter, Statsig):  # the shorthand stays one
            exporter = _built(settings, signal)
        if isinstance(exporter, NoExporter | Console):
            lines.append(f"{key} = {_toml(exporter.kind)}")
            continue
        body: dict[str, Any] = {}
        if isinstance(exporter, Statsig):
            if exporter.endpoint != STATSIG_ENDPOINT:
                body["endpoint"] = exporter.endpoint
            if secrets.include and exporter.api_key:
                body["api_key"] = secret_text(exporter.api_key)
            else:  # left to the variable the Statsig shorthand reads
                secrets.used[STATSIG_KEY_VARIABLE] = "the Statsig server secret"
        else:
            body["endpoint"] = exporter.endpoint
            if isinstance(exporter, OtlpHttp):
                body["protocol"] = exporter.protocol
            if exporter.headers:
                body["headers"] = {
                    name: secrets.header(signal, name, value)
                    for name, value in exporter.headers.items()
                }
            if tls := _tls_items(exporter.tls):
                body["tls"] = tls
        shorthand = isinstance(exporter, Statsig) and not body
        lines.append(
            f"{key} = {_toml(exporter.kind if shorthand else _escaped({exporter.kind: body}))}"
        )
        if exporter.timeout != schema.DEFAULT_TIMEOUT_S or exporter.compression != "none":
            lost.append(f"{key}.{exporter.kind} timeout/compression")
    omitted = _omitted(
        settings, ("service_name", "service_version", "runtime_metrics", "sdk_disabled")
    )
    omitted += ("resource_attributes",) if settings.resource_attributes else ()
    omitted += ("processors",) if settings.processors != type(settings.processors)() else ()
    title = "Codex config.toml [otel] table, from codex-otel-config."
    return secrets.done(title, lines, omitted + tuple(lost), "Codex's [otel] table")


# -- OTEL_* variables ---------------------------------------------------------------------

#: Left as written in a ``k=v,…`` value; the rest is percent-encoded (the list separators, the
#: escape itself, and whatever a shell would interpret inside double quotes).
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ",=%;\"'\\$`")


def _pct(text: str, safe: str = "") -> str:
    """Percent-encoded for a ``k=v,…`` list variable (the specification's decoding); our own
    ``${VAR}`` references stay as they are (the shell expands them)."""
    return text if isinstance(text, _Ref) else quote(text, safe=_SAFE + safe)


def _sq(text: str) -> str:
    """Single-quoted for a POSIX shell: nothing inside is expanded."""
    return "'" + text.replace("'", "'\\''") + "'"


def _dq(text: str) -> str:
    """Double-quoted text in which ``${VAR}`` is the only expansion (the rest is escaped)."""
    escaped = re.sub(r'([\\"`])', r"\\\1", text)
    escaped = re.sub(r"\$(?!\{[A-Z0-9_]+\})", r"\\$", escaped)
    return '"' + escaped + '"'


def _env(settings: OtelSettings, secrets: _Secrets) -> Exported:
    attributes = {"service.version": settings.service_version, **settings.resource_attributes}
    pairs = ",".join(f"{_pct(k)}={_pct(v)}" for k, v in attributes.items())
    out = [
        f"export OTEL_SERVICE_NAME={_sq(settings.service_name)}",
        f"export OTEL_RESOURCE_ATTRIBUTES={_sq(pairs)}",
    ]
    if settings.sdk_disabled:
        out.append("export OTEL_SDK_DISABLED=true")
    for param in schema.SETTINGS:
        if param.key.startswith("processors."):
            value = getattr(settings.processors, param.key.split(".", 1)[1])
            if value is not None:
                out.append(f"export {param.otel_env[0]}={value}")
    for signal in SIGNALS:
        out += _env_signal(settings, signal, secrets)
    out += [
        "# No OTEL_* variable holds these: the CODEX_OTEL_* layer does.",
        f"export CODEX_OTEL_ENVIRONMENT={_sq(settings.environment)}",
        f"export CODEX_OTEL_LOG_USER_PROMPT={_toml(settings.log_user_prompt)}",
        f"export CODEX_OTEL_RUNTIME_METRICS={_toml(settings.runtime_metrics)}",
    ]
    return secrets.done("OTEL_* variables, from codex-otel-config (source this file).", out)


def _env_signal(settings: OtelSettings, signal: Signal, secrets: _Secrets) -> list[str]:
    exporter = _built(settings, signal)
    if isinstance(exporter, NoExporter | Console):
        return [f"export OTEL_{signal.upper()}_EXPORTER={exporter.kind}"]
    values = {
        "protocol": schema.HTTP_PROTOCOL_SPELLINGS[exporter.protocol]
        if isinstance(exporter, OtlpHttp)
        else "grpc",
        "endpoint": _sq(exporter.endpoint),
    }
    if headers := exporter.headers.items():
        pairs = [f"{_pct(n)}={_pct(secrets.header(signal, n, v), ' ')}" for n, v in headers]
        values["headers"] = _dq(",".join(pairs))
    values["timeout"] = str(round(exporter.timeout * 1000))
    values["compression"] = exporter.compression
    values |= {f"tls.{key}": _sq(path) for key, path in _tls_items(exporter.tls).items()}
    lines = [f"export OTEL_{signal.upper()}_EXPORTER=otlp"]
    for name, value in values.items():  # the per-signal variable the schema declares
        variable = schema.FIELDS_BY_KEY[f"otlp-http.{name}"].otel_env[1]
        lines.append(f"export {variable.replace('{SIGNAL}', signal.upper())}={value}")
    return lines
