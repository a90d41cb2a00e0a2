"""The SDK exporters' own log lines reach the application rarely and without secrets."""

from __future__ import annotations

import logging

import pytest

from codex_otel_config.bootstrap import build_provider
from codex_otel_config.receiver import free_port
from codex_otel_config.settings.model import OtelSettings, OtlpHttp, ProcessorSettings

CANARY = "querycanary-7Hq2"


@pytest.mark.timeout(60)
def test_a_down_collector_logs_a_few_safe_lines_not_one_per_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/v1/traces?token={CANARY}"
    settings = OtelSettings(
        trace_exporter=OtlpHttp(endpoint=endpoint, timeout=0.3),
        processors=ProcessorSettings(bsp_schedule_delay_ms=10, bsp_max_export_batch_size=1),
    )
    provider = build_provider(settings, set_global=False)
    assert provider is not None and provider.tracer_provider is not None
    tracer = provider.tracer_provider.get_tracer("t")
    with caplog.at_level(logging.DEBUG, logger="opentelemetry"):
        for flush in range(6):
            with tracer.start_as_current_span(f"span-{flush}"):
                pass
            provider.force_flush(timeout=1.0)
        report = provider.shutdown(timeout=2.0)
    assert report["traces"].failed == 6  # every failed batch is in the report …
    sdk = [r.getMessage() for r in caplog.records if r.name.startswith("opentelemetry.exporter")]
    assert sdk, "the SDK said nothing at all: the filter hid too much"
    assert len(sdk) == len(set(sdk)), sdk  # … and each distinct SDK line once, not per batch
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert CANARY not in text
