"""The :class:`Receiver`: OTLP/HTTP and OTLP/gRPC servers in background threads of this process."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from .behavior import Behavior
from .http_server import OtlpHttpServer
from .records import ReceivedLogRecord, ReceivedMetricPoint, ReceivedRequest, ReceivedSpan, Signal
from .runtime import Runtime
from .store import OnItem, ReceiverStore
from .tls import ServerTls

if TYPE_CHECKING:
    from .grpc_server import OtlpGrpcServer


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` with nothing listening (for "connection refused" tests)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A real OTLP receiver on ``host`` (loopback by default), ephemeral ports unless given.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``stop()`` is prompt
    even while clients hold connections open or requests are being held by a behaviour.
    """

    def __init__(
        self,
        *,
        http: bool = True,
        grpc: bool = True,
        host: str = "127.0.0.1",
        http_port: int = 0,
        grpc_port: int = 0,
        tls: ServerTls | None = None,
        behavior: Behavior | None = None,
        on_item: OnItem | None = None,
    ) -> None:
        self.host = host
        self.tls = tls
        self.store = ReceiverStore(on_item)
        self._want_http, self._want_grpc = http, grpc
        self._ports = (http_port, grpc_port)
        self._runtime = Runtime(self.store, behavior)
        self._http: OtlpHttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._grpc: OtlpGrpcServer | None = None
        self._started = False

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> Receiver:
        """Bind and serve; raises ``OSError`` (and leaves nothing running) if a port is taken."""
        if self._started:
            raise RuntimeError("a receiver starts once; make a new one")
        self._started = True
        try:
            if self._want_http:
                self._start_http()
            if self._want_grpc:
                from .grpc_server import OtlpGrpcServer

                self._grpc = OtlpGrpcServer(self.host, self._ports[1], self._runtime, self.tls)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_http(self) -> None:
        context = self.tls.ssl_context() if self.tls else None
        self._http = OtlpHttpServer((self.host, self._ports[0]), self._runtime, context)
        self._http_thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"otlp-http-{self._http.server_address[1]}",
            daemon=True,
        )
        self._http_thread.start()

    def stop(self) -> None:
        """Stop serving, release held requests and cut open connections. Idempotent."""
        self._runtime.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.close_connections()
            self._http.server_close()
            if self._http_thread is not None:
                self._http_thread.join(timeout=2)
            self._http, self._http_thread = None, None
        if self._grpc is not None:
            self._grpc.stop()
            self._grpc = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- where to send ----------------------------------------------------------------------

    @property
    def http_port(self) -> int:
        if self._http is None:
            raise RuntimeError("the HTTP receiver is not running")
        return int(self._http.server_address[1])

    @property
    def grpc_port(self) -> int:
        if self._grpc is None:
            raise RuntimeError("the gRPC receiver is not running")
        return self._grpc.port

    @property
    def http_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with TLS), without a signal path."""
        return f"{self._scheme()}://{self._url_host()}:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with TLS), as OTLP gRPC exporters take it."""
        return f"{self._scheme()}://{self._url_host()}:{self.grpc_port}"

    def endpoint(self, signal: Signal) -> str:
        """The OTLP/HTTP URL of one signal, e.g. ``http://127.0.0.1:PORT/v1/traces``."""
        return f"{self.http_url}/v1/{signal}"

    def _scheme(self) -> str:
        return "https" if self.tls else "http"

    def _url_host(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"[{host}]" if ":" in host else host

    # --- behaviour ------------------------------------------------------------------------

    @property
    def behavior(self) -> Behavior:
        return self._runtime.behavior

    def set_behavior(self, behavior: Behavior | None) -> None:
        """Answer later requests this way (``None``: normally). Safe from any thread."""
        self._runtime.behavior = behavior or Behavior()

    # --- what arrived ---------------------------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self.store.requests

    @property
    def spans(self) -> list[ReceivedSpan]:
        return self.store.spans

    @property
    def log_records(self) -> list[ReceivedLogRecord]:
        return self.store.log_records

    @property
    def metric_points(self) -> list[ReceivedMetricPoint]:
        return self.store.metric_points

    def wait_for(self, predicate: Callable[[], object], timeout: float) -> bool:
        return self.store.wait_for(predicate, timeout)

    def wait_for_span(self, name: str, timeout: float) -> ReceivedSpan | None:
        return self.store.wait_for_span(name, timeout)

    def wait_for_log(
        self, event: str | Callable[[ReceivedLogRecord], bool], timeout: float
    ) -> ReceivedLogRecord | None:
        return self.store.wait_for_log(event, timeout)

    def wait_for_metric(self, name: str, timeout: float) -> ReceivedMetricPoint | None:
        return self.store.wait_for_metric(name, timeout)

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        """Wait until at least ``count`` requests (answered or not) have arrived."""
        return self.store.wait_for(lambda: len(self.store.requests) >= count, timeout)

    def clear(self) -> None:
        self.store.clear()
