"""Layer 4: providers built from settings, end to end against the real local receiver."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.bootstrap import OtelProvider, build_provider
from codex_otel_config.errors import ExporterBuildError, SettingsError
from codex_otel_config.outcomes import Code
from codex_otel_config.receiver import Behavior, Receiver, free_port
from codex_otel_config.settings.model import (
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    ProcessorSettings,
    Source,
    Statsig,
    Tls,
)

pytestmark = pytest.mark.timeout(60)

SLACK_S = 0.5  # scheduling slack on top of a contractual bound


@pytest.fixture
def providers() -> Iterator[list[OtelProvider]]:
    """Providers built by a test; each is shut down (bounded) afterwards."""
    built: list[OtelProvider] = []
    yield built
    for provider in built:
        provider.shutdown(timeout=1)


def _exporter(protocol: str, receiver: Receiver, **kwargs: Any) -> OtlpHttp | OtlpGrpc:
    if protocol == "grpc":
        return OtlpGrpc(endpoint=receiver.grpc_url, **kwargs)
    return OtlpHttp(endpoint=receiver.http_url, protocol=protocol, **kwargs)  # type: ignore[arg-type]


def _all_signals(exporter: Any, **kwargs: Any) -> OtelSettings:
    return OtelSettings(
        exporter=exporter, trace_exporter=exporter, metrics_exporter=exporter, **kwargs
    )


def _build(settings: OtelSettings, providers: list[OtelProvider], **kwargs: Any) -> OtelProvider:
    provider = build_provider(settings, set_global=False, **kwargs)
    assert provider is not None
    providers.append(provider)
    return provider


def _emit(provider: OtelProvider, tag: str = "x") -> None:
    if provider.tracer_provider is not None:
        tracer = provider.tracer_provider.get_tracer("bootstrap-tests")
        with tracer.start_as_current_span("bootstrap.span", attributes={"tag": tag}):
            pass
    if provider.logger_provider is not None:
        logger = logging.getLogger(f"bootstrap-tests.{tag}")
        logger.propagate = False
        handler = provider.logging_handler()
        logger.addHandler(handler)
        try:
            logger.warning("bootstrap log %s", tag, extra={"tag": tag})
        finally:
            logger.removeHandler(handler)
    if provider.metrics is not None:
        provider.metrics.counter("codex.bootstrap_test", 2, {"tag": tag})


def test_nothing_exported_is_none() -> None:
    assert build_provider(OtelSettings(), set_global=False) is None
    disabled = _all_signals(OtlpHttp(endpoint="http://127.0.0.1:1"), sdk_disabled=True)
    assert build_provider(disabled, set_global=False) is None


@pytest.mark.parametrize("protocol", ["binary", "json", "grpc"])
def test_every_signal_arrives_with_resource_and_attributes(
    receiver: Receiver, providers: list[OtelProvider], protocol: str
) -> None:
    settings = _all_signals(
        _exporter(protocol, receiver),
        environment="staging",
        service_name="billing-api",
        service_version="9.9.9",
        resource_attributes={"team": "obs", "service.name": "ignored"},
    )
    provider = _build(settings, providers)
    _emit(provider, tag=protocol)
    report = provider.force_flush(timeout=5)
    assert report.ok, str(report)
    assert {r.status for r in report} == {"ok"}
    assert (report["traces"].exported, report["logs"].exported) == (1, 1)
    assert report["metrics"].exported >= 1

    (span,) = receiver.spans
    assert span.name == "bootstrap.span" and span.attributes["tag"] == protocol
    for resource in (span.resource, receiver.log_records[0].resource):
        assert resource["service.name"] == "billing-api"  # the setting wins over the attribute
        assert resource["service.version"] == "9.9.9"
        assert resource["env"] == "staging"
        assert resource["team"] == "obs"
        assert resource["host.name"] == socket.gethostname().strip()
    (record,) = receiver.log_records
    assert record.body == f"bootstrap log {protocol}"
    assert record.attributes["tag"] == protocol
    point = next(p for p in receiver.metric_points if p.name == "codex.bootstrap_test")
    assert point.value == 2 and point.attributes["tag"] == protocol
    assert point.resource["service.name"] == "billing-api" and point.resource["env"] == "staging"
    assert point.temporality == "delta"

    shutdown = provider.shutdown(timeout=5)
    assert shutdown.ok and provider.is_shut_down


def test_statsig_shorthand_sends_json_with_its_key(
    receiver: Receiver, providers: list[OtelProvider]
) -> None:
    key = "secret-0123456789abcdef"
    settings = OtelSettings(metrics_exporter=Statsig(api_key=key, endpoint=receiver.http_url))
    provider = _build(settings, providers)
    assert provider.signals == ("metrics",)
    provider.metrics.counter("codex.statsig_test", 1)  # type: ignore[union-attr]
    assert provider.force_flush(timeout=5).ok
    request = receiver.requests[-1]
    assert request.path == "/v1/metrics"
    assert request.encoding == "json"
    assert request.headers["statsig-api-key"] == key
    assert receiver.wait_for_metric("codex.statsig_test", timeout=2) is not None


def test_none_on_one_signal_leaves_the_others_working(
    receiver: Receiver, providers: list[OtelProvider]
) -> None:
    settings = OtelSettings(
        exporter=_exporter("binary", receiver),
        trace_exporter=NoExporter(),
        metrics_exporter=_exporter("grpc", receiver),
    )
    provider = _build(settings, providers)
    assert provider.tracer_provider is None
    assert provider.logger_provider is not None and provider.meter_provider is not None
    _emit(provider)
    report = provider.force_flush(timeout=5)
    assert report["traces"].status == "skipped"
    assert report["logs"].status == "ok" and report["metrics"].status == "ok"
    assert len(receiver.log_records) == 1 and receiver.metric_points
    assert receiver.spans == []


@pytest.mark.parametrize("protocol", ["binary", "grpc"])
def test_rejected_exports_fail_with_the_code_and_request_id(
    receiver: Receiver, providers: list[OtelProvider], protocol: str
) -> None:
    receiver.set_behavior(Behavior.unauthorized(request_id="req-boot-401"))
    provider = _build(_all_signals(_exporter(protocol, receiver, timeout=2)), providers)
    _emit(provider)
    report = provider.force_flush(timeout=5)
    assert not report.ok
    expected = Code.AUTH_REJECTED if protocol == "binary" else Code.GRPC_UNAUTHENTICATED
    for signal in ("traces", "logs", "metrics"):
        entry = report[signal]  # type: ignore[index]
        assert entry.status == "failed", str(report)
        assert entry.error is not None and entry.error.code is expected
        assert entry.error.request_id == "req-boot-401"
        assert entry.failed >= 1 and entry.exported == 0
    as_json = json.loads(json.dumps(report.to_dict()))
    assert as_json["signals"]["traces"]["error"]["code"] == expected.value


def test_server_error_is_reported_failed(receiver: Receiver, providers: list[OtelProvider]) -> None:
    receiver.set_behavior(Behavior(status=503, response_headers={"x-request-id": "r-503"}))
    settings = OtelSettings(trace_exporter=_exporter("binary", receiver, timeout=1))
    provider = _build(settings, providers)
    _emit(provider)
    report = provider.force_flush(timeout=4)
    traces = report["traces"]
    assert traces.status == "failed"
    assert traces.error is not None and traces.error.code is Code.SERVER_ERROR
    assert traces.error.request_id == "r-503"
    # A later flush with nothing new to send still says the pipeline is failing.
    assert provider.force_flush(timeout=2)["traces"].status == "failed"


@pytest.mark.fault
@pytest.mark.parametrize("protocol", ["binary", "json", "grpc"])
def test_black_holed_collector_is_bounded(
    receiver: Receiver, providers: list[OtelProvider], protocol: str
) -> None:
    receiver.set_behavior(Behavior(blackhole=True))
    settings = _all_signals(_exporter(protocol, receiver, timeout=30))
    started = time.monotonic()
    provider = _build(settings, providers)
    assert time.monotonic() - started < 2  # building opens no connection
    _emit(provider)

    started = time.monotonic()
    flush = provider.force_flush(timeout=1)
    assert time.monotonic() - started <= 1 + SLACK_S
    assert {r.status for r in flush} == {"timed_out"}

    started = time.monotonic()
    report = provider.shutdown(timeout=2)
    assert time.monotonic() - started <= 2 + SLACK_S
    for entry in report:
        assert entry.status in ("timed_out", "failed"), str(report)
        assert entry.error is not None and entry.error.code is Code.TIMEOUT
    assert report.elapsed_ms <= (2 + SLACK_S) * 1000


@pytest.mark.fault
@pytest.mark.parametrize("protocol", ["binary", "grpc"])
def test_a_timed_out_flush_stops_at_its_deadline(
    receiver: Receiver, providers: list[OtelProvider], protocol: str
) -> None:
    """A flush that timed out must not keep retrying behind the caller's back: its requests
    end at the deadline, so once the collector answers again the next flush delivers."""
    receiver.set_behavior(Behavior(blackhole=True))
    provider = _build(
        OtelSettings(trace_exporter=_exporter(protocol, receiver, timeout=30)), providers
    )
    tracer = provider.tracer_provider.get_tracer("deadline")
    with tracer.start_as_current_span("lost"):
        pass
    assert provider.force_flush(timeout=0.5)["traces"].status == "timed_out"
    # The flush's worker ends with its deadline: no retry, not even a back-off sleep.
    for worker in [t for t in threading.enumerate() if t.name == "codex-otel-flush-traces"]:
        worker.join(SLACK_S)
        assert not worker.is_alive()
    receiver.set_behavior(None)
    with tracer.start_as_current_span("delivered"):
        pass
    report = provider.force_flush(timeout=5)["traces"]
    # "lost" was never answered (its failure may end inside this flush's window, so the
    # status may say "failed"); "delivered" was sent and answered.
    assert (report.exported, report.failed) == (1, 1), str(report)
    assert "delivered" in [span.name for span in receiver.spans]


@pytest.mark.fault
@pytest.mark.parametrize("protocol", ["binary", "grpc"])
def test_refused_collector_is_bounded_and_classified(
    providers: list[OtelProvider], protocol: str
) -> None:
    port = free_port()
    exporter: OtlpHttp | OtlpGrpc = (
        OtlpGrpc(endpoint=f"http://127.0.0.1:{port}", timeout=30)
        if protocol == "grpc"
        else OtlpHttp(endpoint=f"http://127.0.0.1:{port}", timeout=30)
    )
    provider = _build(_all_signals(exporter), providers)
    _emit(provider)
    started = time.monotonic()
    report = provider.shutdown(timeout=2)
    assert time.monotonic() - started <= 2 + SLACK_S
    for entry in report:
        assert entry.status in ("timed_out", "failed"), str(report)
        assert entry.error is not None
        assert entry.error.code is Code.CONNECTION_REFUSED, str(report)


def test_shutdown_is_idempotent_and_flush_after_it_is_skipped(
    receiver: Receiver, providers: list[OtelProvider]
) -> None:
    provider = _build(OtelSettings(trace_exporter=_exporter("binary", receiver)), providers)
    _emit(provider)
    first = provider.shutdown(timeout=3)
    assert first["traces"].status == "ok" and first["traces"].exported == 1
    assert provider.shutdown(timeout=3) is first
    assert {r.status for r in provider.force_flush(timeout=1)} == {"skipped"}


def test_context_manager_shuts_down(receiver: Receiver) -> None:
    provider = build_provider(OtelSettings(exporter=_exporter("json", receiver)), set_global=False)
    assert provider is not None
    with provider as entered:
        assert entered is provider
        _emit(provider)
    assert provider.is_shut_down
    assert len(receiver.log_records) == 1


def test_dropped_items_are_counted(receiver: Receiver, providers: list[OtelProvider]) -> None:
    processors = ProcessorSettings(
        bsp_max_queue_size=4, bsp_max_export_batch_size=4, bsp_schedule_delay_ms=60_000
    )
    provider = _build(
        OtelSettings(trace_exporter=_exporter("binary", receiver), processors=processors),
        providers,
    )
    tracer = provider.tracer_provider.get_tracer("drops")
    receiver.set_behavior(Behavior(delay=0.5))  # keep the worker busy while the queue fills
    for index in range(20):
        with tracer.start_as_current_span(f"span-{index}"):
            pass
    receiver.set_behavior(None)
    flush = provider.force_flush(timeout=5)
    report = flush["traces"]
    # Drops are not "ok" (issue #12): the signal is degraded and says why.
    assert report.status == "degraded"
    assert report.error is not None and report.error.code is Code.DROPPED
    assert not report.ok and not flush.ok
    assert f"traces degraded (dropped: {report.dropped} dropped" in flush.summary()
    assert report.dropped > 0
    assert report.exported + report.dropped == 20
    assert len(receiver.spans) == report.exported


def test_logging_handler_skips_export_machinery(
    receiver: Receiver, providers: list[OtelProvider]
) -> None:
    provider = _build(OtelSettings(exporter=_exporter("binary", receiver)), providers)
    handler = provider.logging_handler(logging.INFO)
    assert handler.level == logging.INFO
    for name in ("opentelemetry.exporter.otlp", "urllib3.connectionpool", "app"):
        record = logging.LogRecord(name, logging.ERROR, __file__, 1, f"from {name}", None, None)
        handler.handle(record)
    assert provider.force_flush(timeout=5).ok
    assert [r.body for r in receiver.log_records] == ["from app"]
    no_logs = _build(OtelSettings(trace_exporter=_exporter("binary", receiver)), providers)
    assert isinstance(no_logs.logging_handler(), logging.NullHandler)


def _batch_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("OtelBatch") and t.is_alive()}


def test_invalid_processor_tuning_follows_the_strict_policy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = Source(layer="otel-env", variable="OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
    settings = OtelSettings(
        trace_exporter=OtlpHttp(endpoint="http://127.0.0.1:4318"),
        processors=ProcessorSettings(bsp_max_queue_size=8, bsp_max_export_batch_size=64),
        provenance={"processors.bsp_max_export_batch_size": source},
    )
    before = _batch_threads()
    with pytest.raises(SettingsError) as info:
        build_provider(settings, set_global=False)
    assert info.value.key == "processors.bsp_max_export_batch_size"
    assert info.value.layer == "env OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
    with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
        assert build_provider(settings, set_global=False, strict=False) is None
    lines = [r.getMessage() for r in caplog.records if r.name == "codex_otel_config"]
    assert len(lines) == 1
    assert "processors.bsp_max_export_batch_size" in lines[0]
    assert "env OTEL_BSP_MAX_EXPORT_BATCH_SIZE" in lines[0] and "\n" not in lines[0]
    assert _batch_threads() == before


def test_unreadable_certificate_leaves_nothing_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings_file = tmp_path / "codex-otel.toml"
    key = "metrics_exporter.otlp-http.tls.ca-certificate"
    settings = OtelSettings(
        exporter=OtlpHttp(endpoint="http://127.0.0.1:4318"),
        trace_exporter=OtlpHttp(endpoint="http://127.0.0.1:4318"),
        metrics_exporter=OtlpHttp(
            endpoint="https://127.0.0.1:4318", tls=Tls(ca_certificate=tmp_path / "missing.pem")
        ),
        provenance={key: Source(layer="file", file=settings_file, table="production")},
    )
    before = _batch_threads()
    with pytest.raises(ExporterBuildError) as info:
        build_provider(settings, set_global=False)
    message = str(info.value)
    assert key in message and f"{settings_file} [production]" in message
    assert _batch_threads() == before
    # Non-strict: only the signal whose exporter cannot be built is off; the others run.
    with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
        provider = build_provider(settings, set_global=False, strict=False)
    assert provider is not None
    try:
        assert provider.signals == ("logs", "traces")
    finally:
        provider.shutdown(timeout=0.5)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "codex_otel_config"]
    assert key in line and "[production]" in line and "metrics not exported" in line
    assert _batch_threads() == before
