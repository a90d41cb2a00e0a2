"""Turn the merged canonical tree into the frozen :class:`OtelSettings`.

Checks that need the whole picture live here (they can only be judged once every layer has
spoken): an endpoint is present and well formed, a TLS block sits on an ``https://`` endpoint,
client certificate and key come together, certificate files exist, Statsig has a key. Each
problem names the layer that set the offending value, found through the provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from codex_otel_config.errors import Problem
from codex_otel_config.redaction import Secret, register_url
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
from codex_otel_config.settings.redact import mask_url

_SIGNAL_OF = {key: signal for signal, key in schema.SIGNAL_KEYS.items()}


class Builder:
    """Builds the model from ``merged`` and ``provenance``, collecting problems and warnings."""

    def __init__(
        self,
        merged: Mapping[str, Any],
        provenance: dict[str, Source],
        environ: Mapping[str, str],
        *,
        lenient: bool = False,
    ) -> None:
        self.merged = merged
        self.provenance = provenance
        self.environ = environ
        self.lenient = lenient
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def source_of(self, key: str) -> Source:
        return source_in(self.provenance, key)

    def problem(self, key: str, message: str, *, layer_key: str | None = None) -> None:
        layer = self.source_of(layer_key or key).describe()
        self.problems.append(Problem(key=key, layer=layer, message=message))

    def build(self, *, codex_home: Path, warnings: list[str]) -> OtelSettings:
        m = self.merged
        exporters: dict[str, Any] = {k: self.exporter(k, m.get(k)) for k in schema.EXPORTER_KEYS}
        self._drop_inherited_duplicates()
        processors = ProcessorSettings(**dict(m.get("processors", {})))
        found = processors.problems()
        for key, message in found:
            self.problem(key, message, layer_key=self._processor_layer_key(key))
        if found and self.lenient:
            # Ignore every tuning of a processor the SDK would refuse: its defaults stand.
            prefixes = {key.split(".", 1)[1].split("_", 1)[0] for key, _ in found}
            names = [n for n in schema.PROCESSOR_KEYS if n.split("_", 1)[0] in prefixes]
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

    def _processor_layer_key(self, key: str) -> str:
        """A tuning left at the SDK default can only be wrong because of another one of its
        processor that a layer set (a queue smaller than the default batch): name that."""
        if self.source_of(key).layer != "default":
            return key
        prefix = key.split(".", 1)[1].split("_", 1)[0]  # "bsp" or "blrp"
        for name in schema.PROCESSOR_KEYS:
            other = f"processors.{name}"
            if name.startswith(prefix + "_") and self.source_of(other).layer != "default":
                return other
        return key

    def _drop_inherited_duplicates(self) -> None:
        """An inherited trace exporter repeats the logs exporter's problems: say them once."""
        seen = {p.key for p in self.problems if p.key.startswith("exporter.")}
        self.problems = [
            p
            for p in self.problems
            if not (
                p.key.startswith("trace_exporter.")
                and "exporter." + p.key.removeprefix("trace_exporter.") in seen
                and self.source_of(p.key).layer == "derived"
            )
        ]

    def exporter(self, key: str, value: Any) -> Exporter:
        if not value:
            return NoExporter()
        ((kind, fields),) = value.items()
        prefix = f"{key}.{kind}"
        if kind == "none":
            return NoExporter()
        if kind == "console":
            return Console()
        if kind == "statsig":
            return self.statsig(key, prefix, fields)
        endpoint = fields.get("endpoint")
        if endpoint is None:
            self.problem(
                f"{prefix}.endpoint",
                f"is required: {kind} needs the collector URL "
                '(e.g. endpoint = "https://collector.example.com:4318")',
                layer_key=prefix,
            )
            return NoExporter()
        ok = self.check_endpoint(prefix, kind, endpoint)
        tls = self.tls(prefix, endpoint, fields.get("tls"))
        if not ok or tls is False:
            return NoExporter()
        values = {**_kind_defaults(kind), **fields, "tls": tls}
        return OtlpHttp(**values) if kind == "otlp-http" else OtlpGrpc(**values)

    def check_endpoint(self, prefix: str, kind: str, endpoint: str) -> bool:
        key = f"{prefix}.endpoint"
        try:
            parts = urlsplit(endpoint)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            self.problem(key, f"{_safe_url(endpoint)} is not a valid URL ({exc})")
            return False
        if parts.scheme not in ("http", "https") or not host:
            self.problem(
                key,
                f"{_safe_url(endpoint)} is not a URL; expected http://host:port "
                "(no TLS) or https://host:port (TLS)",
            )
            return False
        if not _valid_host(host, bracketed="[" in parts.netloc):
            self.problem(key, f"{_safe_url(endpoint)} does not name a valid host")
            return False
        if parts.port == 0:
            self.problem(key, f"{_safe_url(endpoint)}: port 0 is not a port; expected 1-65535")
            return False
        if kind == "otlp-grpc" and parts.path not in ("", "/"):
            self.problem(
                key,
                f'gRPC endpoints take no path; found "{parts.path}" (write '
                f"{parts.scheme}://{parts.netloc})",
            )
            return False
        if parts.query or parts.fragment:
            self.problem(key, "must not have a query or fragment")
            return False
        return True

    def tls(self, prefix: str, endpoint: str, block: Any) -> Tls | bool | None:
        """The ``Tls`` value, ``None`` without a block, ``False`` when it is invalid."""
        if not block:
            return None
        key = f"{prefix}.tls"
        ok = True
        variables = [self.source_of(f"{key}.{name}").variable for name in block]
        if urlsplit(endpoint).scheme == "http" and all(
            self.source_of(f"{key}.{name}").layer == "otel-env" for name in block
        ):
            # The spec's rule for a variable that does not apply: warn, and go on without it.
            self.warnings.append(
                f"{', '.join(sorted(set(filter(None, variables))))} not used: the endpoint it "
                "would secure is plain http:// (TLS needs https://)"
            )
            return None
        if urlsplit(endpoint).scheme == "http":
            where = self.source_of(f"{prefix}.endpoint").describe()
            self.problem(
                key,
                f"a TLS block needs an https:// endpoint, but the endpoint is "
                f"{_safe_url(endpoint)} (set in {where}); use https:// or remove the "
                "tls block",
                layer_key=_first_leaf(key, block),
            )
            ok = False
        cert, private = block.get("client-certificate"), block.get("client-private-key")
        if (cert is None) != (private is None):
            given, missing = (
                ("client-certificate", "client-private-key")
                if cert is not None
                else ("client-private-key", "client-certificate")
            )
            self.problem(
                f"{key}.{missing}",
                f"is missing: {given} and {missing} must be given together for mTLS",
                layer_key=f"{key}.{given}",
            )
            ok = False
        for name in schema.TLS_KEYS:
            path = block.get(name)
            if path is None:
                continue
            p = Path(path)
            if not _files.is_regular(p):
                what = "is not a file" if _files.exists(p) else "file not found"
                self.problem(f"{key}.{name}", f"{what}: {p}")
                ok = False
        if not ok:
            return False
        return Tls(**{attr: _path(block.get(key)) for key, attr, _ in schema.TLS_FIELDS})

    def statsig(self, key: str, prefix: str, fields: Mapping[str, Any]) -> Exporter:
        api_key = fields.get("api_key")
        if not api_key:
            env_key = (self.environ.get(STATSIG_KEY_VARIABLE) or "").strip()
            if env_key:
                api_key = env_key
                self.provenance[f"{prefix}.api_key"] = Source(
                    layer="derived", variable=STATSIG_KEY_VARIABLE
                )
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
        return Statsig(**{**_kind_defaults(kind="statsig"), **fields, "api_key": Secret(api_key)})


def _kind_defaults(kind: str) -> dict[str, Any]:
    """The declared defaults of an exporter kind's single-valued fields (a timeout of 10 s…)."""
    return {
        p.key.partition(".")[2]: p.default
        for p in schema.EXPORTER_FIELDS
        if p.key.startswith(kind + ".") and p.default is not None and p.type != "table"
    }


def _valid_host(host: str, *, bracketed: bool) -> bool:
    """An IP literal or a DNS name (letters, digits, ``-``, ``_``, dots between labels)."""
    if bracketed:
        import ipaddress

        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    labels = host.removesuffix(".").split(".")
    return all(
        label and len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)
        for label in labels
    )


def _path(value: Any) -> Path | None:
    return Path(value) if value is not None else None


def _first_leaf(key: str, block: Mapping[str, Any]) -> str:
    for name in block:
        return f"{key}.{name}"
    return key


def _safe_url(url: str) -> str:
    """The URL quoted for a message, with any ``user:password@`` masked (and registered, so a
    parser's error quoting a piece of the password is masked too)."""
    register_url(url)
    url = mask_url(url)
    text = url if len(url) <= 100 else url[:97] + "..."
    return f'"{text}"'
