"""``codex-otel-config check`` through the real console script, against real receivers.

Each test writes a settings file, runs the command in a subprocess and reads its ``--json``
document (or its table). The ``cli`` fixture fails any test whose output holds a secret
canary or a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import signal as signals
import subprocess
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.receiver import Behavior, Receiver, free_port
from codex_otel_config.receiver.certs import CertificateAuthority, TlsBundle
from fixtures.check_cli import (
    CLI,
    HEADER_CANARY,
    HEADERS_ENV,
    STATSIG_CANARY,
    CliRunner,
    grpc,
    http,
    without_proxies,
    write_settings,
)
from fixtures.check_cli import cli as cli

pytestmark = pytest.mark.timeout(60)

NOW = dt.datetime.now(dt.UTC)


def _settings(tmp_path: Path, **default: Any) -> Path:
    tables = {"default": {"trace_exporter": "none", "metrics_exporter": "none", **default}}
    return write_settings(tmp_path / "otel.toml", tables)


def _otlp(run: Any, signal: str = "logs") -> dict[str, Any]:
    (finding,) = run.findings(signal=signal, stage="otlp")
    return finding


# --- healthy endpoints ------------------------------------------------------------------------


def test_healthy_http_protobuf_json_and_grpc(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    path = _settings(
        tmp_path,
        exporter=http(receiver.http_url, "binary"),
        trace_exporter=grpc(receiver.grpc_url),
        metrics_exporter=http(receiver.http_url, "json"),
    )
    run = cli("check", "--json", "--config", str(path), env=HEADERS_ENV)
    assert run.returncode == 0, run.output
    doc = run.json()
    assert [s["protocol"] for s in doc["signals"]] == ["http/protobuf", "grpc", "http/json"]
    assert all(s["status"] == "ok" for s in doc["signals"])
    for signal in ("logs", "traces", "metrics"):
        stages = [f["stage"] for f in run.findings(signal=signal)]
        assert stages == ["endpoint", "dns", "tcp", "otlp"]
        assert all(f["elapsed_ms"] is not None for f in run.findings(signal=signal)[1:])
    assert _otlp(run, "traces")["grpc_status"] == "OK"
    assert _otlp(run, "metrics")["http_status"] == 200
    # The probe sent the configured header (the receiver saw it) and the right content types.
    probes = {r.signal: r for r in receiver.requests}
    assert probes["logs"].headers["authorization"] == f"Bearer {HEADER_CANARY}"
    assert probes["logs"].encoding == "protobuf" and probes["metrics"].encoding == "json"
    assert probes["traces"].protocol == "grpc"


def test_human_output_is_a_table_with_a_verdict(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    run = cli("check", "--config", str(_settings(tmp_path, exporter=http(receiver.http_url))))
    assert run.returncode == 0, run.output
    for word in ("signal", "stage", "status", "dns", "tcp", "otlp", "✓ all checks passed"):
        assert word in run.stdout
    # One status column (issue #12): the mark and the code, not the same word twice.
    header = next(line for line in run.stdout.splitlines() if line.startswith("signal"))
    assert header.split() == ["signal", "endpoint", "stage", "status", "ms", "details"]
    assert "✓ ok" in run.stdout and "✓ ok  ok" not in run.stdout


def test_human_output_fits_80_columns(cli: CliRunner, tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{free_port()}"
    path = _settings(tmp_path, exporter=http(refused), trace_exporter=grpc(refused))
    run = cli("check", "--config", str(path), env={"COLUMNS": "80"})
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, run.stdout
    # Each signal's endpoint and each hint's setting name stay whole, not folded mid-word.
    assert f"logs  {refused}/v1/logs" in lines and f"traces  {refused}" in lines
    assert "`exporter.otlp-http.endpoint`" in run.stdout
    assert "`trace_exporter.otlp-grpc.endpoint`" in run.stdout


# --- HTTP and gRPC answers ------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_401_reports_request_id_cf_ray_and_auth_error(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    receiver.set_behavior(
        Behavior.unauthorized(
            request_id="req-401-abc",
            cf_ray="8f01-SJC",
            authorization_error="missing_authorization_header",
            error_code="token_expired",
        )
    )
    exporter = http(receiver.http_url) if protocol == "http" else grpc(receiver.grpc_url)
    run = cli(
        "check", "--json", "--config", str(_settings(tmp_path, exporter=exporter)), env=HEADERS_ENV
    )
    assert run.returncode == 1, run.output
    otlp = _otlp(run)
    assert otlp["code"] == ("auth_rejected" if protocol == "http" else "grpc_unauthenticated")
    assert otlp["status"] == "fail"
    assert (otlp["request_id"], otlp["cf_ray"]) == ("req-401-abc", "8f01-SJC")
    assert otlp["auth_error"] == "missing_authorization_header"
    assert otlp["auth_error_code"] == "token_expired"
    assert "`authorization`" in otlp["hint"]
    assert "OTEL_EXPORTER_OTLP_HEADERS" in otlp["hint"]
    assert run.json()["signals"][0]["code"] == otlp["code"]


@pytest.mark.parametrize(
    ("status", "code", "hint"),
    [
        (403, "forbidden", "`authorization`"),
        (404, "not_found", "/v1/logs"),
        (415, "unsupported_media_type", "protocol"),
        (429, "rate_limited", "throttling"),
        (503, "server_error", "retry later"),
    ],
)
def test_http_error_statuses(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, status: int, code: str, hint: str
) -> None:
    receiver.set_behavior(Behavior(status=status, response_headers={"x-request-id": "req-9"}))
    run = cli(
        "check",
        "--json",
        "--config",
        str(_settings(tmp_path, exporter=http(receiver.http_url))),
        env=HEADERS_ENV,
    )
    assert run.returncode == 1, run.output
    otlp = _otlp(run)
    assert (otlp["code"], otlp["http_status"], otlp["request_id"]) == (code, status, "req-9")
    assert hint in otlp["hint"]


# --- network failures -----------------------------------------------------------------------------


def test_refused_port(cli: CliRunner, tmp_path: Path) -> None:
    port = free_port()
    run = cli(
        "check",
        "--json",
        "--config",
        str(_settings(tmp_path, exporter=http(f"http://127.0.0.1:{port}"))),
    )
    assert run.returncode == 1
    (tcp,) = run.findings(stage="tcp")
    assert tcp["code"] == "connection_refused" and str(port) in tcp["message"]
    assert "otel.toml [default]" in tcp["hint"]
    assert not run.findings(stage="otlp")  # the chain stops at the failing stage


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_black_hole_ends_within_the_timeout(
    cli: CliRunner, receiver_factory: Any, tmp_path: Path, protocol: str
) -> None:
    hole = receiver_factory(behavior=Behavior(blackhole=True))
    exporter = http(hole.http_url) if protocol == "http" else grpc(hole.grpc_url)
    timeout = 1.5
    run = cli(
        "check",
        "--json",
        "--timeout",
        str(timeout),
        "--config",
        str(_settings(tmp_path, exporter=exporter)),
    )
    assert run.returncode == 1
    otlp = _otlp(run)
    assert otlp["code"] == "timeout"
    assert timeout * 1000 <= otlp["elapsed_ms"] < timeout * 1000 + 1000
    assert run.elapsed < timeout + 10  # process start-up is the slack, not another timeout


def test_ctrl_c_ends_a_run_held_by_a_black_hole(receiver_factory: Any, tmp_path: Path) -> None:
    """The probes must not hold an interrupted run for their whole timeout."""
    hole = receiver_factory(grpc=False, behavior=Behavior(blackhole=True))
    path = _settings(tmp_path, exporter=http(hole.http_url))
    proc = subprocess.Popen(
        [CLI, "check", "--timeout", "60", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=without_proxies(os.environ),
    )
    try:
        assert hole.wait_for_requests(1, timeout=20)  # the otlp stage is waiting
        proc.send_signal(signals.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def test_unknown_host_is_dns_failed(cli: CliRunner, tmp_path: Path) -> None:
    run = cli(
        "check",
        "--json",
        "--config",
        str(_settings(tmp_path, exporter=grpc("http://collector.invalid:4317"))),
    )
    assert run.returncode == 1
    (dns,) = run.findings(stage="dns")
    assert dns["code"] == "dns_failed" and "collector.invalid" in dns["message"]


# --- TLS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["http", "grpc"])
@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("trusted", "ok"),
        ("untrusted", "tls_untrusted"),
        ("mtls-without-client-cert", "tls_handshake_failed"),
        ("mtls", "ok"),
    ],
)
def test_tls(
    cli: CliRunner,
    receiver_factory: Any,
    tls_bundle: TlsBundle,
    tmp_path: Path,
    case: str,
    code: str,
    protocol: str,
) -> None:
    mutual = case.startswith("mtls")
    server = receiver_factory(tls=tls_bundle.server_tls(mutual=mutual))
    tls: dict[str, str] = {
        "ca-certificate": str(
            tls_bundle.other_ca_cert if case == "untrusted" else tls_bundle.ca_cert
        )
    }
    if case == "mtls":
        tls |= {
            "client-certificate": str(tls_bundle.client_cert),
            "client-private-key": str(tls_bundle.client_key),
        }
    exporter = (
        http(server.http_url, tls=tls) if protocol == "http" else grpc(server.grpc_url, tls=tls)
    )
    run = cli("check", "--json", "--config", str(_settings(tmp_path, exporter=exporter)))
    (stage,) = run.findings(stage="tls")
    assert stage["code"] == code, stage
    assert stage["cert_subject"] == "CN=127.0.0.1"
    assert stage["cert_issuer"] == "CN=codex-otel-config test CA"
    assert stage["hostname_matches"] is True
    if code == "ok":
        assert run.returncode == 0, run.output
        assert _otlp(run)["status"] == "ok"
    else:
        assert run.returncode == 1
        assert not run.findings(stage="otlp")
    if case == "mtls-without-client-cert":
        assert "client-certificate" in stage["hint"] and "client-private-key" in stage["hint"]


def test_tls_hostname_mismatch(
    cli: CliRunner, receiver_factory: Any, cert_authority: CertificateAuthority, tmp_path: Path
) -> None:
    from codex_otel_config.receiver import ServerTls

    cert, key = cert_authority.issue_server_certificate("collector.example.com").write(
        tmp_path, "srv"
    )
    server = receiver_factory(grpc=False, tls=ServerTls(cert, key))
    ca = cert_authority.write(tmp_path / "ca.pem")
    exporter = http(server.http_url, tls={"ca-certificate": str(ca)})
    run = cli("check", "--json", "--config", str(_settings(tmp_path, exporter=exporter)))
    assert run.returncode == 1
    (stage,) = run.findings(stage="tls")
    assert stage["code"] == "tls_hostname_mismatch"
    assert stage["hostname_matches"] is False
    assert "collector.example.com" in stage["message"]


@pytest.mark.parametrize(
    ("validity", "code"),
    [
        (
            {"not_before": NOW - dt.timedelta(days=30), "not_after": NOW - dt.timedelta(days=1)},
            "certificate_expired",
        ),
        (
            {"not_before": NOW + dt.timedelta(days=2), "not_after": NOW + dt.timedelta(days=30)},
            "certificate_not_yet_valid",
        ),
    ],
    ids=["expired", "not-yet-valid"],
)
@pytest.mark.parametrize("whose", ["server", "client"])
def test_certificate_dates(
    cli: CliRunner,
    receiver_factory: Any,
    cert_authority: CertificateAuthority,
    tmp_path: Path,
    validity: dict[str, dt.datetime],
    code: str,
    whose: str,
) -> None:
    from codex_otel_config.receiver import ServerTls

    ca = cert_authority.write(tmp_path / "ca.pem")
    tls = {"ca-certificate": str(ca)}
    if whose == "server":
        cert, key = cert_authority.issue_server_certificate(**validity).write(tmp_path, "srv")
        endpoint = receiver_factory(grpc=False, tls=ServerTls(cert, key)).http_url
        stage = "tls"
        args: tuple[str, ...] = ()
    else:
        cert, key = cert_authority.issue_client_certificate(**validity).write(tmp_path, "client")
        tls |= {"client-certificate": str(cert), "client-private-key": str(key)}
        endpoint, stage, args = "https://127.0.0.1:4318", "certificates", ("--offline",)
    exporter = http(endpoint, tls=tls)
    run = cli("check", "--json", *args, "--config", str(_settings(tmp_path, exporter=exporter)))
    assert run.returncode == 1
    assert [f["code"] for f in run.findings(stage=stage) if f["status"] == "fail"] == [code]


def test_key_mismatch(cli: CliRunner, tls_bundle: TlsBundle, tmp_path: Path) -> None:
    tls = {
        "ca-certificate": str(tls_bundle.ca_cert),
        "client-certificate": str(tls_bundle.client_cert),
        "client-private-key": str(tls_bundle.other_client_key),
    }
    run = cli(
        "check",
        "--json",
        "--offline",
        "--config",
        str(_settings(tmp_path, exporter=http("https://127.0.0.1:4318", tls=tls))),
    )
    assert run.returncode == 1
    assert [f["code"] for f in run.findings(stage="certificates", status="fail")] == [
        "key_mismatch"
    ]


# --- settings, options, environments ------------------------------------------------------------


def test_settings_error_exits_2_without_traceback(cli: CliRunner, tmp_path: Path) -> None:
    path = _settings(tmp_path, exporter=http("http://127.0.0.1:4318", protocol="xml"))
    run = cli("check", "--json", "--config", str(path), env=HEADERS_ENV)
    assert run.returncode == 2, run.output
    (problem,) = run.findings(stage="settings", status="fail")
    assert problem["code"] == "invalid_setting"
    assert "protocol" in problem["message"] and "otel.toml" in problem["message"]
    human = cli("check", "--config", str(path))
    assert human.returncode == 2
    assert "settings could not be loaded" in human.stdout


def test_a_malformed_set_with_json_is_one_json_document(cli: CliRunner) -> None:
    run = cli("check", "--json", "--set", "nonsense")
    assert run.returncode == 2
    doc = run.json()
    assert doc["exit_code"] == 2
    (problem,) = run.findings(stage="settings", status="fail")
    assert problem["code"] == "invalid_setting" and "key=value" in problem["message"]


@pytest.mark.parametrize("args", [["--signal", "spans"], ["--timeout", "soon"], ["--nope"]])
def test_a_wrong_command_line_exits_2(cli: CliRunner, args: list[str]) -> None:
    assert cli("check", *args).returncode == 2


def test_offline_touches_no_network_and_signal_narrows(cli: CliRunner, tmp_path: Path) -> None:
    path = _settings(
        tmp_path,
        exporter=http(f"http://127.0.0.1:{free_port()}"),
        trace_exporter=http("http://collector.invalid:4318/custom"),
    )
    run = cli("check", "--json", "--offline", "--signal", "traces", "--config", str(path))
    assert run.returncode == 0, run.output  # a warning (unusual path) is not a failure
    doc = run.json()
    assert doc["offline"] is True
    assert {f["signal"] for f in doc["findings"]} == {None, "traces"}  # None: "settings loaded"
    (endpoint,) = run.findings(signal="traces")
    assert (endpoint["stage"], endpoint["status"]) == ("endpoint", "warn")
    assert "/custom" in endpoint["message"]


def test_all_envs_checks_every_environment_table(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    refused = f"http://127.0.0.1:{free_port()}"
    path = write_settings(
        tmp_path / "otel.toml",
        {
            "default": {"trace_exporter": "none", "exporter": http(receiver.http_url)},
            "staging": {"service_name": "billing-staging"},
            "production": {
                "exporter": http(refused),
                "metrics_exporter": http(receiver.http_url, "json"),
            },
        },
    )
    run = cli("check", "--json", "--all-envs", "--config", str(path), env=HEADERS_ENV)
    assert run.returncode == 1
    doc = run.json()
    # [default] alone (no environment selected, what runs by default) is its own entry.
    assert doc["environments"] == ["default", "production", "staging"]
    verdicts = {(s["environment"], s["signal"]): s["code"] for s in doc["signals"]}
    assert verdicts[("default", "logs")] == "ok"
    assert verdicts[("staging", "logs")] == "ok"
    assert verdicts[("production", "logs")] == "connection_refused"
    assert verdicts[("production", "metrics")] == "ok"
    human = cli("check", "--all-envs", "--config", str(path))
    assert "staging" in human.stdout and "production" in human.stdout


def test_statsig_key_is_sent_and_never_shown(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.set_behavior(Behavior(require_header=("statsig-api-key", STATSIG_CANARY)))
    path = _settings(tmp_path, metrics_exporter={"statsig": {"endpoint": receiver.http_url}})
    env = {"STATSIG_SERVER_SDK_SECRET": STATSIG_CANARY}
    run = cli("check", "--json", "--signal", "metrics", "--config", str(path), env=env)
    assert run.returncode == 0, run.output
    assert _otlp(run, "metrics")["status"] == "ok"
    receiver.set_behavior(Behavior(require_header=("statsig-api-key", "secret-other")))
    rejected = cli("check", "--signal", "metrics", "--config", str(path), env=env)
    assert rejected.returncode == 1
    assert "statsig-api-key" in rejected.stdout and "STATSIG_SERVER_SDK_SECRET" in rejected.stdout


def test_demo_needs_no_collector(cli: CliRunner) -> None:
    run = cli("check", "--demo", "--json")
    assert run.returncode == 0, run.output
    demo = run.json()["demo"]
    assert demo["ok"] is True
    assert demo["sent"] == {k: v for k, v in demo["received"].items() if k in demo["sent"]}
    assert demo["received"]["logs"] == 3 and demo["received"]["traces"] == 1
    human = cli("check", "--demo")
    assert human.returncode == 0
    assert "logs: 3 sent, 3 received" in human.stdout
