"""The local OTLP receiver decodes what the real SDK exporters send, over every protocol."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from codex_otel_config.receiver import (
    ReceivedLogRecord,
    ReceivedMetricPoint,
    ReceivedSpan,
    Receiver,
    format_item,
    free_port,
    item_to_json,
    otlp_json_problems,
)
from fixtures.receivers import CLIENTS, SERVICE, Client, export, sample_spans

pytestmark = pytest.mark.timeout(30)


def post(url: str, body: bytes, content_type: str, **headers: str) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), error.headers


def _trace_json() -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "j"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "hand"},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "by-hand",
                                "kind": 2,
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": "2",
                            }
                        ],
                    }
                ],
            }
        ]
    }


# --- every signal over every protocol -------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_spans_arrive_decoded(receiver: Receiver, client: Client) -> None:
    assert export("traces", client, receiver, headers={"x-test-header": "present"})
    span = receiver.wait_for_span("receiver.test.span", timeout=5)
    assert span is not None
    sent = sample_spans()  # same shape; ids differ, so compare structure
    assert len(span.trace_id) == 32 and len(span.span_id) == 16
    assert span.attributes == {"test.attr": "yes"}
    assert [(e.name, dict(e.attributes)) for e in span.events] == [
        ("receiver.test.event", {"event.attr": 7})
    ]
    assert span.resource["service.name"] == SERVICE
    assert span.resource["deployment.environment"] == "test"
    assert span.scope == "receiver-tests"
    assert span.kind == sent[0].kind.value + 1  # SDK enum is 0-based, OTLP's is 1-based
    (request,) = receiver.requests
    assert request.protocol == ("grpc" if client == "grpc" else "http")
    assert request.encoding == ("json" if client == "json" else "protobuf")
    assert request.signal == "traces" and request.status_answered == 200
    assert request.headers["x-test-header"] == "present"
    assert request.item_count == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_log_records_arrive_decoded(receiver: Receiver, client: Client) -> None:
    assert export("logs", client, receiver)
    record = receiver.wait_for_log("receiver.test.log", timeout=5)
    assert record is not None
    assert record.event_name == "receiver.test.log"
    assert record.body == "hello receiver"
    assert record.severity_text == "INFO"
    assert record.attributes == {"test.attr": "yes"}
    assert record.resource["service.name"] == SERVICE
    assert record.protocol == ("grpc" if client == "grpc" else "http")


@pytest.mark.parametrize("client", CLIENTS)
def test_metric_points_arrive_decoded(receiver: Receiver, client: Client) -> None:
    assert export("metrics", client, receiver)
    point = receiver.wait_for_metric("receiver.test.count", timeout=5)
    assert point is not None
    assert (point.kind, point.value, point.temporality) == ("sum", 3, "delta")
    assert point.attributes == {"test.attr": "yes"}
    assert point.resource["service.name"] == SERVICE


@pytest.mark.parametrize("client", CLIENTS)
def test_gzip_is_decoded(receiver: Receiver, client: Client) -> None:
    assert export("traces", client, receiver, gzip=True)
    assert receiver.wait_for_span("receiver.test.span", timeout=5) is not None
    if client != "grpc":
        assert receiver.requests[0].headers["content-encoding"] == "gzip"


def test_json_exporter_payload_is_valid_otlp_json(receiver: Receiver) -> None:
    assert export("traces", "json", receiver)
    span = receiver.wait_for_span("receiver.test.span", timeout=5)
    assert span is not None
    raw = receiver.requests[0].raw_json
    assert raw is not None
    assert otlp_json_problems("traces", raw) == []
    sent = json.loads(raw)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert sent["traceId"] == span.trace_id  # hex on the wire, as OTLP JSON requires
    assert isinstance(sent["kind"], int)


# --- the HTTP surface -----------------------------------------------------------------------


def test_json_by_hand_is_answered_in_json(receiver: Receiver) -> None:
    body = json.dumps(_trace_json()).encode()
    status, reply, headers = post(receiver.endpoint("traces"), body, "application/json")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(reply) == {}
    (span,) = receiver.spans
    assert (span.name, span.trace_id, span.span_id) == (
        "by-hand",
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
    )
    assert receiver.requests[0].raw_json == body.decode()


def test_protobuf_gzip_by_hand_is_answered_in_protobuf(receiver: Receiver) -> None:
    message = json_format.ParseDict(
        {"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "pb", "traceId": "AAAA"}]}]}]},
        ExportTraceServiceRequest(),
    )
    status, reply, headers = post(
        receiver.endpoint("traces"),
        gzip.compress(message.SerializeToString()),
        "application/x-protobuf",
        **{"Content-Encoding": "gzip"},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/x-protobuf"
    assert reply == b""  # an empty ExportTraceServiceResponse
    assert [s.name for s in receiver.spans] == ["pb"]


def test_base64_ids_are_rejected_like_the_collector_does(receiver: Receiver) -> None:
    tree = _trace_json()
    tree["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "W47/95gDgQPSabYzgT/GDA=="
    status, reply, _ = post(
        receiver.endpoint("traces"), json.dumps(tree).encode(), "application/json"
    )
    assert status == 400
    assert b"traceId" in reply and b"hex" in reply
    assert receiver.spans == []
    assert receiver.requests[0].status_answered == 400


def test_enum_names_are_tolerated_but_reported(receiver: Receiver) -> None:
    tree = _trace_json()
    tree["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["kind"] = "SPAN_KIND_SERVER"
    text = json.dumps(tree)
    status, _, _ = post(receiver.endpoint("traces"), text.encode(), "application/json")
    assert status == 200
    assert receiver.spans[0].kind == 2
    (problem,) = receiver.requests[0].problems
    assert "kind" in problem and "integer" in problem
    assert otlp_json_problems("traces", text) == [problem]


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/v1/traces", "text/plain", 415),
        ("/v1/logs", "application/xml", 415),
        ("/v1/nope", "application/json", 404),
        ("/v1/traces/v1/traces", "application/x-protobuf", 404),
        ("/v1/metrics", "application/json", 400),  # not JSON at all
        ("/v1/metrics", "application/x-protobuf", 400),  # not a protobuf message
    ],
)
def test_bad_requests_are_answered_like_a_collector(
    receiver: Receiver, path: str, content_type: str, expected: int
) -> None:
    status, _, _ = post(receiver.http_url + path, b"\xff\x00garbage", content_type)
    assert status == expected
    (request,) = receiver.requests
    assert request.status_answered == expected and request.path == path
    assert receiver.spans == []
    assert receiver.log_records == []
    assert receiver.metric_points == []


def test_get_is_not_allowed(receiver: Receiver) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(receiver.endpoint("traces"), timeout=5)
    raised.value.close()
    assert raised.value.code == 405


def test_header_names_are_lower_cased(receiver: Receiver) -> None:
    post(receiver.endpoint("traces"), b"", "application/x-protobuf", **{"X-Mixed-Case": "v"})
    assert receiver.requests[0].headers["x-mixed-case"] == "v"


# --- waiting, callbacks, formatting ---------------------------------------------------------


def test_wait_for_returns_false_on_timeout(receiver: Receiver) -> None:
    assert receiver.wait_for(lambda: len(receiver.spans) > 0, timeout=0.2) is False
    assert receiver.wait_for_span("never", timeout=0.1) is None
    assert receiver.wait_for_log("never", timeout=0.1) is None
    assert receiver.wait_for_metric("never", timeout=0.1) is None


def test_wait_for_wakes_when_data_arrives(receiver: Receiver) -> None:
    results: list[bool] = []
    waiter = threading.Thread(
        target=lambda: results.append(receiver.wait_for(lambda: len(receiver.spans) == 1, 20))
    )
    waiter.start()
    assert export("traces", "http", receiver)
    waiter.join(timeout=20)
    assert results == [True]


def test_wait_for_log_accepts_a_predicate(receiver: Receiver) -> None:
    assert export("logs", "http", receiver)
    found = receiver.wait_for_log(lambda r: r.body == "hello receiver", timeout=5)
    assert found is not None and found.event_name == "receiver.test.log"


def test_clear_forgets_everything(receiver: Receiver) -> None:
    assert export("traces", "http", receiver)
    receiver.clear()
    assert receiver.requests == [] and receiver.spans == []


def test_on_item_sees_every_item_and_formats_it(receiver_factory: Any) -> None:
    seen: list[Any] = []
    receiver = receiver_factory(on_item=seen.append)
    for signal in ("traces", "logs", "metrics"):
        assert export(signal, "http", receiver)
    assert receiver.wait_for(lambda: len(seen) == 3, timeout=5)
    span, log, point = seen
    assert isinstance(span, ReceivedSpan)
    assert isinstance(log, ReceivedLogRecord)
    assert isinstance(point, ReceivedMetricPoint)
    line = format_item(span)
    assert line.startswith("span    receiver.test.span")
    assert f"trace={span.trace_id}" in line and "test.attr=yes" in line
    assert "events=receiver.test.event" in line and f"[{SERVICE} via http]" in line
    assert format_item(log).startswith("log     receiver.test.log  INFO")
    assert "value=3" in format_item(point)
    as_json = [item_to_json(item) for item in seen]
    json.dumps(as_json)  # serialisable
    assert [d["type"] for d in as_json] == ["span", "log", "metric"]
    assert as_json[0]["events"] == [
        {"name": "receiver.test.event", "attributes": {"event.attr": 7}}
    ]
    assert as_json[1]["body"] == "hello receiver"


def test_a_failing_on_item_does_not_break_the_receiver(receiver_factory: Any) -> None:
    def explode(item: Any) -> None:
        raise RuntimeError("printer broke")

    receiver = receiver_factory(on_item=explode)
    assert export("traces", "http", receiver)
    assert len(receiver.spans) == 1


# --- life cycle -----------------------------------------------------------------------------


def test_urls_and_ports() -> None:
    with Receiver() as receiver:
        assert receiver.http_url == f"http://127.0.0.1:{receiver.http_port}"
        assert receiver.grpc_url == f"http://127.0.0.1:{receiver.grpc_port}"
        assert receiver.endpoint("logs") == receiver.http_url + "/v1/logs"
        assert receiver.http_port != receiver.grpc_port
    with pytest.raises(RuntimeError):
        receiver.http_url  # noqa: B018


def test_given_ports_are_used() -> None:
    http_port, grpc_port = free_port(), free_port()
    with Receiver(http_port=http_port, grpc_port=grpc_port) as receiver:
        assert (receiver.http_port, receiver.grpc_port) == (http_port, grpc_port)


def test_a_taken_port_raises_and_leaves_nothing_running() -> None:
    with Receiver(grpc=False) as first:
        second = Receiver(http_port=first.http_port)
        with pytest.raises(OSError):
            second.start()
        with pytest.raises(RuntimeError):
            second.grpc_url  # noqa: B018  (gRPC never started, or was stopped)


def test_free_port_has_nothing_listening() -> None:
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", free_port()), timeout=2),
    ):
        pass


def test_http_only_receiver_does_not_import_grpc() -> None:
    code = (
        "import sys\n"
        "from codex_otel_config.receiver import Receiver\n"
        "with Receiver(grpc=False) as r:\n"
        "    print('grpc' in sys.modules, r.http_url)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=True
    )
    imported, url = result.stdout.split()
    assert imported == "False" and url.startswith("http://127.0.0.1:")


def test_grpc_only_receiver() -> None:
    with Receiver(http=False) as receiver:
        with pytest.raises(RuntimeError):
            receiver.http_url  # noqa: B018
        assert export("traces", "grpc", receiver)
        assert receiver.spans[0].protocol == "grpc"


def test_a_receiver_starts_once() -> None:
    receiver = Receiver(grpc=False).start()
    receiver.stop()
    with pytest.raises(RuntimeError, match="starts once"):
        receiver.start()


def test_request_repr_masks_header_values(receiver: Receiver) -> None:
    secret = "secret-4f1d2b7e9a0c5d6e"
    assert export("traces", "http", receiver, headers={"statsig-api-key": secret})
    (request,) = receiver.requests
    assert request.headers["statsig-api-key"] == secret  # the value is there for assertions
    assert secret not in repr(request) and "statsig-api-key" in repr(request)
