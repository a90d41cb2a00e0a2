"""``MetricsConfig``: what a :class:`MetricsClient` exports to and what it tags.

A frozen value; every ``with_*`` returns a new config. Default tags are validated when
added, so a bad tag fails at configuration time rather than on every metric call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from opentelemetry.sdk.metrics.export import MetricExporter

from codex_otel_config.metrics.errors import MetricsError
from codex_otel_config.metrics.in_memory import InMemoryMetricExporter
from codex_otel_config.metrics.validation import validate_tag_key, validate_tag_value

ExporterKind = Literal["otlp", "in_memory"]


@dataclass(frozen=True)
class MetricsConfig:
    """Where metrics go (an SDK ``MetricExporter``), the resource, and default tags."""

    environment: str
    service_name: str
    service_version: str
    exporter: MetricExporter
    kind: ExporterKind = "otlp"
    export_interval: float | None = None
    """Seconds between periodic exports; ``None`` keeps the SDK default (60 s, or
    ``OTEL_METRIC_EXPORT_INTERVAL``). In-memory configs export only on flush/shutdown."""
    default_tags: Mapping[str, str] = field(default_factory=dict)
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    runtime_reader: bool = False
    """Also attach the on-demand runtime reader (delta), read by ``MetricsClient.snapshot()``."""

    @classmethod
    def otlp(
        cls,
        environment: str,
        service_name: str,
        service_version: str,
        exporter: MetricExporter,
    ) -> MetricsConfig:
        """Export through ``exporter`` (an SDK metric exporter instance) periodically."""
        if not isinstance(exporter, MetricExporter):
            raise MetricsError(
                "invalid_config",
                f"exporter must be an opentelemetry MetricExporter, got {type(exporter).__name__}",
            )
        return cls(environment, service_name, service_version, exporter, "otlp")

    @classmethod
    def in_memory(
        cls,
        environment: str,
        service_name: str,
        service_version: str,
        exporter: InMemoryMetricExporter | None = None,
    ) -> MetricsConfig:
        """Keep exported metrics in memory (``config.exporter``), exported on flush/shutdown."""
        return cls(
            environment,
            service_name,
            service_version,
            exporter if exporter is not None else InMemoryMetricExporter(),
            "in_memory",
        )

    def with_tag(self, key: str, value: str) -> MetricsConfig:
        """A config with one more default tag; raises :class:`MetricsError` if invalid."""
        validate_tag_key(key)
        validate_tag_value(value)
        return dataclasses.replace(self, default_tags={**self.default_tags, key: value})

    def with_export_interval(self, interval: float | timedelta) -> MetricsConfig:
        """A config exporting every ``interval`` (seconds or a ``timedelta``)."""
        seconds = interval.total_seconds() if isinstance(interval, timedelta) else float(interval)
        if not seconds > 0:
            raise MetricsError("invalid_config", f"export interval must be > 0 s, got {seconds}")
        return dataclasses.replace(self, export_interval=seconds)

    def with_runtime_reader(self) -> MetricsConfig:
        """A config whose client also keeps an on-demand reader for ``snapshot()``."""
        return dataclasses.replace(self, runtime_reader=True)

    def with_resource_attributes(self, attributes: Mapping[str, str]) -> MetricsConfig:
        """A config whose resource also carries ``attributes`` (the standard keys win)."""
        return dataclasses.replace(
            self, resource_attributes={**self.resource_attributes, **attributes}
        )
