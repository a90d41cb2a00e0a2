"""OTLP/HTTP on the standard library's threading HTTP server (no web framework needed).

One daemon thread per connection. Connections are tracked so ``stop()`` can cut the ones
a client keeps open (keep-alive, a slow or black-holed export) instead of waiting for them.
TLS handshakes run on the connection's thread, not the accept loop, so a client that never
finishes one cannot stall the server.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from google.protobuf import json_format

from .behavior import decide
from .decode import (
    DecodeError,
    decompress,
    encoding_for,
    items,
    parse,
    partial_response,
)
from .records import Encoding, Item, ReceivedRequest, Signal
from .runtime import Runtime

_log = logging.getLogger(__name__)

SIGNAL_FOR_PATH: dict[str, Signal] = {
    "/v1/traces": "traces",
    "/v1/logs": "logs",
    "/v1/metrics": "metrics",
}
_HANDSHAKE_TIMEOUT = 10.0


class OtlpHttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung connection never blocks interpreter exit or stop()
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], runtime: Runtime, ssl_context: ssl.SSLContext | None
    ) -> None:
        self.runtime = runtime
        self.ssl_context = ssl_context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every open connection so the threads serving them end now."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Failed handshakes (no client certificate, unknown CA) and cut connections are
        # expected here; they are the client's story to tell, not a traceback on stderr.
        _log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OtlpHttpServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(_HANDSHAKE_TIMEOUT)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._reply(405, b"405 Method Not Allowed: OTLP exports are POSTed\n", {"allow": "POST"})

    def do_POST(self) -> None:
        runtime = self.server.runtime
        path = urlsplit(self.path).path
        signal = SIGNAL_FOR_PATH.get(path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = self._read_body()
        content_type = headers.get("content-type", "")
        encoding = encoding_for(content_type)
        raw_json: str | None = None
        problems: list[str] = []
        try:
            body = decompress(body, headers.get("content-encoding", ""))
            if encoding == "json":
                raw_json = body.decode("utf-8", errors="replace")
        except DecodeError as exc:
            problems.append(str(exc))
            encoding_ok = False
        else:
            encoding_ok = True

        def record(status: int | None, found: Sequence[Item] = ()) -> None:
            runtime.store.add(
                ReceivedRequest(
                    protocol="http",
                    signal=signal,
                    path=path,
                    headers=headers,
                    content_type=content_type,
                    encoding=encoding,
                    raw_json=raw_json,
                    status_answered=status,
                    time=time.time(),
                    item_count=len(found),
                    problems=tuple(problems),
                ),
                found,
            )

        if signal is None:
            record(404)
            self._reply(404, f"404 Not Found: {path} is not an OTLP path\n".encode())
            return
        answer = decide(runtime.behavior, signal, headers)
        if answer.status is None:
            record(None)
            runtime.hold(None)
            self.close_connection = True
            return
        status, reply = answer.status, answer.body
        reply_headers = dict(answer.headers)
        found: list[Item] = []
        rejected = 0
        if status == 200:
            status, reply, found = self._accept(
                signal, body, encoding, encoding_ok, problems, runtime.behavior.strict_json
            )
            if status == 400:
                reply, reply_headers = _status_body(reply.decode().strip(), encoding)
            elif answer.rejected is not None:
                rejected = len(found) if answer.rejected < 0 else min(answer.rejected, len(found))
                found = found[: len(found) - rejected]
        elif answer.status_message is not None:
            reply, status_headers = _status_body(answer.status_message, encoding)
            reply_headers.update(status_headers)
        record(status, found)
        if answer.delay > 0 and not runtime.hold(answer.delay):
            self.close_connection = True
            return
        if status == 200:
            assert encoding is not None
            partial = (rejected, answer.partial_message) if answer.rejected is not None else None
            self._reply(200, *_success(signal, encoding, partial))
        else:
            self._reply(status, reply, reply_headers)

    def _accept(
        self,
        signal: Signal,
        body: bytes,
        encoding: Encoding | None,
        encoding_ok: bool,
        problems: list[str],
        strict: bool = False,
    ) -> tuple[int, bytes, list[Item]]:
        """Decode an export the behaviour lets through: 200, 415 or 400, and the items."""
        if encoding is None:
            message = "415 Unsupported Media Type: use application/x-protobuf or application/json"
            return 415, (message + "\n").encode(), []
        if not encoding_ok:
            return 400, f"400 Bad Request: {problems[-1]}\n".encode(), []
        try:
            request, tolerated = parse(signal, body, encoding, strict=strict)
        except DecodeError as exc:
            problems.append(str(exc))
            return 400, f"400 Bad Request: {exc}\n".encode(), []
        problems.extend(tolerated)
        return 200, b"", items(signal, request, "http")

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _reply(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        headers = dict(headers or {})
        self.send_response(status)
        if not any(name.lower() == "content-type" for name in headers):
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _success(
    signal: Signal, encoding: Encoding, partial: tuple[int, str] | None = None
) -> tuple[bytes, dict[str, str], str]:
    """An Export*ServiceResponse in the request's encoding: empty, or with ``partial``
    (rejected count, message) as its ``partial_success``."""
    response = partial_response(signal, partial)
    if encoding == "json":
        return json_format.MessageToJson(response).encode(), {}, "application/json"
    return response.SerializeToString(), {}, "application/x-protobuf"


def _status_body(message: str, encoding: Encoding | None) -> tuple[bytes, dict[str, str]]:
    """A ``google.rpc.Status`` error body in the request's encoding (the OTLP spec's form)."""
    from google.rpc.status_pb2 import Status

    status = Status(message=message)
    if encoding == "json":
        return json_format.MessageToJson(status).encode(), {"Content-Type": "application/json"}
    return status.SerializeToString(), {"Content-Type": "application/x-protobuf"}
