"""The ``codex-otel-config tui`` app: the actions and the workers behind them, over one
:class:`~codex_otel_config.tui.state.ConsoleState`.

Every action calls the same library functions as ``check`` and ``send-test-events`` (through
:mod:`codex_otel_config.tui.backend`). Anything that may touch the network runs in a thread
worker that posts :mod:`~codex_otel_config.tui.messages` back, so the UI thread never waits
on a socket and only the UI thread changes the state. The console keeps **one pipeline**:
built when the settings load (and rebuilt on reload or an environment change, the old one
shut down), ``t`` emits through it, ``f`` flushes it, ``s`` shuts it down. The app takes its
inputs explicitly (files, environment name, an environ mapping, overrides, demo) so tests
drive it without touching ``os.environ``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

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
    PipelineBuilt,
    ProviderReport,
    ScenarioDone,
    ScenarioStep,
)
from codex_otel_config.tui.render import Masking
from codex_otel_config.tui.reportfile import default_report_dir, save_report
from codex_otel_config.tui.screens import DEFAULT_ONLY, EnvironmentPicker, HelpScreen, MainScreen
from codex_otel_config.tui.state import (
    CheckEntry,
    ConsoleState,
    EndpointBoard,
    LivePipeline,
    NoteEntry,
    PipelineReportEntry,
    SendEntry,
)
from codex_otel_config.tui.widgets import (
    EndpointsTable,
    Provenance,
    ResultsPane,
    RowDetail,
    SettingsTree,
    StatusLine,
)

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import FlushReport, OtelProvider, ShutdownReport
    from codex_otel_config.check import Finding

#: The actions, in footer order. Each is also a command-palette entry (``get_system_commands``).
ACTION_BINDINGS: tuple[Binding, ...] = (
    Binding("v", "validate", "Validate", tooltip="Validate endpoints: DNS, TCP, TLS, OTLP"),
    Binding(
        "t",
        "send_test",
        "Test 401",
        tooltip="Send the test auth-401 events through the live pipeline, then force-flush",
    ),
    Binding("f", "flush", "Flush", tooltip="Force-flush the live pipeline; per-signal report"),
    Binding("s", "shutdown", "Shutdown", tooltip="Shut down the live pipeline; per-signal report"),
    Binding(
        "r", "reload", "Reload", tooltip="Reload settings (files and environment); new pipeline"
    ),
    Binding("e", "pick_environment", "Env", tooltip="Pick the settings environment"),
    Binding("c", "copy_report", "Copy", tooltip="Copy the JSON report (and save it to a file)"),
    Binding("question_mark", "help", "Help", key_display="?", tooltip="Show the keys"),
    Binding("q", "quit", "Quit", tooltip="Quit (shutting down the live pipeline first)"),
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
#: Signals that end the app the way ``q`` does, so the terminal is restored (exit 128+n).
EXIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)
#: After such a signal the app has this long to exit the normal way (its pipeline shutdown is
#: bounded by ``QUIT_SHUTDOWN_TIMEOUT``); past it the process ends with the same code, so a
#: terminal that hung up can never keep it alive.
SIGNAL_EXIT_GRACE = QUIT_SHUTDOWN_TIMEOUT + 3.0

Severity = Literal["information", "warning", "error"]
T = TypeVar("T")


class _Outcome:
    """What a call run on a daemon thread returned or raised."""

    value: object = None
    error: BaseException | None = None


def until_exit(call: Callable[[], T]) -> T:
    """Run ``call`` for a thread worker on a daemon thread, and wait for it unless the worker
    is cancelled (the app is exiting): the event loop joins its worker threads at exit, so a
    flush held by a black hole would otherwise keep ``q`` waiting for its whole timeout. The
    abandoned thread dies with the process; bootstrap's exit hook shuts down (bounded) any
    pipeline it leaves live. Raises ``WorkerCancelled`` when abandoned."""
    worker = get_current_worker()
    done = threading.Event()
    outcome = _Outcome()

    def run() -> None:
        try:
            outcome.value = call()
        except BaseException as exc:
            outcome.error = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"tui-{worker.name}", daemon=True).start()
    while not done.wait(0.1):
        if worker.is_cancelled:
            raise WorkerCancelled("the app is exiting")
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]


def shutdown_bounded(provider: OtelProvider, timeout: float = QUIT_SHUTDOWN_TIMEOUT) -> None:
    """Shut ``provider`` down from a daemon thread, waiting at most ``timeout`` + 1 s: leaving
    must not hang on a collector that never answers."""
    thread = threading.Thread(
        target=provider.shutdown, kwargs={"timeout": timeout}, name="tui-exit", daemon=True
    )
    thread.start()
    thread.join(timeout + 1)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class OtelConsoleApp(App[None]):
    """Resolved settings, a live endpoint check, the test auth-401 send through one live
    pipeline, and that pipeline's flush and shutdown reports."""

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
        exit_on_signals: bool = False,
    ) -> None:
        """``stable`` hides timings, loopback ports, random ids, spinners and ``stable_paths``
        (for reproducible screenshots); ``report_dir`` is where ``c`` saves the JSON report
        (default: the per-user state folder, see :mod:`~codex_otel_config.tui.reportfile`);
        ``exit_on_signals`` (the command sets it) makes SIGTERM and SIGHUP end the app like
        ``q``, from before the terminal is switched to application mode."""
        super().__init__()
        self.files = [Path(f) for f in files] if files else None
        self.env_name = env
        self.environ = environ
        self.overrides = dict(overrides or {})
        self.demo = demo
        self.timeout = timeout
        self.report_dir = report_dir
        self.masking = Masking(stable=stable, paths=tuple(stable_paths))
        self.state = ConsoleState()
        self.last_report_path: Path | None = None
        self.status: tuple[str, Severity] = ("", "information")
        self._spinner: Timer | None = None
        self._exit_on_signals = exit_on_signals
        self._send_when_built = False
        self.main = MainScreen(demo=demo)

    # --- set-up ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return self.main

    def on_main_screen_ready(self, _: MainScreen.Ready) -> None:
        for widget in (self.main.query_one(EndpointsTable), self.main.query_one(SettingsTree)):
            widget.masking = self.masking
        if self.demo:
            try:
                self.state.demo = backend.start_demo()
            except Exception as exc:  # a port race or missing grpc: say so, keep the app up
                self.say(f"demo receiver could not start: {_error_text(exc)}", "error")
            else:
                self.set_interval(RECEIVED_INTERVAL, self._refresh_received)
        self._load_settings()
        self._new_pipeline(why="")
        if not self.masking.stable:
            self._spinner = self.set_interval(SPINNER_INTERVAL, self._tick, pause=True)

    def on_load(self) -> None:
        """SIGTERM and SIGHUP end the app like ``q`` (terminal modes, alternate screen and
        mouse tracking restored by the driver) instead of killing it mid-screen. ``Load``
        comes before the driver switches the terminal, so there is no window without them."""
        if not self._exit_on_signals or threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for number in EXIT_SIGNALS:
            loop.add_signal_handler(number, self._exit_on_signal, number)

    def _exit_on_signal(self, number: signal.Signals) -> None:
        code = 128 + int(number)
        self.exit(return_code=code)
        _exit_after(SIGNAL_EXIT_GRACE, code)

    def on_unmount(self) -> None:
        # The signal handlers stay until the event loop closes (which removes them), so a
        # second SIGTERM during this bounded shutdown cannot kill the app before the driver
        # has restored the terminal.
        pipeline, self.state.pipeline = self.state.pipeline, None
        if pipeline is not None:  # left without q (a signal, a test): still bounded
            shutdown_bounded(pipeline.provider)
        if self.state.demo is not None:
            self.state.demo.stop()

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

    def say(self, text: str, severity: Severity = "information") -> None:
        """Tell the user on the status line (a toast would cover the results)."""
        self.status = (text, severity)
        self.main.query_one(StatusLine).show(text, severity, self.masking)

    # --- settings -------------------------------------------------------------------------

    def _effective_overrides(self) -> dict[str, Any]:
        overrides = dict(self.overrides)
        if self.state.demo is not None:
            overrides.update(self.state.demo.overrides)
        return overrides

    def _load_settings(self) -> None:
        """Load on the UI thread: files and variables only, never the network."""
        state = self.state
        state.check_run += 1  # any check still running belongs to the old settings
        try:
            settings = backend.load(
                files=self.files,
                env=self.env_name,
                environ=self.environ,
                overrides=self._effective_overrides(),
            )
        except SettingsError as error:
            state.settings, state.settings_error = None, error
        except Exception as exc:  # never a traceback: show it as a problem
            state.settings = None
            state.settings_error = SettingsError([Problem("settings", "", f"{exc}")])
        else:
            state.settings, state.settings_error = settings, None
        state.board = EndpointBoard.from_settings(state.settings)
        state.results = [e for e in state.results if not isinstance(e, CheckEntry)]
        if self._spinner is not None:
            self._spinner.pause()
        self._show_settings()

    def _show_settings(self) -> None:
        tree = self.main.query_one(SettingsTree)
        table = self.main.query_one(EndpointsTable)
        settings = self.state.settings
        if settings is not None:
            tree.show_settings(settings)
            demo = " · demo receiver" if self.state.demo is not None else ""
            self.sub_title = f"env {self.masking.text(settings.environment)}{demo}"
        else:
            assert self.state.settings_error is not None
            tree.show_problems(self.state.settings_error.problems)
            self.sub_title = "not loaded"
            self.say("The settings did not load: see Results, fix them and press r.", "error")
        self.main.query_one("#settings-box").border_title = f"Settings · {self.sub_title}"
        table.show_rows(self.state.board.rows)
        self._refresh_received()
        self._show_detail()
        self._show_provenance()
        self._show_results()

    # --- redraw helpers -------------------------------------------------------------------

    def _show_detail(self) -> None:
        table = self.main.query_one(EndpointsTable)
        detail = self.main.query_one(RowDetail)
        if self.state.settings is None:
            detail.update(Text("Settings not loaded — see Results.", style="bold red"))
            return
        signal_name = table.selected_signal
        row = self.state.board.rows.get(signal_name) if signal_name else None
        shown = render.row_detail(row, self.masking, self.state.board.running)
        if self.state.demo is not None and row is not None:
            got = Text(backend.received_line(self.state.demo, row.signal), style="cyan")
            shown = Group(shown, got)
        detail.update(shown)

    def _show_provenance(self, key: str | None = None) -> None:
        """The selected setting in full, across the screen: key, value (masked), layer."""
        label = self.main.query_one(Provenance)
        tree = self.main.query_one(SettingsTree)
        settings = self.state.settings
        if settings is None:
            label.update(Text("Settings not loaded — see Results.", style="bold red"))
            return
        if key is None:
            node = tree.cursor_node
            key = node.data if node is not None else None
        if not key:
            label.update(Text("↑↓ pick a value: its full value and layer show here", style="dim"))
            return
        line = tree.lines.get(key)
        source = settings.source_of(key)
        where = line.where if line is not None else source.describe()
        demo = self.state.demo
        if (
            demo is not None
            and source.layer == "override"
            and key.split(".", 1)[0] in {k.split(".", 1)[0] for k in demo.overrides}
        ):
            where += " (--demo: the local receiver)"
        text = Text(self.masking.text(key), style="bold", overflow="fold")
        if line is not None:
            text.append(" = ", style="dim")
            text.append(line.value)
        text.append("\nfrom ", style="dim")
        text.append(self.masking.text(where), style="italic")
        label.update(text)

    def _show_results(self, *, scroll_home: bool = False) -> None:
        pane = self.main.query_one(ResultsPane)
        state, masking = self.state, self.masking
        pane.border_title = f"Results · {self._pipeline_label()}"
        if state.settings_error is not None:
            pane.show(render.problems(state.settings_error.problems, masking))
            return
        parts: list[RenderableType] = []
        if state.activity == "sending":
            steps = Text(
                f"Sending the test auth-401 events through pipeline #{state.pipelines_built}…",
                style="bold cyan",
            )
            for step in state.scenario_steps:
                steps.append(f"\n  {masking.text(step)}", style="cyan")
            parts.append(steps)
        for entry in state.results:  # newest first
            general = state.board.general if isinstance(entry, CheckEntry) else ()
            parts.extend(render.result_entry(entry, masking, general))
        if not parts:
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

    def _pipeline_label(self) -> str:
        state = self.state
        if state.activity is not None:
            return f"pipeline #{state.pipelines_built} {state.activity}…"
        if state.pipeline is not None:
            return f"pipeline #{state.pipeline.number} live"
        if state.pipelines_built:
            return f"pipeline #{state.pipelines_built} shut down"
        return "no pipeline"

    def _refresh_received(self) -> None:
        demo = self.state.demo
        if demo is None:
            return
        table = self.main.query_one(EndpointsTable)
        changed = False
        for signal_name, text in backend.received(demo).items():
            if self.state.board.set_received(signal_name, text):
                table.update_row(self.state.board.rows[signal_name])
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

    # --- check ----------------------------------------------------------------------------

    def _need_settings(self) -> OtelSettings | None:
        if self.state.settings is None:
            self.say("The settings did not load: fix them and press r.", "error")
        return self.state.settings

    def action_validate(self) -> None:
        """``v``: run the check; rows fill in stage by stage."""
        settings = self._need_settings()
        if settings is None:
            return
        state = self.state
        if state.board.running:
            self.say("A check is already running.", "warning")
            return
        state.check_run += 1
        state.board = EndpointBoard.from_settings(settings)
        state.board.start()
        state.push(CheckEntry(state.check_run))
        table = self.main.query_one(EndpointsTable)
        table.show_rows(state.board.rows)
        self._refresh_received()
        if self._spinner is not None:
            self._spinner.resume()
        self._show_detail()
        self._show_results(scroll_home=True)
        self.say("Checking the endpoints…")
        self._check_worker(state.check_run, settings)

    @work(thread=True, group="check", exit_on_error=False)
    def _check_worker(self, run: int, settings: OtelSettings) -> None:
        def progress(finding: Finding) -> None:
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
            self.post_message(CheckDone(run, None, _error_text(exc)))
        else:
            self.post_message(CheckDone(run, report))

    def on_check_progress(self, message: CheckProgress) -> None:
        if message.run != self.state.check_run:
            return
        signal_name = self.state.board.apply(message.finding)
        table = self.main.query_one(EndpointsTable)
        if signal_name is not None:
            table.update_row(self.state.board.rows[signal_name])
        else:
            self._show_results()
        if signal_name is None or signal_name == table.selected_signal:
            self._show_detail()

    def on_check_done(self, message: CheckDone) -> None:
        state = self.state
        if message.run != state.check_run:
            return
        state.board.finish()
        if self._spinner is not None:
            self._spinner.pause()
        state.push(CheckEntry(message.run, message.report, message.error))
        table = self.main.query_one(EndpointsTable)
        for row in state.board.rows.values():
            table.update_row(row)
        self._show_detail()
        self._show_results(scroll_home=True)
        if message.report is not None:
            status = message.report.status
            severity: Severity = {"ok": "information", "warn": "warning"}.get(status, "error")  # type: ignore[assignment]
            self.say(f"Check finished: {status}", severity)
        else:
            self.say("The check could not run; see Results.", "error")

    # --- the pipeline ---------------------------------------------------------------------

    def _pipeline_busy(self) -> bool:
        if self.state.activity is None:
            return False
        self.say(
            f"Pipeline #{self.state.pipelines_built} is {self.state.activity}; wait for it.",
            "warning",
        )
        return True

    def _new_pipeline(self, *, why: str) -> None:
        """Retire the live pipeline (its shutdown report shows why) and build the next one."""
        state = self.state
        old, state.pipeline = state.pipeline, None
        if old is not None:
            self._report_worker(old.number, old.provider, "shutdown", f"retired: {why}")
        settings = state.settings
        if settings is None or not settings.exports_anything:
            state.activity = None
            self._show_results()
            return
        number = state.next_pipeline_number()
        state.activity = "building"
        self._show_results()
        self._build_worker(number, settings, why)

    @work(thread=True, group="pipeline", exit_on_error=False)
    def _build_worker(self, number: int, settings: OtelSettings, why: str) -> None:
        try:
            provider = until_exit(lambda: backend.build(settings))
        except WorkerCancelled:
            return
        except Exception as exc:
            self.post_message(PipelineBuilt(number, None, _error_text(exc)))
        else:
            self.post_message(PipelineBuilt(number, provider, why=why))

    def on_pipeline_built(self, message: PipelineBuilt) -> None:
        state = self.state
        provider = message.provider
        if message.number != state.pipelines_built:  # superseded while it was being built
            if provider is not None:
                self._report_worker(message.number, provider, "shutdown", "retired: superseded")
            return
        if state.activity == "building":
            state.activity = None
        send_now, self._send_when_built = self._send_when_built, False
        if provider is None:
            error = message.error or "nothing is exported"
            state.push(NoteEntry(f"✗ pipeline #{message.number} not built: {error}", error=True))
            self.say(f"Pipeline #{message.number} could not be built; see Results.", "error")
        else:
            environment = state.settings.environment if state.settings else ""
            state.pipeline = LivePipeline(message.number, provider, environment)
            signals = ", ".join(provider.signals)
            text = f"Pipeline #{message.number} built ({signals})"
            if message.why:
                text += f": {message.why}"
            if message.number > 1:
                state.push(NoteEntry(text))
            self.say(text)
        self._show_results(scroll_home=True)
        if send_now and state.pipeline is not None and state.activity is None:
            self.action_send_test()

    def action_send_test(self) -> None:
        """``t``: emit the test auth-401 scenario through the live pipeline and force-flush it
        (a new pipeline is built first when the last one was shut down)."""
        settings = self._need_settings()
        if settings is None:
            return
        if not settings.exports_anything:
            self.say("No signal is exported (every exporter is none).", "warning")
            return
        state = self.state
        if state.activity == "building":  # pressed at start-up: send once it is built
            self._send_when_built = True
            self.say(f"Pipeline #{state.pipelines_built} is being built; sending next…")
            return
        if self._pipeline_busy():
            return
        pipeline = state.pipeline
        why = ""
        if pipeline is None:
            previous = state.pipelines_built
            number = state.next_pipeline_number()
            why = f"pipeline #{previous} is no longer live" if previous else "none was live"
            self.say(f"Building pipeline #{number} ({why}), then sending…")
            provider = None
        else:
            number, provider = pipeline.number, pipeline.provider
            self.say(f"Sending the test events through pipeline #{number}…")
        state.activity = "sending"
        state.scenario_steps.clear()
        self._show_results(scroll_home=True)
        self._send_worker(number, provider, settings, why)

    @work(thread=True, group="pipeline", exit_on_error=False)
    def _send_worker(
        self, number: int, provider: OtelProvider | None, settings: OtelSettings, why: str
    ) -> None:
        try:
            if provider is None:
                provider = until_exit(lambda: backend.build(settings))
                self.post_message(PipelineBuilt(number, provider, why=why))
            live = provider
            if live is None:
                raise ValueError("no signal is exported (every exporter is none)")
            result = until_exit(
                lambda: backend.send_test_events(
                    live,
                    timeout=self.timeout,
                    on_step=lambda text: self.post_message(ScenarioStep(text)),
                )
            )
        except WorkerCancelled:
            return
        except Exception as exc:
            self.post_message(ScenarioDone(number, None, _error_text(exc)))
        else:
            self.post_message(ScenarioDone(number, result))

    def on_scenario_step(self, message: ScenarioStep) -> None:
        if self.state.activity == "sending":
            self.state.scenario_steps.append(message.text)
            self._show_results()

    def on_scenario_done(self, message: ScenarioDone) -> None:
        state = self.state
        if message.number == state.pipelines_built:
            state.activity = None
        state.scenario_steps.clear()
        state.push(SendEntry(message.number, message.result, message.error))
        self._refresh_received()
        self._show_results(scroll_home=True)
        if message.error:
            self.say("The test send failed; see Results.", "error")
        else:
            self.say(f"Test events sent through pipeline #{message.number} and flushed.")

    def action_flush(self) -> None:
        """``f``: force-flush the live pipeline."""
        self._pipeline_action("flush")

    def action_shutdown(self) -> None:
        """``s``: shut the live pipeline down and show what each signal managed to export."""
        self._pipeline_action("shutdown")

    def _pipeline_action(self, kind: Literal["flush", "shutdown"]) -> None:
        if self._need_settings() is None or self._pipeline_busy():
            return
        pipeline = self.state.pipeline
        if pipeline is None:
            gone = self.state.pipelines_built
            before = f"pipeline #{gone} was shut down" if gone else "nothing is exported"
            self.say(f"No live pipeline ({before}); t builds a new one and sends.", "warning")
            return
        self.state.activity = "flushing" if kind == "flush" else "shutting down"
        self._show_results()
        self._report_worker(pipeline.number, pipeline.provider, kind, "")

    @work(thread=True, group="pipeline", exit_on_error=False)
    def _report_worker(
        self,
        number: int,
        provider: OtelProvider,
        kind: Literal["flush", "shutdown"],
        why: str,
    ) -> None:
        call: Callable[[], FlushReport | ShutdownReport] = (
            (lambda: provider.force_flush(timeout=self.timeout))
            if kind == "flush"
            else (lambda: provider.shutdown(timeout=self.timeout))
        )
        try:
            report = until_exit(call)
        except WorkerCancelled:
            return
        except Exception as exc:
            self.post_message(ProviderReport(number, kind, None, _error_text(exc), why=why))
        else:
            self.post_message(ProviderReport(number, kind, report, why=why))

    def on_provider_report(self, message: ProviderReport) -> None:
        state = self.state
        current = state.pipeline is not None and state.pipeline.number == message.number
        if not message.why and message.number == state.pipelines_built:
            state.activity = None
        if message.kind == "shutdown" and current:
            state.pipeline = None
        state.push(
            PipelineReportEntry(
                message.number, message.kind, message.report, message.error, why=message.why
            )
        )
        self._refresh_received()
        self._show_results(scroll_home=True)
        word = "Force-flush" if message.kind == "flush" else "Shutdown"
        if message.error:
            self.say(f"{word} of pipeline #{message.number} failed; see Results.", "error")
        elif message.kind == "shutdown" and not message.why:
            self.say(f"Pipeline #{message.number} shut down; t builds a new one and sends.")
        elif not message.why:
            self.say(f"Pipeline #{message.number} force-flushed; see Results.")

    # --- settings actions -----------------------------------------------------------------

    def action_reload(self) -> None:
        """``r``: re-read the files and the environment; the pipeline is rebuilt."""
        self._load_settings()
        self._new_pipeline(why="settings reloaded")
        if self.state.settings_error is not None:
            self.say("The settings still do not load.", "error")
        else:
            self.say("Settings reloaded.")

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
        self._load_settings()
        label = self.masking.text(name or "[default] only")
        self._new_pipeline(why=f"environment {label}")
        if self.state.settings is not None:
            self.say(f"Environment {label} loaded.")
        else:
            self.say(f"Environment {label}: the settings do not load.", "error")

    # --- report, help, quit ---------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Everything on screen as one JSON-ready value (secrets masked)."""
        return backend.build_report(self.state, demo=self.demo)

    def action_copy_report(self) -> None:
        """``c``: copy the JSON report, and save it (the terminal may have no clipboard)."""
        text = json.dumps(self.report(), indent=2, sort_keys=False, default=str)
        self.copy_to_clipboard(text)
        folder = self.report_dir or default_report_dir(self.environ)
        try:
            path = save_report(text + "\n", folder)
        except OSError as exc:
            self.say(f"Copied to the clipboard; could not save: {_error_text(exc)}", "warning")
            return
        self.last_report_path = path
        self.say(f"JSON report copied and saved to {path}")

    def action_help(self) -> None:
        """``?``: the keys."""
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(ACTION_BINDINGS, title="codex-otel-config tui — keys"))

    async def action_quit(self) -> None:
        """``q``: quit, shutting down the live pipeline first (bounded by a short timeout)."""
        pipeline, self.state.pipeline = self.state.pipeline, None
        if pipeline is not None:
            self.say(f"Shutting down pipeline #{pipeline.number}…")
            await asyncio.to_thread(shutdown_bounded, pipeline.provider)
        self.exit()


def _action_callback(app: App[Any], action: str) -> Callable[[], Awaitable[None]]:
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


def _exit_after(grace: float, code: int) -> None:
    """A daemon watchdog: if the process is still alive ``grace`` seconds after a terminating
    signal (e.g. the driver blocked on a terminal that hung up), it ends with ``code``."""

    def expire() -> None:
        threading.Event().wait(grace)
        os._exit(code)

    threading.Thread(target=expire, name="codex-otel-tui-exit", daemon=True).start()
