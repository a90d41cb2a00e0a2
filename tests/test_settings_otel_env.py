"""The standard OTEL_* variables, each with the specification's semantics (DESIGN §1.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_otel_config.settings.model import NoExporter, OtlpGrpc, OtlpHttp, ProcessorSettings, Tls
from settings_support import load, one_problem, problems, write


def test_generic_endpoint_appends_signal_path_even_with_a_path(tmp_path: Path) -> None:
    s = load(tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://gw.example.com/otlp/"})
    assert s.exporter_for("logs").endpoint == "https://gw.example.com/otlp/v1/logs"  # type: ignore[union-attr]
    assert s.exporter_for("traces").endpoint == "https://gw.example.com/otlp/v1/traces"  # type: ignore[union-attr]
    assert s.exporter_for("metrics").endpoint == "https://gw.example.com/otlp/v1/metrics"  # type: ignore[union-attr]


def test_per_signal_endpoint_is_verbatim(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9000/custom",
        },
    )
    assert s.exporter_for("traces").endpoint == "http://127.0.0.1:9000/custom"  # type: ignore[union-attr]
    assert s.exporter_for("logs").endpoint == "http://127.0.0.1:4318/v1/logs"  # type: ignore[union-attr]
    assert (
        s.source_of("trace_exporter.otlp-http.endpoint").variable
        == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )


def test_per_signal_endpoint_without_path_is_verbatim_with_a_warning(tmp_path: Path) -> None:
    """The spec: a per-signal endpoint is used as-is, a URL with no path meaning the root path;
    only the generic endpoint gets /v1/<signal>. The likely mistake gets a warning."""
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9000",
        },
    )
    assert s.exporter_for("traces").endpoint == "http://127.0.0.1:9000"  # type: ignore[union-attr]
    assert s.exporter_for("logs").endpoint == "http://127.0.0.1:4318/v1/logs"  # type: ignore[union-attr]
    assert [w for w in s.warnings if "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" in w] == [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT has no path: as the OpenTelemetry specification "
        "says, a per-signal endpoint is used as written, so traces are posted to / (collectors "
        "listen on /v1/traces: add that path to the variable)"
    ]
    # A later layer that sets the endpoint follows the settings rule again (path appended).
    later = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9000",
            "CODEX_OTEL_TRACE_EXPORTER__OTLP_HTTP__ENDPOINT": "http://127.0.0.1:9001",
        },
    )
    assert later.exporter_for("traces").endpoint == "http://127.0.0.1:9001/v1/traces"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("protocol", "kind", "encoding"),
    [
        ("grpc", OtlpGrpc, None),
        ("http/protobuf", OtlpHttp, "binary"),
        ("http/json", OtlpHttp, "json"),
    ],
)
def test_protocol(tmp_path: Path, protocol: str, kind: type, encoding: str | None) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        },
    )
    resolved = s.exporter_for("metrics")
    assert isinstance(resolved, kind)
    if encoding is None:
        assert resolved.endpoint == "http://127.0.0.1:4317"  # gRPC: no path appended
    else:
        assert resolved.protocol == encoding  # type: ignore[union-attr]
        assert resolved.endpoint == "http://127.0.0.1:4317/v1/metrics"


def test_per_signal_protocol_beats_generic(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "http/json",
        },
    )
    assert s.exporter_for("logs").protocol == "json"  # type: ignore[union-attr]
    assert s.exporter_for("traces").protocol == "binary"  # type: ignore[union-attr]


def test_protocol_switches_configured_exporter_and_keeps_fields(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default.metrics_exporter.otlp-http]
        endpoint = "https://c.example.com:4317"
        headers = { "x-key" = "value-1234567890" }
        timeout = 4
    """,
    )
    s = load(tmp_path, {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc"}, files=[f])
    assert s.metrics_exporter == OtlpGrpc(
        endpoint="https://c.example.com:4317", headers={"x-key": "value-1234567890"}, timeout=4.0
    )
    assert s.source_of("metrics_exporter").variable == "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"
    assert s.source_of("metrics_exporter.otlp-grpc.headers.x-key").layer == "file"


def test_timeout_is_milliseconds(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "500",
        },
    )
    assert s.exporter_for("logs").timeout == 2.5  # type: ignore[union-attr]
    assert s.exporter_for("traces").timeout == 0.5  # type: ignore[union-attr]


def test_headers_percent_decoded_and_per_signal_replaces_generic(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20abc%3D%3D, X-Tenant = acme",
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-only-logs=1",
        },
    )
    assert dict(s.exporter_for("traces").headers) == {  # type: ignore[union-attr]
        "authorization": "Bearer abc==",
        "x-tenant": "acme",
    }
    assert dict(s.exporter_for("logs").headers) == {"x-only-logs": "1"}  # type: ignore[union-attr]


def test_compression(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
            "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "none",
        },
    )
    assert s.exporter_for("logs").compression == "gzip"  # type: ignore[union-attr]
    assert s.exporter_for("metrics").compression == "none"  # type: ignore[union-attr]


def test_certificates(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("pem")
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example.com:4318",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(tmp_path / "ca.pem"),
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(tmp_path / "client.pem"),
            "OTEL_EXPORTER_OTLP_CLIENT_KEY": str(tmp_path / "client.key"),
        },
    )
    assert s.exporter_for("logs").tls == Tls(  # type: ignore[union-attr]
        tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key"
    )
    assert (
        s.source_of("exporter.otlp-http.tls.client-private-key").variable
        == "OTEL_EXPORTER_OTLP_CLIENT_KEY"
    )


def test_relative_certificate_path_resolves_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ca.pem").write_text("pem")
    monkeypatch.chdir(tmp_path)
    s = load(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example.com",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": "ca.pem",
        },
    )
    assert s.exporter_for("logs").tls.ca_certificate == tmp_path / "ca.pem"  # type: ignore[union-attr]


def test_signal_exporter_none_and_otlp(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_LOGS_EXPORTER": "none"},
    )
    assert isinstance(s.exporter_for("logs"), NoExporter)
    assert isinstance(s.exporter_for("traces"), OtlpHttp)  # traces do not follow logs to "none"
    only = load(tmp_path, {"OTEL_TRACES_EXPORTER": "otlp"})
    assert only.exporter_for("traces") == OtlpHttp(endpoint="http://localhost:4318/v1/traces")
    assert isinstance(only.exporter_for("logs"), NoExporter)
    assert only.source_of("trace_exporter.otlp-http.endpoint").layer == "derived"


def test_exporter_variable_overrides_file_statsig(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default]\nmetrics_exporter = "statsig"\n')
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        "STATSIG_SERVER_SDK_SECRET": "secret-1234567890",
    }
    kept = load(tmp_path, env, files=[f])
    assert kept.exporter_for("metrics").endpoint == "https://api.statsig.com/otlp/v1/metrics"  # type: ignore[union-attr]
    assert any("OTEL_EXPORTER_OTLP_ENDPOINT is not applied to metrics" in w for w in kept.warnings)
    switched = load(tmp_path, {**env, "OTEL_METRICS_EXPORTER": "otlp"}, files=[f])
    assert switched.exporter_for("metrics").endpoint == "http://127.0.0.1:4318/v1/metrics"  # type: ignore[union-attr]


def test_sdk_disabled(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "TRUE"},
    )
    assert s.sdk_disabled is True
    assert not s.exports_anything
    assert load(tmp_path, {"OTEL_SDK_DISABLED": "false"}).sdk_disabled is False


def test_service_name_and_resource_attributes(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,deployment.environment=prod%20eu,team=core"  # noqa: E501
        },
    )
    assert s.service_name == "from-attrs"
    assert s.resource_attributes == {"deployment.environment": "prod eu", "team": "core"}
    both = load(
        tmp_path,
        {
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs",
            "OTEL_SERVICE_NAME": "from-service-name",
        },
    )
    assert both.service_name == "from-service-name"


def test_processor_variables(tmp_path: Path) -> None:
    env = {
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BSP_MAX_QUEUE_SIZE": "10",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "5",
        "OTEL_BSP_EXPORT_TIMEOUT": "1000",
        "OTEL_BLRP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_MAX_QUEUE_SIZE": "20",
        "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "6",
        "OTEL_BLRP_EXPORT_TIMEOUT": "2000",
        "OTEL_METRIC_EXPORT_INTERVAL": "3000",
    }
    s = load(tmp_path, env)
    assert s.processors == ProcessorSettings(100, 10, 5, 1000, 200, 20, 6, 2000, 3000)
    assert (
        s.source_of("processors.metric_export_interval_ms").variable
        == "OTEL_METRIC_EXPORT_INTERVAL"
    )


def test_empty_variables_count_as_unset(tmp_path: Path) -> None:
    s = load(tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_SERVICE_NAME": "  "})
    assert s.service_name == "codex-cli" and not s.exports_anything


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "xml",
            'env OTEL_EXPORTER_OTLP_PROTOCOL otlp.protocol: "xml" is not one of "grpc", "http/protobuf", "http/json"',  # noqa: E501
        ),
        (
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            "ten",
            'env OTEL_EXPORTER_OTLP_TIMEOUT otlp.timeout: expected a number of milliseconds from 0 to 2147483647, found "ten"',  # noqa: E501
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "-5",
            "env OTEL_EXPORTER_OTLP_TRACES_TIMEOUT trace_exporter.otlp.timeout: expected a number of milliseconds",  # noqa: E501
        ),
        (
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            "deflate",
            'env OTEL_EXPORTER_OTLP_COMPRESSION otlp.compression: "deflate" is not one of "none", "gzip"',  # noqa: E501
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "collector:4317",
            'env OTEL_EXPORTER_OTLP_ENDPOINT otlp.endpoint: "collector:4317" is not a URL',
        ),
        (
            "OTEL_METRICS_EXPORTER",
            "prometheus",
            'env OTEL_METRICS_EXPORTER metrics_exporter: "prometheus" is not one of "otlp", "console", "none"',  # noqa: E501
        ),
        (
            "OTEL_SDK_DISABLED",
            "yes-please",
            'env OTEL_SDK_DISABLED sdk_disabled: expected a boolean (true or false), found "yes-please"',  # noqa: E501
        ),
        (
            "OTEL_BSP_MAX_QUEUE_SIZE",
            "lots",
            'env OTEL_BSP_MAX_QUEUE_SIZE processors.bsp_max_queue_size: expected a whole number from 1 to 1000000, found "lots"',  # noqa: E501
        ),
    ],
)
def test_bad_values_are_errors(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    assert one_problem(tmp_path, {variable: value}).startswith(expected)


def test_bad_headers_never_show_values(tmp_path: Path) -> None:
    found = problems(tmp_path, {"OTEL_EXPORTER_OTLP_HEADERS": "x-ok=s3cr3t-value,broken-entry"})
    assert found == [
        "env OTEL_EXPORTER_OTLP_HEADERS otlp.headers: entry 2 is not name=value "
        "(entries are separated by commas)"
    ]
    assert "s3cr3t" not in found[0]


def test_several_bad_variables_are_reported_together(tmp_path: Path) -> None:
    found = problems(
        tmp_path, {"OTEL_EXPORTER_OTLP_PROTOCOL": "xml", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}
    )
    assert len(found) == 2
