"""What one signal of one environment will export to, and how to name its settings in hints.

A :class:`Target` bundles the resolved exporter with the settings it came from, so every
stage can say *which* setting to fix and *which layer* set it
(``exporter.otlp-http.headers (set by env OTEL_EXPORTER_OTLP_HEADERS)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from codex_otel_config.redaction import MASK
from codex_otel_config.settings.model import (
    EXPORTER_FIELD,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Signal,
    Source,
    Statsig,
)
from codex_otel_config.settings.schema import TLS_KEY_OF

#: The note of a value a signal inherits from another exporter field (settings loader).
_INHERITED = re.compile(r"inherited from (?P<field>[\w.-]+): (?P<where>.+)", re.DOTALL)


def layer_words(source: Source) -> str:
    """Which layer set a value, in words: ``set by env OTEL_…``, or for an inherited value
    ``inherited from `exporter`, set in otel.toml [default]`` (never "set by derived")."""
    match = _INHERITED.fullmatch(source.note or "") if source.layer == "derived" else None
    if match:
        return f"inherited from `{match['field']}`, set in {match['where']}"
    where = source.describe()
    return "derived from other settings" if where == "derived" else f"set by {where}"


#: TLS keys as written in settings files (``Tls`` attribute → key; declared in the schema).
TLS_KEYS = TLS_KEY_OF


def display_url(url: str) -> str:
    """A URL safe to print: user info and query values masked (they may hold credentials)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        query = urlencode([(k, MASK) for k, _ in parse_qsl(query, keep_blank_values=True)])
    return urlunsplit(parts._replace(netloc=netloc, query=query))


@dataclass(frozen=True)
class Target:
    """One (environment, signal) pair with an OTLP exporter to check."""

    environment: str
    signal: Signal
    exporter: OtlpHttp | OtlpGrpc
    settings: OtelSettings

    @property
    def field(self) -> str:
        """``exporter``, ``trace_exporter`` or ``metrics_exporter``."""
        return EXPORTER_FIELD[self.signal]

    @property
    def is_statsig(self) -> bool:
        return isinstance(self.settings.configured_exporter(self.signal), Statsig)

    @property
    def kind(self) -> str:
        """The configured kind: ``otlp-http``, ``otlp-grpc`` or ``statsig``."""
        return self.settings.configured_exporter(self.signal).kind

    @property
    def protocol(self) -> str:
        """The OTLP protocol in ``OTEL_EXPORTER_OTLP_PROTOCOL`` spelling."""
        if isinstance(self.exporter, OtlpGrpc):
            return "grpc"
        return "http/json" if self.exporter.protocol == "json" else "http/protobuf"

    @property
    def endpoint(self) -> str:
        """The endpoint as it will be sent to, safe to print."""
        return display_url(self.exporter.endpoint)

    def setting(self, name: str) -> str:
        """The dotted key of ``name`` (``headers``, ``endpoint``, ``tls.ca-certificate``)."""
        if self.is_statsig:
            if name == "headers":
                return f"{self.field}.statsig.api_key"
            return f"{self.field}.statsig.{name}"
        return f"{self.field}.{self.kind}.{name}"

    def where(self, name: str) -> str:
        """``exporter.otlp-http.headers (set by env OTEL_EXPORTER_OTLP_HEADERS)``."""
        key = self.setting(name)
        return f"`{key}` ({layer_words(self.settings.source_of(key))})"

    def secrets(self) -> list[str]:
        """Every value that must never be printed: header values (and the Statsig key)."""
        found = [v.reveal() for v in self.exporter.headers.values() if v]
        configured = self.settings.configured_exporter(self.signal)
        if isinstance(configured, Statsig) and configured.api_key:
            found.append(configured.api_key.reveal())
        return found


def targets_of(settings: OtelSettings, signals: tuple[Signal, ...]) -> list[Target]:
    """The OTLP targets among ``signals`` (signals exported nowhere are left out)."""
    found = []
    for signal in signals:
        exporter = settings.exporter_for(signal)
        if isinstance(exporter, OtlpHttp | OtlpGrpc):
            found.append(Target(settings.environment, signal, exporter, settings))
    return found


def settings_secrets(settings: OtelSettings) -> list[str]:
    """Every secret any signal of ``settings`` carries (header values, Statsig keys)."""
    from codex_otel_config.settings.model import SIGNALS

    found: list[str] = []
    for signal in SIGNALS:
        configured = settings.configured_exporter(signal)
        if isinstance(configured, OtlpHttp | OtlpGrpc):
            found += [v.reveal() for v in configured.headers.values() if v]
        elif isinstance(configured, Statsig) and configured.api_key:
            found.append(configured.api_key.reveal())
    return found
