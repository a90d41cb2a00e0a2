"""Bootstrap behaviour that needs a process of its own: exit, globals, import cost, env."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config import bootstrap_from_env
from codex_otel_config.errors import SettingsError
from codex_otel_config.receiver import Behavior, Receiver

pytestmark = pytest.mark.timeout(90)

EXIT_SLACK_S = 1.5  # interpreter teardown on a busy machine, on top of exit_timeout


def _run(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=environ,
        check=False,
    )


_EMIT_AND_EXIT = """
import logging, sys, time
from codex_otel_config.bootstrap import build_provider
from codex_otel_config.settings.model import OtelSettings, OtlpHttp, OtlpGrpc

url = sys.argv[1] if len(sys.argv) > 1 else {url!r}
exporter = {exporter}
provider = build_provider(
    OtelSettings(exporter=exporter, trace_exporter=exporter, metrics_exporter=exporter),
    exit_timeout={exit_timeout},
)
with provider.tracer_provider.get_tracer("exit").start_as_current_span("exit.span"):
    pass
log = logging.getLogger("exit-app")
log.addHandler(provider.logging_handler())
log.warning("exit log")
provider.metrics.counter("codex.exit_test", 1)
print(time.monotonic(), flush=True)  # the parent measures exit time from here
"""


def _exit_script(url: str, protocol: str, exit_timeout: float) -> str:
    exporter = (
        "OtlpGrpc(endpoint=url, timeout=30)"
        if protocol == "grpc"
        else "OtlpHttp(endpoint=url, timeout=30)"
    )
    return _EMIT_AND_EXIT.format(url=url, exporter=exporter, exit_timeout=exit_timeout)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_at_exit_delivers_what_the_app_did_not_flush(
    receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    url = receiver.http_url if protocol == "http" else receiver.grpc_url
    result = _run(_exit_script(url, protocol, exit_timeout=5), tmp_path)
    assert result.returncode == 0, result.stderr
    assert receiver.wait_for_span("exit.span", timeout=5) is not None
    assert receiver.wait_for(lambda: receiver.log_records, timeout=5)
    assert receiver.wait_for_metric("codex.exit_test", timeout=5) is not None
    assert "shutdown at exit" not in result.stderr


@pytest.mark.fault
@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_at_exit_is_bounded_with_a_black_holed_collector(
    receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    """The export timeout is 30 s and the SDK would wait up to 30 s per processor; the
    process still exits within its 1 s exit timeout."""
    receiver.set_behavior(Behavior(blackhole=True))
    url = receiver.http_url if protocol == "http" else receiver.grpc_url
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_exit_script(url, protocol, exit_timeout=1))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    stdout, stderr = process.communicate(timeout=60)
    exited = time.monotonic()
    assert process.returncode == 0, stderr
    script_done = float(stdout.strip().splitlines()[-1])
    assert exited - script_done <= 1 + EXIT_SLACK_S
    assert "OpenTelemetry shutdown at exit" in stderr
    assert "timed_out" in stderr


def test_globals_are_installed_once(receiver: Receiver, tmp_path: Path) -> None:
    script = f"""
    import logging
    logging.basicConfig(level=logging.WARNING)
    from opentelemetry import trace, propagate, _logs, metrics
    from codex_otel_config.bootstrap import build_provider
    from codex_otel_config.metrics import global_metrics
    from codex_otel_config.settings.model import OtelSettings, OtlpHttp
    exporter = OtlpHttp(endpoint={receiver.http_url!r})
    settings = OtelSettings(exporter=exporter, trace_exporter=exporter, metrics_exporter=exporter)
    first = build_provider(settings)
    assert first.is_global
    assert trace.get_tracer_provider() is first.tracer_provider
    assert _logs.get_logger_provider() is first.logger_provider
    assert metrics.get_meter_provider() is first.meter_provider
    assert global_metrics() is first.metrics
    fields = propagate.get_global_textmap().fields
    assert "traceparent" in fields and "baggage" in fields, fields
    second = build_provider(settings)
    assert not second.is_global
    assert trace.get_tracer_provider() is first.tracer_provider
    print("OK")
    """
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
    warnings = [line for line in result.stderr.splitlines() if "codex_otel_config" in line]
    assert len(warnings) == 1 and "already set" in warnings[0]
    assert "Overriding of current" not in result.stderr  # the SDK's own complaint is avoided


_HEAVY = ("opentelemetry", "dynaconf", "grpc", "urllib3", "requests", "google.protobuf")


def test_nothing_configured_imports_nothing_heavy(tmp_path: Path) -> None:
    script = f"""
    import sys
    import codex_otel_config
    assert codex_otel_config.bootstrap_from_env() is None
    heavy = sorted(m for m in sys.modules if m.startswith({_HEAVY!r}))
    print(",".join(heavy))
    """
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_http_settings_import_neither_grpc_nor_json(tmp_path: Path) -> None:
    script = """
    import sys
    from codex_otel_config import bootstrap_from_env
    provider = bootstrap_from_env(set_global=False)
    assert provider is not None and provider.signals == ("logs", "traces", "metrics")
    print(",".join(sorted(sys.modules)))
    provider.shutdown(timeout=1)
    """
    result = _run(
        script,
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="otlp",
    )
    assert result.returncode == 0, result.stderr
    modules = set(result.stdout.strip().split(","))
    assert "opentelemetry.exporter.otlp.proto.http.trace_exporter" in modules
    assert not {m for m in modules if m == "grpc" or m.startswith("grpc.")}
    assert not {m for m in modules if m.startswith("opentelemetry.exporter.otlp.json")}
    assert not {m for m in modules if m.startswith("opentelemetry.exporter.otlp.proto.grpc")}
    assert "requests" not in modules  # our urllib3 transport replaces the SDK's requests one
    # Loaded on first use, not by bootstrap: the runtime-reader digest (runtime_metrics =
    # true sessions only) and the answer decoder (first answer body read).
    assert "codex_otel_config.metrics.runtime" not in modules
    assert "codex_otel_config.exporters.answers" not in modules
    never = ("check", "tui", "receiver", "cli", "scenario", "demo", "telemetry")
    assert not {m for m in modules if m.startswith(tuple(f"codex_otel_config.{n}" for n in never))}


def test_nothing_configured_adds_only_discovery_to_the_import(tmp_path: Path) -> None:
    script = """
    import sys
    import codex_otel_config
    before = set(sys.modules)
    assert codex_otel_config.bootstrap_from_env() is None
    print(",".join(sorted(set(sys.modules) - before)))
    """
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(",") == [
        "codex_otel_config.bootstrap",
        "codex_otel_config.bootstrap.discovery",
        "codex_otel_config.settings._files",
    ]


def test_lazy_metrics_names_still_resolve() -> None:
    from codex_otel_config import metrics
    from codex_otel_config.metrics import RuntimeMetricsSummary, RuntimeMetricTotals
    from codex_otel_config.metrics.runtime import RuntimeMetricsSummary as Direct

    assert RuntimeMetricsSummary is Direct
    assert RuntimeMetricTotals(1, 2).to_dict() == {"count": 1, "duration_ms": 2}
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = metrics.nope  # type: ignore[attr-defined]


# -- bootstrap_from_env in process (the loader reads the environ mapping we pass) ------------


def _environ(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {"CODEX_HOME": str(tmp_path), **variables}


def test_bootstrap_from_env_nothing_configured(tmp_path: Path) -> None:
    assert bootstrap_from_env(environ=_environ(tmp_path), set_global=False) is None


def test_bootstrap_from_env_sdk_disabled(tmp_path: Path) -> None:
    environ = _environ(
        tmp_path,
        OTEL_SDK_DISABLED="true",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_TRACES_EXPORTER="otlp",
    )
    assert bootstrap_from_env(environ=environ, set_global=False) is None


def test_bootstrap_from_env_exports_to_the_configured_endpoint(
    receiver: Receiver, tmp_path: Path
) -> None:
    environ = _environ(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_url,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
        OTEL_EXPORTER_OTLP_HEADERS="x-tenant=acme",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_SERVICE_NAME="env-service",
        OTEL_RESOURCE_ATTRIBUTES="team=obs",
    )
    provider = bootstrap_from_env(environ=environ, set_global=False)
    assert provider is not None
    try:
        assert provider.signals == ("traces",)
        with provider.tracer_provider.get_tracer("env").start_as_current_span("env.span"):
            pass
        assert provider.force_flush(timeout=5).ok
    finally:
        provider.shutdown(timeout=2)
    (span,) = receiver.spans
    assert span.resource["service.name"] == "env-service" and span.resource["team"] == "obs"
    request = receiver.requests[-1]
    assert request.encoding == "json" and request.headers["x-tenant"] == "acme"


_INVALID = {"OTEL_EXPORTER_OTLP_PROTOCOL": "xml", "OTEL_TRACES_EXPORTER": "otlp"}


def test_an_invalid_value_warns_once_and_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
        result = bootstrap_from_env(environ=_environ(tmp_path, **_INVALID), set_global=False)
    # The bad protocol is ignored (http/protobuf stands); traces still export.
    assert result is not None
    try:
        assert result.signals == ("traces",)
        assert result.settings.exporter_for("traces").kind == "otlp-http"
    finally:
        result.shutdown(timeout=0.5)
    lines = [r.getMessage() for r in caplog.records if r.name == "codex_otel_config"]
    assert len(lines) == 1, lines
    assert "OTEL_EXPORTER_OTLP_PROTOCOL" in lines[0] and "xml" in lines[0]


@pytest.mark.parametrize("how", ["argument", "variable"])
def test_strict_raises(tmp_path: Path, how: str) -> None:
    kwargs: dict[str, Any] = {"set_global": False}
    environ = _environ(tmp_path, **_INVALID)
    if how == "argument":
        kwargs["strict"] = True
    else:
        environ["CODEX_OTEL_STRICT"] = "true"
    with pytest.raises(SettingsError) as info:
        bootstrap_from_env(environ=environ, **kwargs)
    assert "OTEL_EXPORTER_OTLP_PROTOCOL" in info.value.layer


def test_unreachable_endpoint_never_raises(tmp_path: Path) -> None:
    environ = _environ(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector.invalid:4318",
        OTEL_TRACES_EXPORTER="otlp",
    )
    provider = bootstrap_from_env(environ=environ, strict=True, set_global=False)
    assert provider is not None
    report = provider.shutdown(timeout=1)
    assert report["traces"].status == "ok"  # nothing was emitted, nothing to fail
