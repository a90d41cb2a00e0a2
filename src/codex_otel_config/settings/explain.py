"""The resolved settings as rows of (key, masked value, source): what ``show`` prints.

Pure and presentation-free, so the CLI and the TUI render the same facts. Every secret is masked
here (all header values, the Statsig key, any ``user:password@`` in a URL), so a caller cannot
forget to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codex_otel_config.redaction import mask, mask_url
from codex_otel_config.settings import schema
from codex_otel_config.settings.model import (
    DEFAULT_SOURCE,
    EXPORTER_FIELD,
    SIGNALS,
    STATSIG_API_KEY_HEADER,
    Console,
    NoExporter,
    OtelSettings,
    OtlpHttp,
    Signal,
    Source,
    Statsig,
)


@dataclass(frozen=True)
class Row:
    """One line of ``show``: ``key`` is dotted (``traces.endpoint``), ``value`` is masked."""

    key: str
    value: Any
    source: Source
    note: str | None = None

    def explain(self) -> str:
        text = self.source.describe()
        return f"{text}; {self.note}" if self.note else text


def rows(settings: OtelSettings) -> list[Row]:
    """Every resolved value as the schema declares it (single values, then tables, then
    processor tunings), then each signal's exporter as built."""
    out: list[Row] = []
    for param in sorted(schema.SETTINGS, key=lambda p: (p.type == "table", "." in p.key)):
        key, _, processor = param.key.partition(".")
        if param.type == "exporter":
            continue
        if processor:
            if (value := getattr(settings.processors, processor)) is not None:
                out.append(Row(param.key, value, settings.source_of(param.key)))
        elif param.type == "table":
            for name, value in sorted(getattr(settings, key).items()):
                out.append(Row(f"{key}.{name}", value, settings.source_of(f"{key}.{name}")))
        else:
            value = getattr(settings, key)
            out.append(
                Row(key, str(value) if param.type == "path" else value, settings.source_of(key))
            )
    for signal in SIGNALS:
        out += signal_rows(settings, signal)
    return out


def signal_rows(settings: OtelSettings, signal: Signal) -> list[Row]:
    """The exporter of one signal as it will be built, each field (as the schema declares the
    fields of the kind that is built) with its source."""
    key, head = EXPORTER_FIELD[signal], f"{signal}.exporter"
    configured = settings.configured_exporter(signal)
    resolved = settings.exporter_for(signal)
    if isinstance(resolved, NoExporter):
        if settings.sdk_disabled and not isinstance(configured, NoExporter):
            why = f"sdk_disabled; configured: {configured.kind}"
            return [Row(head, "none", settings.source_of("sdk_disabled"), why)]
        return [Row(head, "none", settings.source_of(key))]
    if isinstance(resolved, Console):
        return [Row(head, "console", settings.source_of(key), "SDK console, stderr")]
    kind = configured.kind

    def src(field: str) -> Source:
        # A field no layer set is the kind's built-in default (not its parent's layer).
        return settings.provenance.get(f"{key}.{kind}.{field}", DEFAULT_SOURCE)

    # Statsig is built as OTLP/HTTP JSON: its protocol is the shorthand's, its key a header.
    statsig = isinstance(configured, Statsig)
    shorthand = "statsig shorthand: OTLP/HTTP JSON" if statsig else None
    out = [Row(head, resolved.kind, settings.source_of(key), shorthand)]
    for param in schema.EXPORTER_FIELDS:
        owner, _, field = param.key.partition(".")
        value = _attribute(resolved, field)
        if owner != resolved.kind or value is None or (statsig and field.startswith("tls.")):
            continue
        name = f"{signal}.{field}"
        if param.type == "table":  # headers: every value is a secret
            for header, text in sorted(value.items()):
                origin = "api_key" if statsig and header == STATSIG_API_KEY_HEADER else None
                out.append(Row(f"{name}.{header}", mask(text), src(origin or f"{field}.{header}")))
        elif field == "endpoint":
            appended = isinstance(configured, OtlpHttp) and value != configured.endpoint
            note = f"/v1/{signal} appended" if appended else None
            out.append(Row(name, mask_url(value), src(field), note))
        else:
            source = settings.source_of(key) if statsig and field == "protocol" else src(field)
            out.append(Row(name, str(value) if param.type == "path" else value, source))
    return out


def _attribute(exporter: object, field: str) -> Any:
    """The value of a schema field (``tls.ca-certificate``) on a built exporter, or ``None``."""
    value: Any = exporter
    for part in field.split("."):
        value = getattr(value, part.replace("-", "_"), None)
    return value


def report(settings: OtelSettings, *, explain: bool = False) -> dict[str, Any]:
    """A JSON-ready, masked document of the resolved settings (``show --json``): the rows,
    tables (``headers``, ``tls``, ``processors``, ``resource_attributes``) nested once."""
    doc: dict[str, Any] = {"settings": {}, "signals": {s: {} for s in SIGNALS}}
    sources: dict[str, str] = {}
    for row in rows(settings):
        head, _, rest = row.key.partition(".")
        target, dotted = (
            (doc["signals"][head], rest) if head in SIGNALS else (doc["settings"], row.key)
        )
        table, sep, name = dotted.partition(".")
        if sep and table in ("resource_attributes", "processors", "headers", "tls"):
            target.setdefault(table, {})[name] = row.value
        else:
            target[dotted] = row.value
        sources[row.key] = row.explain()
    doc["warnings"] = list(settings.warnings)
    if explain:
        doc["sources"] = sources
    return doc
