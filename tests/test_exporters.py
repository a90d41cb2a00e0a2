"""Layer 2: exporters built from resolved settings, against the real local receiver."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from codex_otel_config.errors import ExporterBuildError
from codex_otel_config.exporters.build import build_exporter
from codex_otel_config.exporters.tls import MaterialError
from codex_otel_config.outcomes import Code
from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.receiver.certs import TlsBundle
from codex_otel_config.settings.model import OtlpGrpc, OtlpHttp, Signal, Tls
from fixtures.receivers import sample

pytestmark = pytest.mark.timeout(60)

SIGNALS: tuple[Signal, ...] = ("traces", "logs", "metrics")
PROTOCOLS = ("binary", "json", "grpc")


def _settings_exporter(
    protocol: str,
    receiver: Receiver,
    signal: Signal,
    *,
    headers: dict[str, str] | None = None,
    tls: Tls | None = None,
    timeout: float = 5.0,
    compression: str = "none",
) -> OtlpHttp | OtlpGrpc:
    if protocol == "grpc":
        return OtlpGrpc(
            endpoint=receiver.grpc_url,
            headers=headers or {},
            tls=tls,
            timeout=timeout,
            compression=compression,  # type: ignore[arg-type]
        )
    return OtlpHttp(
        endpoint=receiver.endpoint(signal),
        headers=headers or {},
        protocol=protocol,  # type: ignore[arg-type]
        tls=tls,
        timeout=timeout,
        compression=compression,  # type: ignore[arg-type]
    )


def _export(signal: Signal, exporter: Any) -> bool:
    result = exporter.export(sample(signal))
    return bool(result.name == "SUCCESS")


def _items(receiver: Receiver, signal: Signal) -> list[Any]:
    return {
        "traces": receiver.spans,
        "logs": receiver.log_records,
        "metrics": receiver.metric_points,
    }[signal]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("signal", SIGNALS)
def test_each_signal_over_each_protocol(receiver: Receiver, signal: Signal, protocol: str) -> None:
    exporter = build_exporter(
        signal, _settings_exporter(protocol, receiver, signal, headers={"x-team": "obs"})
    )
    try:
        assert _export(signal, exporter)
    finally:
        exporter.shutdown()
    items = _items(receiver, signal)
    assert len(items) == 1
    assert items[0].attributes["test.attr"] == "yes"
    assert items[0].resource["service.name"] == "receiver-tests"
    request = receiver.requests[-1]
    assert request.headers.get("x-team") == "obs"
    assert request.protocol == ("grpc" if protocol == "grpc" else "http")
    if protocol != "grpc":
        assert request.encoding == ("json" if protocol == "json" else "protobuf")
    stats = exporter.stats.snapshot()
    assert (stats.exported, stats.failed, stats.last_ok, stats.last_error) == (1, 0, True, None)


_REQUEST_TYPES = {
    "traces": "opentelemetry.proto.collector.trace.v1.trace_service_pb2.ExportTraceServiceRequest",
    "logs": "opentelemetry.proto.collector.logs.v1.logs_service_pb2.ExportLogsServiceRequest",
    "metrics": (
        "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2.ExportMetricsServiceRequest"
    ),
}


def _message(signal: Signal) -> Any:
    import importlib

    module, _, name = _REQUEST_TYPES[signal].rpartition(".")
    return getattr(importlib.import_module(module), name)()


@pytest.mark.parametrize("signal", SIGNALS)
def test_json_payload_is_valid_otlp_json(receiver: Receiver, signal: Signal) -> None:
    exporter = build_exporter(signal, _settings_exporter("json", receiver, signal))
    assert _export(signal, exporter)
    exporter.shutdown()
    request = receiver.requests[-1]
    assert request.content_type.startswith("application/json")
    assert request.raw_json is not None
    assert request.problems == ()
    message = json_format.Parse(request.raw_json, _message(signal))  # strict: unknown fields fail
    assert message.ByteSize() > 0
    payload = json.loads(request.raw_json)
    if signal == "traces":
        span = payload["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        assert len(span["traceId"]) == 32 and int(span["traceId"], 16)
        assert len(span["spanId"]) == 16 and int(span["spanId"], 16)
        assert isinstance(span["kind"], int)
    if signal == "logs":
        record = payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
        assert isinstance(record.get("severityNumber", 0), int)
    if signal == "metrics":
        metric = payload["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]
        assert metric["sum"]["aggregationTemporality"] in (1, 2)


def test_gzip_and_headers_over_http(receiver: Receiver) -> None:
    exporter = build_exporter(
        "traces",
        _settings_exporter(
            "binary",
            receiver,
            "traces",
            headers={"Authorization": "Bearer t0k"},
            compression="gzip",
        ),
    )
    assert _export("traces", exporter)
    request = receiver.requests[-1]
    assert request.headers.get("content-encoding") == "gzip"
    assert request.headers.get("authorization") == "Bearer t0k"
    assert len(receiver.spans) == 1


@pytest.mark.parametrize("protocol", ["binary", "grpc"])
def test_environment_headers_are_not_applied_on_top(
    receiver: Receiver, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK exporters read OTEL_EXPORTER_OTLP_HEADERS from os.environ on their own; the
    resolved settings are the only source of headers."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-from-env=leak,x-team=env")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-traces-env=leak")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.000001")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "false")
    exporter = build_exporter(
        "traces", _settings_exporter(protocol, receiver, "traces", headers={"x-team": "settings"})
    )
    assert _export("traces", exporter)
    headers = receiver.requests[-1].headers
    assert headers.get("x-team") == "settings"
    assert headers.get("content-encoding") in (None, "identity")
    assert "grpc-encoding" not in headers or headers["grpc-encoding"] == "identity"
    assert "x-from-env" not in headers and "x-traces-env" not in headers
    without = build_exporter("traces", _settings_exporter(protocol, receiver, "traces"))
    assert _export("traces", without)
    assert "x-from-env" not in receiver.requests[-1].headers


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tls_with_custom_ca(receiver_factory: Any, tls_bundle: TlsBundle, protocol: str) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls())
    exporter = build_exporter(
        "traces",
        _settings_exporter(
            protocol, receiver, "traces", tls=Tls(ca_certificate=tls_bundle.ca_cert)
        ),
    )
    assert _export("traces", exporter), exporter.stats.snapshot().last_error
    assert receiver.spans[0].name


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_mutual_tls(receiver_factory: Any, tls_bundle: TlsBundle, protocol: str) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls(mutual=True))
    tls = Tls(
        ca_certificate=tls_bundle.ca_cert,
        client_certificate=tls_bundle.client_cert,
        client_private_key=tls_bundle.client_key,
    )
    exporter = build_exporter("traces", _settings_exporter(protocol, receiver, "traces", tls=tls))
    assert _export("traces", exporter), exporter.stats.snapshot().last_error
    assert len(receiver.spans) == 1
    without_cert = build_exporter(
        "traces",
        _settings_exporter(
            protocol, receiver, "traces", tls=Tls(ca_certificate=tls_bundle.ca_cert), timeout=2
        ),
    )
    assert not _export("traces", without_cert)
    assert len(receiver.spans) == 1
    error = without_cert.stats.snapshot().last_error
    assert error is not None and error.code in (
        Code.TLS_HANDSHAKE_FAILED,
        Code.GRPC_UNAVAILABLE,
        Code.UNEXPECTED_RESPONSE,
    )


@pytest.mark.parametrize("protocol", ["binary", "grpc"])
def test_host_name_is_verified_against_the_certificate(
    receiver_factory: Any, cert_authority: Any, tmp_path: Path, protocol: str
) -> None:
    from codex_otel_config.receiver import ServerTls

    cert, key = cert_authority.issue_server_certificate("collector.example").write(
        tmp_path, "server"
    )
    receiver = receiver_factory(tls=ServerTls(cert, key))
    ca = cert_authority.write(tmp_path / "ca.pem")
    exporter = build_exporter(
        "traces",
        _settings_exporter(protocol, receiver, "traces", tls=Tls(ca_certificate=ca), timeout=2),
    )
    assert not _export("traces", exporter)
    error = exporter.stats.snapshot().last_error
    assert error is not None and error.code is Code.TLS_HOSTNAME_MISMATCH, error
    assert receiver.spans == []


@pytest.mark.parametrize("protocol", ["binary", "json"])
def test_wrong_ca_fails_classified_untrusted_without_retrying(
    receiver_factory: Any, tls_bundle: TlsBundle, protocol: str
) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls())
    exporter = build_exporter(
        "logs",
        _settings_exporter(
            protocol, receiver, "logs", tls=Tls(ca_certificate=tls_bundle.other_ca_cert), timeout=8
        ),
    )
    assert not _export("logs", exporter)
    stats = exporter.stats.snapshot()
    assert stats.failed == 1
    assert stats.last_error is not None
    assert stats.last_error.code is Code.TLS_UNTRUSTED
    assert receiver.requests == []


def test_wrong_ca_over_grpc_fails(receiver_factory: Any, tls_bundle: TlsBundle) -> None:
    receiver = receiver_factory(tls=tls_bundle.server_tls())
    exporter = build_exporter(
        "traces",
        _settings_exporter(
            "grpc", receiver, "traces", tls=Tls(ca_certificate=tls_bundle.other_ca_cert), timeout=2
        ),
    )
    assert not _export("traces", exporter)
    error = exporter.stats.snapshot().last_error
    # grpc reports a failed handshake as UNAVAILABLE; the details name the certificate.
    assert error is not None and error.code is Code.TLS_UNTRUSTED
    assert error.grpc_status == "UNAVAILABLE"
    assert receiver.spans == []


@pytest.mark.parametrize(
    ("behavior", "code", "request_id"),
    [
        (Behavior.unauthorized(request_id="req-abc"), Code.AUTH_REJECTED, "req-abc"),
        (Behavior(status=403), Code.FORBIDDEN, None),
        (Behavior(status=404), Code.NOT_FOUND, None),
        (Behavior(status=415), Code.UNSUPPORTED_MEDIA_TYPE, None),
        (
            Behavior(status=503, response_headers={"x-request-id": "r-503"}),
            Code.SERVER_ERROR,
            "r-503",
        ),
    ],
)
def test_http_failures_are_classified(
    receiver: Receiver, behavior: Behavior, code: Code, request_id: str | None
) -> None:
    receiver.set_behavior(behavior)
    exporter = build_exporter("traces", _settings_exporter("binary", receiver, "traces", timeout=1))
    assert not _export("traces", exporter)
    error = exporter.stats.snapshot().last_error
    assert error is not None
    assert error.code is code
    assert error.request_id == request_id
    if code is Code.AUTH_REJECTED:
        assert error.cf_ray and error.http_status == 401


def test_grpc_unauthenticated_is_classified(receiver: Receiver) -> None:
    receiver.set_behavior(Behavior.unauthorized(request_id="req-grpc"))
    exporter = build_exporter("metrics", _settings_exporter("grpc", receiver, "metrics"))
    assert not _export("metrics", exporter)
    error = exporter.stats.snapshot().last_error
    assert error is not None
    assert (error.code, error.grpc_status, error.request_id) == (
        Code.GRPC_UNAUTHENTICATED,
        "UNAUTHENTICATED",
        "req-grpc",
    )


def test_header_values_never_reach_the_error_message(receiver: Receiver) -> None:
    secret = "sk-very-secret-value-0001"
    receiver.set_behavior(Behavior(status=403, body=f"denied for {secret}"))
    exporter = build_exporter(
        "traces", _settings_exporter("grpc", receiver, "traces", headers={"x-api-key": secret})
    )
    assert not _export("traces", exporter)
    error = exporter.stats.snapshot().last_error
    assert error is not None and error.code is Code.FORBIDDEN
    assert secret not in json.dumps(error.to_dict())


def test_metric_exporter_prefers_delta(receiver: Receiver) -> None:
    from opentelemetry.sdk.metrics import Counter, UpDownCounter
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    exporter = build_exporter("metrics", _settings_exporter("binary", receiver, "metrics"))
    assert exporter._preferred_temporality[Counter] is AggregationTemporality.DELTA
    assert exporter._preferred_temporality[UpDownCounter] is AggregationTemporality.CUMULATIVE


def test_unreadable_certificate_names_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(MaterialError) as info:
        build_exporter(
            "logs",
            OtlpHttp(endpoint="https://collector:4318/v1/logs", tls=Tls(ca_certificate=missing)),
        )
    assert info.value.key == "exporter.otlp-http.tls.ca-certificate"
    assert "does not exist" in str(info.value)
    assert isinstance(info.value, ExporterBuildError)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(MaterialError) as bad:
        build_exporter(
            "traces",
            OtlpGrpc(endpoint="https://collector:4317", tls=Tls(ca_certificate=garbage)),
            setting_key="trace_exporter.otlp-grpc",
        )
    assert bad.value.key == "trace_exporter.otlp-grpc.tls.ca-certificate"


def test_key_that_does_not_match_certificate(tls_bundle: TlsBundle) -> None:
    tls = Tls(
        ca_certificate=tls_bundle.ca_cert,
        client_certificate=tls_bundle.client_cert,
        client_private_key=tls_bundle.other_client_key,
    )
    with pytest.raises(MaterialError) as info:
        build_exporter("traces", OtlpHttp(endpoint="https://h:4318/v1/traces", tls=tls))
    assert info.value.key.endswith("tls.client-certificate")


def test_builders_do_not_connect() -> None:
    """Constructing exporters for an unroutable address returns at once (no network I/O);
    the first export is where the connection is made."""
    for protocol in PROTOCOLS:
        for signal in SIGNALS:
            endpoint = (
                "http://192.0.2.1:4317"
                if protocol == "grpc"
                else f"http://192.0.2.1:4318/v1/{signal}"
            )
            exporter: Any = (
                OtlpGrpc(endpoint=endpoint)
                if protocol == "grpc"
                else OtlpHttp(endpoint=endpoint, protocol=protocol)  # type: ignore[arg-type]
            )
            built = build_exporter(signal, exporter)
            assert built.stats.snapshot().exports == 0
            built.shutdown()


_IMPORT_PROBE = """
import sys
from codex_otel_config.exporters.build import build_exporter
from codex_otel_config.settings.model import OtlpHttp
for signal in ("traces", "logs", "metrics"):
    url = "http://127.0.0.1:4318/v1/" + signal
    build_exporter(signal, OtlpHttp(endpoint=url, protocol={protocol!r}))
print(",".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("protocol", ["binary", "json"])
def test_http_settings_never_import_grpc(protocol: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(protocol=protocol)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    loaded = [m for m in out.split(",") if m]
    assert not [
        m
        for m in loaded
        if m == "grpc" or m.startswith(("grpc.", "opentelemetry.exporter.otlp.proto.grpc"))
    ]
    assert not [m for m in loaded if m.startswith("requests")]
    json_loaded = [m for m in loaded if m.startswith("opentelemetry.exporter.otlp.json")]
    assert bool(json_loaded) == (protocol == "json")


_CA_VARIABLES = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ca_variables_never_override_the_configured_ca(
    receiver_factory: Any, tls_bundle: TlsBundle, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The machine's CA-bundle variables (set on many hosts) trust neither more nor less
    than the configured CA: the collector's CA in them does not rescue a wrong configured CA,
    and an unrelated CA in them does not break the right one."""
    receiver = receiver_factory(tls=tls_bundle.server_tls())
    for name in _CA_VARIABLES:
        monkeypatch.setenv(name, str(tls_bundle.ca_cert))
    wrong = build_exporter(
        "traces",
        _settings_exporter(
            protocol, receiver, "traces", tls=Tls(ca_certificate=tls_bundle.other_ca_cert)
        ),
    )
    assert not _export("traces", wrong)
    error = wrong.stats.snapshot().last_error
    assert error is not None and error.code is Code.TLS_UNTRUSTED, error
    assert receiver.spans == []
    for name in _CA_VARIABLES:
        monkeypatch.setenv(name, str(tls_bundle.other_ca_cert))
    right = build_exporter(
        "traces",
        _settings_exporter(
            protocol, receiver, "traces", tls=Tls(ca_certificate=tls_bundle.ca_cert)
        ),
    )
    assert _export("traces", right), right.stats.snapshot().last_error
    assert len(receiver.spans) == 1
