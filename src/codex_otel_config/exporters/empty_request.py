"""The empty export request ``check`` sends: what the exporter sends, minus the items.

Each SDK exporter encodes its batch as ``Export<Signal>ServiceRequest`` → one resource →
one scope → the items: with the protobuf classes of ``opentelemetry-proto`` (OTLP/HTTP
protobuf, OTLP/gRPC) or the JSON classes of ``opentelemetry-proto-json`` (OTLP/HTTP JSON,
``to_json()``). The probe builds that same shape with zero items, through the same classes,
so a collector decodes it exactly as it decodes a real export. (An encoder given no items at
all yields ``{}`` in JSON, which strict collectors reject — "missing field resourceLogs" —
though no exporter ever sends it.)
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["empty_request"]

Encoding = Literal["protobuf", "json"]

#: Per signal: (request module, request class, resource class module, resource class,
#: scope class, the request's resource field, the resource's scope field).
_SHAPES: Mapping[str, tuple[str, str, str, str, str, str, str]] = {
    "traces": (
        "collector.trace.v1.trace_service",
        "ExportTraceServiceRequest",
        "trace.v1.trace",
        "ResourceSpans",
        "ScopeSpans",
        "resource_spans",
        "scope_spans",
    ),
    "logs": (
        "collector.logs.v1.logs_service",
        "ExportLogsServiceRequest",
        "logs.v1.logs",
        "ResourceLogs",
        "ScopeLogs",
        "resource_logs",
        "scope_logs",
    ),
    "metrics": (
        "collector.metrics.v1.metrics_service",
        "ExportMetricsServiceRequest",
        "metrics.v1.metrics",
        "ResourceMetrics",
        "ScopeMetrics",
        "resource_metrics",
        "scope_metrics",
    ),
}


def _classes(signal: str, encoding: Encoding) -> tuple[Any, Any, Any]:
    request_module, request, resource_module, resource, scope, _, _ = _SHAPES[signal]
    if encoding == "json":  # opentelemetry-proto-json: the JSON exporters' encoder
        requests = importlib.import_module(f"opentelemetry.proto_json.{request_module}")
        resources = importlib.import_module(f"opentelemetry.proto_json.{resource_module}")
    else:
        requests = importlib.import_module(f"opentelemetry.proto.{request_module}_pb2")
        resources = importlib.import_module(f"opentelemetry.proto.{resource_module}_pb2")
    return getattr(requests, request), getattr(resources, resource), getattr(resources, scope)


def empty_request(signal: str, encoding: Encoding) -> bytes:
    """The bytes of ``signal``'s export request with one resource, one scope and no items:
    ``{"resourceLogs": [{"scopeLogs": [{}]}]}`` in JSON, its protobuf twin otherwise."""
    request_cls, resource_cls, scope_cls = _classes(signal, encoding)
    _, _, _, _, _, resource_field, scope_field = _SHAPES[signal]
    resource = resource_cls(**{scope_field: [scope_cls()]})
    request = request_cls(**{resource_field: [resource]})
    if encoding == "json":
        return str(request.to_json()).encode()
    return bytes(request.SerializeToString())
