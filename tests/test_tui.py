"""The TUI driven by Textual's pilot against real receivers, real files and the real engine."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.tui.app import OtelConsoleApp
from codex_otel_config.tui.screens import EnvironmentPicker, HelpScreen
from codex_otel_config.tui.widgets import EndpointsTable, ResultsPane, RowDetail, SettingsTree

pytestmark = [pytest.mark.timeout(60)]

SIZE = (100, 32)
SECRET = "tui-secret-value-0123456789"


def plain(renderable: Any, width: int = 160) -> str:
    """What a renderable looks like as text (no colour)."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def results_text(app: OtelConsoleApp) -> str:
    return plain(app.main.query_one(ResultsPane).query_one("#results-body").content)  # type: ignore[attr-defined]


def detail_text(app: OtelConsoleApp) -> str:
    return plain(app.main.query_one(RowDetail).content)


def tree_text(app: OtelConsoleApp) -> str:
    tree = app.main.query_one(SettingsTree)
    lines: list[str] = []

    def walk(node: Any) -> None:
        lines.append(str(getattr(node.label, "plain", node.label)))
        for child in node.children:
            walk(child)

    walk(tree.root)
    return "\n".join(lines)


def write_settings(
    path: Path, receiver: Receiver, *, service: str = "tui-test", extra: str = ""
) -> Path:
    path.write_text(
        f"""
[default]
service_name = "{service}"
[default.exporter.otlp-http]
endpoint = "{receiver.http_url}"
headers = {{ "x-api-key" = "{SECRET}" }}
[default.trace_exporter.otlp-grpc]
endpoint = "{receiver.grpc_url}"
[default.metrics_exporter.otlp-http]
endpoint = "{receiver.http_url}"
protocol = "json"
{extra}
""",
        encoding="utf-8",
    )
    return path


def make_app(files: list[Path], tmp_path: Path, **kwargs: Any) -> OtelConsoleApp:
    return OtelConsoleApp(
        files=files, environ={}, timeout=3.0, report_dir=tmp_path / "reports", **kwargs
    )


async def settle(app: OtelConsoleApp, pilot: Any) -> None:
    """Let every worker finish and every message it posted be handled."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_healthy_endpoints_turn_green(receiver: Receiver, tmp_path: Path) -> None:
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await settle(app, pilot)
        table = app.main.query_one(EndpointsTable)
        for signal in ("logs", "traces", "metrics"):
            row = app.state.board.rows[signal]
            assert [row.cell(s) for s in ("dns", "tcp", "otlp")] == ["ok", "ok", "ok"], row
            assert row.cell("tls") == "skipped"  # http:// endpoints have no TLS stage
            cells = table.get_row(signal)
            assert cells[6].plain == "ok" and "green" in str(cells[6].style)
            assert cells[5].plain == "✓" and "green" in str(cells[5].style)
        assert app.state.check_report is not None and app.state.check_report.status == "ok"
        assert "ok [otlp]" in detail_text(app)
        assert "Check: ok" in results_text(app)


async def test_401_endpoint_shows_auth_rejected_with_request_id(
    receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = receiver_factory(behavior=Behavior.unauthorized(request_id="req-401-tui"))
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await settle(app, pilot)
        row = app.state.board.rows["logs"]
        assert row.verdict is not None and row.verdict.code == "auth_rejected"
        assert row.cell("otlp") == "fail"
        assert row.request_id == "req-401-tui"
        cells = app.main.query_one(EndpointsTable).get_row("logs")
        assert cells[6].plain == "auth_rejected" and "red" in str(cells[6].style)
        detail = detail_text(app)
        assert "auth_rejected" in detail and "req-401-tui" in detail
        assert "hint:" in detail
        # The secret header sent to the endpoint never reaches the screen.
        assert SECRET not in detail and SECRET not in results_text(app)


async def test_t_f_s_act_on_one_pipeline(receiver: Receiver, tmp_path: Path) -> None:
    """The acceptance of issue 14: ``t`` emits through the console's pipeline, ``f`` then
    flushes that same pipeline and reports what ``t`` sent, ``s`` shuts that one down, and
    the next ``t`` builds a new pipeline and says so."""
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        first = app.state.pipeline
        assert first is not None and first.number == 1  # built once, when the settings loaded
        await pilot.press("t")
        await settle(app, pilot)
        send = app.state.test
        assert send is not None and send.error is None and send.result is not None
        assert send.pipeline == 1 and app.state.pipeline is first  # emitted through it
        result = send.result
        assert result.flush is not None and result.shutdown is None
        assert not first.provider.is_shut_down
        sent = dict(result.expected)  # what the scenario emitted per signal
        assert sent["logs"] > 0 and sent["traces"] > 0, sent
        text = results_text(app)
        assert "Test send · pipeline #1: ok" in text
        assert "codex.api_request" in text and "auth_401_request_id" in text.replace(".", "_")

        await pilot.press("f")
        await settle(app, pilot)
        flush = app.state.last_report("flush")
        assert flush is not None and flush.pipeline == 1 and flush.report is not None
        assert app.state.pipeline is first
        exported = {s: r.exported for s, r in flush.report.signals.items()}
        assert exported["logs"] == sent["logs"] and exported["traces"] == sent["traces"]
        assert flush.report.status == "ok"
        assert results_text(app).index("Force-flush · pipeline #1") < results_text(app).index(
            "Test send · pipeline #1"
        )  # the newest report on top

        await pilot.press("s")
        await settle(app, pilot)
        shutdown = app.state.last_report("shutdown")
        assert shutdown is not None and shutdown.pipeline == 1 and shutdown.report is not None
        assert first.provider.is_shut_down and app.state.pipeline is None
        assert {s: r.exported for s, r in shutdown.report.signals.items()}["logs"] == sent["logs"]
        text = results_text(app)
        assert text.index("Shutdown · pipeline #1") < text.index("Force-flush · pipeline #1")
        assert "t builds a new one" in app.status[0]

        await pilot.press("f")  # nothing live to flush: said, not done
        await settle(app, pilot)
        assert "No live pipeline" in app.status[0]
        assert app.state.last_report("flush") is flush

        await pilot.press("t")
        await settle(app, pilot)
        second = app.state.pipeline
        assert second is not None and second.number == 2 and second.provider is not first.provider
        text = results_text(app)
        assert "Pipeline #2 built" in text and "pipeline #1 is no longer live" in text
        assert text.index("Test send · pipeline #2") < text.index("Pipeline #2 built")
        assert app.state.test is not None and app.state.test.pipeline == 2
        # The receiver really got both sends' events.
        assert receiver.wait_for(
            lambda: sum(r.name == "codex.api_request" for r in receiver.log_records) >= 4, 5
        )


async def test_reload_picks_up_an_edited_file(receiver: Receiver, tmp_path: Path) -> None:
    path = write_settings(tmp_path / "s.toml", receiver, service="before-edit")
    app = make_app([path], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.state.settings is not None and app.state.settings.service_name == "before-edit"
        old = app.state.pipeline  # the pipeline built from the old settings…
        assert old is not None
        write_settings(path, receiver, service="after-edit")
        await pilot.press("r")
        await settle(app, pilot)
        assert app.state.settings is not None and app.state.settings.service_name == "after-edit"
        assert "service_name = after-edit" in tree_text(app)
        assert old.provider.is_shut_down  # …is retired on reload, its report shown…
        retired = app.state.last_report("shutdown")
        assert retired is not None and retired.pipeline == old.number
        assert "retired: settings reloaded" in results_text(app)
        new = app.state.pipeline  # …and a new one is built from the new settings
        assert new is not None and new.number == old.number + 1
        assert new.provider.settings.service_name == "after-edit"


async def test_broken_settings_show_problems_and_recover(
    receiver: Receiver, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[default.exporter.otlp-http]\nendpoint = "http://x"\nprotocol = "xml"\n')
    app = make_app([path], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.state.settings is None and app.state.settings_error is not None
        text = results_text(app)
        assert "could not be loaded" in text
        assert "exporter.otlp-http.protocol" in text and "xml" in text
        assert "settings not loaded" in tree_text(app)
        await pilot.press("v")  # refused politely, no worker, no traceback
        await settle(app, pilot)
        assert app.state.check_report is None
        write_settings(path, receiver, service="fixed")
        await pilot.press("r")
        await settle(app, pilot)
        assert app.state.settings_error is None
        assert app.state.settings is not None and app.state.settings.service_name == "fixed"
        assert "could not be loaded" not in results_text(app)


async def test_secrets_are_masked_and_layers_shown(receiver: Receiver, tmp_path: Path) -> None:
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        text = tree_text(app)
        assert "x-api-key = ****6789" in text
        assert SECRET not in text
        tree = app.main.query_one(SettingsTree)
        tree.focus()
        await pilot.pause()
        line = next(
            n.line for n in _nodes(tree.root) if n.data == "exporter.otlp-http.headers.x-api-key"
        )
        tree.cursor_line = line
        await pilot.pause()
        provenance = plain(app.main.query_one("#provenance").content)  # type: ignore[attr-defined]
        assert "s.toml [default]" in provenance
        assert SECRET not in provenance


def _nodes(node: Any) -> list[Any]:
    found = [node]
    for child in node.children:
        found += _nodes(child)
    return found


async def test_environment_picker_switches_tables(receiver: Receiver, tmp_path: Path) -> None:
    path = write_settings(
        tmp_path / "s.toml", receiver, extra='[production]\nservice_name = "prod-svc"\n'
    )
    app = make_app([path], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        first = app.state.pipeline
        assert first is not None and first.environment == "dev"
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EnvironmentPicker)
        await pilot.press("enter")  # the only table: production
        await settle(app, pilot)
        assert app.env_name == "production"
        assert app.state.settings is not None and app.state.settings.service_name == "prod-svc"
        # The pipeline follows the environment: the old one retired (its report shown).
        assert first.provider.is_shut_down
        assert "Shutdown · pipeline #1 (retired: environment production)" in results_text(app)
        second = app.state.pipeline
        assert second is not None and second.number == 2 and second.environment == "production"
        assert second.provider.settings.service_name == "prod-svc"
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("down", "enter")  # "[default] only"
        await settle(app, pilot)
        assert app.env_name is None
        assert app.state.settings is not None and app.state.settings.service_name == "tui-test"
        await pilot.press("e", "escape")  # cancelling changes nothing
        await settle(app, pilot)
        assert app.env_name is None and not isinstance(app.screen, EnvironmentPicker)


async def test_copy_report_saves_masked_json(receiver: Receiver, tmp_path: Path) -> None:
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.last_report_path is not None
        text = app.last_report_path.read_text()
        report = json.loads(text)
        assert report["check"]["status"] == "ok"
        assert report["settings"]["signals"]["logs"]["headers"] == {"x-api-key": "****6789"}
        assert SECRET not in text
        assert app.clipboard == text.rstrip("\n")


async def test_help_lists_every_key_and_palette_has_actions(tmp_path: Path) -> None:
    app = make_app([], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {
            "Validate endpoints",
            "Send test auth-401 events",
            "Force-flush",
            "Shut down the pipeline",
            "Reload settings",
            "Pick the settings environment",
            "Copy the JSON report",
        } <= commands


async def test_demo_shows_what_the_receiver_got(tmp_path: Path) -> None:
    app = OtelConsoleApp(demo=True, environ={}, timeout=3.0, report_dir=tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        assert app.state.demo is not None
        await pilot.press("t")
        await settle(app, pilot)
        assert app.state.test is not None and app.state.test.error is None
        counts = app.state.demo.received_counts()
        assert counts["logs"] > 0 and counts["traces"] > 0, counts
        app._refresh_received()
        cells = app.main.query_one(EndpointsTable).get_row("traces")
        assert cells[-1].plain == f"{counts['traces']} span{'s' if counts['traces'] != 1 else ''}"
        port = app.state.demo.receiver.http_port
    # Leaving the app stops the demo receiver: nothing listens on its port any more.
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


async def test_cells_fill_in_stage_by_stage_without_blocking(
    receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = receiver_factory(behavior=Behavior(delay=1.5))
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        for _ in range(200):  # bounded: the TCP stage of a loopback port is quick
            await pilot.pause(0.01)
            if app.state.board.rows["logs"].cell("tcp") == "ok":
                break
        row = app.state.board.rows["logs"]
        assert row.cell("dns") == "ok" and row.cell("tcp") == "ok"
        assert row.cell("otlp") == "running"  # the receiver is still holding the request
        await pilot.pause(0.25)  # the UI thread is free: the spinner moves
        glyph = app.main.query_one(EndpointsTable).get_row("logs")[5].plain
        assert glyph in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
        await pilot.press("down")  # keys are handled while the check runs
        assert app.main.query_one(EndpointsTable).selected_signal == "traces"
        await settle(app, pilot)
        assert app.state.board.rows["logs"].cell("otlp") == "ok"


def test_cli_command_is_registered_and_needs_a_terminal(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from codex_otel_config.cli.main import main

    runner = CliRunner()
    help_result = runner.invoke(main, ["tui", "--help"])
    assert help_result.exit_code == 0
    assert "--demo" in help_result.output and "--config" in help_result.output
    bad_set = runner.invoke(main, ["tui", "--set", "nonsense"])
    assert bad_set.exit_code == 2 and "key=value" in bad_set.output
    no_tty = runner.invoke(main, ["tui"])
    assert no_tty.exit_code == 2 and "interactive terminal" in no_tty.output


async def test_statsig_key_is_masked_everywhere(tmp_path: Path) -> None:
    key = "secret-statsig-key-abcdef0123456789"
    path = tmp_path / "s.toml"
    path.write_text('[default]\nmetrics_exporter = "statsig"\n', encoding="utf-8")
    app = OtelConsoleApp(
        files=[path],
        environ={"STATSIG_SERVER_SDK_SECRET": key},
        report_dir=tmp_path / "reports",
    )
    async with app.run_test(size=SIZE) as pilot:
        text = tree_text(app)
        assert "metrics → statsig" in text and "api_key = ****6789" in text
        await pilot.press("c")
        await pilot.pause()
        assert app.last_report_path is not None
        saved = app.last_report_path.read_text()
        assert key not in text and key not in saved and key not in app.clipboard


async def test_flush_then_quit_shuts_the_pipeline_down(receiver: Receiver, tmp_path: Path) -> None:
    app = make_app([write_settings(tmp_path / "s.toml", receiver)], tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)  # the pipeline is built when the settings load
        await pilot.press("f")
        await settle(app, pilot)
        flush = app.state.last_report("flush")
        assert flush is not None and flush.report is not None and flush.report.status == "ok"
        assert "Force-flush · pipeline #1" in results_text(app)
        assert app.state.pipeline is not None
        provider = app.state.pipeline.provider
        assert not provider.is_shut_down
        await pilot.press("q")
        await pilot.pause()
    assert provider.is_shut_down


def test_quit_is_prompt_while_workers_wait_on_a_black_hole(
    receiver_factory: Any, tmp_path: Path
) -> None:
    """The real console script in a pseudo-terminal: ``q`` while a check and a test send wait
    on a collector that never answers must not wait for their (60 s) timeouts."""
    import os
    import pty
    import subprocess
    import threading
    import time

    from fixtures.check_cli import CLI, without_proxies

    hole = receiver_factory(behavior=Behavior(blackhole=True))
    path = write_settings(tmp_path / "s.toml", hole)
    controller, terminal = pty.openpty()
    environ = without_proxies(os.environ) | {"TERM": "xterm-256color", "COLUMNS": "80"}
    environ["LINES"] = "24"
    proc = subprocess.Popen(
        [CLI, "tui", "--timeout", "60", "--config", str(path)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=environ,
        start_new_session=True,
    )
    os.close(terminal)
    screen: list[bytes] = []

    def drain() -> None:  # a full pseudo-terminal would block the app
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:
                return
            if not data:
                return
            screen.append(data)

    threading.Thread(target=drain, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while b"Validate" not in b"".join(screen) and time.monotonic() < deadline:
            time.sleep(0.1)
        os.write(controller, b"v")
        os.write(controller, b"t")
        assert hole.wait_for_requests(2, timeout=20)  # the probe and an export are held
        os.write(controller, b"q")
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()
        os.close(controller)
