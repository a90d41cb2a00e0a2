"""Issue #12: reports and probes tell the truth against any collector (redirects, partial
success, strict JSON decoders, gRPC ports, error bodies), through the console script.

Each collector behaviour is the project's receiver configured to answer that way
(:class:`~codex_otel_config.receiver.Behavior`); every run goes through ``cli`` (the real
console script in a subprocess), whose fixture fails a test on any secret canary or traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.receiver import Behavior, Receiver
from fixtures.check_cli import HEADER_CANARY, HEADERS_ENV, CliRunner, grpc, http, write_settings
from fixtures.check_cli import cli as cli

pytestmark = pytest.mark.timeout(60)


def _settings(tmp_path: Path, **default: Any) -> Path:
    tables = {"default": {"trace_exporter": "none", "metrics_exporter": "none", **default}}
    return write_settings(tmp_path / "otel.toml", tables)


def _all_three(tmp_path: Path, receiver: Receiver, protocol: str = "binary") -> Path:
    return write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(receiver.http_url, protocol),
                "trace_exporter": grpc(receiver.grpc_url),
                "metrics_exporter": http(receiver.http_url, protocol),
            }
        },
    )


def _otlp(run: Any, signal: str = "logs") -> dict[str, Any]:
    (finding,) = run.findings(signal=signal, stage="otlp")
    return finding


# --- 0. redirects are not delivery ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "location", "shown"),
    [
        # An HTTP→HTTPS upgrade by a load balancer, with a token in the query…
        (301, "https://collector.example:4318/v1/logs?token=abc", "https://collector.example:4318"),
        # … and a same-origin move: neither is followed, both are named.
        (307, "/otlp/v1/logs", "another path on the same server"),
    ],
)
def test_a_redirect_is_not_delivered_by_send_test_events(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, status: int, location: str, shown: str
) -> None:
    receiver.set_behavior(Behavior.redirect(location, status))
    path = _settings(tmp_path, exporter=http(receiver.http_url))
    run = cli("send-test-events", "--json", "--timeout", "3", "--config", str(path))
    assert run.returncode == 1, run.output
    doc = run.json()
    assert doc["ok"] is False
    logs = doc["flush"]["signals"]["logs"]
    assert logs["status"] == "failed"
    assert logs["exported"] == 0 and logs["failed"] == 3
    assert logs["error"]["code"] == "redirected"
    assert shown in logs["error"]["message"]
    assert "token=abc" not in run.output and "/v1/logs?" not in run.output
    # Not followed: the one request the receiver got is the redirected one.
    assert {r.status_answered for r in receiver.requests} == {status}

    human = cli("send-test-events", "--timeout", "3", "--config", str(path))
    assert human.returncode == 1
    assert "✓ every signal delivered" not in human.stdout
    assert "redirected" in human.stdout


def test_a_redirect_fails_check_naming_the_location(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.set_behavior(Behavior.redirect("https://other.example/v1/logs", 308))
    path = _settings(tmp_path, exporter=http(receiver.http_url))
    run = cli("check", "--json", "--config", str(path))
    assert run.returncode == 1, run.output
    otlp = _otlp(run)
    assert otlp["code"] == "redirected" and otlp["http_status"] == 308
    assert "https://other.example" in otlp["message"]
    assert "endpoint" in otlp["hint"]


# --- 0. partial success -----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["binary", "json"])
def test_a_partial_success_rejecting_everything_is_not_ok(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    receiver.set_behavior(Behavior.partial(message=f"quota exceeded for {HEADER_CANARY}"))
    path = _all_three(tmp_path, receiver, protocol)
    run = cli(
        "send-test-events", "--json", "--timeout", "3", "--config", str(path), env=HEADERS_ENV
    )
    assert run.returncode == 1, run.output
    doc = run.json()
    assert doc["ok"] is False
    for signal in ("logs", "traces", "metrics"):
        report = doc["flush"]["signals"][signal]
        assert report["status"] == "degraded", (signal, report)
        assert report["error"]["code"] == "partial_success"
        assert report["rejected"] > 0 and report["exported"] == 0
        assert report["error"]["rejected"] == report["rejected"]
        assert "quota exceeded for" in report["error"]["message"]
    assert doc["flush"]["signals"]["logs"]["rejected"] == 3
    assert doc["flush"]["status"] == "degraded"
    human = cli("send-test-events", "--timeout", "3", "--config", str(path), env=HEADERS_ENV)
    assert human.returncode == 1
    assert "degraded" in human.stdout and "✓ every signal delivered" not in human.stdout


def test_a_partial_success_warning_is_still_delivered(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.set_behavior(Behavior.partial(rejected=0, message="deprecated attribute"))
    run = cli("send-test-events", "--json", "--config", str(_all_three(tmp_path, receiver)))
    assert run.returncode == 0, run.output
    assert {r["status"] for r in run.json()["flush"]["signals"].values()} == {"ok"}


@pytest.mark.parametrize("exporter", ["http-binary", "http-json", "grpc"])
def test_check_reports_a_partial_success(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, exporter: str
) -> None:
    # The probe's request has no items: a collector can still answer with a partial success.
    receiver.set_behavior(Behavior.partial(rejected=1, message="tenant disabled"))
    table = (
        grpc(receiver.grpc_url)
        if exporter == "grpc"
        else http(receiver.http_url, exporter.split("-")[1])
    )
    run = cli("check", "--json", "--config", str(_settings(tmp_path, exporter=table)))
    otlp = _otlp(run)
    # The receiver caps the rejected count at the items sent (none): a warning, still ok…
    assert otlp["code"] == "ok", otlp
    assert "tenant disabled" in otlp["message"]


# --- 1. the probe sends what the exporter sends -------------------------------------------------


def test_check_passes_against_a_strict_json_collector(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.set_behavior(Behavior(strict_json=True))
    path = write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(receiver.http_url, "json"),
                "trace_exporter": http(receiver.http_url, "json"),
                "metrics_exporter": http(receiver.http_url, "json"),
            }
        },
    )
    run = cli("check", "--json", "--config", str(path))
    assert run.returncode == 0, run.output
    assert {f["code"] for f in run.findings(stage="otlp")} == {"ok"}
    bodies = sorted(r.raw_json or "" for r in receiver.requests)
    assert bodies == [
        '{"resourceLogs": [{"scopeLogs": [{}]}]}',
        '{"resourceMetrics": [{"scopeMetrics": [{}]}]}',
        '{"resourceSpans": [{"scopeSpans": [{}]}]}',
    ]
    sent = cli("send-test-events", "--json", "--config", str(path))
    assert sent.returncode == 0, sent.output


def test_the_strict_receiver_rejects_an_empty_json_object(receiver: Receiver) -> None:
    import urllib.error
    import urllib.request

    receiver.set_behavior(Behavior(strict_json=True))
    request = urllib.request.Request(
        f"{receiver.http_url}/v1/logs",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400
    assert b"missing field resourceLogs" in caught.value.read()


# --- 2. protocol / port mismatch ---------------------------------------------------------------


def test_http_aimed_at_a_grpc_port_says_so(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    path = _settings(tmp_path, exporter=http(f"{receiver.grpc_url}/v1/logs"))
    run = cli("check", "--json", "--config", str(path))
    assert run.returncode == 1, run.output
    otlp = _otlp(run)
    assert otlp["code"] == "grpc_port", otlp
    assert "HTTP/2" in otlp["message"]
    assert "otlp-grpc" in otlp["hint"] and "exporter.otlp-http.endpoint" in otlp["hint"]
    assert "\\x00" not in run.output

    sent = cli("send-test-events", "--json", "--timeout", "3", "--config", str(path))
    assert sent.returncode == 1
    assert sent.json()["flush"]["signals"]["logs"]["error"]["code"] == "grpc_port"


def test_an_html_page_is_not_an_otlp_collector(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    page = "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>"
    receiver.set_behavior(
        Behavior(status=404, body=page, response_headers={"content-type": "text/html"})
    )
    run = cli(
        "check", "--json", "--config", str(_settings(tmp_path, exporter=http(receiver.http_url)))
    )
    otlp = _otlp(run)
    assert otlp["code"] == "not_otlp" and "HTML" in otlp["message"]
    assert "nginx" not in run.output


# --- 3. the reason in an error body --------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["binary", "json"])
def test_a_400_shows_the_status_message_of_its_body(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    secret_url = f"https://idp.example/token?key={HEADER_CANARY}"
    message = f"invalid resource attribute\nsee {secret_url} and {HEADER_CANARY}"
    receiver.set_behavior(Behavior(status=400, status_message=message))
    path = _settings(tmp_path, exporter=http(receiver.http_url, protocol))
    run = cli("check", "--json", "--config", str(path), env=HEADERS_ENV)
    otlp = _otlp(run)
    assert otlp["code"] == "unexpected_response" and otlp["http_status"] == 400
    assert otlp["message"].startswith("http 400 Bad Request: invalid resource attribute see")
    assert "\n" not in otlp["message"] and "https://idp.example" in otlp["message"]

    sent = cli(
        "send-test-events", "--json", "--timeout", "3", "--config", str(path), env=HEADERS_ENV
    )
    error = sent.json()["flush"]["signals"]["logs"]["error"]
    assert error["message"].startswith("http 400 Bad Request: invalid resource attribute")


# --- 0. drops are not ok --------------------------------------------------------------------------


def test_dropped_items_make_send_test_events_degraded(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    # A queue of one log record: the scenario's three records cannot all wait for the flush.
    path = write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(receiver.http_url),
                "trace_exporter": "none",
                "metrics_exporter": "none",
                "processors": {
                    "blrp_max_queue_size": 1,
                    "blrp_max_export_batch_size": 1,
                    "blrp_schedule_delay_ms": 60_000,
                },
            }
        },
    )
    run = cli("send-test-events", "--json", "--config", str(path))
    assert run.returncode == 1, run.output
    logs = run.json()["flush"]["signals"]["logs"]
    assert logs["status"] == "degraded" and logs["dropped"] > 0
    assert logs["error"]["code"] == "dropped"
    human = cli("send-test-events", "--config", str(path))
    assert "✗ not everything was delivered: logs degraded" in human.stdout


# --- 4. send-test-events: bounded, refused at once, SDK lines held ------------------------------


@pytest.mark.parametrize("exporter", ["http", "grpc"])
def test_a_refused_connection_is_reported_at_once_and_quietly(
    cli: CliRunner, tmp_path: Path, exporter: str
) -> None:
    from codex_otel_config.receiver import free_port

    url = f"http://127.0.0.1:{free_port()}"
    path = _settings(tmp_path, exporter=http(url) if exporter == "http" else grpc(url))
    run = cli(
        "send-test-events", "--json", "--timeout", "5", "--config", str(path), env=HEADERS_ENV
    )
    assert run.returncode == 1, run.output
    doc = run.json()
    flush = doc["flush"]["signals"]["logs"]
    # "failed", not "timed_out": the flush ended when the refusal came, before its deadline.
    assert flush["status"] == "failed", flush
    assert flush["error"]["code"] == "connection_refused"
    assert run.stderr == ""  # no raw SDK or grpc line ahead of the report
    # The SDK's "Failed to export" line was held, counted and redacted into the report.
    assert doc["sdk_log"]["count"] >= 1 and doc["sdk_log"]["lines"]


def test_send_test_events_stays_within_its_timeout(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.set_behavior(Behavior(blackhole=True))
    path = _settings(tmp_path, exporter=http(receiver.http_url))
    run = cli("send-test-events", "--json", "--timeout", "2", "--config", str(path))
    assert run.returncode == 1
    doc = run.json()
    # The flush and the shutdown share the one --timeout (the shutdown keeps a quarter).
    assert doc["flush"]["timeout_s"] == 1.5
    assert doc["flush"]["timeout_s"] + doc["shutdown"]["timeout_s"] <= 2.0 + 1e-6
    assert doc["flush"]["status"] == "timed_out"
    assert "--timeout" in cli("send-test-events", "--help").stdout
    assert "together" in cli("send-test-events", "--help").stdout


# --- 5. output ---------------------------------------------------------------------------------


def test_hints_name_an_inherited_layer_in_words(cli: CliRunner, tmp_path: Path) -> None:
    from codex_otel_config.receiver import free_port

    refused = f"http://127.0.0.1:{free_port()}"
    path = write_settings(tmp_path / "otel.toml", {"default": {"exporter": http(refused)}})
    run = cli("check", "--json", "--config", str(path))
    (tcp,) = run.findings(signal="traces", stage="tcp")
    assert "inherited from `exporter`, set in " in tcp["hint"]
    assert "otel.toml [default]" in tcp["hint"] and "derived" not in tcp["hint"]


def test_warnings_have_their_own_codes(cli: CliRunner, tmp_path: Path) -> None:
    path = _settings(tmp_path, exporter=http("http://collector.invalid:4318/custom"))
    run = cli("check", "--json", "--offline", "-e", "staging", "--config", str(path))
    warnings = {f["code"] for f in run.json()["findings"] if f["status"] == "warn"}
    assert warnings == {"unknown_environment", "endpoint_warning"}


# --- 6. every configuration; show's warnings ------------------------------------------------------


def test_show_prints_settings_warnings_in_human_output(cli: CliRunner, tmp_path: Path) -> None:
    path = _settings(tmp_path, exporter=http("http://127.0.0.1:4318"))
    run = cli("show", "-e", "staging", "--config", str(path))
    assert run.returncode == 0
    assert 'warning: settings environment "staging" is not a table' in run.output


def test_the_tui_report_shows_a_degraded_signal(receiver: Receiver) -> None:
    """The TUI's report pane (the same render function its results screen uses) shows the
    partial success the collector answered, in the warning colour."""
    from rich.console import Console

    from codex_otel_config.bootstrap import build_provider
    from codex_otel_config.scenario import run_test_scenario
    from codex_otel_config.settings.model import OtelSettings, OtlpHttp
    from codex_otel_config.tui.render import REPORT_STATUS_STYLE, Masking, report_table

    receiver.set_behavior(Behavior.partial(message="tenant over quota"))
    settings = OtelSettings(exporter=OtlpHttp(f"{receiver.http_url}/v1/logs"))
    provider = build_provider(settings, set_global=False)
    assert provider is not None
    result = run_test_scenario(provider, timeout=5)
    assert result.flush is not None and result.flush["logs"].status == "degraded"
    console = Console(width=100, record=True, color_system=None)
    console.print(report_table("flush", result.flush, Masking()))
    text = console.export_text()
    assert "degraded" in text and "partial_success" in text and "tenant over quota" in text
    assert REPORT_STATUS_STYLE["degraded"] != REPORT_STATUS_STYLE["ok"]


def test_a_huge_error_body_is_read_bounded_and_the_exporter_recovers(receiver: Receiver) -> None:
    from codex_otel_config.exporters.answers import READ_LIMIT
    from codex_otel_config.exporters.build import build_exporter
    from codex_otel_config.settings.model import OtlpHttp
    from fixtures.receivers import sample_spans

    exporter = build_exporter("traces", OtlpHttp(f"{receiver.http_url}/v1/traces", timeout=5))
    try:
        receiver.set_behavior(Behavior(status=400, body="why " * 250_000))  # 1 MB
        exporter.export(sample_spans())
        error = exporter.stats.snapshot().last_error
        assert error is not None and error.http_status == 400
        assert error.message.startswith("http 400 Bad Request: why why")
        assert len(error.message) < READ_LIMIT // 10  # one bounded line
        receiver.set_behavior(None)
        exporter.export(sample_spans())  # the cut connection is replaced
        assert exporter.stats.snapshot().exported == 1
    finally:
        exporter.shutdown()
