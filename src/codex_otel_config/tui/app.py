"""The ``codex-otel-config tui`` app: the state, the actions and the workers behind them.

Every action calls the same library functions as ``check`` and ``send-test-events``
(through :mod:`codex_otel_config.tui.backend`). Anything that may touch the network runs in a
thread worker that posts :mod:`~codex_otel_config.tui.messages` back, so the UI thread never
waits on a socket. The app takes its inputs explicitly (files, environment name, an environ
mapping, overrides, demo) so tests drive it without touching ``os.environ``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Tree
from textual.worker import WorkerCancelled, get_current_worker

from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.settings.model import OtelSettings
from codex_otel_config.tui import backend, render
from codex_otel_config.tui.messages import (
    CheckDone,
    CheckProgress,
    ProviderReport,
    ScenarioDone,
    ScenarioStep,
)
from codex_otel_config.tui.render import Masking
from codex_otel_config.tui.screens import DEFAULT_ONLY, EnvironmentPicker, HelpScreen, MainScreen
from codex_otel_config.tui.state import EndpointBoard
from codex_otel_config.tui.widgets import (
    EndpointsTable,
    Provenance,
    ResultsPane,
    RowDetail,
    SettingsTree,
)

#: The actions, in footer order. Each is also a command-palette entry (``get_system_commands``).
ACTION_BINDINGS: tuple[Binding, ...] = (
    Binding("v", "validate", "Validate", tooltip="Validate endpoints: DNS, TCP, TLS, OTLP"),
    Binding(
        "t",
        "send_test",
        "Test 401",
        tooltip="Send the test auth-401 events, then force-flush and shut down",
    ),
    Binding("f", "flush", "Flush", tooltip="Force-flush the live pipeline; per-signal report"),
    Binding("s", "shutdown", "Shutdown", tooltip="Shut down the live pipeline; per-signal report"),
    Binding("r", "reload", "Reload", tooltip="Reload settings (re-read files and environment)"),
    Binding("e", "pick_environment", "Env", tooltip="Pick the settings environment"),
    Binding("c", "copy_report", "Copy", tooltip="Copy the JSON report (and save it to a file)"),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="Show the keys"),
    Binding("q", "quit", "Quit", tooltip="Quit (shutting down a live pipeline first)"),
)

#: Command-palette names of the actions (the footer keeps the short labels).
PALETTE_TITLES: dict[str, str] = {
    "validate": "Validate endpoints",
    "send_test": "Send test auth-401 events",
    "flush": "Force-flush",
    "shutdown": "Shut down the pipeline",
    "reload": "Reload settings",
    "pick_environment": "Pick the settings environment",
    "copy_report": "Copy the JSON report",
}

SPINNER_INTERVAL = 0.1
RECEIVED_INTERVAL = 0.5
QUIT_SHUTDOWN_TIMEOUT = 2.0


T = TypeVar("T")


def until_exit(call: Callable[[], T]) -> T:
    """Run ``call`` for a thread worker on a daemon thread, and wait for it unless the worker
    is cancelled (the app is exiting): the event loop joins its worker threads at exit, so a
    flush held by a black hole would otherwise keep ``q`` waiting for its whole timeout. The
    abandoned thread dies with the process; bootstrap's exit hook shuts down (bounded) any
    pipeline it leaves live. Raises ``WorkerCancelled`` when abandoned."""
    worker = get_current_worker()
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"tui-{worker.name}", daemon=True).start()
    while not done.wait(0.1):
        if worker.is_cancelled:
            raise WorkerCancelled("the app is exiting")
    if "error" in box:
        raise box["error"]
    result: T = box["value"]
    return result


class OtelConsoleApp(App[None]):
    """Resolved settings, a live endpoint check, the test auth-401 send and its reports."""

    CSS_PATH = "app.tcss"
    TITLE = "codex-otel-config"
    BINDINGS: ClassVar[list[BindingType]] = list(ACTION_BINDINGS)

    def __init__(
        self,
        *,
        files: Sequence[str | Path] | None = None,
        env: str | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        demo: bool = False,
        timeout: float = 5.0,
        report_dir: Path | None = None,
        stable: bool = False,
        stable_paths: Iterable[str] = (),
    ) -> None:
        """``stable`` hides timings, loopback ports, spinners and ``stable_paths`` (for
        reproducible screenshots); ``report_dir`` is where ``c`` saves the JSON report."""
        super().__init__()
        self.files = [Path(f) for f in files] if files else None
        self.env_name = env
        self.environ = environ
        self.overrides = dict(overrides or {})
        self.demo = demo
        self.timeout = timeout
        self.report_dir = report_dir
        self.masking = Masking(stable=stable, paths=tuple(stable_paths))
        self.settings: OtelSettings | None = None
        self.settings_error: SettingsError | None = None
        self.board = EndpointBoard()
        self.check_report: Any | None = None
        self.check_error: str | None = None
        self.scenario: Any | None = None
        self.scenario_error: str | None = None
        self.flush_report: Any | None = None
        self.shutdown_report: Any | None = None
        self.provider_error: str | None = None
        self.provider: Any | None = None
        self.demo_session: backend.DemoSession | None = None
        self.busy: set[str] = set()
        self.scenario_steps: list[str] = []
        self._recent: list[str] = []
        self.last_report_path: Path | None = None
        self._check_run = 0
        self._spinner: Timer | None = None
        self.main = MainScreen(demo=demo)

    # --- set-up ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return self.main

    def on_main_screen_ready(self, _: MainScreen.Ready) -> None:
        for widget in (self.main.query_one(EndpointsTable), self.main.query_one(SettingsTree)):
            widget.masking = self.masking
        if self.demo:
            try:
                self.demo_session = backend.start_demo()
            except Exception as exc:  # a port race or missing grpc: say so, keep the app up
                self.notify(f"demo receiver could not start: {exc}", severity="error")
            else:
                self.set_interval(RECEIVED_INTERVAL, self._refresh_received)
        self._load_settings()
        if not self.masking.stable:
            self._spinner = self.set_interval(SPINNER_INTERVAL, self._tick, pause=True)

    def on_unmount(self) -> None:
        if self.demo_session is not None:
            self.demo_session.stop()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The actions in the command palette, each saying its key."""
        for binding in ACTION_BINDINGS:
            if binding.action not in PALETTE_TITLES:
                continue
            yield SystemCommand(
                PALETTE_TITLES[binding.action],
                f"{binding.tooltip} (key {binding.key_display or binding.key})",
                _action_callback(self, binding.action),
            )
        yield SystemCommand("Help: keys", "Every key of this app (key ?)", self.action_help)
        yield from super().get_system_commands(screen)

    # --- settings -------------------------------------------------------------------------

    def _effective_overrides(self) -> dict[str, Any]:
        overrides = dict(self.overrides)
        if self.demo_session is not None:
            overrides.update(self.demo_session.overrides)
        return overrides

    def _load_settings(self) -> None:
        """Load on the UI thread: files and variables only, never the network."""
        self._check_run += 1  # any check still running belongs to the old settings
        try:
            settings = backend.load(
                files=self.files,
                env=self.env_name,
                environ=self.environ,
                overrides=self._effective_overrides(),
            )
        except SettingsError as error:
            self.settings, self.settings_error = None, error
        except Exception as exc:  # never a traceback: show it as a problem
            self.settings = None
            self.settings_error = SettingsError([Problem("settings", "", f"{exc}")])
        else:
            self.settings, self.settings_error = settings, None
        self.board = EndpointBoard.from_settings(self.settings)
        self.check_report = None
        self.check_error = None
        if self._spinner is not None:
            self._spinner.pause()
        self._show_settings()

    def _show_settings(self) -> None:
        tree = self.main.query_one(SettingsTree)
        table = self.main.query_one(EndpointsTable)
        if self.settings is not None:
            tree.show_settings(self.settings)
            demo = "  ·  demo receiver" if self.demo_session is not None else ""
            self.sub_title = f"env {self.settings.environment}{demo}"
        else:
            assert self.settings_error is not None
            tree.show_problems(self.settings_error.problems)
            self.sub_title = "settings not loaded"
        table.show_rows(self.board.rows)
        self._refresh_received()
        self._show_detail()
        self._show_provenance()
        self._show_results()

    # --- redraw helpers -------------------------------------------------------------------

    def _show_detail(self) -> None:
        table = self.main.query_one(EndpointsTable)
        detail = self.main.query_one(RowDetail)
        if self.settings is None:
            detail.update(Text("Settings not loaded — see Results.", style="bold red"))
            return
        signal = table.selected_signal
        row = self.board.rows.get(signal) if signal else None
        shown = render.row_detail(row, self.masking, self.board.running)
        if self.demo_session is not None and signal:
            got = Text(self.demo_session.received_line(signal), style="cyan")
            shown = Group(shown, got)
        detail.update(shown)

    def _show_provenance(self, key: str | None = None) -> None:
        label = self.main.query_one(Provenance)
        tree = self.main.query_one(SettingsTree)
        if self.settings is None:
            label.update("")
            return
        if key is None:
            node = tree.cursor_node
            key = node.data if node is not None else None
        if not key:
            label.update(Text("↑↓ pick a value: its layer shows here", style="dim"))
            return
        source = self.settings.source_of(key)
        where = source.describe()
        if (
            self.demo_session is not None
            and source.layer == "override"
            and key.split(".", 1)[0] in {k.split(".", 1)[0] for k in self.demo_session.overrides}
        ):
            where += " (--demo: the local receiver)"
        text = Text(key, style="bold")
        if key in tree.values:
            text.append(f" = {tree.values[key]}")
        text.append("\nfrom ", style="dim")
        text.append(self.masking.text(where))
        label.update(text)

    def _show_results(self, *, scroll_home: bool = False) -> None:
        pane = self.main.query_one(ResultsPane)
        masking = self.masking
        if self.settings_error is not None:
            pane.show(render.problems(self.settings_error.problems, masking))
            return
        sections: dict[str, list[RenderableType]] = {"test": [], "pipeline": [], "check": []}
        test = sections["test"]
        if "scenario" in self.busy:
            steps = Text("Sending the test auth-401 events…", style="bold cyan")
            for step in self.scenario_steps:
                steps.append(f"\n  {step}", style="cyan")
            test.append(steps)
        if self.scenario_error:
            test.append(
                Text(f"✗ test send failed: {masking.text(self.scenario_error)}", style="bold red")
            )
        if self.scenario is not None:
            test.extend(backend.scenario_parts(self.scenario, masking))
            for title, report in (
                ("Force-flush", backend.scenario_flush(self.scenario)),
                ("Shutdown", backend.scenario_shutdown(self.scenario)),
            ):
                if report is not None:
                    test.append(render.report_table(title, report, masking))
        pipeline = sections["pipeline"]
        if self.flush_report is not None:
            pipeline.append(render.report_table("Force-flush (f)", self.flush_report, masking))
        if self.shutdown_report is not None:
            pipeline.append(render.report_table("Shutdown (s)", self.shutdown_report, masking))
        if self.provider_error:
            pipeline.append(Text(f"✗ {masking.text(self.provider_error)}", style="bold red"))
        check = sections["check"]
        if self.check_error:
            check.append(
                Text(f"✗ check failed: {masking.text(self.check_error)}", style="bold red")
            )
        general = render.general_findings(self.board.general, masking)
        if general is not None and self.check_report is None:
            check.append(Text("Settings findings", style="bold"))
            check.append(general)
        if self.check_report is not None:
            check.append(backend.check_summary(self.check_report, masking))
        # The latest action's section first: what the user just asked for is on top.
        order = [*self._recent, *(name for name in sections if name not in self._recent)]
        parts: list[RenderableType | None] = [p for name in order for p in sections[name]]
        if not any(p is not None for p in parts):
            parts.append(
                Text.assemble(
                    ("v", "bold cyan"),
                    " validate endpoints · ",
                    ("t", "bold cyan"),
                    " send test auth-401 events · ",
                    ("?", "bold cyan"),
                    " all keys",
                    style="dim",
                )
            )
        pane.show(*_spaced(parts))
        if scroll_home:
            pane.scroll_home(animate=False)

    def _touch(self, section: str) -> None:
        """Move ``section`` to the top of the results pane."""
        if section in self._recent:
            self._recent.remove(section)
        self._recent.insert(0, section)

    def _refresh_received(self) -> None:
        if self.demo_session is None:
            return
        table = self.main.query_one(EndpointsTable)
        changed = False
        for signal, text in self.demo_session.received().items():
            if self.board.set_received(signal, text):
                table.update_row(self.board.rows[signal])
                changed = True
        if changed:
            self._show_detail()

    def _tick(self) -> None:
        self.main.query_one(EndpointsTable).tick()

    # --- events from widgets --------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#endpoints")
    def _row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(Tree.NodeHighlighted, "#settings")
    def _node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        self._show_provenance(event.node.data or "")

    # --- actions --------------------------------------------------------------------------

    def _need_settings(self) -> OtelSettings | None:
        if self.settings is None:
            self.notify("The settings did not load: fix them and press r.", severity="error")
        return self.settings

    def action_validate(self) -> None:
        """``v``: run the check; rows fill in stage by stage."""
        settings = self._need_settings()
        if settings is None:
            return
        if self.board.running:
            self.notify("A check is already running.")
            return
        self._check_run += 1
        self.check_report, self.check_error = None, None
        self.board = EndpointBoard.from_settings(settings)
        self.board.start()
        table = self.main.query_one(EndpointsTable)
        table.show_rows(self.board.rows)
        self._refresh_received()
        if self._spinner is not None:
            self._spinner.resume()
        self._show_detail()
        self._touch("check")
        self._show_results(scroll_home=True)
        self._check_worker(self._check_run, settings)

    @work(thread=True, group="check", exit_on_error=False)
    def _check_worker(self, run: int, settings: OtelSettings) -> None:
        def progress(finding: Any) -> None:
            self.post_message(CheckProgress(run, finding))

        try:
            report = until_exit(
                lambda: backend.check(
                    settings, on_finding=progress, timeout=self.timeout, environ=self.environ
                )
            )
        except WorkerCancelled:
            return
        except Exception as exc:
            self.post_message(CheckDone(run, None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(CheckDone(run, report))

    def on_check_progress(self, message: CheckProgress) -> None:
        if message.run != self._check_run:
            return
        signal = self.board.apply(message.finding)
        table = self.main.query_one(EndpointsTable)
        if signal is not None:
            table.update_row(self.board.rows[signal])
        else:
            self._show_results()
        if signal is None or signal == table.selected_signal:
            self._show_detail()

    def on_check_done(self, message: CheckDone) -> None:
        if message.run != self._check_run:
            return
        self.board.finish()
        if self._spinner is not None:
            self._spinner.pause()
        self.check_report, self.check_error = message.report, message.error
        table = self.main.query_one(EndpointsTable)
        for row in self.board.rows.values():
            table.update_row(row)
        self._show_detail()
        self._show_results(scroll_home=True)
        if message.report is not None:
            status = backend.report_status(message.report)
            severity = {"ok": "information", "warn": "warning"}.get(status, "error")
            self.notify(f"Check finished: {status}", severity=severity)  # type: ignore[arg-type]

    def action_send_test(self) -> None:
        """``t``: emit the test auth-401 scenario through a fresh pipeline, flush, shut down."""
        settings = self._need_settings()
        if settings is None or "scenario" in self.busy:
            return
        if not settings.exports_anything:
            self.notify("No signal is exported (every exporter is none).", severity="warning")
            return
        self.busy.add("scenario")
        self.scenario_steps.clear()
        self.scenario, self.scenario_error = None, None
        self._touch("test")
        self._show_results(scroll_home=True)
        self._scenario_worker(settings)

    @work(thread=True, group="scenario", exit_on_error=False)
    def _scenario_worker(self, settings: OtelSettings) -> None:
        try:
            result = until_exit(
                lambda: backend.send_test_events(
                    settings,
                    timeout=self.timeout,
                    on_step=lambda text: self.post_message(ScenarioStep(text)),
                )
            )
        except WorkerCancelled:
            return
        except Exception as exc:
            self.post_message(ScenarioDone(None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ScenarioDone(result))

    def on_scenario_step(self, message: ScenarioStep) -> None:
        if "scenario" in self.busy:
            self.scenario_steps.append(message.text)
            self._show_results()

    def on_scenario_done(self, message: ScenarioDone) -> None:
        self.busy.discard("scenario")
        self.scenario_steps.clear()
        self.scenario, self.scenario_error = message.result, message.error
        self._refresh_received()
        self._show_results(scroll_home=True)
        if message.error:
            self.notify("The test send failed; see Results.", severity="error")
        else:
            self.notify("Test events sent; flush and shutdown reports in Results.")

    def action_flush(self) -> None:
        """``f``: force-flush the live pipeline (built from the settings if there is none)."""
        settings = self._need_settings()
        if settings is None or "provider" in self.busy:
            return
        self.busy.add("provider")
        self._provider_worker("flush", settings)

    def action_shutdown(self) -> None:
        """``s``: shut the live pipeline down and show what each signal managed to export."""
        if self._need_settings() is None or "provider" in self.busy:
            return
        if self.provider is None:
            self.notify("No live pipeline to shut down (press f to start one, t to send).")
            return
        self.busy.add("provider")
        self._provider_worker("shutdown", None)

    @work(thread=True, group="provider", exit_on_error=False)
    def _provider_worker(self, kind: str, settings: OtelSettings | None) -> None:
        try:
            if self.provider is None and settings is not None:
                self.provider = backend.build(settings)
            provider = self.provider
            if provider is None:
                self.post_message(ProviderReport(kind, None, "no signal is exported"))
                return
            if kind == "flush":
                report = until_exit(lambda: provider.force_flush(timeout=self.timeout))
            else:
                report = until_exit(lambda: provider.shutdown(timeout=self.timeout))
                self.provider = None
        except WorkerCancelled:
            return
        except Exception as exc:
            self.post_message(ProviderReport(kind, None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ProviderReport(kind, report))

    def on_provider_report(self, message: ProviderReport) -> None:
        self.busy.discard("provider")
        self.provider_error = f"{message.kind}: {message.error}" if message.error else None
        if message.kind == "flush" and message.report is not None:
            self.flush_report = message.report
        elif message.kind == "shutdown" and message.report is not None:
            self.shutdown_report = message.report
        self._touch("pipeline")
        self._refresh_received()
        self._show_results(scroll_home=True)
        word = "Force-flush" if message.kind == "flush" else "Shutdown"
        self.notify(
            f"{word}: {message.error}" if message.error else f"{word} done; see Results.",
            severity="error" if message.error else "information",
        )

    def action_reload(self) -> None:
        """``r``: re-read the files and the environment; a live pipeline is shut down."""
        self._retire_provider()
        self._load_settings()
        if self.settings_error is not None:
            self.notify("The settings still do not load.", severity="error")
        else:
            self.notify("Settings reloaded.")

    def _retire_provider(self) -> None:
        if self.provider is not None and "provider" not in self.busy:
            self.busy.add("provider")
            self._provider_worker("shutdown", None)

    def action_pick_environment(self) -> None:
        """``e``: choose the environment table of the settings files."""
        names = backend.environments(files=self.files, environ=self.environ)
        from_variable = (self.environ if self.environ is not None else os.environ).get(
            "CODEX_OTEL_ENV"
        )
        current = self.env_name or from_variable or None
        picker = EnvironmentPicker(names, current, default_only=not from_variable)
        self.push_screen(picker, self._environment_chosen)

    def _environment_chosen(self, choice: str | None) -> None:
        if choice is None:
            return
        name = None if choice == DEFAULT_ONLY else choice
        if name == self.env_name:
            return
        self.env_name = name
        self._retire_provider()
        self._load_settings()
        label = name or "[default] only"
        if self.settings is not None:
            self.notify(f"Environment {label} loaded.")
        else:
            self.notify(f"Environment {label}: the settings do not load.", severity="error")

    def report(self) -> dict[str, Any]:
        """Everything on screen as one JSON-ready value (secrets masked)."""
        return backend.build_report(self)

    def action_copy_report(self) -> None:
        """``c``: copy the JSON report, and save it (the terminal may have no clipboard)."""
        text = json.dumps(self.report(), indent=2, sort_keys=False, default=str)
        self.copy_to_clipboard(text)
        folder = self.report_dir or Path(tempfile.gettempdir())
        path = folder / f"codex-otel-report-{time.strftime('%Y%m%d-%H%M%S')}.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(f"Copied to the clipboard; could not save: {exc}", severity="warning")
            return
        self.last_report_path = path
        self.notify(f"JSON report copied and saved to {path}", timeout=8)

    def action_help(self) -> None:
        """``?``: the keys."""
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(ACTION_BINDINGS, title="codex-otel-config tui — keys"))

    async def action_quit(self) -> None:
        """``q``: quit, shutting down a live pipeline first (bounded by a short timeout)."""
        provider, self.provider = self.provider, None
        if provider is not None:
            self.notify("Shutting down the pipeline…")
            await self.run_in_thread_bounded(provider)
        self.exit()

    async def run_in_thread_bounded(self, provider: Any) -> None:
        import asyncio

        try:
            await asyncio.wait_for(
                asyncio.to_thread(provider.shutdown, timeout=QUIT_SHUTDOWN_TIMEOUT),
                QUIT_SHUTDOWN_TIMEOUT + 1,
            )
        except Exception:  # quitting must not fail on a misbehaving collector
            return


def _action_callback(app: App[Any], action: str) -> Any:
    async def run() -> None:
        await app.run_action(action)

    return run


def _spaced(parts: Sequence[RenderableType | None]) -> list[RenderableType]:
    spaced: list[RenderableType] = []
    for part in parts:
        if part is None:
            continue
        if spaced:
            spaced.append(Text(""))
        spaced.append(part)
    return spaced
