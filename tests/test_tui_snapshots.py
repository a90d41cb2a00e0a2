"""Snapshots of the main screen (pytest-textual-snapshot): healthy, failing, broken settings.

The app runs in ``stable`` mode, which hides what changes between runs (elapsed ms, loopback
ports, spinners, the temporary folder), so each SVG is byte-for-byte reproducible. Update with
``pytest tests/test_tui_snapshots.py --snapshot-update`` after checking the new pictures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.tui.app import OtelConsoleApp

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


async def _validate(pilot: Pilot[Any]) -> None:
    await pilot.press("v")
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


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
