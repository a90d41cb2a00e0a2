"""The standard ``OTEL_*`` variables (DESIGN §1.4), read with the specification's semantics.

:func:`read_otel_env` parses and validates the variables into an :class:`OtelEnv` (collecting
every bad value as a :class:`~codex_otel_config.errors.Problem`); :meth:`OtelEnv.patch` turns it
into a layer fragment against the settings resolved so far, because the standard variables
*modify* the configured exporters rather than replace them:

* ``OTEL_{SIGNAL}_EXPORTER``: ``otlp`` makes the signal export over OTLP (keeping a configured
  OTLP exporter, else creating one), ``console`` selects the SDK's console exporter, ``none``
  turns it off.
* The endpoint, protocol, headers, timeout, compression and certificate variables override the
  same fields of a configured ``otlp-http`` / ``otlp-grpc`` exporter; headers are added to the
  configured ones (a per-signal ``…_HEADERS`` replaces the generic one, as the spec says). A
  protocol variable may switch HTTP ↔ gRPC; the other fields carry over.
* An endpoint variable for a signal whose exporter is the built-in ``none`` creates an OTLP
  exporter (protocol ``http/protobuf`` unless a protocol variable says otherwise). An exporter
  set to ``none`` or ``statsig`` by a file is left alone, with a warning that says so: the
  ``OTEL_{SIGNAL}_EXPORTER`` variable is the way to override it.
* The generic endpoint gets ``v1/<signal>`` appended for OTLP/HTTP even when it has a path; a
  per-signal endpoint is used verbatim (one with no path means the root path, as the spec
  says, with a warning): the rule is stored with the value (``signal_path``) and applied by
  :func:`~codex_otel_config.settings.model.signal_endpoint`. Timeouts are milliseconds (``0``:
  no limit). Header and resource attribute values are percent-decoded. An empty variable
  counts as unset. The exporter fields are parsed as ``schema.py`` declares them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from codex_otel_config.errors import Problem
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._normalize import parse_number, parse_pairs
from codex_otel_config.settings._tree import leaves
from codex_otel_config.settings.model import EXPORTER_FIELD, SIGNALS, Signal, Source, expand_user
from codex_otel_config.settings.redact import mask_url

#: The ``{SIGNAL}`` of the per-signal variables.
SIGNAL_NAMES: dict[Signal, str] = {signal: signal.upper() for signal in SIGNALS}
#: ``OTEL_{SIGNAL}_EXPORTER`` values this package builds (anything else is ignored with a warning).
EXPORTER_VALUES = ("otlp", "console", "none")
DEFAULT_HTTP_ENDPOINT = "http://localhost:4318"
DEFAULT_GRPC_ENDPOINT = "http://localhost:4317"
#: ``OTEL_*`` variable → the processor key it sets (declared in the schema).
PROCESSOR_VARIABLES: dict[str, schema.Param] = {
    p.otel_env[0]: p for p in schema.SETTINGS if p.key.startswith("processors.")
}


@dataclass(frozen=True)
class Setting:
    """One value read from one variable."""

    value: Any
    variable: str

    @property
    def source(self) -> Source:
        return Source(layer="otel-env", variable=self.variable)


@dataclass
class SignalEnv:
    """The variables that concern one signal, generic and per-signal forms already combined:
    the exporter choice, and the exporter fields by their schema name (``tls.ca-certificate``)."""

    exporter: Setting | None = None
    fields: dict[str, Setting] = field(default_factory=dict)
    endpoint_is_generic: bool = False

    @property
    def touches_exporter(self) -> bool:
        return self.exporter is not None or bool(self.fields)


@dataclass
class OtelEnv:
    """What the standard variables ask for, validated: ``values`` holds the settings outside
    the exporters by dotted key (``service_name``, ``resource_attributes.team``)."""

    signals: dict[Signal, SignalEnv] = field(default_factory=dict)
    values: dict[str, Setting] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def touches_exporters(self) -> bool:
        return any(s.touches_exporter for s in self.signals.values())

    @property
    def empty(self) -> bool:
        return not (self.touches_exporters or self.values)

    def patch(
        self,
        current: Mapping[str, Any],
        is_explicit: Callable[[str], bool],
        source_of: Callable[[str], Source],
    ) -> tuple[dict[str, Any], dict[str, Source], list[str]]:
        """A fragment (canonical nested dict), the source of each of its keys, and warnings.

        ``current`` is the canonical settings resolved so far (exporter keys hold
        ``{kind: fields}``); ``is_explicit(key)`` says whether a layer above the built-in
        defaults chose that exporter; ``source_of(dotted)`` gives the provenance of a field
        carried over when a protocol variable switches HTTP ↔ gRPC.
        """
        data: dict[str, Any] = {}
        sources: dict[str, Source] = {}
        warnings: list[str] = []
        for dotted, setting in self.values.items():
            top, _, name = dotted.partition(".")  # a resource attribute name may hold dots
            if name:
                data.setdefault(top, {})[name] = setting.value
            else:
                data[top] = setting.value
            sources[dotted] = setting.source
        for signal, env in self.signals.items():
            key = EXPORTER_FIELD[signal]
            result = _patch_signal(signal, key, env, current.get(key), is_explicit, source_of)
            if isinstance(result, str):
                warnings.append(result)
            elif result is not None:
                value, signal_sources = result
                data[key] = value
                sources.update(signal_sources)
                endpoint = env.fields.get("endpoint")
                if (
                    endpoint
                    and not env.endpoint_is_generic
                    and "otlp-http" in value
                    and (_path_of(str(endpoint.value)) in ("", "/"))
                ):
                    warnings.append(
                        f"{endpoint.variable} has no path: as the OpenTelemetry "
                        "specification says, a per-signal endpoint is used as written, so "
                        f"{signal} are posted to / (collectors listen on /v1/{signal}: add that "
                        "path to the variable)"
                    )
        return data, sources, warnings


def _patch_signal(
    signal: Signal,
    key: str,
    env: SignalEnv,
    current: Any,
    is_explicit: Callable[[str], bool],
    source_of: Callable[[str], Source],
) -> tuple[dict[str, Any], dict[str, Source]] | str | None:
    if not env.touches_exporter:
        return None
    if env.exporter is not None and env.exporter.value in ("none", "console"):
        return {env.exporter.value: {}}, {key: env.exporter.source}
    kind_now, fields_now = _split(current)
    endpoint, protocol = env.fields.get("endpoint"), env.fields.get("protocol")
    sources: dict[str, Source] = {}
    created = False
    if kind_now in ("otlp-http", "otlp-grpc"):
        base_kind = kind_now
        kind_source: Setting | None = None
    elif env.exporter is not None or endpoint is not None:
        if env.exporter is None and is_explicit(key) and endpoint is not None:
            return (
                f"{endpoint.variable} is not applied to {signal}: {key} is "
                f'"{kind_now}" ({source_of(key).describe()}); set '
                f"OTEL_{SIGNAL_NAMES[signal]}_EXPORTER=otlp to override it"
            )
        base_kind = "otlp-http"
        fields_now = {}
        created = True
        kind_source = env.exporter or endpoint
    else:
        return None  # none/statsig: field variables have nothing to modify
    new_kind = base_kind
    patch: dict[str, Any] = {}
    if protocol is not None:
        new_kind = "otlp-grpc" if protocol.value == "grpc" else "otlp-http"
        if new_kind == "otlp-http":
            patch["protocol"] = "json" if protocol.value == "http/json" else "binary"
            sources[f"{key}.otlp-http.protocol"] = protocol.source
        if new_kind != base_kind:
            kind_source = protocol
            # Carry the configured fields over to the other transport, with their provenance.
            for name, value in fields_now.items():
                if name not in schema.kind_fields(new_kind):  # protocol, signal_path
                    continue
                patch[name] = value
                for leaf in leaves(name, value):
                    sources[f"{key}.{new_kind}.{leaf}"] = source_of(f"{key}.{base_kind}.{leaf}")
    if kind_source is not None:
        sources[key] = kind_source.source
    prefix = f"{key}.{new_kind}"
    if endpoint is None and created:
        default = DEFAULT_GRPC_ENDPOINT if new_kind == "otlp-grpc" else DEFAULT_HTTP_ENDPOINT
        patch["endpoint"] = default
        if new_kind == "otlp-http":
            patch["signal_path"] = "if-no-path"
        sources[f"{prefix}.endpoint"] = Source(
            layer="derived", note="the OTLP default endpoint; no endpoint variable is set"
        )
    for name, setting in env.fields.items():
        if name == "protocol":
            continue
        if name == "headers":  # added to the configured headers
            patch["headers"] = {**patch.get("headers", {}), **setting.value}
            for header in setting.value:
                sources[f"{prefix}.headers.{header}"] = setting.source
            continue
        group, _, leaf = name.rpartition(".")  # "tls.ca-certificate" nests under "tls"
        node = patch.setdefault(group, {}) if group else patch
        node[leaf] = setting.value
        sources[f"{prefix}.{name}"] = setting.source
        if name == "endpoint" and new_kind == "otlp-http":
            # The spec: the generic endpoint always gets v1/<signal>; a per-signal one never.
            patch["signal_path"] = "append" if env.endpoint_is_generic else "verbatim"
    return {new_kind: patch}, sources


def _path_of(url: str) -> str | None:
    """The path of ``url``; ``None`` when it cannot be parsed (the builder reports that)."""
    try:
        return urlsplit(url).path
    except ValueError:
        return None


def _split(current: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(current, Mapping) and len(current) == 1:
        kind, fields = next(iter(current.items()))
        return str(kind), dict(fields) if isinstance(fields, Mapping) else {}
    return "none", {}


# -- parsing ------------------------------------------------------------------------------


def read_otel_env(environ: Mapping[str, str], cwd: Path | None = None) -> OtelEnv:
    """Parse every ``OTEL_*`` variable this package honours; bad values become problems."""
    out = OtelEnv()
    base = cwd or _files.cwd()

    def get(name: str) -> str | None:
        value = environ.get(name)
        return value.strip() if value and value.strip() else None

    def problem(variable: str, key: str, message: str) -> None:
        out.problems.append(Problem(key=key, layer=f"env {variable}", message=message))

    if (v := get("OTEL_SERVICE_NAME")) is not None:
        out.values["service_name"] = Setting(v, "OTEL_SERVICE_NAME")
    if (v := get("OTEL_SDK_DISABLED")) is not None:
        # Only a case-insensitive "true" disables (the spec); anything but "false" is reported.
        if v.lower() in ("true", "false"):
            out.values["sdk_disabled"] = Setting(v.lower() == "true", "OTEL_SDK_DISABLED")
        else:
            problem(
                "OTEL_SDK_DISABLED",
                "sdk_disabled",
                f'{_shown(v)} is not one of "true", "false" (only "true" disables the SDK)',
            )
    if (v := get("OTEL_RESOURCE_ATTRIBUTES")) is not None:
        pairs, messages = parse_pairs(v, headers=False)
        for message in messages:
            problem("OTEL_RESOURCE_ATTRIBUTES", "resource_attributes", message)
        for name, value in pairs.items():
            setting = Setting(value, "OTEL_RESOURCE_ATTRIBUTES")
            if name == "service.name":  # OTEL_SERVICE_NAME wins
                out.values.setdefault("service_name", setting)
            elif name == "service.version":
                out.values["service_version"] = setting
            else:
                out.values[f"resource_attributes.{name}"] = setting
    for variable, param in PROCESSOR_VARIABLES.items():
        if (v := get(variable)) is not None:
            number = _number(v)
            if number is None or not number.is_integer() or not param.in_range(number):
                problem(variable, param.key, f"{_shown(v)} is not {param.range_text()}")
            else:
                out.values[param.key] = Setting(int(number), variable)

    generic = _read_signal_vars(None, get, problem, base, "otlp")
    for signal, upper in SIGNAL_NAMES.items():
        key = EXPORTER_FIELD[signal]
        own = _read_signal_vars(upper, get, problem, base, f"{key}.otlp")
        env = SignalEnv(
            fields={**generic, **own},  # a per-signal variable wins over the generic one
            endpoint_is_generic="endpoint" in generic and "endpoint" not in own,
        )
        exporter_var = f"OTEL_{upper}_EXPORTER"
        if (v := get(exporter_var)) is not None:
            if v.lower() in EXPORTER_VALUES:
                env.exporter = Setting(v.lower(), exporter_var)
            else:
                listed = ", ".join(f'"{name}"' for name in EXPORTER_VALUES)
                problem(
                    exporter_var,
                    key,
                    f"{_shown(v)} is not one of {listed} (the "
                    "exporters this package builds from variables)",
                )
        out.signals[signal] = env
    return out


#: The exporter fields the ``OTEL_EXPORTER_OTLP[_{SIGNAL}]_*`` variables set, as declared in
#: the schema (``otlp-http`` holds every field ``otlp-grpc`` has, plus the protocol).
_FIELD_PARAMS = tuple(
    p for p in schema.EXPORTER_FIELDS if p.key.startswith("otlp-http.") and p.otel_env
)


def _read_signal_vars(
    signal: str | None,
    get: Callable[[str], str | None],
    problem: Callable[[str, str, str], None],
    base: Path,
    key: str,
) -> dict[str, Setting]:
    """The generic (``signal`` None) or per-signal field variables, parsed as the schema
    declares each field (its variable names, unit and choices)."""
    found: dict[str, Setting] = {}
    for param in _FIELD_PARAMS:
        generic, per_signal = param.otel_env
        name = generic if signal is None else per_signal.replace("{SIGNAL}", signal)
        if (v := get(name)) is None:
            continue
        field = param.key.split(".", 1)[1]
        value = _parse_field(param, v, base)
        if isinstance(value, _Bad):
            for message in value.messages:
                problem(name, f"{key}.{field}", message)
        else:
            found[field] = Setting(value, name)
    return found


@dataclass(frozen=True)
class _Bad:
    messages: tuple[str, ...]


def _parse_field(param: schema.Param, text: str, base: Path) -> Any:
    """One field variable's value, or :class:`_Bad` saying why it is refused."""
    if param.type == "path":
        path = expand_user(text)
        return str(path if path.is_absolute() else base / path)
    if param.type == "table":  # headers: k=v pairs
        pairs, messages = parse_pairs(text, headers=True)
        return _Bad(tuple(messages)) if messages else pairs
    if param.type == "float":  # a timeout, in the variable's unit
        number = _number(text)
        scale = 1000.0 if param.otel_unit == "ms" else 1.0
        if number is None or not param.in_range(number / scale):
            high = (param.high or 0) * scale
            unit = "milliseconds" if param.otel_unit == "ms" else "seconds"
            return _Bad(
                (f"{_shown(text)} is not a number of {unit} from 0 (no limit) to {high:.0f}",)
            )
        return number / scale
    if param.type == "choice":
        choices = param.otel_choices or param.choices
        if text.lower() in choices:
            return text.lower()
        listed = ", ".join(f'"{c}"' for c in choices)
        return _Bad((f"{_shown(text)} is not one of {listed}",))
    # the endpoint: its host and port are checked with the merged settings
    if text.lower().startswith(("http://", "https://")) and len(text.split("://", 1)[1]) > 0:
        return text
    return _Bad(
        (f'"{mask_url(text)}" is not a URL; expected http://host:port or https://host:port',)
    )


def _shown(text: str) -> str:
    """A (non-secret) value quoted for a message: shortened, control characters escaped."""
    short = text if len(text) <= 40 else text[:37] + "..."
    return '"' + short.encode("unicode_escape").decode("ascii") + '"'


def _number(text: str) -> float | None:
    """A finite number written in a variable (``5``, ``1e3``), else ``None``."""
    number = parse_number(text)
    try:
        value = None if number is None else float(number)
    except OverflowError:  # 400 digits: beyond any range
        return None
    return value if value is not None and math.isfinite(value) else None
