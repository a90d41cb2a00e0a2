"""Snapshots of the main screen (pytest-textual-snapshot): healthy, failing, broken settings,
and at 80x24 the settings pane with an endpoint selected (its layer readable) and the results
after t → f → s (the counts of one pipeline).

The app runs in ``stable`` mode, which hides what changes between runs (elapsed ms, loopback
ports, spinners, the temporary folder, random request and trace ids), so each SVG is
byte-for-byte reproducible. Update with ``pytest tests/test_tui_snapshots.py
--snapshot-update`` after checking the new pictures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.tui.app import OtelConsoleApp
from codex_otel_config.tui.widgets import SettingsTree

pytestmark = [pytest.mark.timeout(60)]


def _settings(path: Path, receiver: Receiver) -> Path:
    path.write_text(
        f"""
[default]
service_name = "snapshot-svc"
[default.exporter.otlp-http]
endpoint = "{receiver.http_url}"
headers = {{ "x-api-key" = "snapshot-secret-0123456789" }}
[default.trace_exporter.otlp-grpc]
endpoint = "{receiver.grpc_url}"
""",
        encoding="utf-8",
    )
    return path


def _app(files: list[Path], tmp_path: Path) -> OtelConsoleApp:
    return OtelConsoleApp(
        files=files,
        environ={},
        timeout=3.0,
        report_dir=tmp_path,
        stable=True,
        stable_paths=[str(tmp_path)],
    )


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _validate(pilot: Pilot[Any]) -> None:
    await _settle(pilot)
    await pilot.press("v")
    await _settle(pilot)


def test_main_screen_healthy(snap_compare: Any, receiver: Receiver, tmp_path: Path) -> None:
    app = _app([_settings(tmp_path / "settings.toml", receiver)], tmp_path)
    assert snap_compare(app, terminal_size=(100, 32), run_before=_validate)


def test_main_screen_401(snap_compare: Any, receiver_factory: Any, tmp_path: Path) -> None:
    receiver = receiver_factory(behavior=Behavior.unauthorized(request_id="req-401-snapshot"))
    app = _app([_settings(tmp_path / "settings.toml", receiver)], tmp_path)
    assert snap_compare(app, terminal_size=(100, 32), run_before=_validate)


def test_main_screen_broken_settings_80x24(snap_compare: Any, tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        '[default]\nservice_nme = "x"\n[default.exporter.otlp-http]\n'
        'endpoint = "http://127.0.0.1:4318"\nprotocol = "xml"\n',
        encoding="utf-8",
    )
    assert snap_compare(_app([path], tmp_path), terminal_size=(80, 24))


def _settings_three(path: Path, receiver: Receiver) -> Path:
    path.write_text(
        f"""
[default]
service_name = "snapshot-svc"
[default.exporter.otlp-http]
endpoint = "{receiver.http_url}"
headers = {{ "x-api-key" = "snapshot-secret-0123456789" }}
[default.trace_exporter.otlp-grpc]
endpoint = "{receiver.grpc_url}"
[default.metrics_exporter.otlp-http]
endpoint = "{receiver.http_url}"
protocol = "json"
""",
        encoding="utf-8",
    )
    return path


def test_settings_endpoint_selected_80x24(
    snap_compare: Any, receiver: Receiver, tmp_path: Path
) -> None:
    """The selected setting's full key, value and layer, across the width at 80x24."""
    app = _app([_settings(tmp_path / "settings.toml", receiver)], tmp_path)

    async def select_endpoint(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        tree = app.main.query_one(SettingsTree)
        tree.focus()
        await pilot.pause()
        lines = [tree.get_node_at_line(n) for n in range(tree.last_line + 1)]
        tree.cursor_line = next(
            n for n, node in enumerate(lines) if node and node.data == "exporter.otlp-http.endpoint"
        )
        await pilot.pause()
        detail = app.main.query_one("#provenance")
        assert detail.display and "[default]" in str(detail.content)  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=(80, 24), run_before=select_endpoint)


def test_results_after_t_f_s_80x24(snap_compare: Any, receiver: Receiver, tmp_path: Path) -> None:
    """t → f → s: the newest report on top, all three about pipeline #1, random ids masked."""
    app = _app([_settings_three(tmp_path / "settings.toml", receiver)], tmp_path)

    async def t_f_s(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        for key in ("t", "f", "s"):
            await pilot.press(key)
            await _settle(pilot)
        sent = app.state.scenario
        assert sent is not None and sent.flush is not None
        flushed = app.state.last_report("flush")
        assert flushed is not None and flushed.report is not None
        assert flushed.report["logs"].exported == sent.expected["logs"]

    assert snap_compare(app, terminal_size=(80, 24), run_before=t_f_s)


def test_results_after_t_80x24(snap_compare: Any, receiver: Receiver, tmp_path: Path) -> None:
    """t: the test send through pipeline #1 on top, its random trace and request ids masked
    (``<trace-id>``, ``<id>``) rather than the screen left out of the snapshots."""
    app = _app([_settings_three(tmp_path / "settings.toml", receiver)], tmp_path)

    async def send(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("t")
        await _settle(pilot)
        sent = app.state.scenario
        assert sent is not None and sent.trace_id and app.state.test is not None
        assert app.state.test.pipeline == 1

    assert snap_compare(app, terminal_size=(80, 24), run_before=send)
