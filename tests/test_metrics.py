"""MetricsClient / MetricsConfig through the real SDK (the crate's metrics suites)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    ConsoleMetricExporter,
    HistogramDataPoint,
    NumberDataPoint,
)

from codex_otel_config.errors import CodexOtelError
from codex_otel_config.metrics import (
    InMemoryMetricExporter,
    MetricsClient,
    MetricsConfig,
    MetricsError,
    global_metrics,
    install_global,
    sanitize_metric_tag_value,
    start_global_timer,
)
from codex_otel_config.metrics.client import _reset_global_for_tests
from codex_otel_config.metrics.in_memory import DeltaTemporalityExporter


@pytest.fixture
def client() -> Iterator[MetricsClient]:
    c = MetricsClient(MetricsConfig.in_memory("test", "codex-cli", "1.2.3"))
    yield c
    c.shutdown()


@pytest.fixture
def no_global() -> Iterator[None]:
    previous = _reset_global_for_tests()
    yield
    _reset_global_for_tests()
    if previous is not None:
        install_global(previous)


def exported(client: MetricsClient) -> InMemoryMetricExporter:
    exporter = client.config.exporter
    assert isinstance(exporter, InMemoryMetricExporter)
    return exporter


def number_points(client: MetricsClient, name: str) -> list[NumberDataPoint]:
    points = exported(client).points(name)
    assert all(isinstance(p, NumberDataPoint) for p in points)
    return points  # type: ignore[return-value]


def histogram_points(client: MetricsClient, name: str) -> list[HistogramDataPoint]:
    points = exported(client).points(name)
    assert all(isinstance(p, HistogramDataPoint) for p in points)
    return points  # type: ignore[return-value]


# -- validation (validation.rs) -----------------------------------------------------------


def test_invalid_metric_name_is_rejected(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.counter("bad name", 1)
    assert caught.value.kind == "invalid_metric_name"
    assert isinstance(caught.value, CodexOtelError)


def test_empty_metric_name_is_rejected(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.histogram("", 1)
    assert caught.value.kind == "empty_metric_name"


def test_invalid_tag_key_is_rejected_with_label(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.counter("codex.ok", 1, {"bad key": "value"})
    assert caught.value.kind == "invalid_tag_component"
    assert caught.value.label == "tag key"


def test_invalid_tag_value_is_rejected_with_label(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.counter("codex.ok", 1, {"key": "bad value"})
    assert caught.value.kind == "invalid_tag_component"
    assert caught.value.label == "tag value"


def test_empty_tag_value_is_rejected(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.counter("codex.ok", 1, {"key": ""})
    assert caught.value.kind == "empty_tag_component"
    assert caught.value.label == "tag value"


def test_non_string_tag_value_is_named_not_called_empty(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.counter("codex.ok", 1, {"attempt": 2})  # type: ignore[dict-item]
    assert caught.value.kind == "invalid_tag_component"
    assert caught.value.label == "tag value"
    assert "2" in str(caught.value) and "empty" not in str(caught.value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_values_are_rejected(client: MetricsClient, value: float) -> None:
    """The SDK would drop them with a log line of its own; the crate's rules say why here."""
    for record in (client.histogram, client.record_duration):
        with pytest.raises(MetricsError) as caught:
            record("codex.ok", value)
        assert caught.value.kind == "invalid_value"


def test_negative_counter_increment_is_rejected(client: MetricsClient) -> None:
    with pytest.raises(MetricsError) as caught:
        client.counter("codex.ok", -1)
    assert caught.value.kind == "negative_counter_increment"


def test_slash_is_allowed_in_tags_only(client: MetricsClient) -> None:
    client.counter("codex.ok", 1, {"path": "/responses"})
    with pytest.raises(MetricsError):
        client.counter("codex/ok", 1)


def test_default_tags_are_validated_when_added() -> None:
    config = MetricsConfig.in_memory("test", "codex-cli", "1.2.3")
    with pytest.raises(MetricsError) as caught:
        config.with_tag("bad key", "x")
    assert caught.value.label == "tag key"
    assert config.with_tag("service", "codex-cli").default_tags == {"service": "codex-cli"}
    assert config.default_tags == {}  # frozen: with_* returned a new config


def test_a_rejected_call_records_nothing(client: MetricsClient) -> None:
    with pytest.raises(MetricsError):
        client.counter("codex.ok", 1, {"key": "bad value"})
    client.shutdown()
    assert number_points(client, "codex.ok") == []


# -- tags, temporality, shutdown ----------------------------------------------------------


def test_per_call_tags_override_default_tags() -> None:
    client = MetricsClient(
        MetricsConfig.in_memory("test", "codex-cli", "1.2.3")
        .with_tag("service", "codex-cli")
        .with_tag("team", "core")
    )
    client.counter("codex.turns", 1, {"service": "override", "source": "tui"})
    client.counter("codex.turns", 1)
    client.shutdown()
    attributes = sorted(
        (dict(p.attributes or {}) for p in number_points(client, "codex.turns")), key=len
    )
    assert attributes == [
        {"service": "codex-cli", "team": "core"},
        {"service": "override", "team": "core", "source": "tui"},
    ]


def test_shutdown_flushes_in_memory_exporter(client: MetricsClient) -> None:
    client.counter("codex.turns", 2)
    client.histogram("codex.tokens", 128)
    assert exported(client).get_finished_metrics() == []  # nothing exported before shutdown
    assert client.shutdown() is True
    assert [p.value for p in number_points(client, "codex.turns")] == [2]
    assert [p.sum for p in histogram_points(client, "codex.tokens")] == [128]
    assert client.shutdown() is True  # idempotent
    assert client.force_flush(1.0) is False  # nothing to flush into after shutdown


def test_counters_use_delta_temporality(client: MetricsClient) -> None:
    client.counter("codex.turns", 2)
    assert client.force_flush(2.0)
    client.counter("codex.turns", 3)
    client.shutdown()
    assert [p.value for p in number_points(client, "codex.turns")] == [2, 3]
    batch = exported(client).get_finished_metrics()[0]
    metric = batch.resource_metrics[0].scope_metrics[0].metrics[0]
    assert metric.data.aggregation_temporality is AggregationTemporality.DELTA  # type: ignore[union-attr]


def test_otlp_config_imposes_delta_on_a_cumulative_exporter() -> None:
    out = io.StringIO()
    console = ConsoleMetricExporter(
        out=out, formatter=lambda data: data.to_json(indent=None) + "\n"
    )
    client = MetricsClient(MetricsConfig.otlp("test", "codex-cli", "1.2.3", console))
    assert isinstance(client.reader._exporter, DeltaTemporalityExporter)
    client.counter("codex.turns", 4)
    assert client.shutdown(timeout=5.0)
    payloads = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    sums = [
        m["data"]
        for p in payloads
        for rm in p["resource_metrics"]
        for sm in rm["scope_metrics"]
        for m in sm["metrics"]
        if m["name"] == "codex.turns"
    ]
    assert sums and sums[0]["data_points"][0]["value"] == 4
    assert sums[0]["aggregation_temporality"] == AggregationTemporality.DELTA.value


def test_otlp_config_requires_an_sdk_exporter() -> None:
    with pytest.raises(MetricsError) as caught:
        MetricsConfig.otlp("test", "codex-cli", "1.2.3", "http://collector:4318")  # type: ignore[arg-type]
    assert caught.value.kind == "invalid_config"


def test_meter_name_and_resource() -> None:
    client = MetricsClient(
        MetricsConfig.in_memory("staging", "codex-cli", "1.2.3").with_resource_attributes(
            {"deployment.region": "eu", "service.name": "ignored"}
        )
    )
    client.counter("codex.turns", 1)
    client.shutdown()
    resource_metrics = exported(client).get_finished_metrics()[0].resource_metrics[0]
    attributes = dict(resource_metrics.resource.attributes)
    assert attributes["service.name"] == "codex-cli"
    assert attributes["service.version"] == "1.2.3"
    assert attributes["env"] == "staging"
    assert attributes["deployment.region"] == "eu"
    assert "host.name" not in attributes
    assert attributes.get("os", "x") != "unspecified"
    assert resource_metrics.scope_metrics[0].scope.name == "codex"


def test_resource_is_only_what_the_config_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """The metrics resource does not re-read ``OTEL_RESOURCE_ATTRIBUTES`` from ``os.environ``
    (bootstrap may have read another environment) nor run resource detectors, which may be
    slow or reach the network; it matches the traces and logs resource."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "leaked=yes")
    monkeypatch.setenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "process")
    client = MetricsClient(MetricsConfig.in_memory("staging", "codex-cli", "1.2.3"))
    client.counter("codex.turns", 1)
    client.shutdown()
    resource_metrics = exported(client).get_finished_metrics()[0].resource_metrics[0]
    keys = set(resource_metrics.resource.attributes)
    assert "leaked" not in keys
    assert not any(key.startswith("process.") for key in keys), keys
    assert {"service.name", "service.version", "env", "telemetry.sdk.name"} <= keys


def test_record_duration_is_in_milliseconds(client: MetricsClient) -> None:
    client.record_duration("codex.op.duration_ms", timedelta(milliseconds=250))
    client.record_duration("codex.op.duration_ms", 0.5)
    with pytest.raises(MetricsError):
        client.record_duration("codex.op.duration_ms", -1.0)
    client.shutdown()
    (point,) = histogram_points(client, "codex.op.duration_ms")
    assert point.count == 2
    assert point.sum == pytest.approx(750.0)
    batch = exported(client).get_finished_metrics()[0]
    metric = batch.resource_metrics[0].scope_metrics[0].metrics[0]
    assert metric.unit == "ms"


def test_timer_records_once_with_tags(client: MetricsClient) -> None:
    with client.start_timer("codex.block.duration_ms", {"phase": "a"}):
        pass
    timer = client.start_timer("codex.block.duration_ms", {"phase": "b"})
    timer.record({"extra": "yes"})
    timer.record()  # a second record is ignored
    client.shutdown()
    attributes = sorted(
        (dict(p.attributes or {}) for p in histogram_points(client, "codex.block.duration_ms")),
        key=len,
    )
    assert attributes == [{"phase": "a"}, {"phase": "b", "extra": "yes"}]
    assert all(p.count == 1 for p in histogram_points(client, "codex.block.duration_ms"))


def test_timer_validates_at_start(client: MetricsClient) -> None:
    with pytest.raises(MetricsError):
        client.start_timer("bad name")


def test_timer_failure_is_logged_not_raised(
    client: MetricsClient, caplog: pytest.LogCaptureFixture
) -> None:
    timer = client.start_timer("codex.block.duration_ms")
    timer._tags = (("bad key", "v"),)  # a tag gone bad after start
    with caplog.at_level(logging.ERROR, logger="codex_otel_config.metrics"), timer:
        pass
    assert "codex.block.duration_ms" in caplog.text


def test_global_client_first_install_wins(no_global: None) -> None:
    with pytest.raises(MetricsError) as caught:
        start_global_timer("codex.x.duration_ms")
    assert caught.value.kind == "exporter_disabled"
    first = MetricsClient(MetricsConfig.in_memory("test", "a", "1"))
    second = MetricsClient(MetricsConfig.in_memory("test", "b", "1"))
    assert install_global(first) is True
    assert install_global(second) is False
    assert global_metrics() is first
    with start_global_timer("codex.x.duration_ms"):
        pass
    first.shutdown()
    second.shutdown()
    assert len(exported(first).points("codex.x.duration_ms")) == 1


def test_sanitize_metric_tag_value() -> None:
    assert sanitize_metric_tag_value("codex cli/rs") == "codex_cli/rs"
    assert sanitize_metric_tag_value("__ok__") == "ok"
    assert sanitize_metric_tag_value("!!!") == "unspecified"
    assert len(sanitize_metric_tag_value("a" * 300)) == 256
