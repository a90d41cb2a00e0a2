"""The OpenTelemetry declarative configuration (``OTEL_CONFIG_FILE``) mapped onto our keys.

Pure: :func:`map_config` takes the model ``opentelemetry-configuration`` parsed (and validated)
and returns the raw layer values our normalizer reads, the location in the file of each value
(``tracer_provider.processors[0].batch.exporter.otlp_http.endpoint``) and a warning for every
element our model cannot represent (a second exporter for one signal, samplers, views,
propagators, limits …), so nothing is dropped silently. No import of the package happens here:
the model is walked by attribute name.

The file is authoritative (the specification): a provider it leaves out means that signal is
not exported (``none``), whatever the layers below say.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from codex_otel_config.settings._normalize import parse_pairs

#: Our exporter key of each provider section, the processor list's name and the prefix of the
#: batch tunings it maps onto (``None``: metrics have a reader, not a batch processor).
PROVIDERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("logger_provider", "processors", "exporter", "blrp"),
    ("tracer_provider", "processors", "trace_exporter", "bsp"),
    ("meter_provider", "readers", "metrics_exporter", None),
)
#: Batch processor field of the file → our tuning (after the ``bsp_`` / ``blrp_`` prefix).
BATCH_FIELDS: dict[str, str] = {
    "schedule_delay": "schedule_delay_ms",
    "export_timeout": "export_timeout_ms",
    "max_queue_size": "max_queue_size",
    "max_export_batch_size": "max_export_batch_size",
}
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
#: Top-level sections we map (anything else set in the file is reported).
_MAPPED_TOP = frozenset(
    {"file_format", "disabled", "resource", *(p for p, *_ in PROVIDERS), "additional_properties"}
)
#: Exporter fields we map; any other field set is reported.
_EXPORTER_FIELDS = frozenset(
    {"endpoint", "headers", "headers_list", "compression", "timeout", "encoding", "tls"}
)


@dataclass(frozen=True)
class Mapped:
    """Raw layer values (settings-file shape), the file location of each dotted key, warnings."""

    values: dict[str, Any]
    locations: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass
class _Out:
    values: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def put(self, dotted: str, value: Any, location: str) -> None:
        node = self.values
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
        self.locations[dotted] = location

    def unsupported(self, location: str, what: str) -> None:
        self.warnings.append(f"{location}: {what} is not represented by these settings; ignored")


def map_config(config: Any) -> Mapped:
    """Our raw values for the parsed ``OpenTelemetryConfiguration`` ``config``."""
    out = _Out()
    for name, _value in _set_fields(config):
        if name not in _MAPPED_TOP:
            out.unsupported(name, f"`{name}`")
    for name in sorted(getattr(config, "additional_properties", {}) or {}):
        out.unsupported(name, f"`{name}`")
    if getattr(config, "disabled", None) is not None:
        out.put("sdk_disabled", bool(config.disabled), "disabled")
    _resource(getattr(config, "resource", None), out)
    for section, list_name, key, prefix in PROVIDERS:
        provider = getattr(config, section, None)
        if provider is None:
            out.put(key, "none", f"{section} (absent: not exported)")
            continue
        _provider(provider, section, list_name, key, prefix, out)
    return Mapped(out.values, out.locations, tuple(out.warnings))


def _set_fields(obj: Any) -> list[tuple[str, Any]]:
    """The dataclass fields of ``obj`` that hold a value (``None`` means unset)."""
    if not dataclasses.is_dataclass(obj):
        return []
    return [(f.name, v) for f in dataclasses.fields(obj) if (v := getattr(obj, f.name)) is not None]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _resource(resource: Any, out: _Out) -> None:
    if resource is None:
        return
    for name, _value in _set_fields(resource):
        if name not in ("attributes", "attributes_list"):
            out.unsupported(f"resource.{name}", f"`resource.{name}`")
    values: dict[str, tuple[str, str]] = {}
    if resource.attributes_list:
        pairs, problems = parse_pairs(resource.attributes_list, headers=False)
        for message in problems:
            out.warnings.append(f"resource.attributes_list: {message}; ignored")
        for name, text in pairs.items():
            values[name] = (text, "resource.attributes_list")
    for index, attribute in enumerate(resource.attributes or ()):
        where = f"resource.attributes[{index}]"
        value = attribute.value
        if value is None:
            out.warnings.append(f"{where}: `{attribute.name}` has no value (an unset ${{VAR}}?)")
            continue
        if isinstance(value, list | tuple) or dataclasses.is_dataclass(value):
            out.unsupported(where, f"the array value of `{attribute.name}`")
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        values[attribute.name] = (text, f"{where}.value")
    for name, (text, where) in values.items():
        key = RESOURCE_KEYS.get(name)
        if key is not None:
            out.put(key, text, where)
        else:
            out.values.setdefault("resource_attributes", {})[name] = text
            out.locations[f"resource_attributes.{name}"] = where


def _provider(
    provider: Any, section: str, list_name: str, key: str, prefix: str | None, out: _Out
) -> None:
    for name, _value in _set_fields(provider):
        if name != list_name:
            out.unsupported(f"{section}.{name}", f"`{section}.{name}`")
    chosen = False
    for index, entry in enumerate(getattr(provider, list_name) or ()):
        where = f"{section}.{list_name}[{index}]"
        if chosen:
            out.unsupported(where, "a second processor or reader for one signal")
            continue
        chosen = _entry(entry, where, key, prefix, out)
    if not chosen:
        out.put(key, "none", f"{section}.{list_name}")


def _entry(entry: Any, where: str, key: str, prefix: str | None, out: _Out) -> bool:
    """Map one processor (or reader); ``True`` when it set the signal's exporter."""
    kinds = _set_fields(entry)
    extra = sorted(getattr(entry, "additional_properties", {}) or {})
    if not kinds or extra:
        out.unsupported(where, f"the processor `{(extra or ['?'])[0]}`")
        return False
    kind, body = kinds[0]
    where = f"{where}.{kind}"
    if prefix is None and kind != "periodic":
        out.unsupported(where, f"a `{kind}` metric reader")
        return False
    if prefix is not None and kind not in ("batch", "simple"):
        out.unsupported(where, f"the processor `{kind}`")
        return False
    if not _exporter(body.exporter, f"{where}.exporter", key, out):
        return False
    if kind == "simple":
        out.warnings.append(
            f"{where}: a simple processor is represented as a batch processor (this package "
            "always batches)"
        )
    for name, value in _set_fields(body):
        spot = f"{where}.{name}"
        if name == "exporter":
            continue
        if prefix is not None and name in BATCH_FIELDS:
            out.put(f"processors.{prefix}_{BATCH_FIELDS[name]}", value, spot)
        elif prefix is None and name == "interval":
            out.put("processors.metric_export_interval_ms", value, spot)
        else:
            out.unsupported(spot, f"`{name}`")
    return True


def _exporter(exporter: Any, where: str, key: str, out: _Out) -> bool:
    kinds = _set_fields(exporter)
    extra = sorted(getattr(exporter, "additional_properties", {}) or {})
    if len(kinds) + len(extra) != 1 or extra or kinds[0][0] not in _OURS:
        named = ", ".join([k for k, _ in kinds] + extra) or "none"
        out.unsupported(where, f"the exporter `{named}`")
        return False
    kind, body = kinds[0]
    ours = _OURS[kind]
    where = f"{where}.{kind}"
    if ours == "console":
        out.put(key, "console", where)
        for name, _value in _set_fields(body):
            out.unsupported(f"{where}.{name}", f"`{name}`")
        return True
    base = f"{key}.{ours}"
    fields_set = dict(_set_fields(body))
    out.locations[key] = where
    out.values[key] = {ours: {}}
    for name in sorted(set(fields_set) - _EXPORTER_FIELDS):
        out.unsupported(f"{where}.{name}", f"`{name}`")
    if "endpoint" in fields_set:
        out.put(f"{base}.endpoint", fields_set["endpoint"], f"{where}.endpoint")
    if "encoding" in fields_set:
        encoding = str(_plain(fields_set["encoding"]))
        out.put(f"{base}.protocol", ENCODINGS.get(encoding, encoding), f"{where}.encoding")
    if "compression" in fields_set:
        out.put(f"{base}.compression", fields_set["compression"], f"{where}.compression")
    if "timeout" in fields_set:
        out.put(f"{base}.timeout", fields_set["timeout"] / 1000, f"{where}.timeout")
    _headers(fields_set, where, base, out)
    tls = fields_set.get("tls")
    for name, value in _set_fields(tls):
        if name in TLS_FIELDS:
            out.put(f"{base}.tls.{TLS_FIELDS[name]}", value, f"{where}.tls.{name}")
        elif name == "insecure":
            if value:
                out.warnings.append(
                    f"{where}.tls.insecure: the endpoint's scheme decides TLS here "
                    "(http:// plaintext, https:// TLS); insecure is ignored"
                )
        else:
            out.unsupported(f"{where}.tls.{name}", f"`tls.{name}`")
    return True


_OURS: dict[str, str] = {"otlp_http": "otlp-http", "otlp_grpc": "otlp-grpc", "console": "console"}


def _headers(fields_set: dict[str, Any], where: str, base: str, out: _Out) -> None:
    """``headers_list`` first, then ``headers`` (which win, as the specification says)."""
    if "headers_list" in fields_set:
        pairs, problems = parse_pairs(fields_set["headers_list"], headers=True)
        for message in problems:
            out.warnings.append(f"{where}.headers_list: {message}; ignored")
        for name, value in pairs.items():
            _header(out, base, name, value, f"{where}.headers_list")
    for index, pair in enumerate(fields_set.get("headers") or ()):
        if pair.value is None:
            out.warnings.append(f"{where}.headers[{index}]: `{pair.name}` has no value; ignored")
            continue
        _header(out, base, pair.name, pair.value, f"{where}.headers[{index}]")


def _header(out: _Out, base: str, name: str, value: str, location: str) -> None:
    """A header name may hold dots: it is one key under ``headers``, never a path."""
    kind_key, kind = base.split(".")
    out.values[kind_key][kind].setdefault("headers", {})[name.lower()] = value
    out.locations[f"{base}.headers.{name.lower()}"] = location
