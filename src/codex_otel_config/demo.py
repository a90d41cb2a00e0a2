"""``--demo``: the package's own receiver on free loopback ports, with every signal pointed at it.

The demo exercises all three OTLP protocols at once — logs over HTTP/protobuf, traces over
gRPC, metrics over HTTP/JSON — so a new user sees the whole loop (settings, probes, export,
arrival) with no collector. Used by ``check --demo``, ``send-test-events --demo`` and the TUI.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from codex_otel_config.receiver import Receiver
from codex_otel_config.settings.model import (
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Signal,
    Source,
)

DEMO_ENVIRONMENT = "demo"
DEMO_SERVICE = "codex-otel-config-demo"
#: What each signal uses in the demo (``OTEL_EXPORTER_OTLP_PROTOCOL`` spelling).
DEMO_PROTOCOLS: Mapping[Signal, str] = {
    "logs": "http/protobuf",
    "traces": "grpc",
    "metrics": "http/json",
}
_DEMO_SOURCE = Source(layer="override", note="--demo")


def demo_overrides(receiver: Receiver) -> dict[str, Any]:
    """Settings overrides (layer 6, dotted keys as ``--set`` takes them) pointing every
    signal at ``receiver``."""
    return {
        "environment": DEMO_ENVIRONMENT,
        "exporter.otlp-http.endpoint": receiver.http_url,
        "exporter.otlp-http.protocol": "binary",
        "trace_exporter.otlp-grpc.endpoint": receiver.grpc_url,
        "metrics_exporter.otlp-http.endpoint": receiver.http_url,
        "metrics_exporter.otlp-http.protocol": "json",
    }


def demo_settings(receiver: Receiver, *, timeout: float = 5.0) -> OtelSettings:
    """Self-contained settings for the demo: nothing from files or variables can redirect it.

    Metrics export every second so a short run still produces a point before shutdown.
    """
    from codex_otel_config.settings.model import ProcessorSettings

    provenance = {
        key: _DEMO_SOURCE
        for key in ("environment", "service_name", "exporter", "trace_exporter", "metrics_exporter")
    }
    return OtelSettings(
        environment=DEMO_ENVIRONMENT,
        service_name=DEMO_SERVICE,
        exporter=OtlpHttp(receiver.http_url, protocol="binary", timeout=timeout),
        trace_exporter=OtlpGrpc(receiver.grpc_url, timeout=timeout),
        metrics_exporter=OtlpHttp(receiver.http_url, protocol="json", timeout=timeout),
        processors=ProcessorSettings(
            bsp_schedule_delay_ms=200, blrp_schedule_delay_ms=200, metric_export_interval_ms=1000
        ),
        provenance=provenance,
    )


def received_counts(receiver: Receiver) -> dict[str, int]:
    """Log records, spans and metric points the receiver holds, per signal."""
    return {
        "logs": len(receiver.log_records),
        "traces": len(receiver.spans),
        "metrics": len(receiver.metric_points),
    }


@dataclass
class Demo:
    """A running demo receiver and the settings that point at it."""

    receiver: Receiver

    @property
    def overrides(self) -> dict[str, Any]:
        return demo_overrides(self.receiver)

    def settings(self, *, timeout: float = 5.0) -> OtelSettings:
        return demo_settings(self.receiver, timeout=timeout)

    def received_counts(self) -> dict[str, int]:
        return received_counts(self.receiver)

    def wait_for(self, expected: Mapping[str, int], timeout: float) -> bool:
        """Wait until the receiver holds at least ``expected`` items per signal."""

        def arrived() -> bool:
            counts = self.received_counts()
            return all(counts.get(signal, 0) >= n for signal, n in expected.items())

        return self.receiver.wait_for(arrived, timeout)

    def stop(self) -> None:
        self.receiver.stop()


def start_demo_receiver() -> tuple[Receiver, dict[str, Any]]:
    """Start the demo receiver (HTTP and gRPC on free loopback ports); the caller stops it."""
    receiver = Receiver(http=True, grpc=True, host="127.0.0.1").start()
    return receiver, demo_overrides(receiver)


@contextmanager
def demo() -> Iterator[Demo]:
    """The demo receiver for the length of a ``with`` block."""
    receiver, _ = start_demo_receiver()
    try:
        yield Demo(receiver)
    finally:
        receiver.stop()
