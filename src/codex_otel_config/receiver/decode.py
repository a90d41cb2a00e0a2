"""Turn OTLP export requests (protobuf or OTLP JSON) into :mod:`records` items.

OTLP JSON differs from protobuf's canonical JSON mapping in two ways that matter: trace and
span ids are hex (not base64), and enums are integers. ``json_format.Parse`` accepts both
enum forms and would silently base64-decode a hex id into 24 wrong bytes, so ids are checked
and converted first. Like the OpenTelemetry Collector, a malformed id is an error and an enum
sent by name is tolerated (and reported as a problem, so tests can insist on integers).
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from .records import (
    Encoding,
    Item,
    Protocol,
    ReceivedLogRecord,
    ReceivedMetricPoint,
    ReceivedSpan,
    Signal,
    SpanEvent,
    Temporality,
)


class DecodeError(ValueError):
    """The body is not a valid OTLP export request; the message says why."""


REQUEST_TYPES: dict[Signal, type[Message]] = {
    "traces": ExportTraceServiceRequest,
    "logs": ExportLogsServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}
RESPONSE_TYPES: dict[Signal, type[Message]] = {
    "traces": ExportTraceServiceResponse,
    "logs": ExportLogsServiceResponse,
    "metrics": ExportMetricsServiceResponse,
}
#: The rejected-count field of each signal's ``partial_success``.
REJECTED_FIELDS: dict[Signal, str] = {
    "traces": "rejected_spans",
    "logs": "rejected_log_records",
    "metrics": "rejected_data_points",
}

_ID_LENGTHS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
_ENUM_FIELDS = frozenset({"kind", "code", "severityNumber", "aggregationTemporality"})


def encoding_for(content_type: str) -> Encoding | None:
    """``protobuf`` or ``json`` from a Content-Type (parameters ignored), else ``None``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/x-protobuf", "application/protobuf"):
        return "protobuf"
    if media == "application/json":
        return "json"
    return None


def decompress(body: bytes, content_encoding: str) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate or none)."""
    coding = content_encoding.strip().lower()
    try:
        if coding in ("", "identity"):
            return body
        if coding == "gzip":
            return gzip.decompress(body)
        if coding == "deflate":
            return zlib.decompress(body)
    except (OSError, EOFError, zlib.error) as exc:
        raise DecodeError(f"body is not valid {coding}: {exc}") from exc
    raise DecodeError(f"unsupported Content-Encoding {content_encoding!r}")


#: The top-level field of each signal's OTLP JSON export request.
TOP_FIELDS: dict[Signal, str] = {
    "traces": "resourceSpans",
    "logs": "resourceLogs",
    "metrics": "resourceMetrics",
}


def parse(
    signal: Signal, body: bytes, encoding: Encoding, *, strict: bool = False
) -> tuple[Message, list[str]]:
    """Parse an export request; returns the message and the tolerated problems.

    ``strict``: a JSON request without its top-level field (``{}``) is an error, as in
    collectors whose decoders require it (proto3 itself lets every field be absent).
    """
    message = REQUEST_TYPES[signal]()
    if encoding == "protobuf":
        try:
            message.ParseFromString(body)
        except ProtobufDecodeError as exc:
            raise DecodeError(f"body is not a valid protobuf {message.DESCRIPTOR.name}") from exc
        return message, []
    problems: list[str] = []
    try:
        tree = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"body is not JSON: {exc}") from exc
    if strict and not (isinstance(tree, dict) and TOP_FIELDS[signal] in tree):
        raise DecodeError(f"missing field {TOP_FIELDS[signal]}")
    try:
        json_format.ParseDict(_otlp_to_proto_json(tree, problems, "$"), message)
    except json_format.ParseError as exc:
        name = message.DESCRIPTOR.name
        raise DecodeError(f"body is not a valid OTLP JSON {name}: {exc}") from exc
    return message, problems


def otlp_json_problems(signal: Signal, text: str) -> list[str]:
    """Every way ``text`` deviates from strict OTLP JSON (empty when it is valid)."""
    try:
        return parse(signal, text.encode(), "json")[1]
    except DecodeError as exc:
        return [str(exc)]


def _otlp_to_proto_json(node: Any, problems: list[str], path: str) -> Any:
    """Copy of an OTLP JSON tree with hex ids turned into the base64 protobuf expects."""
    if isinstance(node, list):
        return [_otlp_to_proto_json(v, problems, f"{path}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        where = f"{path}.{key}"
        if key in _ID_LENGTHS and isinstance(value, str):
            out[key] = _hex_id_to_base64(value, _ID_LENGTHS[key], where)
        else:
            if key in _ENUM_FIELDS and isinstance(value, str):
                problems.append(f"{where}: enum sent as name {value!r}, OTLP JSON wants an integer")
            out[key] = _otlp_to_proto_json(value, problems, where)
    return out


def _hex_id_to_base64(value: str, size: int, where: str) -> str:
    if value == "":
        return ""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise DecodeError(
            f"{where}: {value!r} is not a {size * 2}-digit hex id (OTLP JSON ids are hex)"
        )
    return base64.b64encode(raw).decode()


# --- from messages to items -------------------------------------------------------------------


def items(signal: Signal, message: Message, protocol: Protocol) -> list[Item]:
    """The spans, log records or metric points of one export request."""
    extract: Callable[[Any, Protocol], list[Item]] = _EXTRACTORS[signal]
    return extract(message, protocol)


def any_value(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as the Python value it stands for."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind)


def attributes(pairs: Any) -> dict[str, Any]:
    """Repeated ``KeyValue`` as a dict."""
    return {kv.key: any_value(kv.value) for kv in pairs}


def _resource(resource: Resource) -> dict[str, Any]:
    return attributes(resource.attributes)


def _scope(scope: InstrumentationScope) -> str:
    return scope.name


def _spans(message: Any, protocol: Protocol) -> list[Item]:
    found: list[Item] = []
    for rs in message.resource_spans:
        resource = _resource(rs.resource)
        for ss in rs.scope_spans:
            for span in ss.spans:
                found.append(
                    ReceivedSpan(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        kind=span.kind,
                        status_code=span.status.code,
                        attributes=attributes(span.attributes),
                        events=tuple(
                            SpanEvent(e.name, attributes(e.attributes)) for e in span.events
                        ),
                        resource=resource,
                        scope=_scope(ss.scope),
                        protocol=protocol,
                    )
                )
    return found


def _logs(message: Any, protocol: Protocol) -> list[Item]:
    found: list[Item] = []
    for rl in message.resource_logs:
        resource = _resource(rl.resource)
        for sl in rl.scope_logs:
            for record in sl.log_records:
                found.append(
                    ReceivedLogRecord(
                        body=any_value(record.body),
                        attributes=attributes(record.attributes),
                        event_name=record.event_name,
                        severity_text=record.severity_text,
                        severity_number=record.severity_number,
                        trace_id=record.trace_id.hex(),
                        span_id=record.span_id.hex(),
                        resource=resource,
                        scope=_scope(sl.scope),
                        protocol=protocol,
                    )
                )
    return found


_TEMPORALITY: dict[int, Temporality] = {
    AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA: "delta",
    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE: "cumulative",
}


def _metrics(message: Any, protocol: Protocol) -> list[Item]:
    found: list[Item] = []
    for rm in message.resource_metrics:
        resource = _resource(rm.resource)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(metric, kind)
                temporality = _TEMPORALITY.get(getattr(data, "aggregation_temporality", 0))
                for point in data.data_points:
                    numeric = kind in ("sum", "gauge")
                    found.append(
                        ReceivedMetricPoint(
                            name=metric.name,
                            kind=kind,
                            value=_number(point) if numeric else None,
                            count=None if numeric else point.count,
                            sum=None if numeric else point.sum,
                            attributes=attributes(point.attributes),
                            temporality=temporality,
                            unit=metric.unit,
                            resource=resource,
                            scope=_scope(sm.scope),
                            protocol=protocol,
                        )
                    )
    return found


def _number(point: Any) -> int | float | None:
    which = point.WhichOneof("value")
    return None if which is None else getattr(point, which)  # type: ignore[no-any-return]


_EXTRACTORS: dict[Signal, Callable[[Any, Protocol], list[Item]]] = {
    "traces": _spans,
    "logs": _logs,
    "metrics": _metrics,
}


def partial_response(signal: Signal, partial: tuple[int, str] | None) -> Message:
    """The Export*ServiceResponse of ``signal``, with ``partial_success`` set if given."""
    response = RESPONSE_TYPES[signal]()
    if partial is not None:
        rejected, message = partial
        setattr(response.partial_success, REJECTED_FIELDS[signal], rejected)
        response.partial_success.error_message = message
    return response
