"""A real, in-process OTLP receiver: the test suite's collector and ``codex-otel-config receive``.

OTLP/HTTP (protobuf and JSON, gzip) and OTLP/gRPC on loopback, optionally over TLS or mutual
TLS, recording every request and the spans, log records and metric points it carried, and able
to misbehave on demand (401 with debug headers, 403, 404, 415, 429, 503, slow, black hole,
require a header). Certificates for tests and ``--demo``: :mod:`codex_otel_config.receiver.certs`.
grpc is imported only when a receiver serves gRPC.
"""

from .behavior import Behavior, grpc_code_for
from .decode import otlp_json_problems
from .format import format_item, item_to_json
from .records import (
    Item,
    ReceivedLogRecord,
    ReceivedMetricPoint,
    ReceivedRequest,
    ReceivedSpan,
    SpanEvent,
)
from .server import Receiver, free_port
from .store import ReceiverStore
from .tls import ServerTls

__all__ = [
    "Behavior",
    "Item",
    "ReceivedLogRecord",
    "ReceivedMetricPoint",
    "ReceivedRequest",
    "ReceivedSpan",
    "Receiver",
    "ReceiverStore",
    "ServerTls",
    "SpanEvent",
    "format_item",
    "free_port",
    "grpc_code_for",
    "item_to_json",
    "otlp_json_problems",
]
