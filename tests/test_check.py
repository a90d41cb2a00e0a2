"""The check engine in-process: the offline phase, progress callbacks, parallelism, scrubbing.

The live stages against real receivers are exercised through the console script in
``test_cli_check.py``; here the engine is called as the TUI calls it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.check import CheckReport, Finding, discover_environments, run_check
from codex_otel_config.check.offline import settings_error_findings
from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.outcomes import Code
from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.receiver.certs import CertificateAuthority, TlsBundle
from codex_otel_config.settings.model import (
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Source,
    Tls,
)

CANARY = "canary-7f3a9c1e5b2d4e6f"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


def _http(endpoint: str, **kwargs: object) -> OtelSettings:
    return OtelSettings(exporter=OtlpHttp(endpoint, **kwargs))  # type: ignore[arg-type]


def _only(report: CheckReport, stage: str, signal: str | None = "logs") -> list[Finding]:
    return [f for f in report.findings if f.stage == stage and f.signal == signal]


# --- endpoint sanity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "status", "needle"),
    [
        (_http("http://collector:4318/v1/traces"), "fail", "names another signal"),
        (_http("http://collector:4318/v1/logs/v1/logs"), "fail", "repeats /v1/logs"),
        (_http("http://collector:4318/otlp"), "warn", "does not end in /v1/logs"),
        (
            _http("http://collector:4318", tls=Tls(ca_certificate=None)),
            "fail",
            "TLS block is set but the endpoint is http://",
        ),
        (
            OtelSettings(trace_exporter=OtlpGrpc("http://collector:4317/v1/traces")),
            "warn",
            "gRPC endpoint takes no path",
        ),
        (_http("http://collector:4318", timeout=10000.0), "warn", "meant in milliseconds"),
        (_http("ftp://collector:4318"), "fail", "scheme must be http or https"),
    ],
    ids=["other-signal", "doubled", "odd-path", "tls-on-http", "grpc-path", "ms-timeout", "scheme"],
)
def test_endpoint_sanity(settings: OtelSettings, status: str, needle: str) -> None:
    report = run_check(settings, offline=True)
    found = [f for f in report.findings if f.stage == "endpoint" and needle in f.message]
    assert found, [f.message for f in report.findings]
    assert found[0].status == status
    # Warnings have their own code (issue #12); failures stay invalid_setting.
    assert found[0].code is (Code.INVALID_SETTING if status == "fail" else Code.ENDPOINT_WARNING)
    assert found[0].hint and "`" in found[0].hint  # names the setting
    assert report.exit_code == (1 if status == "fail" else 0)


def test_a_proxy_in_the_environment_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    report = run_check(_http("https://collector.example.com:4318"), offline=True)
    (warning,) = [f for f in report.findings if f.status == "warn"]
    assert "HTTPS_PROXY" in warning.message and "NO_PROXY" in (warning.hint or "")
    monkeypatch.setenv("NO_PROXY", "collector.example.com")
    assert run_check(_http("https://collector.example.com:4318"), offline=True).warnings == ()


def test_nothing_exported_is_a_warning_not_a_pass() -> None:
    report = run_check(OtelSettings(), offline=True)
    assert report.exit_code == 0
    (warning,) = report.warnings
    assert "no signal is exported" in warning.message and "--demo" in (warning.hint or "")


def test_a_clean_endpoint_is_ok_and_offline_touches_no_network() -> None:
    report = run_check(_http("http://collector.invalid:4318"), offline=True)
    assert report.exit_code == 0
    assert {f.stage for f in report.findings} <= {"settings", "endpoint"}
    (endpoint,) = _only(report, "endpoint")
    assert endpoint.message == "http/protobuf, export timeout 10 s"
    assert endpoint.endpoint == "http://collector.invalid:4318/v1/logs"
    # Online, the row names the timeout the probes use (issue #12), beside the exporter's.
    online = run_check(_http("http://127.0.0.1:9"), timeout=0.5, signals=["logs"])
    (row,) = _only(online, "endpoint")
    assert row.message == "http/protobuf, probe timeout 0.5 s (export 10 s)"


# --- files and certificates -------------------------------------------------------------------


def _tls_settings(tls: Tls) -> OtelSettings:
    return _http("https://127.0.0.1:4318", tls=tls)


def test_missing_tls_file_is_file_missing(tmp_path: Path) -> None:
    settings = OtelSettings(
        exporter=OtlpHttp("https://127.0.0.1:4318", tls=Tls(ca_certificate=tmp_path / "nope.pem")),
        provenance={
            "exporter": Source(layer="file", file=Path("codex-otel.toml"), table="default")
        },
    )
    report = run_check(settings, offline=True)
    (missing,) = _only(report, "files")
    assert missing.code is Code.FILE_MISSING and missing.status == "fail"
    assert missing.file == str(tmp_path / "nope.pem")
    assert "exporter.otlp-http.tls.ca-certificate" in (missing.hint or "")
    assert "codex-otel.toml [default]" in (missing.hint or "")
    assert report.exit_code == 1


def test_a_file_that_is_not_pem_is_reported(tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate")
    report = run_check(_tls_settings(Tls(ca_certificate=junk)), offline=True)
    (bad,) = _only(report, "certificates")
    assert bad.code is Code.INVALID_SETTING and "not a PEM certificate" in bad.message


@pytest.mark.parametrize(
    ("validity", "code", "status"),
    [
        (
            {"not_before": NOW - dt.timedelta(days=30), "not_after": NOW - dt.timedelta(days=1)},
            Code.CERTIFICATE_EXPIRED,
            "fail",
        ),
        (
            {"not_before": NOW + dt.timedelta(days=2), "not_after": NOW + dt.timedelta(days=30)},
            Code.CERTIFICATE_NOT_YET_VALID,
            "fail",
        ),
        ({"not_after": NOW + dt.timedelta(days=5)}, Code.CERTIFICATE_EXPIRING, "warn"),
        ({}, Code.OK, "ok"),
    ],
    ids=["expired", "not-yet-valid", "expiring", "valid"],
)
def test_client_certificate_validity(
    tmp_path: Path, cert_authority: CertificateAuthority, validity: dict, code: Code, status: str
) -> None:
    ca = cert_authority.write(tmp_path / "ca.pem")
    cert, key = cert_authority.issue_client_certificate(**validity).write(tmp_path, "client")
    report = run_check(_tls_settings(Tls(ca, cert, key)), offline=True)
    client = [f for f in _only(report, "certificates") if f.file == str(cert)]
    assert client[0].code is code and client[0].status == status
    assert client[0].cert_subject == "CN=codex-otel-config test client"
    assert client[0].cert_not_after
    assert report.exit_code == (1 if status == "fail" else 0)


def test_expired_ca_fails(tmp_path: Path) -> None:
    old = CertificateAuthority(
        not_before=NOW - dt.timedelta(days=60), not_after=NOW - dt.timedelta(days=2)
    )
    ca = old.write(tmp_path / "old-ca.pem")
    report = run_check(_tls_settings(Tls(ca_certificate=ca)), offline=True)
    assert [f.code for f in _only(report, "certificates")] == [Code.CERTIFICATE_EXPIRED]


def test_key_mismatch(tls_bundle: TlsBundle) -> None:
    tls = Tls(tls_bundle.ca_cert, tls_bundle.client_cert, tls_bundle.other_client_key)
    report = run_check(_tls_settings(tls), offline=True)
    mismatch = [f for f in _only(report, "certificates") if f.code is Code.KEY_MISMATCH]
    assert mismatch and mismatch[0].status == "fail"
    assert "client-private-key" in (mismatch[0].hint or "")


def test_client_certificate_from_another_ca_is_a_warning(tls_bundle: TlsBundle) -> None:
    tls = Tls(tls_bundle.ca_cert, tls_bundle.other_client_cert, tls_bundle.other_client_key)
    report = run_check(_tls_settings(tls), offline=True)
    untrusted = [f for f in _only(report, "certificates") if f.code is Code.TLS_UNTRUSTED]
    assert untrusted and untrusted[0].status == "warn"
    assert "not signed by the configured CA" in untrusted[0].message
    assert report.exit_code == 0


def test_half_of_an_mtls_pair_is_invalid(tls_bundle: TlsBundle) -> None:
    report = run_check(_tls_settings(Tls(tls_bundle.ca_cert, tls_bundle.client_cert)), offline=True)
    assert any(
        f.code is Code.INVALID_SETTING and "client-private-key is not set" in f.message
        for f in _only(report, "certificates")
    )


# --- settings errors and environments ---------------------------------------------------------


def test_settings_errors_become_findings_and_exit_2() -> None:
    error = SettingsError(
        [
            Problem(
                "exporter.otlp-http.protocol", "settings.toml [default]", '"xml" is not one of'
            ),
            Problem(
                "exporter.otlp-http.tls.ca-certificate",
                "settings.toml [default]",
                "file /x/ca.pem does not exist",
            ),
        ]
    )
    findings = settings_error_findings(error, "production")
    assert [f.code for f in findings] == [Code.INVALID_SETTING, Code.FILE_MISSING]
    assert all(f.environment == "production" and f.status == "fail" for f in findings)
    report = CheckReport.build(findings, ["production"], [], settings_loaded=False)
    assert report.exit_code == 2


def test_discover_environments_skips_default_and_reserved(tmp_path: Path) -> None:
    path = tmp_path / "otel.toml"
    path.write_text(
        '[default]\nservice_name = "x"\n[staging]\nenvironment = "staging"\n'
        '[production.exporter.otlp-http]\nendpoint = "http://p:4318"\n'
        "[dynaconf_merge]\nx = 1\n"
    )
    (tmp_path / ".secrets.toml").write_text('[canary]\nservice_name = "y"\n')
    assert discover_environments([path], environ={}) == ["canary", "production", "staging"]


# --- the run as a whole -----------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_findings_stream_one_at_a_time_in_stage_order(receiver: Receiver) -> None:
    settings = OtelSettings(
        exporter=OtlpHttp(receiver.http_url),
        trace_exporter=OtlpGrpc(receiver.grpc_url),
        metrics_exporter=OtlpHttp(receiver.http_url, protocol="json"),
    )
    seen: list[Finding] = []
    busy = threading.Lock()
    overlapped = []

    def on_finding(finding: Finding) -> None:
        if not busy.acquire(blocking=False):
            overlapped.append(finding)
            return
        try:
            time.sleep(0.002)
            seen.append(finding)
        finally:
            busy.release()

    report = run_check(settings, timeout=3, on_finding=on_finding)
    assert not overlapped
    assert len(seen) == len(report.findings) and set(seen) == set(report.findings)
    for signal in ("logs", "traces", "metrics"):
        stages = [f.stage for f in seen if f.signal == signal]
        assert stages == ["endpoint", "dns", "tcp", "otlp"], (signal, stages)
    assert report.exit_code == 0
    assert [s.protocol for s in report.summaries] == ["http/protobuf", "grpc", "http/json"]


@pytest.mark.timeout(20)
def test_live_stages_of_all_targets_run_in_parallel(receiver: Receiver) -> None:
    delay = 0.5
    receiver.set_behavior(Behavior(delay=delay))
    settings = OtelSettings(
        exporter=OtlpHttp(receiver.http_url),
        trace_exporter=OtlpHttp(receiver.http_url),
        metrics_exporter=OtlpHttp(receiver.http_url, protocol="json"),
    )
    started = time.monotonic()
    report = run_check(settings, timeout=5)
    elapsed = time.monotonic() - started
    assert report.exit_code == 0
    assert all(
        f.elapsed_ms and f.elapsed_ms >= delay * 1000 for f in report.findings if f.stage == "otlp"
    )
    # Three targets that each answer after 0.5 s: one after the other would take 1.5 s.
    assert elapsed < 3 * delay, elapsed


def test_secrets_never_appear_in_findings_or_json(receiver: Receiver) -> None:
    receiver.set_behavior(Behavior.unauthorized())
    settings = OtelSettings(
        exporter=OtlpHttp(
            receiver.http_url.replace("http://", f"http://user:{CANARY}@")
            + f"/v1/logs?token={CANARY}",
            headers={"authorization": f"Bearer {CANARY}"},
        ),
        metrics_exporter=NoExporter(),
    )
    report = run_check(settings, timeout=3)
    text = json.dumps(report.to_dict())
    assert CANARY not in text
    assert "auth_rejected" in text and "`authorization`" in text


@contextmanager
def _trickle_proxy(upstream_port: int, pause: float = 0.2) -> Iterator[int]:
    """A TCP relay to ``upstream_port`` that passes the server's bytes on one at a time,
    ``pause`` seconds apart: every read returns before a socket timeout, the whole never."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    sockets: list[socket.socket] = [listener]

    def pump(source: socket.socket, sink: socket.socket, slow: bool) -> None:
        try:
            while not stop.is_set():
                data = source.recv(65536)
                if not data:
                    return
                for i in range(len(data)) if slow else [None]:
                    if stop.wait(pause if slow else 0):
                        return
                    sink.sendall(data if i is None else data[i : i + 1])
        except OSError:
            return

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", upstream_port))
            sockets.extend((client, server))
            for args in ((client, server, False), (server, client, True)):
                threading.Thread(target=pump, args=args, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        for one in sockets:
            one.close()


@pytest.mark.timeout(20)
def test_a_server_that_trickles_its_answer_is_bounded_by_the_timeout(
    receiver: Receiver,
) -> None:
    """A socket timeout bounds each read; the otlp stage must be bounded as a whole. (The
    TLS handshake already is: CPython gives ``do_handshake`` one deadline.)"""
    port = int(receiver.http_url.rsplit(":", 1)[1])
    timeout = 0.5
    with _trickle_proxy(port) as relay:
        report = run_check(_http(f"http://127.0.0.1:{relay}"), timeout=timeout)
    (finding,) = _only(report, "otlp")
    assert (finding.code, finding.status) == (Code.TIMEOUT, "fail"), finding
    assert finding.elapsed_ms is not None and finding.elapsed_ms < timeout * 1000 + 1000


def test_plain_http_to_a_tls_port_suggests_https(
    receiver_factory: Any, tls_bundle: TlsBundle
) -> None:
    tls_receiver = receiver_factory(grpc=False, tls=tls_bundle.server_tls())
    plain = tls_receiver.http_url.replace("https://", "http://")
    settings = OtelSettings(exporter=OtlpHttp(endpoint=plain, timeout=2.0))
    report = run_check(settings, timeout=2.0)
    (otlp,) = [f for f in report.findings if f.stage == "otlp"]
    assert otlp.status == "fail"
    assert otlp.hint is not None and "https://" in otlp.hint and "exporter" in otlp.hint
