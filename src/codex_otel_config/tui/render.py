"""Rich renderables for the TUI's panes: stage cells, the selected row, reports, problems.

Pure functions of typed values (board rows, the library's reports, ``SettingsError``), so
what the app shows is decided here once and the widgets only place it. The report types are
imported for typing only, so this module does not load the SDK.

Text that came from a server or a file (ids, messages, keys, values, layers) goes through
:meth:`Masking.text`, which escapes control characters (``\x1b`` shows as the four
characters ``\x1b``), and is always placed in a ``rich.text.Text`` — never parsed as markup.

``stable`` rendering (for snapshots and docs) hides what differs between runs: elapsed
times, loopback ports, temporary paths and random ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from codex_otel_config.errors import Problem
from codex_otel_config.redaction import terminal_safe
from codex_otel_config.tui.state import (
    CellState,
    CheckEntry,
    EndpointRow,
    NoteEntry,
    ResultEntry,
    SendEntry,
    StageResult,
)

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import FlushReport, ShutdownReport, SignalReport
    from codex_otel_config.check import CheckReport
    from codex_otel_config.outcomes import ExportFailure
    from codex_otel_config.scenario import EmittedEvent, ScenarioResult

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS_STYLE = {"ok": "bold green", "warn": "bold yellow", "fail": "bold red"}
_GLYPH: dict[str, tuple[str, str]] = {
    "idle": ("·", "dim"),
    "pending": ("·", "dim"),
    "ok": ("✓", "bold green"),
    "warn": ("!", "bold yellow"),
    "fail": ("✗", "bold red"),
    "skipped": ("\u2013", "dim"),  # en dash: a stage that did not run
}
REPORT_STATUS_STYLE = {
    "ok": "bold green",
    "degraded": "bold yellow",  # delivered, but items were rejected or dropped
    "failed": "bold red",
    "timed_out": "bold red",
    "skipped": "dim",
}
#: A status this version does not know yet (e.g. a newer bootstrap's) is shown, in yellow.
UNKNOWN_STATUS_STYLE = "bold yellow"
_PORT = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")
#: Random ids of a test send (``test-<20 hex>``, trace ids, cf-rays) for stable screens.
_RANDOM_ID = re.compile(r"\b(test-[0-9a-f]{20}|[0-9a-f]{32}|[0-9a-f]{16}-TEST)\b")


def printable(value: object) -> str:
    """``value`` as text a terminal shows and never acts on: control characters escaped
    (the CLI's rule, :func:`~codex_otel_config.redaction.terminal_safe`)."""
    return terminal_safe(value)


@dataclass(frozen=True)
class Masking:
    """Makes outside text safe to show (control characters escaped, always) and, when
    ``stable``, hides what changes between runs: numbers, ports, paths and random ids."""

    stable: bool = False
    paths: tuple[str, ...] = ()

    def text(self, value: object) -> str:
        shown = printable(value)
        if not self.stable:
            return shown
        for path in sorted(self.paths, key=len, reverse=True):
            if path:
                shown = shown.replace(path, "<tmp>")
        home = str(Path.home())
        if len(home) > 1:
            shown = shown.replace(home, "~")
        shown = _RANDOM_ID.sub(lambda m: "<id>" if len(m.group()) < 32 else "<trace-id>", shown)
        return _PORT.sub(r"\1:PORT", shown)

    def ms(self, value: float | None) -> str:
        if value is None:
            return ""
        return "—" if self.stable else f"{value:.0f}"


def cell(state: CellState, frame: int, *, stable: bool = False) -> Text:
    """A stage cell: a spinner while running, a coloured mark once the stage reported."""
    if state == "running":
        glyph = "…" if stable else SPINNER[frame % len(SPINNER)]
        return Text(glyph, style="bold cyan", justify="center")
    glyph, style = _GLYPH[state]
    return Text(glyph, style=style, justify="center")


def shorten(value: str, width: int) -> str:
    """Fit ``value`` in ``width`` columns, keeping the scheme/host start and the path end."""
    if width <= 1 or len(value) <= width:
        return value[: max(width, 0)] if width <= 1 else value
    head = (width - 1) * 2 // 3
    tail = width - 1 - head
    return value[:head] + "…" + (value[-tail:] if tail else "")


def code_text(row: EndpointRow) -> Text:
    verdict = row.verdict
    if not row.exported:
        return Text("off", style="dim")
    if verdict is None or (row.running and verdict.status == "ok"):
        return Text("…" if row.running else "", style="dim")
    return Text(verdict.code, style=STATUS_STYLE.get(verdict.status, ""))


def row_detail(row: EndpointRow | None, masking: Masking, running: bool) -> RenderableType:
    """The selected row explained: endpoint, verdict, request id, hint."""
    if row is None:
        return Text("No endpoint selected.", style="dim")
    head = Text.assemble((f"{row.signal}", "bold"), " → ")
    if not row.exported:
        head.append("not exported (exporter = none)", style="dim")
        return head
    head.append(masking.text(row.endpoint or ""))
    head.append(f"  {row.kind}, {row.protocol}", style="dim")
    lines: list[RenderableType] = [head]
    verdict = row.verdict
    if verdict is None:
        lines.append(
            Text("checking…" if running else "not checked yet — press v to validate", style="dim")
        )
        return Group(*lines)
    line = Text.assemble(
        (verdict.code, STATUS_STYLE.get(verdict.status, "")), (f" [{verdict.stage}] ", "dim")
    )
    request_id = verdict.request_id or row.request_id
    if request_id:  # the evidence to quote to the backend's operator: first, never elided
        line.append("request id ", style="dim")
        line.append(masking.text(request_id), style="bold")
        line.append(" · ", style="dim")
    line.append(masking.text(verdict.message))
    if verdict.cf_ray:
        line.append(" · cf-ray ", style="dim")
        line.append(masking.text(verdict.cf_ray))
    lines.append(line)
    if verdict.hint:
        lines.append(Text.assemble(("hint: ", "bold"), masking.text(verdict.hint)))
    for text in lines:
        if isinstance(text, Text):
            text.no_wrap, text.overflow = True, "ellipsis"
    return Group(*lines)


def problems(error_problems: Sequence[Problem], masking: Masking) -> RenderableType:
    """A ``SettingsError`` as the user can act on it: layer, key, what was wrong."""
    title = Text(
        f"✗ The settings could not be loaded ({len(error_problems)} "
        f"problem{'s' if len(error_problems) != 1 else ''}).",
        style="bold red",
    )
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for problem in error_problems:
        where = Text(masking.text(problem.layer or "settings"), style="dim")
        table.add_row(
            Text("•", style="red"),
            Text.assemble(
                where,
                "\n",
                (masking.text(problem.key), "bold"),
                ": ",
                masking.text(problem.message),
            ),
        )
    footer = Text("Fix the file (or the variable) and press r to reload.", style="italic")
    return Group(title, table, Text(""), footer)


def general_findings(results: Iterable[StageResult], masking: Masking) -> RenderableType | None:
    """Findings about the settings as a whole (not tied to one signal)."""
    shown = [r for r in results if r.status != "ok"]
    if not shown:
        return None
    table = Table.grid(padding=(0, 1))
    for result in shown:
        table.add_row(
            Text(result.code, style=STATUS_STYLE.get(result.status, "")),
            Text(masking.text(result.message)),
        )
        if result.hint:
            table.add_row("", Text(f"hint: {masking.text(result.hint)}", style="italic"))
    return table


# --- reports --------------------------------------------------------------------------------


def signal_reports(report: FlushReport | ShutdownReport | None) -> list[SignalReport]:
    """The per-signal entries of a flush or shutdown report, in signal order."""
    return [] if report is None else list(report.signals.values())


def _status_text(status: str) -> Text:
    return Text(printable(status), style=REPORT_STATUS_STYLE.get(status, UNKNOWN_STATUS_STYLE))


def _error_text(error: ExportFailure, masking: Masking) -> Text:
    text = Text(printable(error.code.value), style="bold red")
    if error.message:
        text.append(f" {masking.text(error.message)}")
    if error.request_id:
        text.append(f" (request id {masking.text(error.request_id)})", style="dim")
    return text


def _count(entry: SignalReport, name: str) -> int:
    """A counter of a signal report; one a newer bootstrap adds (``rejected``) reads 0 here."""
    value = getattr(entry, name, 0)
    return value if isinstance(value, int) else 0


def report_table(
    title: str, report: FlushReport | ShutdownReport, masking: Masking
) -> RenderableType:
    """One flush or shutdown report: a line per signal with status, time and counts, then
    each signal's classified error on lines of its own (readable at 80 columns). Statuses
    and counters this version does not know are still shown."""
    heading = Text(title, style="bold", overflow="fold")  # a title wider than the table
    table = Table(
        box=None,
        padding=(0, 1),
        show_edge=False,
        expand=False,
    )
    table.add_column("signal", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("exported", justify="right", no_wrap=True)
    table.add_column("failed", justify="right", no_wrap=True)
    entries = signal_reports(report)
    extra = [n for n in ("dropped", "rejected") if any(_count(e, n) for e in entries)]
    for name in extra:
        table.add_column(name, justify="right", no_wrap=True)
    if not entries:
        table.add_row(Text("(no signal)", style="dim"), *[""] * (len(table.columns) - 1))
    errors = Table.grid(padding=(0, 1))
    errors.add_column(no_wrap=True)
    errors.add_column(overflow="fold")
    for entry in entries:
        cells: list[RenderableType] = [
            entry.signal,
            _status_text(str(entry.status)),
            masking.ms(entry.elapsed_ms),
            str(entry.exported),
            str(entry.failed),
            *(str(_count(entry, name)) for name in extra),
        ]
        table.add_row(*cells)
        if entry.error is not None:
            errors.add_row(
                Text(f"✗ {entry.signal}", style="red"), _error_text(entry.error, masking)
            )
    if not errors.row_count:
        return Group(heading, table)
    return Group(heading, table, Padding(errors, (0, 0, 0, 1)))


_EVIDENCE_PREFIXES = ("auth_", "auth.", "http.response.status_code", "attempt")


def evidence_items(attributes: Mapping[str, object]) -> list[tuple[str, str]]:
    """The 401 evidence worth showing: ``auth_*`` / ``auth_401_*`` / ``auth_recovery_*`` and
    the ``auth.*`` attributes, skipping empty values and the presence-only env flags."""
    items = []
    for key, value in attributes.items():
        if not key.startswith(_EVIDENCE_PREFIXES):
            continue
        if key.startswith(("auth.env_", "auth_env_")):
            continue
        if value in ("", None):
            continue
        items.append((key, str(value).lower() if isinstance(value, bool) else str(value)))
    return items


def events_table(events: Sequence[EmittedEvent], masking: Masking) -> RenderableType:
    """The events the test scenario emitted: the name, then its 401 evidence, wrapped but
    never elided (request ids are what a user searches for)."""
    lines: list[RenderableType] = []
    for event in events:
        attributes = event.attributes
        status = attributes.get("http.response.status_code")
        head = Text(printable(event.name), style="bold cyan")
        if status is not None:
            head.append(f"  {status}", style="bold red" if str(status) == "401" else "bold green")
        lines.append(head)
        text = Text(overflow="fold")
        for key, value in evidence_items(attributes):
            if key == "http.response.status_code":
                continue
            if text:
                text.append("  ")
            text.append(f"{printable(key)}=", style="dim")
            text.append(masking.text(value))
        if text:
            lines.append(Padding(text, (0, 0, 0, 2)))
    return Group(*lines)


def tags_table(title: str, tags: Mapping[str, object], masking: Masking) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="dim")
    table.add_column(overflow="fold")
    for key, value in tags.items():
        if value in ("", None):
            continue
        table.add_row(printable(key), masking.text(str(value)))
    return Group(Text(title, style="bold"), table)


# --- the results pane -----------------------------------------------------------------------


def check_summary(report: CheckReport, masking: Masking) -> RenderableType:
    """The verdict, then every warning and failure with its request id and hint."""
    findings = report.findings
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("ok", "warn", "fail")}
    status = report.status
    head = Text.assemble(
        ("Check: ", "bold"),
        (status, STATUS_STYLE.get(status, "")),
        f" — {counts['ok']} ok, {counts['warn']} warning{'s' * (counts['warn'] != 1)}, "
        f"{counts['fail']} failure{'s' * (counts['fail'] != 1)}",
    )
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for finding in findings:
        if finding.status == "ok":
            continue
        mark = Text("✗" if finding.status == "fail" else "!", style=STATUS_STYLE[finding.status])
        text = Text.assemble(
            (finding.code.value, STATUS_STYLE[finding.status]), " ", masking.text(finding.message)
        )
        if finding.request_id:
            text.append(f" · request id {masking.text(finding.request_id)}", style="bold")
        if finding.hint:
            text.append("\nhint: ", style="bold")
            text.append(masking.text(finding.hint))
        table.add_row(mark, finding.signal or "settings", text)
    if not table.row_count:
        return head
    return Group(head, table)


def scenario_parts(
    result: ScenarioResult, masking: Masking, *, pipeline: int | None = None
) -> list[RenderableType]:
    """The emitted events with their 401 evidence, the trace id to look for in a backend,
    the feedback tags a bug report would carry, and the force-flush that followed."""
    head = Text("Test send", style="bold")
    if pipeline is not None:
        head.append(f" · pipeline #{pipeline}", style="bold")
    head.append(": ")
    head.append("ok" if result.ok else "failed", style="bold green" if result.ok else "bold red")
    exported = result.exported()
    if exported:
        head.append(" — exported ")
        head.append(", ".join(f"{signal} {count}" for signal, count in exported.items()))
    if result.trace_id:
        head.append("\ntrace id ", style="dim")
        head.append(masking.text(result.trace_id), style="bold")
    parts: list[RenderableType] = [
        head,
        Text("Events emitted", style="bold"),
        events_table(result.events, masking),
    ]
    evidence = {
        k: v
        for k, v in result.feedback_tags.items()
        if k.startswith(("auth_401_", "auth_recovery_", "auth_request_id")) and v
    }
    if evidence:
        parts.append(tags_table("Feedback tags (auth_401_* / auth_recovery_*)", evidence, masking))
    for title, report in (("Force-flush", result.flush), ("Shutdown", result.shutdown)):
        if report is not None:
            parts.append(report_table(title, report, masking))
    return parts


_REPORT_TITLES = {"flush": "Force-flush", "shutdown": "Shutdown"}


def result_entry(
    entry: ResultEntry, masking: Masking, general: Sequence[StageResult] = ()
) -> list[RenderableType]:
    """One entry of the results log; ``general`` are the running check's settings findings."""
    if isinstance(entry, NoteEntry):
        return [Text(masking.text(entry.text), style="bold red" if entry.error else "bold")]
    if isinstance(entry, CheckEntry):
        if entry.error:
            return [Text(f"✗ check failed: {masking.text(entry.error)}", style="bold red")]
        if entry.report is not None:
            return [check_summary(entry.report, masking)]
        parts: list[RenderableType] = [Text("Checking the endpoints…", style="bold cyan")]
        findings = general_findings(general, masking)
        if findings is not None:
            parts += [Text("Settings findings", style="bold"), findings]
        return parts
    if isinstance(entry, SendEntry):
        if entry.error:
            return [
                Text(
                    f"✗ test send · pipeline #{entry.pipeline} failed: {masking.text(entry.error)}",
                    style="bold red",
                )
            ]
        if entry.result is None:
            return []
        return scenario_parts(entry.result, masking, pipeline=entry.pipeline)
    title = f"{_REPORT_TITLES[entry.kind]} · pipeline #{entry.pipeline}"
    if entry.why:
        title += f" ({entry.why})"
    if entry.error or entry.report is None:
        return [Text(f"✗ {title}: {masking.text(entry.error or 'no report')}", style="bold red")]
    return [report_table(title, entry.report, masking)]
