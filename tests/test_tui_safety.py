"""The TUI's part of issue 11: hostile text is shown, never acted on (control characters
escaped, no markup parsed), and the ``c`` report file cannot be steered by another user."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.receiver import Behavior
from codex_otel_config.tui.app import OtelConsoleApp
from codex_otel_config.tui.render import Masking, printable
from codex_otel_config.tui.reportfile import default_report_dir, save_report
from codex_otel_config.tui.widgets import SettingsTree, StatusLine
from test_tui import (
    SECRET,
    SIZE,
    detail_text,
    make_app,
    plain,
    results_text,
    settle,
    write_settings,
)

pytestmark = [pytest.mark.timeout(60)]

#: Retitles the terminal, clears it, and tries rich markup — as a collector's request id.
HOSTILE = "req-\x1b]0;pwned\x07\x1b[2J[bold red]all checks passed[/bold red]\x9b"


def test_printable_escapes_every_control_character() -> None:
    shown = printable("a\x1b[2Jb\x07c\nd\x7fe\x9bf\tg")
    assert shown == "a\\x1b[2Jb\\x07c\\nd\\x7fe\\x9bf\\tg"
    assert all(ch.isprintable() for ch in shown)
    assert Masking(stable=True).text("x\x1by") == "x\\x1by"  # stable or not


async def test_hostile_request_id_is_shown_escaped_and_never_as_markup(
    receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = receiver_factory(behavior=Behavior.unauthorized(request_id=HOSTILE))
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        row = app.state.board.rows["logs"]
        assert row.request_id is not None and "\x1b" in row.request_id  # it really came in
        for text in (detail_text(app), results_text(app)):
            assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
            assert "\\x1b]0;pwned\\x07\\x1b[2J" in text  # shown, escaped
            assert "[bold red]all checks passed[/bold red]" in text  # literally, not as markup
        await pilot.press("c")
        await pilot.pause()
        assert app.last_report_path is not None
        raw = app.last_report_path.read_text(encoding="utf-8")
        assert "\x1b" not in raw and "\x07" not in raw  # JSON escapes them (\u001b)
        assert "req-\\u001b]0;pwned" in raw and json.loads(raw)["check"] is not None


async def test_hostile_names_from_files_are_escaped_in_the_tree(
    receiver: Any, tmp_path: Path
) -> None:
    path = write_settings(
        tmp_path / "s.toml",
        receiver,
        extra='[default.resource_attributes]\n"team\\u001b[2J[b]x[/b]" = "v\\u0007"\n',
    )
    app = make_app([path], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.state.settings is not None
        tree = app.main.query_one("#settings")
        labels = [
            plain(tree.get_node_at_line(n).label)  # type: ignore[attr-defined]
            for n in range(tree.last_line + 1)  # type: ignore[attr-defined]
        ]
        line = next(label for label in labels if "team" in label)
        assert "\x1b" not in line and "\x07" not in line
        assert "team\\x1b[2J[b]x[/b] = v\\x07" in line


async def test_report_file_is_private_and_never_follows_a_planted_symlink(
    receiver: Any, tmp_path: Path
) -> None:
    """Another user plants symlinks at every name ``c`` could pick in the next seconds: the
    report goes to a fresh file (0600) and the symlinks' target is untouched."""
    folder = tmp_path / "reports"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    now = time.time()
    planted = []
    for delta in range(0, 30):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + delta))
        link = folder / f"codex-otel-report-{stamp}.json"
        link.symlink_to(victim)
        planted.append(link)
    app = OtelConsoleApp(
        files=[write_settings(tmp_path / "s.toml", receiver)],
        environ={},
        timeout=3.0,
        report_dir=folder,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        path = app.last_report_path
        assert path is not None and path.parent == folder
        assert path not in planted and not path.is_symlink()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert json.loads(path.read_text(encoding="utf-8"))["tool"] == "codex-otel-config tui"
        assert SECRET not in path.read_text(encoding="utf-8")
        status = plain(app.main.query_one(StatusLine).content)  # type: ignore[attr-defined]
        assert str(path) in status.replace("\n", "")  # it says where it wrote
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert all(link.is_symlink() for link in planted)


async def test_report_goes_to_the_per_user_state_folder_by_default(tmp_path: Path) -> None:
    state = tmp_path / "state"
    app = OtelConsoleApp(environ={"XDG_STATE_HOME": str(state)})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        path = app.last_report_path
        assert path is not None
        assert path.parent == state / "codex-otel-config" / "reports"
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_report_dir_is_never_the_shared_temp_folder(monkeypatch: Any) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    folder = default_report_dir({})
    assert folder == Path.home() / ".local" / "state" / "codex-otel-config" / "reports"
    assert default_report_dir({"XDG_STATE_HOME": "relative/x"}) == folder  # XDG: absolute only


def test_save_report_skips_taken_names(tmp_path: Path) -> None:
    first = save_report("one", tmp_path, stamp="20260101-000000")
    target = tmp_path / "elsewhere"
    (tmp_path / "codex-otel-report-20260101-000000-1.json").symlink_to(target)
    second = save_report("two", tmp_path, stamp="20260101-000000")
    assert first.name == "codex-otel-report-20260101-000000.json"
    assert second.name == "codex-otel-report-20260101-000000-2.json"
    assert not target.exists()  # the dangling symlink was not followed to create it
    assert first.read_text() == "one" and second.read_text() == "two"
    assert os.stat(second).st_mode & 0o077 == 0


async def test_url_userinfo_never_reaches_the_tree_or_detail(receiver: Any, tmp_path: Path) -> None:
    """The tree shows what ``show`` shows (settings.explain rows): userinfo masked."""
    password = "userinfo-pw-0123456789"
    path = tmp_path / "s.toml"
    host = receiver.http_url.split("://", 1)[1]
    path.write_text(
        f'[default.exporter.otlp-http]\nendpoint = "http://ops:{password}@{host}"\n',
        encoding="utf-8",
    )
    app = make_app([path], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.main.query_one(SettingsTree)
        key = "exporter.otlp-http.endpoint"
        assert key in tree.lines and "****@" in tree.lines[key].value
        tree.focus()
        await pilot.pause()
        tree.cursor_line = next(
            n
            for n in range(tree.last_line + 1)
            if (node := tree.get_node_at_line(n)) is not None and node.data == key
        )
        await pilot.pause()
        shown = plain(app.main.query_one("#provenance").content)  # type: ignore[attr-defined]
        assert key in shown and "****@" in shown and "s.toml [default]" in shown
        assert password not in shown and password not in str(tree.lines)
        table = plain(app.main.query_one("#endpoints").get_row("logs")[1])  # type: ignore[attr-defined]
        assert password not in table and password not in str(app.state.board.rows)
        await pilot.press("c")
        await pilot.pause()
        assert app.last_report_path is not None
        saved = app.last_report_path.read_text(encoding="utf-8")
        assert password not in saved and "****@" in saved
