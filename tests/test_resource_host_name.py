"""``host.name`` is on the logs resource only (the crate's ``resource_attributes`` tests)."""

from __future__ import annotations

import socket

import pytest

from codex_otel_config.bootstrap import build_provider
from codex_otel_config.bootstrap.pipelines import resource_attributes
from codex_otel_config.receiver import Receiver
from codex_otel_config.settings.model import OtelSettings, OtlpHttp

pytestmark = pytest.mark.timeout(60)

SETTINGS = OtelSettings(service_name="codex-test", environment="test")


def test_resource_attributes_include_host_name_when_present() -> None:
    attributes = resource_attributes(SETTINGS, "opentelemetry-test", "logs")
    assert attributes["host.name"] == "opentelemetry-test"
    assert attributes["service.name"] == "codex-test" and attributes["env"] == "test"
    assert resource_attributes(SETTINGS, "  padded-host \n", "logs")["host.name"] == "padded-host"


def test_resource_attributes_omit_host_name_when_missing_or_empty() -> None:
    assert "host.name" not in resource_attributes(SETTINGS, None, "logs")
    assert "host.name" not in resource_attributes(SETTINGS, "   ", "logs")
    traces = resource_attributes(SETTINGS, "opentelemetry-test", "traces")
    assert "host.name" not in traces
    assert traces["service.name"] == "codex-test"


def test_a_configured_host_name_is_the_users_choice_on_both() -> None:
    settings = OtelSettings(resource_attributes={"host.name": "pinned"})
    assert resource_attributes(settings, "detected", "logs")["host.name"] == "pinned"
    assert resource_attributes(settings, "detected", "traces")["host.name"] == "pinned"


def test_built_providers_put_host_name_on_logs_only(receiver: Receiver) -> None:
    exporter = OtlpHttp(endpoint=receiver.http_url)
    provider = build_provider(
        OtelSettings(exporter=exporter, trace_exporter=exporter), set_global=False
    )
    assert provider is not None
    try:
        logs = dict(provider.logger_provider.resource.attributes)
        traces = dict(provider.tracer_provider.resource.attributes)
    finally:
        provider.shutdown(timeout=1)
    host = socket.gethostname().strip()
    assert logs.get("host.name") == (host or None)
    assert "host.name" not in traces
    assert {k: v for k, v in logs.items() if k != "host.name"} == traces
