"""OTLP/gRPC: the Trace, Logs and Metrics services on a grpcio server.

Imported only when a receiver serves gRPC, so the HTTP-only path never loads grpc.
A held request (slow, black hole) waits on an event that both the RPC's end (client
deadline, cancel) and ``stop()`` set, so it never pins a worker thread longer than needed.
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from .behavior import decide
from .decode import items, partial_response
from .records import Item, ReceivedRequest, Signal
from .runtime import Runtime
from .tls import ServerTls

_WORKERS = 16
_PATHS: dict[Signal, str] = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}


class _Exports:
    """The one Export implementation the three services share."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def export(self, signal: Signal, request: Message, context: grpc.ServicerContext) -> Message:
        runtime = self.runtime
        headers = {
            key.lower(): value if isinstance(value, str) else value.decode("latin-1")
            for key, value in context.invocation_metadata()
        }
        ended = threading.Event()
        if not context.add_callback(ended.set):
            ended.set()
        answer = decide(runtime.behavior, signal, headers)

        def record(status: int | None, code: str | None, found: Sequence[Item] = ()) -> None:
            runtime.store.add(
                ReceivedRequest(
                    protocol="grpc",
                    signal=signal,
                    path=_PATHS[signal],
                    headers=headers,
                    content_type=headers.get("content-type", "application/grpc"),
                    encoding="protobuf",
                    raw_json=None,
                    status_answered=status,
                    time=time.time(),
                    grpc_status=code,
                    item_count=len(found),
                ),
                found,
            )

        if answer.status is None:
            record(None, None)
            runtime.hold(None, ended)
            context.abort(grpc.StatusCode.UNAVAILABLE, "receiver stopped")
        code = answer.grpc_code
        found = items(signal, request, "grpc") if code == "OK" else []
        partial: tuple[int, str] | None = None
        if code == "OK" and answer.rejected is not None:
            rejected = len(found) if answer.rejected < 0 else min(answer.rejected, len(found))
            found = found[: len(found) - rejected]
            partial = (rejected, answer.partial_message)
        record(answer.status, code, found)
        if answer.delay > 0 and not runtime.hold(answer.delay, ended):
            context.abort(grpc.StatusCode.UNAVAILABLE, "receiver stopped")
        if code != "OK":
            context.set_trailing_metadata(
                tuple((name.lower(), value) for name, value in answer.headers.items())
            )
            details = answer.status_message or answer.body.decode("utf-8", errors="replace")
            context.abort(grpc.StatusCode[code], details)
        return partial_response(signal, partial)


def _servicers(exports: _Exports) -> list[tuple[Any, Any]]:
    class Trace(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
        def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
            return exports.export("traces", request, context)

    class Logs(logs_service_pb2_grpc.LogsServiceServicer):  # type: ignore[misc]
        def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
            return exports.export("logs", request, context)

    class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):  # type: ignore[misc]
        def Export(self, request: Message, context: grpc.ServicerContext) -> Message:
            return exports.export("metrics", request, context)

    return [
        (trace_service_pb2_grpc.add_TraceServiceServicer_to_server, Trace()),
        (logs_service_pb2_grpc.add_LogsServiceServicer_to_server, Logs()),
        (metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server, Metrics()),
    ]


class OtlpGrpcServer:
    """A started gRPC server bound to ``host:port`` (port 0: an ephemeral one)."""

    def __init__(self, host: str, port: int, runtime: Runtime, tls: ServerTls | None) -> None:
        # grpc sets SO_REUSEPORT by default: a second receiver on a taken port would then
        # bind "successfully" and share the port's connections with the first.
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="otlp-grpc"),
            options=[("grpc.so_reuseport", 0)],
        )
        for add, servicer in _servicers(_Exports(runtime)):
            add(servicer, self._server)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            if tls is None:
                self.port: int = self._server.add_insecure_port(address)
            else:
                self.port = self._server.add_secure_port(address, tls.grpc_credentials())
        except RuntimeError:  # grpcio ≥ 1.56 raises where older versions returned 0
            self.port = 0
        if not self.port:
            raise OSError(errno.EADDRINUSE, f"gRPC cannot listen on {address} (port in use?)")
        self._server.start()

    def stop(self, grace: float = 0.0, wait: float = 2.0) -> None:
        self._server.stop(grace).wait(wait)
