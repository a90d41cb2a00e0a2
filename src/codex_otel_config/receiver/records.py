"""What the receiver recorded: plain frozen values, safe to hand to any thread.

The decoded items keep OTLP's vocabulary (hex ids, resource vs. attributes, scope) so a test
or the ``receive`` command can say exactly what an application sent, without protobuf.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..redaction import mask_headers

Signal = Literal["traces", "logs", "metrics"]
Protocol = Literal["http", "grpc"]
Encoding = Literal["protobuf", "json"]

SIGNALS: tuple[Signal, ...] = ("traces", "logs", "metrics")


@dataclass(frozen=True)
class ReceivedRequest:
    """One export request as it arrived, and what the receiver answered.

    ``status_answered`` is the HTTP status (for gRPC, the HTTP status the behaviour asked for,
    200 for OK); ``None`` when the receiver never answered (black hole, or stopped while slow).
    ``grpc_status`` is the gRPC code name for gRPC requests. ``problems`` lists deviations from
    OTLP JSON that were tolerated (an enum sent as a name), or why decoding failed.
    """

    protocol: Protocol
    signal: Signal | None
    path: str
    headers: Mapping[str, str]
    content_type: str
    encoding: Encoding | None
    raw_json: str | None
    status_answered: int | None
    time: float
    grpc_status: str | None = None
    item_count: int = 0
    problems: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Header values are often credentials: a failing test's report must not print them.
        return (
            f"ReceivedRequest(protocol={self.protocol!r}, signal={self.signal!r}, "
            f"path={self.path!r}, headers={mask_headers(self.headers)!r}, "
            f"encoding={self.encoding!r}, status_answered={self.status_answered!r}, "
            f"grpc_status={self.grpc_status!r}, item_count={self.item_count}, "
            f"problems={self.problems!r})"
        )


@dataclass(frozen=True)
class SpanEvent:
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    status_code: int
    attributes: Mapping[str, Any]
    events: tuple[SpanEvent, ...]
    resource: Mapping[str, Any]
    scope: str
    protocol: Protocol


@dataclass(frozen=True)
class ReceivedLogRecord:
    body: Any
    attributes: Mapping[str, Any]
    event_name: str
    severity_text: str
    severity_number: int
    trace_id: str
    span_id: str
    resource: Mapping[str, Any]
    scope: str
    protocol: Protocol

    @property
    def name(self) -> str:
        """The event name: the OTLP field, else the ``event.name`` attribute Codex sets."""
        return self.event_name or str(self.attributes.get("event.name", ""))


MetricKind = Literal["sum", "gauge", "histogram", "exponential_histogram", "summary"]
Temporality = Literal["delta", "cumulative"]


@dataclass(frozen=True)
class ReceivedMetricPoint:
    """One data point. ``value`` for sums and gauges; ``count`` and ``sum`` for the others."""

    name: str
    kind: MetricKind
    value: int | float | None
    count: int | None
    sum: float | None
    attributes: Mapping[str, Any]
    temporality: Temporality | None
    unit: str
    resource: Mapping[str, Any]
    scope: str
    protocol: Protocol


Item = ReceivedSpan | ReceivedLogRecord | ReceivedMetricPoint
