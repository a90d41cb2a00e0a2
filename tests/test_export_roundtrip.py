"""``export --format otel-config|codex|env`` read back: the same settings, the same delivery.

For each configuration (HTTP protobuf, HTTP JSON, gRPC with mTLS, Statsig, mixed per-signal):
(b) the exported declarative YAML read back through our OTEL_CONFIG_FILE layer, (c) the Codex
table read back through the Codex layer, (d) the env lines sourced by a real shell and read back
through the OTEL_* layer each give equal settings; (a) the SDK's own ``configure_sdk`` on the
exported YAML, our ``bootstrap_from_env`` on the original and our ``bootstrap_from_env`` reading
the exported YAML as OTEL_CONFIG_FILE deliver the same resource and data to a local receiver
(each in its own process: all set the SDK's globals).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.export import export_settings, reference_name
from codex_otel_config.receiver import Receiver
from codex_otel_config.receiver.certs import TlsBundle
from codex_otel_config.settings.loader import load_settings
from codex_otel_config.settings.model import (
    SIGNALS,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Statsig,
)
from codex_otel_config.settings.schema import DEFAULT_TIMEOUT_S
from settings_support import write

STATSIG_KEY = "secret-roundtrip-key-0123456789"


def _http(endpoint: str, protocol: str) -> str:
    return f"""
        [default]
        service_name = "billing-api"
        service_version = "2.0.1"
        environment = "staging"
        log_user_prompt = true
        resource_attributes = {{ team = "payments", "cloud.region" = "eu, west" }}
        [default.processors]
        bsp_schedule_delay_ms = 200
        bsp_max_queue_size = 4096
        blrp_schedule_delay_ms = 300
        metric_export_interval_ms = 500
        [default.exporter.otlp-http]
        endpoint = "{endpoint}"
        protocol = "{protocol}"
        headers = {{ authorization = "Bearer tok-1234567890", x-tenant = "acme" }}
        timeout = 4.5
        compression = "gzip"
        [default.metrics_exporter.otlp-http]
        endpoint = "{endpoint}"
        protocol = "{protocol}"
        headers = {{ authorization = "Bearer tok-1234567890" }}
    """


def _grpc_mtls(endpoint: str, tls: TlsBundle) -> str:
    return f"""
        [default]
        service_name = "grpc-svc"
        [default.exporter.otlp-grpc]
        endpoint = "{endpoint}"
        headers = {{ x-api-key = "grpc-key-abcdef123456" }}
        tls = {{ ca-certificate = "{tls.ca_cert}", client-certificate = "{tls.client_cert}", client-private-key = "{tls.client_key}" }}
        [default.metrics_exporter.otlp-grpc]
        endpoint = "{endpoint}"
        tls = {{ ca-certificate = "{tls.ca_cert}", client-certificate = "{tls.client_cert}", client-private-key = "{tls.client_key}" }}
    """  # noqa: E501


def _statsig(endpoint: str) -> str:
    return f"""
        [default]
        service_name = "statsig-svc"
        exporter = {{ statsig = {{ endpoint = "{endpoint}" }} }}
        metrics_exporter = {{ statsig = {{ endpoint = "{endpoint}" }} }}
    """


def _mixed(http: str, grpc: str) -> str:
    return f"""
        [default]
        service_name = "mixed-svc"
        [default.exporter.otlp-grpc]
        endpoint = "{grpc}"
        timeout = 3
        [default.trace_exporter.otlp-http]
        endpoint = "{http}/v1/traces"
        protocol = "json"
        headers = {{ authorization = "Bearer other-token-99" }}
        [default.metrics_exporter]
        otlp-http = {{ endpoint = "{http}", protocol = "binary" }}
    """


Case = Callable[[Receiver, TlsBundle], str]
CASES: dict[str, Case] = {
    "http-protobuf": lambda r, t: _http(r.http_url, "binary"),
    "http-json": lambda r, t: _http(r.http_url, "json"),
    "grpc-mtls": lambda r, t: _grpc_mtls(r.grpc_url, t),
    "statsig": lambda r, t: _statsig(r.http_url),
    "mixed": lambda r, t: _mixed(r.http_url, r.grpc_url),
}


@pytest.fixture
def case_receiver(
    request: pytest.FixtureRequest,
    receiver_factory: Callable[..., Receiver],
    tls_bundle: TlsBundle,
) -> Receiver:
    if request.node.callspec.params["case"] == "grpc-mtls":
        return receiver_factory(tls=tls_bundle.server_tls(mutual=True))
    return receiver_factory()


def _original(tmp_path: Path, case: str, receiver: Receiver, tls: TlsBundle) -> Path:
    return write(tmp_path / "settings.toml", CASES[case](receiver, tls))


def _environ(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"CODEX_HOME": str(home), "STATSIG_SERVER_SDK_SECRET": STATSIG_KEY}


def _secret_env(settings: OtelSettings) -> dict[str, str]:
    """The variables the exported ``${VAR}`` references need, with their values."""
    out: dict[str, str] = {}
    for signal in SIGNALS:
        exporter = settings.exporter_for(signal)
        if isinstance(exporter, OtlpHttp | OtlpGrpc):
            for name, value in exporter.headers.items():
                out[reference_name(settings, signal, name)] = value.reveal()
    return out


def _resolved(settings: OtelSettings, *, codex: bool = False) -> dict[str, Any]:
    """What is built: the settings as ``exporter_for`` resolves them (so an endpoint written
    as a base URL equals the full URL the export writes)."""
    exporters: dict[str, Any] = {}
    for signal in SIGNALS:
        exporter = settings.exporter_for(signal)
        if codex and isinstance(exporter, OtlpHttp | OtlpGrpc):
            exporter = replace(exporter, timeout=DEFAULT_TIMEOUT_S, compression="none")
        exporters[signal] = exporter
    if codex:
        return {
            "environment": settings.environment,
            "log_user_prompt": settings.log_user_prompt,
            **exporters,
        }
    return {
        "environment": settings.environment,
        "service_name": settings.service_name,
        "service_version": settings.service_version,
        "resource_attributes": dict(settings.resource_attributes),
        "sdk_disabled": settings.sdk_disabled,
        "processors": settings.processors,
        **exporters,
    }


@pytest.mark.parametrize("case", list(CASES))
def test_otel_config_export_reads_back_equal(
    tmp_path: Path,
    case: str,
    case_receiver: Receiver,
    tls_bundle: TlsBundle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environ = _environ(tmp_path)
    original = load_settings(
        files=[_original(tmp_path, case, case_receiver, tls_bundle)], environ=environ
    )
    exported = export_settings(original, "otel-config")
    assert "tok-1234567890" not in exported.text and STATSIG_KEY not in exported.text
    path = tmp_path / "exported.yaml"
    path.write_text(exported.text)
    # the package's own loader accepts it (schema.json, file_format)
    from opentelemetry.configuration import load_config_file

    for name, value in _secret_env(original).items():
        monkeypatch.setenv(name, value)
    assert set(exported.variables) == set(_secret_env(original))
    load_config_file(path)
    back = load_settings(files=[], environ={**environ, "OTEL_CONFIG_FILE": str(path)})
    assert _resolved(back) == _resolved(original)
    assert back.log_user_prompt is False  # listed as not expressible, not carried
    if original.log_user_prompt:
        assert "log_user_prompt = true" in exported.text


@pytest.mark.parametrize("case", list(CASES))
def test_codex_export_reads_back_equal(
    tmp_path: Path, case: str, case_receiver: Receiver, tls_bundle: TlsBundle
) -> None:
    environ = _environ(tmp_path)
    original = load_settings(
        files=[_original(tmp_path, case, case_receiver, tls_bundle)], environ=environ
    )
    exported = export_settings(original, "codex")
    assert "tok-1234567890" not in exported.text
    home = tmp_path / "codex-home"
    write(home / "config.toml", exported.text)
    back = load_settings(
        files=[], environ={**environ, **_secret_env(original), "CODEX_HOME": str(home)}
    )
    assert _resolved(back, codex=True) == _resolved(original, codex=True)
    if isinstance(original.exporter, Statsig):  # the shorthand, the key left to the variable
        assert f'exporter = {{ statsig = {{ endpoint = "{original.exporter.endpoint}" }} }}' in (
            exported.text
        )


@pytest.mark.parametrize("case", list(CASES))
def test_env_export_sourced_by_a_shell_reads_back_equal(
    tmp_path: Path, case: str, case_receiver: Receiver, tls_bundle: TlsBundle
) -> None:
    environ = _environ(tmp_path)
    original = load_settings(
        files=[_original(tmp_path, case, case_receiver, tls_bundle)], environ=environ
    )
    exported = export_settings(original, "env")
    assert "tok-1234567890" not in exported.text and STATSIG_KEY not in exported.text
    script = tmp_path / "otel.env"
    script.write_text(exported.text)
    done = subprocess.run(
        ["sh", "-c", '. "$1" && env -0', "sh", str(script)],
        capture_output=True,
        env={"PATH": os.environ["PATH"], **environ, **_secret_env(original)},
        check=True,
    )
    sourced = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    back = load_settings(files=[], environ=sourced)
    assert _resolved(back) == _resolved(original)
    assert (back.log_user_prompt, back.runtime_metrics) == (
        original.log_user_prompt,
        original.runtime_metrics,
    )


def test_include_secrets_writes_them_in_clear(tmp_path: Path, receiver: Receiver) -> None:
    environ = _environ(tmp_path)
    settings_file = write(tmp_path / "s.toml", _statsig("http://x"))
    original = load_settings(files=[settings_file], environ=environ)
    for fmt in ("otel-config", "env"):
        text = export_settings(original, fmt, include_secrets=True).text  # type: ignore[arg-type]
        assert STATSIG_KEY in text
        assert "Secrets are written in clear" in text


def test_clear_exports_survive_shell_and_substitution_metacharacters(tmp_path: Path) -> None:
    nasty = 'a "b" $HOME ${HOME} `id` \\ c,d=e%f; it\'s'
    written = json.dumps(nasty.replace("$", "$$"))  # $$: a literal $ in a settings file
    settings_file = write(
        tmp_path / "s.toml",
        f"""
        [default]
        resource_attributes = {{ note = {written} }}
        [default.exporter.otlp-http]
        endpoint = "http://127.0.0.1:1"
        headers = {{ authorization = {written} }}
        """,
    )
    environ = _environ(tmp_path)
    original = load_settings(files=[settings_file], environ=environ)
    assert original.exporter_for("logs").headers["authorization"] == nasty  # type: ignore[union-attr]
    script = tmp_path / "otel.env"
    script.write_text(export_settings(original, "env", include_secrets=True).text)
    done = subprocess.run(
        ["sh", "-c", '. "$1" && env -0', "sh", str(script)],
        capture_output=True,
        env={"PATH": os.environ["PATH"], "HOME": "/nowhere", **environ},
        check=True,
    )
    sourced = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    back = load_settings(files=[], environ=sourced)
    assert back.exporter_for("logs").headers["authorization"] == nasty  # type: ignore[union-attr]
    assert back.resource_attributes["note"] == nasty
    # the two formats whose readers substitute ${VAR} keep a literal $ too ($$)
    yaml_file = tmp_path / "clear.yaml"
    yaml_file.write_text(export_settings(original, "otel-config", include_secrets=True).text)
    back = load_settings(files=[], environ={**environ, "OTEL_CONFIG_FILE": str(yaml_file)})
    assert back.exporter_for("logs").headers["authorization"] == nasty  # type: ignore[union-attr]
    assert back.resource_attributes["note"] == nasty
    home = tmp_path / "codex-home"
    write(home / "config.toml", export_settings(original, "codex", include_secrets=True).text)
    back = load_settings(files=[], environ={**environ, "CODEX_HOME": str(home)})
    assert back.exporter_for("logs").headers["authorization"] == nasty  # type: ignore[union-attr]


# -- (a) the SDK's configure_sdk on the export, our bootstrap on the original ----------------

_EMIT = r"""
import json, sys, time
mode, arg = sys.argv[1], sys.argv[2]
if mode == "sdk":
    from opentelemetry.configuration import configure_sdk, load_config_file
    configure_sdk(load_config_file(arg))
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider
elif mode == "file":  # our bootstrap reading the export through OTEL_CONFIG_FILE
    from codex_otel_config.bootstrap import bootstrap_from_env
    provider = bootstrap_from_env(files=[], strict=True)
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider
else:
    from codex_otel_config.bootstrap import bootstrap_from_env
    provider = bootstrap_from_env(files=[arg], strict=True)
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider
tracer = trace.get_tracer("roundtrip")
with tracer.start_as_current_span("roundtrip.span-" + mode) as span:
    span.set_attribute("mode", mode)
get_logger_provider().get_logger("roundtrip").emit(body="hello", event_name="roundtrip.log-" + mode)
metrics.get_meter("roundtrip").create_counter("roundtrip.count-" + mode).add(3)
for p in (trace.get_tracer_provider(), get_logger_provider(), metrics.get_meter_provider()):
    p.shutdown()
"""


def _emit(mode: str, arg: Path, environ: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _EMIT, mode, str(arg)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **environ},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


#: Attributes only one side sets: our bootstrap adds them at run time from the machine it runs
#: on (``host.name``; ``os`` / ``os_version`` on metrics, as Codex does); the export cannot
#: know that machine.
_RUNTIME_ONLY = ("host.name", "os", "os_version")


@pytest.mark.parametrize("case", list(CASES))
def test_sdk_configure_of_export_delivers_what_bootstrap_delivers(
    tmp_path: Path, case: str, case_receiver: Receiver, tls_bundle: TlsBundle
) -> None:
    environ = _environ(tmp_path)
    original_path = _original(tmp_path, case, case_receiver, tls_bundle)
    original = load_settings(files=[original_path], environ=environ)
    exported = export_settings(original, "otel-config")
    path = tmp_path / "exported.yaml"
    path.write_text(exported.text)
    secrets = _secret_env(original)
    # The SDK's configure_sdk (0.66b2) does not apply the file's tls (the export says so in a
    # comment): its gRPC exporter takes the certificates from these variables instead.
    sdk_tls = {}
    if case == "grpc-mtls":
        sdk_tls = {
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(tls_bundle.ca_cert),
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(tls_bundle.client_cert),
            "OTEL_EXPORTER_OTLP_CLIENT_KEY": str(tls_bundle.client_key),
        }
        assert "does not apply tls" in exported.text
    _emit("ours", original_path, environ)
    _emit("sdk", path, {**environ, **secrets, **sdk_tls})
    _emit("file", path, {**environ, **secrets, "OTEL_CONFIG_FILE": str(path)})

    def resource_of(mode: str) -> dict[str, dict[str, Any]]:
        found = {
            "traces": case_receiver.wait_for_span(f"roundtrip.span-{mode}", timeout=10),
            "logs": case_receiver.wait_for_log(f"roundtrip.log-{mode}", timeout=10),
            "metrics": case_receiver.wait_for_metric(f"roundtrip.count-{mode}", timeout=10),
        }
        out = {}
        for signal, item in found.items():
            assert item is not None, (mode, signal)
            out[signal] = {k: v for k, v in item.resource.items() if k not in _RUNTIME_ONLY}
        return out

    ours, sdk = resource_of("ours"), resource_of("sdk")
    assert ours == sdk
    assert resource_of("file") == ours
    assert ours["traces"]["service.name"] == original.service_name
    assert ours["traces"]["env"] == original.environment
    # the same headers reached the receiver on both paths
    requests = case_receiver.requests
    for signal in ("traces", "logs", "metrics"):
        exporter = original.exporter_for(signal)  # type: ignore[arg-type]
        if isinstance(exporter, OtlpHttp) and exporter.headers:
            seen = [r for r in requests if r.signal == signal]
            assert len(seen) >= 3
            for request in seen:
                for name, value in exporter.headers.items():
                    assert request.headers.get(name) == value


def test_output_file_is_0600_and_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "otel.yaml"
    env = {"PATH": os.environ["PATH"], "CODEX_HOME": str(tmp_path), "OTEL_SERVICE_NAME": "svc"}
    cmd = [sys.executable, "-m", "codex_otel_config", "export", "--format", "otel-config"]
    done = subprocess.run([*cmd, "--output", str(out)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "value: svc" in out.read_text()
    again = subprocess.run([*cmd, "--output", str(out)], env=env, capture_output=True, text=True)
    assert again.returncode == 2
    assert f"{out} exists" in again.stderr
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "elsewhere.yaml")
    followed = subprocess.run([*cmd, "-o", str(link)], env=env, capture_output=True, text=True)
    assert followed.returncode == 2
    assert not (tmp_path / "elsewhere.yaml").exists()
    shown = json.dumps(done.stderr)
    assert "Traceback" not in shown
