"""The OpenTelemetry declarative configuration (``OTEL_CONFIG_FILE``) and our keys: the tables
below say once how the file's elements correspond to our keys, for the reader here and the
writer (:mod:`codex_otel_config.export`).

Pure: :func:`map_config` takes the model ``opentelemetry-configuration`` parsed (and validated)
and returns the raw layer values our normalizer reads, the location in the file of each value
(``tracer_provider.processors[0].batch.exporter.otlp_http.endpoint``) and a warning for every
element our model cannot represent (a second exporter for one signal, samplers, views,
propagators, limits …), so nothing is dropped silently. The model is walked by attribute name.

The file is authoritative (the specification): a provider it leaves out means that signal is
not exported (``none``), whatever the layers below say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from codex_otel_config.settings._normalize import parse_pairs
from codex_otel_config.settings.model import Signal
from codex_otel_config.settings.schema import SIGNAL_KEYS

_BATCH_FIELDS = {
    "schedule_delay": "schedule_delay_ms",
    "export_timeout": "export_timeout_ms",
    "max_queue_size": "max_queue_size",
    "max_export_batch_size": "max_export_batch_size",
}


@dataclass(frozen=True)
class Provider:
    """A signal's section of the file, its list (metrics: ``readers``), the entry we write
    there, and each tuning field of that entry → our ``processors`` key."""

    section: str
    entries: str
    entry: str
    tunings: Mapping[str, str]


def _batch(prefix: str) -> dict[str, str]:
    return {theirs: f"{prefix}_{ours}" for theirs, ours in _BATCH_FIELDS.items()}


PROVIDERS: dict[Signal, Provider] = {
    "logs": Provider("logger_provider", "processors", "batch", _batch("blrp")),
    "traces": Provider("tracer_provider", "processors", "batch", _batch("bsp")),
    "metrics": Provider(
        "meter_provider", "readers", "periodic", {"interval": "metric_export_interval_ms"}
    ),
}
#: Exporter of the file → our kind.
EXPORTERS = {"otlp_http": "otlp-http", "otlp_grpc": "otlp-grpc", "console": "console"}
#: TLS field of the file → ours.
TLS_FIELDS: dict[str, str] = {
    "ca_file": "ca-certificate",
    "cert_file": "client-certificate",
    "key_file": "client-private-key",
}
#: ``otlp_http.encoding`` → our ``protocol``.
ENCODINGS: dict[str, str] = {"protobuf": "binary", "json": "json"}
#: Resource attributes that are settings keys of their own.
RESOURCE_KEYS: dict[str, str] = {
    "service.name": "service_name",
    "service.version": "service_version",
    "env": "environment",
}
_TOP = frozenset({"file_format", "disabled", "resource", *(p.section for p in PROVIDERS.values())})
_OTLP_FIELDS = frozenset(
    {"endpoint", "headers", "headers_list", "compression", "timeout", "encoding", "tls"}
)


@dataclass(frozen=True)
class Mapped:
    """Raw layer values (settings-file shape), the file location of each dotted key, warnings;
    filled by :func:`map_config` only, through the methods below (``skip``: locations left to
    the layers below)."""

    skip: frozenset[str] = frozenset()
    values: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def put(self, where: str, value: Any, *path: str) -> None:
        """Set ``path`` (one part per key: a header name may hold dots) from ``where``."""
        if where in self.skip:
            return
        node = self.values
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        self.locations[".".join(path)] = where

    def unsupported(self, where: str, what: str) -> None:
        self.warnings.append(f"{where}: {what} is not represented by these settings; ignored")

    def fields(self, obj: Any, where: str, known: Collection[str]) -> dict[str, Any]:
        """The fields of ``obj`` that hold a value; every one outside ``known`` is reported."""
        found = _set(obj)
        for name in [n for n in found if n not in known]:
            self.unsupported(f"{where}.{name}" if where else name, f"`{name}`")
            del found[name]
        return found

    def one(self, obj: Any, where: str, what: str, ok: Collection[str]) -> tuple[str, Any] | None:
        """``(kind, body)`` of the one kind a processor, reader or exporter sets, if ``ok``."""
        kinds = _set(obj)
        if len(kinds) == 1 and (name := next(iter(kinds))) in ok:
            return name, kinds[name]
        self.unsupported(where, f"the {what} `{', '.join(kinds) or 'none'}`")
        return None

    def pairs(self, fields: dict[str, Any], where: str, name: str) -> dict[str, tuple[Any, str]]:
        """Name → ``(value, location)`` of ``<name>_list`` (``k=v,…``) and then ``<name>``
        (which win, as the specification says): resource attributes or headers."""
        found: dict[str, tuple[Any, str]] = {}
        if f"{name}_list" in fields:
            spot = f"{where}.{name}_list"
            pairs, problems = parse_pairs(fields[f"{name}_list"], headers=name == "headers")
            self.warnings.extend(f"{spot}: {m}; ignored" for m in problems)
            found = {key: (value, spot) for key, value in pairs.items()}
        for index, pair in enumerate(fields.get(name) or ()):
            spot = f"{where}.{name}[{index}]"
            if pair.value is None:
                self.warnings.append(
                    f"{spot}: `{pair.name}` has no value (an unset ${{VAR}}?); ignored"
                )
            else:
                found[pair.name] = (pair.value, f"{spot}.value")
        return found


def _set(obj: Any) -> dict[str, Any]:
    """The dataclass fields of ``obj`` that hold a value (``None`` means unset), then the names
    the schema lets a file add (``additional_properties``: never ours, so always reported)."""
    if not dataclasses.is_dataclass(obj):
        return {}
    found = {f.name: v for f in dataclasses.fields(obj) if (v := getattr(obj, f.name)) is not None}
    return {**found, **(getattr(obj, "additional_properties", None) or {})}


def map_config(config: Any, skip: frozenset[str] = frozenset()) -> Mapped:
    """Our raw values for the parsed ``OpenTelemetryConfiguration`` ``config``; a value whose
    location is in ``skip`` (an unset ``${VAR}``) is left to the layers below."""
    out = Mapped(skip)
    top = out.fields(config, "", _TOP)
    if "disabled" in top:
        out.put("disabled", bool(top["disabled"]), "sdk_disabled")
    _resource(top.get("resource"), out)
    for signal, provider in PROVIDERS.items():
        key = SIGNAL_KEYS[signal]
        if provider.section not in top:
            out.put(f"{provider.section} (absent: not exported)", "none", key)
            continue
        found = out.fields(top[provider.section], provider.section, {provider.entries})
        entries = found.get(provider.entries) or ()
        where = f"{provider.section}.{provider.entries}"
        chosen = False
        for index, entry in enumerate(entries):
            if chosen:
                out.unsupported(f"{where}[{index}]", "a second processor or reader for one signal")
            else:
                chosen = _entry(entry, f"{where}[{index}]", key, provider, out)
        if not chosen:
            out.put(where, "none", key)
    return out


def _resource(resource: Any, out: Mapped) -> None:
    fields = out.fields(resource, "resource", {"attributes", "attributes_list"})
    for name, (value, where) in out.pairs(fields, "resource", "attributes").items():
        if isinstance(value, list | tuple) or dataclasses.is_dataclass(value):
            out.unsupported(where, f"the array value of `{name}`")
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        path = (RESOURCE_KEYS[name],) if name in RESOURCE_KEYS else ("resource_attributes", name)
        out.put(where, text, *path)


def _entry(entry: Any, where: str, key: str, provider: Provider, out: Mapped) -> bool:
    """Map one processor (or reader); ``True`` when it set the signal's exporter."""
    reader = provider.entries == "readers"
    allowed = {provider.entry} if reader else {provider.entry, "simple"}
    chosen = out.one(entry, where, "metric reader" if reader else "processor", allowed)
    if chosen is None:
        return False
    kind, body = chosen
    where = f"{where}.{kind}"
    if not _exporter(body.exporter, f"{where}.exporter", key, out):
        return False
    if kind == "simple":
        out.warnings.append(
            f"{where}: a simple processor is represented as a batch processor (this package "
            "always batches)"
        )
    tunings = out.fields(body, where, {"exporter", *provider.tunings})
    for name, value in tunings.items():
        if name != "exporter":
            out.put(f"{where}.{name}", value, "processors", provider.tunings[name])
    return True


def _exporter(exporter: Any, where: str, key: str, out: Mapped) -> bool:
    chosen = out.one(exporter, where, "exporter", EXPORTERS)
    if chosen is None:
        return False
    kind, body = chosen
    ours, where = EXPORTERS[kind], f"{where}.{kind}"
    fields = out.fields(body, where, _OTLP_FIELDS if ours != "console" else set())
    out.put(where, "console" if ours == "console" else {ours: {}}, key)
    for name, value in fields.items():
        spot = f"{where}.{name}"
        if name in ("endpoint", "compression"):
            out.put(spot, value, key, ours, name)
        elif name == "encoding":
            encoding = str(getattr(value, "value", value))
            out.put(spot, ENCODINGS.get(encoding, encoding), key, ours, "protocol")
        elif name == "timeout":
            out.put(spot, value / 1000, key, ours, "timeout")
        elif name == "tls":
            tls = out.fields(value, spot, {*TLS_FIELDS, "insecure"})
            for theirs, path in tls.items():
                if theirs in TLS_FIELDS:
                    out.put(f"{spot}.{theirs}", path, key, ours, "tls", TLS_FIELDS[theirs])
                elif path:
                    out.warnings.append(
                        f"{spot}.insecure: the endpoint's scheme decides TLS here "
                        "(http:// plaintext, https:// TLS); insecure is ignored"
                    )
    for name, (value, spot) in out.pairs(fields, where, "headers").items():
        out.put(spot, value, key, ours, "headers", name.lower())
    return True
