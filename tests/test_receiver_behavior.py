"""Fault behaviours: the receiver answers like a broken, strict, slow or silent collector."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from codex_otel_config.receiver import Behavior, Receiver, grpc_code_for
from fixtures.receivers import export, sample_spans

pytestmark = [pytest.mark.timeout(30), pytest.mark.fault]

CANARY = "sk-canary-4f1d2b7e9a0c"


def _spans_body() -> bytes:
    return bytes(encode_spans(sample_spans()).SerializeToString())


def post(
    receiver: Receiver,
    signal: str = "traces",
    *,
    timeout: float = 5,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, Any]:
    """POST one real protobuf export; (status, body, headers)."""
    request = urllib.request.Request(
        receiver.endpoint(signal),  # type: ignore[arg-type]
        data=_spans_body() if signal == "traces" else b"",
        method="POST",
        headers={"Content-Type": "application/x-protobuf", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), error.headers


def grpc_export(
    receiver: Receiver, timeout: float = 5, metadata: tuple[tuple[str, str], ...] = ()
) -> tuple[str, dict[str, str], str]:
    """One real gRPC trace export; (status code name, trailing metadata, details)."""
    with grpc.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
        try:
            stub.Export(encode_spans(sample_spans()), timeout=timeout, metadata=metadata)
        except grpc.RpcError as error:
            trailing = dict(error.trailing_metadata() or ())
            return error.code().name, trailing, error.details()
        return "OK", {}, ""


# --- status codes ---------------------------------------------------------------------------

STATUS_CASES = [
    Behavior.unauthorized(authorization_error="token expired", error_code="token_expired"),
    Behavior(status=403),
    Behavior(status=404),
    Behavior(status=415),
    Behavior.rate_limited(retry_after=7),
    Behavior(status=503, response_headers={"x-request-id": "req-503"}),
]


@pytest.mark.parametrize("behavior", STATUS_CASES, ids=lambda b: str(b.status))
def test_http_status_and_headers(receiver_factory: Any, behavior: Behavior) -> None:
    receiver = receiver_factory(behavior=behavior, grpc=False)
    status, body, headers = post(receiver)
    assert status == behavior.status
    for name, value in behavior.response_headers.items():
        assert headers[name] == value
    assert body.startswith(str(behavior.status).encode())
    (request,) = receiver.requests
    assert request.status_answered == behavior.status
    assert receiver.spans == []  # a refused export is not received


def test_401_carries_codex_debug_headers(receiver_factory: Any) -> None:
    behavior = Behavior.unauthorized(
        request_id="req-abc", cf_ray="ray-1", authorization_error="bad", error_code="expired"
    )
    receiver = receiver_factory(behavior=behavior, grpc=False)
    status, _, headers = post(receiver)
    assert status == 401
    assert (headers["x-request-id"], headers["cf-ray"]) == ("req-abc", "ray-1")
    assert headers["x-openai-authorization-error"] == "bad"
    assert json.loads(base64.b64decode(headers["x-error-json"])) == {"error": {"code": "expired"}}


def test_error_body_is_sent_as_given(receiver_factory: Any) -> None:
    body = json.dumps({"error": {"message": f"invalid key {CANARY}"}})
    receiver = receiver_factory(
        behavior=Behavior(
            status=401, body=body, response_headers={"content-type": "application/json"}
        ),
        grpc=False,
    )
    status, reply, headers = post(receiver)
    assert (status, reply.decode()) == (401, body)
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "UNIMPLEMENTED"),
        (429, "RESOURCE_EXHAUSTED"),
        (503, "UNAVAILABLE"),
    ],
)
def test_grpc_gets_the_matching_status(receiver_factory: Any, status: int, code: str) -> None:
    behavior = Behavior(
        status=status, response_headers={"x-request-id": f"req-{status}"}, body=CANARY
    )
    receiver = receiver_factory(behavior=behavior, http=False)
    got, trailing, details = grpc_export(receiver)
    assert (got, trailing["x-request-id"], details) == (code, f"req-{status}", CANARY)
    assert grpc_code_for(status) == code
    (request,) = receiver.requests
    assert (request.status_answered, request.grpc_status) == (status, code)
    assert receiver.spans == []


def test_grpc_status_can_be_chosen_directly(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(status=500, grpc_status="DATA_LOSS"), http=False)
    assert grpc_export(receiver)[0] == "DATA_LOSS"


@pytest.mark.parametrize("client", ["http", "json", "grpc"])
def test_sdk_exporters_fail_on_401(receiver_factory: Any, client: Any) -> None:
    receiver = receiver_factory(behavior=Behavior.unauthorized())
    assert not export("traces", client, receiver, timeout=2)
    assert receiver.requests[0].status_answered == 401


# --- required header, scoped behaviour, flapping ---------------------------------------------


def test_require_header_over_http(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(require_header=("x-api-key", "k-1")), grpc=False)
    assert post(receiver)[0] == 401
    assert post(receiver, headers={"X-Api-Key": "wrong"})[0] == 401
    assert post(receiver, headers={"X-Api-Key": "k-1"})[0] == 200
    assert len(receiver.spans) == 1
    assert [r.status_answered for r in receiver.requests] == [401, 401, 200]


def test_require_header_over_grpc(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(require_header=("x-api-key", "k-1")), http=False)
    assert grpc_export(receiver)[0] == "UNAUTHENTICATED"
    assert grpc_export(receiver, metadata=(("x-api-key", "k-1"),))[0] == "OK"
    assert len(receiver.spans) == 1


def test_require_header_with_sdk_exporters(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(require_header=("statsig-api-key", "secret-x")))
    assert export("metrics", "json", receiver, headers={"statsig-api-key": "secret-x"})
    assert export("metrics", "grpc", receiver, headers={"statsig-api-key": "secret-x"})
    assert not export("metrics", "http", receiver, timeout=2)
    assert len(receiver.metric_points) == 2


def test_behaviour_can_target_one_signal(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(status=503, signals=frozenset({"traces"})))
    assert post(receiver, "traces")[0] == 503
    assert export("logs", "http", receiver)
    assert export("logs", "grpc", receiver)
    assert len(receiver.log_records) == 2


def test_behaviour_switches_at_runtime(receiver: Receiver) -> None:
    receiver.set_behavior(Behavior(status=503))
    assert post(receiver)[0] == 503
    assert grpc_export(receiver)[0] == "UNAVAILABLE"
    receiver.set_behavior(None)
    assert post(receiver)[0] == 200
    assert grpc_export(receiver)[0] == "OK"
    assert [r.status_answered for r in receiver.requests] == [503, 503, 200, 200]
    assert len(receiver.spans) == 2


# --- slow and silent collectors -------------------------------------------------------------


def test_slow_answer_arrives_after_the_delay(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(delay=0.3))
    started = time.monotonic()
    assert post(receiver)[0] == 200
    assert grpc_export(receiver)[0] == "OK"
    assert time.monotonic() - started >= 0.6  # a lower bound is the contract of ``delay``


def test_slow_answer_times_a_client_out(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(delay=5))
    with pytest.raises(TimeoutError):
        post(receiver, timeout=0.3)
    assert grpc_export(receiver, timeout=0.3)[0] == "DEADLINE_EXCEEDED"
    assert len(receiver.requests) == 2  # it arrived; it was the answer that was late


def test_blackhole_never_answers(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(blackhole=True))
    with pytest.raises(TimeoutError):
        post(receiver, timeout=0.3)
    assert grpc_export(receiver, timeout=0.3)[0] == "DEADLINE_EXCEEDED"
    assert [r.status_answered for r in receiver.requests] == [None, None]
    assert receiver.spans == []


def test_blackhole_with_sdk_exporters(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(blackhole=True))
    assert not export("traces", "http", receiver, timeout=0.5)
    assert not export("traces", "grpc", receiver, timeout=0.5)
    assert receiver.spans == []


def test_stop_is_prompt_with_hung_clients() -> None:
    """Held requests on both protocols and a half-sent request do not delay ``stop()``."""
    receiver = Receiver(behavior=Behavior(blackhole=True)).start()
    outcomes: list[str] = []

    def http_client() -> None:
        try:
            post(receiver, timeout=20)
            outcomes.append("http answered")
        except (OSError, urllib.error.URLError):
            outcomes.append("http cut")

    def grpc_client() -> None:
        outcomes.append("grpc " + grpc_export(receiver, timeout=20)[0])

    half_sent = socket.create_connection(("127.0.0.1", receiver.http_port))
    half_sent.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
    clients = [threading.Thread(target=http_client), threading.Thread(target=grpc_client)]
    for client in clients:
        client.start()
    assert receiver.wait_for_requests(2, timeout=10)

    started = time.monotonic()
    receiver.stop()
    assert time.monotonic() - started < 5  # bounded, whatever the clients do

    for client in clients:
        client.join(timeout=10)
    assert sorted(outcomes) == ["grpc UNAVAILABLE", "http cut"]
    half_sent.settimeout(5)
    assert half_sent.recv(1) == b""  # the half-sent connection was closed too
    half_sent.close()


def test_stop_is_idempotent(receiver: Receiver) -> None:
    receiver.stop()
    receiver.stop()
    with pytest.raises(RuntimeError):
        receiver.http_url  # noqa: B018


def test_logs_signal_over_grpc_behaviour(receiver_factory: Any) -> None:
    receiver = receiver_factory(behavior=Behavior(status=403), http=False)
    with grpc.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
        stub = logs_service_pb2_grpc.LogsServiceStub(channel)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.RpcError) as raised:
            stub.Export(logs_service_pb2.ExportLogsServiceRequest(), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert receiver.requests[0].signal == "logs"
