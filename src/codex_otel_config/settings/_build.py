"""Turn the merged canonical tree into the frozen :class:`OtelSettings`.

Checks that need the whole picture live here (they can only be judged once every layer has
spoken): an endpoint is present and well formed, a TLS block sits on an ``https://`` endpoint,
client certificate and key come together, certificate files exist, Statsig has a key. Each
problem names the layer that set the offending value, found through the provenance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from codex_otel_config.errors import Problem
from codex_otel_config.redaction import mask_url, register_url
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings.model import (
    DEFAULT_SOURCE,
    STATSIG_KEY_VARIABLE,
    Console,
    Exporter,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    ProcessorSettings,
    Source,
    Statsig,
    Tls,
    source_in,
)

_SIGNAL_OF = {key: signal for signal, key in schema.SIGNAL_KEYS.items()}


@dataclass
class Builder:
    """Builds the model from ``merged`` and ``provenance``, collecting problems and warnings."""

    merged: Mapping[str, Any]
    provenance: dict[str, Source]
    environ: Mapping[str, str]
    _: KW_ONLY
    lenient: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def source_of(self, key: str) -> Source:
        return source_in(self.provenance, key)

    def problem(self, key: str, message: str, *, layer_key: str | None = None) -> None:
        layer = self.source_of(layer_key or key).describe()
        self.problems.append(Problem(key=key, layer=layer, message=message))

    def build(self, *, codex_home: Path, warnings: list[str]) -> OtelSettings:
        m = self.merged
        exporters: dict[str, Any] = {k: self.exporter(k, m.get(k)) for k in schema.EXPORTER_KEYS}
        # An inherited trace exporter repeats the logs exporter's problems: say them once.
        seen = {p.key for p in self.problems}
        self.problems = [
            p
            for p in self.problems
            if not (
                p.key.startswith("trace_exporter.")
                and p.key.removeprefix("trace_") in seen
                and self.source_of(p.key).layer == "derived"
            )
        ]
        processors = ProcessorSettings(**dict(m.get("processors", {})))
        found = processors.problems()
        for key, message in found:
            # A tuning left at the SDK default can only be wrong because of another one of its
            # processor that a layer set (a queue smaller than the default batch): name that.
            p = _processor(key)  # bsp, blrp or metric
            # The key, else the queue size it is compared with, else any tuning a layer set.
            queue = f"processors.{p}_max_queue_size"
            keys = [
                key,
                queue,
                *(f"processors.{n}" for n in schema.PROCESSOR_KEYS if _processor(n) == p),
            ]
            layer_key = next((k for k in keys if self.source_of(k).layer != "default"), key)
            self.problem(key, message, layer_key=layer_key)
        if found and self.lenient:
            # Ignore every tuning of a processor the SDK would refuse: its defaults stand.
            refused = {_processor(key) for key, _ in found}
            names = [n for n in schema.PROCESSOR_KEYS if _processor(n) in refused]
            processors = replace(processors, **dict.fromkeys(names))
            for name in names:
                self.provenance[f"processors.{name}"] = DEFAULT_SOURCE
        # The single values as the schema declares them (already checked by each layer).
        values = {
            p.key: m[p.key]
            for p in schema.SETTINGS
            if p.key in m and "." not in p.key and p.type not in ("exporter", "path")
        }
        return OtelSettings(
            **values,
            **exporters,
            codex_home=codex_home,
            processors=processors,
            provenance=self.provenance,
            warnings=tuple(dict.fromkeys([*warnings, *self.warnings])),
        )

    def exporter(self, key: str, value: Any) -> Exporter:
        ((kind, fields),) = (value or {"none": {}}).items()
        prefix = f"{key}.{kind}"
        if kind in ("none", "console"):
            return Console() if kind == "console" else NoExporter()
        if kind == "statsig":
            return self.statsig(key, prefix, fields)
        endpoint = fields.get("endpoint")
        if bad := _endpoint_problem(kind, endpoint):
            # A missing endpoint is the fault of the layer that chose the kind.
            self.problem(f"{prefix}.endpoint", bad, layer_key=prefix if endpoint is None else None)
        tls = self.tls(prefix, endpoint, fields.get("tls")) if endpoint is not None else None
        if bad or tls is False:
            return NoExporter()
        values = {**fields, "tls": tls}
        return OtlpHttp(**values) if kind == "otlp-http" else OtlpGrpc(**values)

    def tls(self, prefix: str, endpoint: str, block: Any) -> Tls | bool | None:
        """The ``Tls`` value, ``None`` without a block, ``False`` when it is invalid."""
        block = {name: Path(path) for name, path in (block or {}).items() if path is not None}
        if not block:
            return None
        key, before = f"{prefix}.tls", len(self.problems)
        if urlsplit(endpoint).scheme == "http":
            sources = [self.source_of(f"{key}.{name}") for name in block]
            if all(source.layer == "otel-env" for source in sources):
                # The spec's rule for a variable that does not apply: warn, and go on without it.
                self.warnings.append(
                    f"{', '.join(sorted({s.variable for s in sources if s.variable}))} not used: "
                    "the endpoint it would secure is plain http:// (TLS needs https://)"
                )
                return None
            where = self.source_of(f"{prefix}.endpoint").describe()
            self.problem(
                key,
                f"a TLS block needs an https:// endpoint, but the endpoint is "
                f"{_safe_url(endpoint)} (set in {where}); use https:// or remove the "
                "tls block",
                layer_key=f"{key}.{next(iter(block))}",
            )
        given, missing = "client-certificate", "client-private-key"
        if (given in block) != (missing in block):
            if missing in block:
                given, missing = missing, given
            self.problem(
                f"{key}.{missing}",
                f"is missing: {given} and {missing} must be given together for mTLS",
                layer_key=f"{key}.{given}",
            )
        for name in schema.TLS_KEYS:
            if name in block and not _files.is_regular(path := block[name]):
                what = "is not a file" if _files.exists(path) else "file not found"
                self.problem(f"{key}.{name}", f"{what}: {path}")
        if len(self.problems) > before:
            return False
        return Tls(**{attr: block.get(key) for key, attr, _ in schema.TLS_FIELDS})

    def statsig(self, key: str, prefix: str, fields: Mapping[str, Any]) -> Exporter:
        api_key = fields.get("api_key")
        if not api_key and (api_key := (self.environ.get(STATSIG_KEY_VARIABLE) or "").strip()):
            self.provenance[f"{prefix}.api_key"] = Source("derived", variable=STATSIG_KEY_VARIABLE)
        if not api_key:
            self.problem(
                f"{prefix}.api_key",
                "Statsig needs a server key: set api_key in the "
                f'statsig table ({key} = {{ statsig = {{ api_key = "secret-…" }} }}) '
                f"or the variable {STATSIG_KEY_VARIABLE}",
                layer_key=key,
            )
            return NoExporter()
        if key != "metrics_exporter":
            self.warnings.append(
                f"{key} is statsig: Statsig is meant for metrics; {_SIGNAL_OF[key]} will be "
                "sent to its OTLP intake anyway"
            )
        if not api_key.startswith("secret-"):
            self.warnings.append(
                f'{prefix}.api_key does not start with "secret-": Statsig server keys do '
                "(a client key will be rejected)"
            )
        return Statsig(**{**fields, "api_key": api_key})


def _processor(name: str) -> str:
    """The processor of a tuning: ``bsp``, ``blrp`` or ``metric`` (``processors.`` optional)."""
    return name.removeprefix("processors.").split("_", 1)[0]


def _endpoint_problem(kind: str, endpoint: str | None) -> str | None:
    """Why ``endpoint`` cannot be an OTLP collector URL of ``kind``, or ``None``."""
    if endpoint is None:
        return (
            f"is required: {kind} needs the collector URL "
            '(e.g. endpoint = "https://collector.example.com:4318")'
        )
    try:
        parts = urlsplit(endpoint)
        host, port = parts.hostname, parts.port  # the port raises ValueError when bad
    except ValueError as exc:
        return f"{_safe_url(endpoint)} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not host:
        return (
            f"{_safe_url(endpoint)} is not a URL; expected http://host:port "
            "(no TLS) or https://host:port (TLS)"
        )
    if not _valid_host(host, bracketed="[" in parts.netloc):
        return f"{_safe_url(endpoint)} does not name a valid host"
    if port == 0:
        return f"{_safe_url(endpoint)}: port 0 is not a port; expected 1-65535"
    if kind == "otlp-grpc" and parts.path not in ("", "/"):
        return (
            f'gRPC endpoints take no path; found "{parts.path}" (write '
            f"{parts.scheme}://{parts.netloc})"
        )
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    return None


def _valid_host(host: str, *, bracketed: bool) -> bool:
    """An IPv6 literal in brackets, else a DNS name or IPv4 address (letters, digits, ``-``,
    ``_``, dots between labels of at most 63)."""
    if not bracketed:
        return re.fullmatch(r"[\w-]{1,63}(\.[\w-]{1,63})*\.?", host) is not None
    import ipaddress  # only for a bracketed host

    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _safe_url(url: str) -> str:
    """The URL quoted for a message, with any ``user:password@`` masked (and registered, so a
    parser's error quoting a piece of the password is masked too)."""
    register_url(url)
    url = mask_url(url)
    text = url if len(url) <= 100 else url[:97] + "..."
    return f'"{text}"'
