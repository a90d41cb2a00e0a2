"""The TUI's results pane shows the runtime summary after ``t`` when ``runtime_metrics`` is on
(Textual's pilot, a real receiver, the real scenario)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from codex_otel_config.metrics import RuntimeMetricTotals
from codex_otel_config.receiver import Receiver
from codex_otel_config.tui.app import OtelConsoleApp
from codex_otel_config.tui.widgets import ResultsPane

pytestmark = [pytest.mark.timeout(60)]


def _settings(path: Path, receiver: Receiver, runtime_metrics: bool) -> Path:
    path.write_text(
        f"""
[default]
service_name = "tui-runtime"
runtime_metrics = {str(runtime_metrics).lower()}
[default.exporter.otlp-http]
endpoint = "{receiver.http_url}"
[default.metrics_exporter.otlp-http]
endpoint = "{receiver.http_url}"
""",
        encoding="utf-8",
    )
    return path


def _results_text(app: OtelConsoleApp) -> str:
    body = app.main.query_one(ResultsPane).query_one("#results-body")
    console = Console(width=160, file=io.StringIO(), record=True, color_system=None)
    console.print(body.content)  # type: ignore[attr-defined]
    return console.export_text()


async def _settle(app: OtelConsoleApp, pilot: Any) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.parametrize("runtime_metrics", [True, False])
async def test_test_send_shows_the_runtime_summary_when_on(
    receiver: Receiver, tmp_path: Path, runtime_metrics: bool
) -> None:
    files = [_settings(tmp_path / "s.toml", receiver, runtime_metrics)]
    app = OtelConsoleApp(files=files, environ={}, timeout=3.0, report_dir=tmp_path / "r")
    async with app.run_test(size=(100, 32)) as pilot:
        for _ in range(2):  # twice through the same live pipeline: each send is its own summary
            await pilot.press("t")
            await _settle(app, pilot)
            send = app.state.test
            assert send is not None and send.error is None and send.result is not None
            result = send.result
            text = _results_text(app)
            if runtime_metrics:
                # The scenario's two api_request calls: 42 ms (the 401) and 81 ms (the retry).
                assert result.runtime_metrics is not None
                assert result.runtime_metrics.api_calls == RuntimeMetricTotals(2, 123)
                assert "Runtime metrics (runtime_metrics = true)" in text
                assert "API calls" in text and "2 calls (123 ms)" in text
                assert result.to_dict()["runtime_metrics"]["api_calls"] == {
                    "count": 2,
                    "duration_ms": 123,
                }
            else:
                assert result.runtime_metrics is None
                assert "Runtime metrics" not in text
                assert "Events emitted" in text  # the pane did render the test send
