"""The resolved settings as rows of (key, masked value, source): what ``show`` prints.

Pure and presentation-free, so the CLI and the TUI render the same facts. Every secret is masked
here (all header values, the Statsig key, any ``user:password@`` in a URL), so a caller cannot
forget to.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

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
from codex_otel_config.settings.redact import mask, mask_url
from codex_otel_config.settings.schema import TLS_KEY_OF

_GENERAL = (
    "environment",
    "service_name",
    "service_version",
    "codex_home",
    "log_user_prompt",
    "runtime_metrics",
    "sdk_disabled",
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


def safe_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``****@``."""
    return mask_url(url)


def rows(settings: OtelSettings) -> list[Row]:
    """Every resolved value, general settings first, then each signal's exporter as built."""
    out: list[Row] = []
    for key in _GENERAL:
        value = getattr(settings, key)
        out.append(Row(key, str(value) if key == "codex_home" else value, settings.source_of(key)))
    for name, value in sorted(settings.resource_attributes.items()):
        out.append(
            Row(
                f"resource_attributes.{name}",
                value,
                settings.source_of(f"resource_attributes.{name}"),
            )
        )
    for f in fields(settings.processors):
        value = getattr(settings.processors, f.name)
        if value is not None:
            out.append(
                Row(f"processors.{f.name}", value, settings.source_of(f"processors.{f.name}"))
            )
    for signal in SIGNALS:
        out += signal_rows(settings, signal)
    return out


def signal_rows(settings: OtelSettings, signal: Signal) -> list[Row]:
    """The exporter of one signal as it will be built, each field with its source."""
    key = EXPORTER_FIELD[signal]
    configured = settings.configured_exporter(signal)
    resolved = settings.exporter_for(signal)
    if isinstance(resolved, NoExporter):
        if settings.sdk_disabled and not isinstance(configured, NoExporter):
            return [
                Row(
                    f"{signal}.exporter",
                    "none",
                    settings.source_of("sdk_disabled"),
                    f"sdk_disabled; configured: {configured.kind}",
                )
            ]
        return [Row(f"{signal}.exporter", "none", settings.source_of(key))]
    if isinstance(resolved, Console):
        return [
            Row(f"{signal}.exporter", "console", settings.source_of(key), "SDK console, stderr")
        ]
    kind = configured.kind

    def src(field: str) -> Source:
        # A field no layer set is the kind's built-in default (not its parent's layer).
        return settings.provenance.get(f"{key}.{kind}.{field}", DEFAULT_SOURCE)

    statsig = isinstance(configured, Statsig)
    out = [
        Row(
            f"{signal}.exporter",
            resolved.kind,
            settings.source_of(key),
            "statsig shorthand: OTLP/HTTP JSON" if statsig else None,
        )
    ]
    note = None
    if isinstance(configured, OtlpHttp) and resolved.endpoint != configured.endpoint:
        note = f"/v1/{signal} appended"
    out.append(Row(f"{signal}.endpoint", safe_url(resolved.endpoint), src("endpoint"), note))
    if isinstance(resolved, OtlpHttp):
        out.append(
            Row(
                f"{signal}.protocol",
                resolved.protocol,
                settings.source_of(key) if statsig else src("protocol"),
            )
        )
    for name, value in sorted(resolved.headers.items()):
        field = "api_key" if statsig and name == STATSIG_API_KEY_HEADER else f"headers.{name}"
        out.append(Row(f"{signal}.headers.{name}", mask(value), src(field)))
    tls = None if statsig else getattr(resolved, "tls", None)
    if tls is not None:
        for attr, name in TLS_KEY_OF.items():
            if (path := getattr(tls, attr)) is not None:
                out.append(Row(f"{signal}.tls.{name}", str(path), src(f"tls.{name}")))
    out.append(Row(f"{signal}.timeout", resolved.timeout, src("timeout")))
    out.append(Row(f"{signal}.compression", resolved.compression, src("compression")))
    return out


def report(settings: OtelSettings, *, explain: bool = False) -> dict[str, Any]:
    """A JSON-ready, masked document of the resolved settings (``show --json``)."""
    doc: dict[str, Any] = {"settings": {}, "signals": {s: {} for s in SIGNALS}}
    sources: dict[str, str] = {}
    for row in rows(settings):
        head, _, rest = row.key.partition(".")
        if head in SIGNALS:
            _put(doc["signals"][head], rest, row.value)
        else:
            _put(doc["settings"], row.key, row.value)
        sources[row.key] = row.explain()
    doc["warnings"] = list(settings.warnings)
    if explain:
        doc["sources"] = sources
    return doc


def _put(target: dict[str, Any], dotted: str, value: Any) -> None:
    head, sep, rest = dotted.partition(".")
    if head in ("resource_attributes", "processors", "headers", "tls") and sep:
        target.setdefault(head, {})[rest] = value
    else:
        target[dotted] = value
