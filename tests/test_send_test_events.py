"""``send-test-events`` through the console script, and the scenario as the TUI calls it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.receiver import Behavior, Receiver, free_port
from fixtures.check_cli import HEADER_CANARY, HEADERS_ENV, CliRunner, grpc, http, write_settings
from fixtures.check_cli import cli as cli

pytestmark = pytest.mark.timeout(60)


def _all_three(tmp_path: Path, receiver: Receiver) -> Path:
    return write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(receiver.http_url, "binary"),
                "trace_exporter": grpc(receiver.grpc_url),
                "metrics_exporter": http(receiver.http_url, "json"),
            }
        },
    )


def test_the_scenario_arrives_marked_as_test_events(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    run = cli(
        "send-test-events",
        "--json",
        "--config",
        str(_all_three(tmp_path, receiver)),
        env=HEADERS_ENV,
    )
    assert run.returncode == 0, run.output
    doc = run.json()
    assert doc["ok"] is True
    assert all(r["status"] == "ok" for r in doc["flush"]["signals"].values())
    assert all(r["status"] == "ok" for r in doc["shutdown"]["signals"].values())
    assert [e["name"] for e in doc["events"]] == [
        "codex.api_request",
        "codex.auth_recovery",
        "codex.api_request",
    ]
    assert all(rid.startswith("test-") for rid in doc["request_ids"])
    tags = doc["feedback_tags"]
    assert tags["auth_401_request_id"] == doc["request_ids"][0]
    assert tags["auth_401_error_code"] == "test_token_expired"
    assert tags["auth_recovery_followup_success"] == "true"

    # What the collector really got: 3 log records, 1 span with 3 events, metric points.
    logs = receiver.log_records
    assert [r.name for r in logs] == [
        "codex.api_request",
        "codex.auth_recovery",
        "codex.api_request",
    ]
    assert all(r.attributes["codex.test_event"] is True for r in logs)
    first = logs[0].attributes
    assert first["http.response.status_code"] == 401
    assert first["auth.header_name"] == "authorization"
    assert first["auth.request_id"].startswith("test-")
    assert first["auth.cf_ray"] and first["auth.error"] == "test_invalid_token"
    assert first["auth.error_code"] == "test_token_expired"
    assert logs[2].attributes["auth.retry_after_unauthorized"] is True
    (span,) = receiver.spans
    assert span.trace_id == doc["trace_id"]
    assert [e.attributes["codex.test_event"] for e in span.events] == [True, True, True]
    names = {p.name for p in receiver.metric_points}
    assert {"codex.api_request", "codex.test_event"} <= names
    assert all(p.attributes.get("codex.test_event") == "true" for p in receiver.metric_points)
    # The configured header went out with every export, and never into the output.
    assert all(
        r.headers.get("authorization") == f"Bearer {HEADER_CANARY}"
        for r in receiver.requests
        if r.protocol == "http"
    )


def test_human_output_names_events_and_reports(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    run = cli("send-test-events", "--config", str(_all_three(tmp_path, receiver)))
    assert run.returncode == 0, run.output
    for text in (
        "codex.api_request",
        "codex.auth_recovery",
        "auth_401_request_id=test-",
        "flush",
        "shutdown",
        "✓ every signal delivered",
    ):
        assert text in run.stdout


def test_a_rejecting_collector_fails_the_run(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.set_behavior(Behavior.unauthorized())
    run = cli(
        "send-test-events",
        "--json",
        "--timeout",
        "3",
        "--config",
        str(_all_three(tmp_path, receiver)),
        env=HEADERS_ENV,
    )
    assert run.returncode == 1, run.output
    logs = run.json()["flush"]["signals"]["logs"]
    assert logs["status"] == "failed" and logs["error"]["code"] == "auth_rejected"


def test_an_unreachable_collector_fails_within_the_timeout(cli: CliRunner, tmp_path: Path) -> None:
    path = write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(f"http://127.0.0.1:{free_port()}"),
                "trace_exporter": "none",
            }
        },
    )
    run = cli("send-test-events", "--json", "--timeout", "2", "--config", str(path))
    assert run.returncode == 1
    assert run.json()["ok"] is False
    assert run.elapsed < 2 * 2 + 10  # flush and shutdown each bounded; start-up is the slack


def test_nothing_exported_is_a_failure_not_a_crash(cli: CliRunner) -> None:
    run = cli("send-test-events")
    assert run.returncode == 1
    assert "nothing to send" in run.stderr


def test_settings_error_exits_2(cli: CliRunner) -> None:
    run = cli("send-test-events", "--set", "exporter.otlp-http.protocol=xml")
    assert run.returncode == 2
    assert "protocol" in run.stderr


def test_settings_error_with_json_is_one_json_document(cli: CliRunner) -> None:
    run = cli("send-test-events", "--json", "--set", "exporter.otlp-http.protocol=xml")
    assert run.returncode == 2
    doc = run.json()
    assert (doc["ok"], doc["exit_code"]) == (False, 2)
    keys = {p["key"]: p["layer"] for p in doc["problems"]}
    assert keys["exporter.otlp-http.protocol"] == "override"


def test_demo(cli: CliRunner) -> None:
    run = cli("send-test-events", "--demo", "--json")
    assert run.returncode == 0, run.output
    doc = run.json()
    assert doc["demo"]["sent"] == doc["exported"]
    assert doc["demo"]["received"]["logs"] == 3 and doc["demo"]["received"]["traces"] == 1


def test_scenario_reports_progress_in_process(receiver: Receiver) -> None:
    from codex_otel_config.bootstrap import build_provider
    from codex_otel_config.demo import demo_settings
    from codex_otel_config.scenario import run_test_scenario

    provider = build_provider(demo_settings(receiver), set_global=False)
    assert provider is not None
    steps: list[str] = []
    result = run_test_scenario(provider, timeout=3, on_step=steps.append)
    assert steps[:3] == [
        "emitted codex.api_request (401)",
        "emitted codex.auth_recovery",
        "emitted codex.api_request (200, retried)",
    ]
    assert steps[-3:] == ["force_flush", "shutdown", "done"]
    assert result.ok and provider.is_shut_down
    assert result.exported()["logs"] == 3
    assert receiver.wait_for(lambda: len(receiver.log_records) == 3, 3)
    document: dict[str, Any] = result.to_dict()
    assert document["trace_id"] == result.trace_id and len(document["events"]) == 3
