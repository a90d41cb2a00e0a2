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
  :func:`~codex_otel_config.settings.model.signal_endpoint`.

Every value is parsed by :func:`~codex_otel_config.settings._normalize.parse_value`, the parser
of every layer, as ``schema.py`` declares the key the variable feeds (in the variable's unit and
spellings); an empty variable counts as unset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codex_otel_config.errors import Problem
from codex_otel_config.redaction import mask_url
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._normalize import Context, parse_value, quote
from codex_otel_config.settings._sources import Fragment
from codex_otel_config.settings._tree import leaves
from codex_otel_config.settings.model import EXPORTER_FIELD, SIGNALS, Signal, Source

#: ``http/json`` → ``json``: the settings spelling of a specification protocol.
_HTTP_PROTOCOL_OF = {spec: ours for ours, spec in schema.HTTP_PROTOCOL_SPELLINGS.items()}
#: ``OTEL_RESOURCE_ATTRIBUTES`` entries that set a key of their own (the specification's names).
_ATTRIBUTE_KEYS = {"service.name": "service_name", "service.version": "service_version"}
#: The specification's default endpoint of each transport.
DEFAULT_ENDPOINTS = {"otlp-http": "http://localhost:4318", "otlp-grpc": "http://localhost:4317"}


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

    def patch(
        self,
        current: Mapping[str, Any],
        is_explicit: Callable[[str], bool],
        source_of: Callable[[str], Source],
        warnings: list[str],
    ) -> Fragment:
        """The layer's fragment (empty when no variable is set); warnings go to ``warnings``.

        ``current`` is the canonical settings resolved so far (exporter keys hold
        ``{kind: fields}``); ``is_explicit(key)`` says whether a layer above the built-in
        defaults chose that exporter; ``source_of(dotted)`` gives the provenance of a field
        carried over when a protocol variable switches HTTP ↔ gRPC.
        """
        data: dict[str, Any] = {}
        sources: dict[str, Source] = {}
        for dotted, setting in self.values.items():
            top, _, name = dotted.partition(".")  # a resource attribute name may hold dots
            node = data.setdefault(top, {}) if name else data
            node[name or top] = setting.value
            sources[dotted] = setting.source
        for signal, env in self.signals.items():
            patched = _patch_signal(signal, env, current, sources, warnings, is_explicit, source_of)
            if patched is not None:
                data[EXPORTER_FIELD[signal]] = patched
        return Fragment(data, Source(layer="otel-env"), sources)


def _patch_signal(
    signal: Signal,
    env: SignalEnv,
    current: Mapping[str, Any],
    sources: dict[str, Source],
    warnings: list[str],
    is_explicit: Callable[[str], bool],
    source_of: Callable[[str], Source],
) -> dict[str, Any] | None:
    """``{kind: fields}`` of one signal as its variables modify its exporter in ``current``,
    adding to ``sources`` and ``warnings``; ``None`` leaves the exporter alone."""
    key = EXPORTER_FIELD[signal]
    if not env.touches_exporter:
        return None
    if env.exporter is not None and env.exporter.value != "otlp":  # none, console
        sources[key] = env.exporter.source
        return {env.exporter.value: {}}
    kind, fields = next(iter((current.get(key) or {"none": {}}).items()))
    endpoint, protocol = env.fields.get("endpoint"), env.fields.get("protocol")
    origin: Setting | None = None  # the variable that chose the kind, if one did
    created = kind not in ("otlp-http", "otlp-grpc")
    if created:
        if env.exporter is None and endpoint is None:
            return None  # none/statsig/console: field variables have nothing to modify
        if env.exporter is None and endpoint is not None and is_explicit(key):
            warnings.append(
                f"{endpoint.variable} is not applied to {signal}: {key} is "
                f'"{kind}" ({source_of(key).describe()}); set '
                f"OTEL_{signal.upper()}_EXPORTER=otlp to override it"
            )
            return None
        kind, fields, origin = "otlp-http", {}, env.exporter or endpoint
    new_kind, patch = kind, {}
    if protocol is not None:
        new_kind = "otlp-grpc" if protocol.value == "grpc" else "otlp-http"
        if new_kind != kind:
            origin = protocol
            # Carry the configured fields over to the other transport, with their provenance.
            for name, value in fields.items():
                if name in schema.kind_fields(new_kind):  # not protocol, signal_path
                    patch[name] = value
                    for leaf in leaves(name, value):
                        sources[f"{key}.{new_kind}.{leaf}"] = source_of(f"{key}.{kind}.{leaf}")
    if origin is not None:
        sources[key] = origin.source
    prefix = f"{key}.{new_kind}"
    if endpoint is None and created:
        patch["endpoint"] = DEFAULT_ENDPOINTS[new_kind]  # signal_path: the default
        sources[f"{prefix}.endpoint"] = Source(
            layer="derived", note="the OTLP default endpoint; no endpoint variable is set"
        )
    for name, setting in env.fields.items():
        value = setting.value
        if name == "protocol":
            if new_kind == "otlp-grpc":
                continue  # the kind says it
            value = _HTTP_PROTOCOL_OF[value]
        if name == "headers":  # added to the configured headers
            patch["headers"] = {**patch.get("headers", {}), **value}
            sources.update({f"{prefix}.headers.{header}": setting.source for header in value})
            continue
        group, _, leaf = name.rpartition(".")  # "tls.ca-certificate" nests under "tls"
        (patch.setdefault(group, {}) if group else patch)[leaf] = value
        sources[f"{prefix}.{name}"] = setting.source
        if name == "endpoint" and new_kind == "otlp-http":
            # The spec: the generic endpoint always gets v1/<signal>; a per-signal one never.
            patch["signal_path"] = "append" if env.endpoint_is_generic else "verbatim"
            # No path (a query or fragment is refused when built): what follows host:port.
            if not env.endpoint_is_generic and not value.partition("://")[2].partition("/")[2]:
                warnings.append(
                    f"{setting.variable} has no path: as the OpenTelemetry specification says, "
                    f"a per-signal endpoint is used as written, so {signal} are posted to / "
                    f"(collectors listen on /v1/{signal}: add that path to the variable)"
                )
    return {new_kind: patch}


# -- parsing ------------------------------------------------------------------------------

#: The exporter fields the ``OTEL_EXPORTER_OTLP[_{SIGNAL}]_*`` variables set, as declared in
#: the schema (``otlp-http`` holds every field ``otlp-grpc`` has, plus the protocol).
_FIELD_PARAMS = tuple(
    p for p in schema.EXPORTER_FIELDS if p.key.startswith("otlp-http.") and p.otel_env
)


def read_otel_env(environ: Mapping[str, str], cwd: Path | None = None) -> OtelEnv:
    """Parse every ``OTEL_*`` variable this package honours by the one value parser, as the
    schema declares the key it feeds; bad values become problems naming the variable."""
    out = OtelEnv()
    base = cwd or _files.cwd()

    def read(variable: str, key: str, param: schema.Param) -> Setting | None:
        """The value of ``variable`` for ``key``; ``None`` when unset, empty or refused."""
        text = environ.get(variable, "").strip()
        if not text:
            return None
        ctx = Context(f"env {variable}", base, environ, interpolate=False, otel=True)
        value = parse_value(key, text, param, ctx)
        # http(s):// and something after it: the host and port are checked once merged
        if param.key.endswith(".endpoint") and value and not re.match("(?i)https?://.", value):
            ctx.problem(
                key,
                f"{quote(mask_url(value))} is not a URL; expected http://host:port or "
                "https://host:port",
            )
            value = None
        out.problems.extend(ctx.problems)
        return None if value is None else Setting(value, variable)

    def fields(signal: str | None, key: str) -> dict[str, Setting]:
        """The generic (``signal`` None) or per-signal exporter field variables."""
        found: dict[str, Setting] = {}
        for param in _FIELD_PARAMS:
            generic, per_signal = param.otel_env
            variable = generic if signal is None else per_signal.replace("{SIGNAL}", signal)
            name = param.key.split(".", 1)[1]
            if (setting := read(variable, f"{key}.{name}", param)) is not None:
                found[name] = setting
        return found

    for param in schema.SETTINGS:
        if not param.otel_env or param.type == "exporter":
            continue
        if (setting := read(param.otel_env[0], param.key, param)) is None:
            continue
        if param.type != "table":
            out.values[param.key] = setting
            continue
        # OTEL_SERVICE_NAME, declared (so read) first, beats a service.name attribute.
        for name, text in setting.value.items():
            dotted = _ATTRIBUTE_KEYS.get(name, f"resource_attributes.{name}")
            out.values.setdefault(dotted, Setting(text, setting.variable))

    generic = fields(None, "otlp")
    for signal in SIGNALS:
        key = EXPORTER_FIELD[signal]
        own = fields(signal.upper(), f"{key}.otlp")
        param = schema.SETTINGS_BY_KEY[key]
        out.signals[signal] = SignalEnv(
            # The kinds this package builds from the variable (its otel_choices), read as a choice.
            exporter=read(param.otel_env[0], key, replace(param, type="choice")),
            fields={**generic, **own},  # a per-signal variable wins over the generic one
            endpoint_is_generic="endpoint" in generic and "endpoint" not in own,
        )
    return out
