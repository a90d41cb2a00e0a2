"""Rich renderables for the TUI's panes: stage cells, the selected row, reports, problems.

Pure functions of values (board rows, reports, ``SettingsError``), so what the app shows is
decided here once and the widgets only place it. Report objects from the bootstrap and the
scenario are read by attribute, so this module does not import them (and the SDK) eagerly.

``stable`` rendering (for snapshots and docs) hides what differs between runs: elapsed
times, loopback ports and temporary paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from codex_otel_config.errors import Problem
from codex_otel_config.tui.state import CellState, EndpointRow, StageResult

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
_PORT = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")


@dataclass(frozen=True)
class Masking:
    """What to hide for a reproducible screen: run-dependent numbers and paths."""

    stable: bool = False
    paths: tuple[str, ...] = ()

    def text(self, value: str) -> str:
        if not self.stable:
            return value
        for path in sorted(self.paths, key=len, reverse=True):
            if path:
                value = value.replace(path, "<tmp>")
        return _PORT.sub(r"\1:PORT", value)

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
        line.append(request_id, style="bold")
        line.append(" · ", style="dim")
    line.append(masking.text(verdict.message))
    if verdict.cf_ray:
        line.append(" · cf-ray ", style="dim")
        line.append(verdict.cf_ray)
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
            Text.assemble(where, "\n", (problem.key, "bold"), ": ", masking.text(problem.message)),
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


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def signal_reports(report: Any) -> list[Any]:
    """The per-signal entries of a flush or shutdown report, whatever its container shape."""
    if report is None:
        return []
    signals = _get(report, "signals", None)
    if signals is None and isinstance(report, Mapping):
        signals = report
    if signals is None:
        signals = report
    if isinstance(signals, Mapping):
        return list(signals.values())
    return list(signals)


def _error_text(error: Any, masking: Masking) -> Text:
    if error is None:
        return Text("")
    code = _get(error, "code", "")
    code = str(getattr(code, "value", code))
    message = str(_get(error, "message", "") or "")
    text = Text(code, style="bold red")
    if message:
        text.append(f" {masking.text(message)}")
    request_id = _get(error, "request_id")
    if request_id:
        text.append(f" (request id {request_id})", style="dim")
    return text


def report_table(title: str, report: Any, masking: Masking) -> RenderableType:
    """One flush or shutdown report: a line per signal with status, time and counts, then
    each signal's classified error on lines of its own (readable at 80 columns)."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
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
    dropped = any(_get(e, "dropped", 0) for e in entries)
    if dropped:
        table.add_column("dropped", justify="right", no_wrap=True)
    if not entries:
        table.add_row(Text("(no signal)", style="dim"), *[""] * (len(table.columns) - 1))
    errors = Table.grid(padding=(0, 1))
    errors.add_column(no_wrap=True)
    errors.add_column(overflow="fold")
    for entry in entries:
        status = _get(entry, "status", "")
        status = str(getattr(status, "value", status))
        signal = str(_get(entry, "signal", ""))
        cells: list[RenderableType] = [
            signal,
            Text(status, style=REPORT_STATUS_STYLE.get(status, "")),
            masking.ms(_get(entry, "elapsed_ms")),
            str(_get(entry, "exported", "")),
            str(_get(entry, "failed", "")),
        ]
        if dropped:
            cells.append(str(_get(entry, "dropped", "")))
        table.add_row(*cells)
        error = _get(entry, "error")
        if error is not None:
            errors.add_row(Text(f"✗ {signal}", style="red"), _error_text(error, masking))
    if not errors.row_count:
        return table
    return Group(table, Padding(errors, (0, 0, 0, 1)))


_EVIDENCE_PREFIXES = ("auth_", "auth.", "http.response.status_code", "attempt")


def evidence_items(attributes: Mapping[str, Any]) -> list[tuple[str, str]]:
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


def events_table(events: Sequence[Any], masking: Masking) -> RenderableType:
    """The events the test scenario emitted: the name, then its 401 evidence, wrapped but
    never elided (request ids are what a user searches for)."""
    lines: list[RenderableType] = []
    for event in events:
        name = str(_get(event, "name", "") or _get(event, "event_name", "") or event)
        attributes = _get(event, "attributes", None) or {}
        evidence = evidence_items(attributes) if isinstance(attributes, Mapping) else []
        status = (
            attributes.get("http.response.status_code") if isinstance(attributes, Mapping) else None
        )
        head = Text(name, style="bold cyan")
        if status is not None:
            head.append(f"  {status}", style="bold red" if str(status) == "401" else "bold green")
        lines.append(head)
        text = Text(overflow="fold")
        for key, value in evidence:
            if key == "http.response.status_code":
                continue
            if text:
                text.append("  ")
            text.append(f"{key}=", style="dim")
            text.append(masking.text(value))
        if text:
            lines.append(Padding(text, (0, 0, 0, 2)))
    return Group(*lines)


def tags_table(title: str, tags: Mapping[str, Any], masking: Masking) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="dim")
    table.add_column(overflow="fold")
    for key, value in tags.items():
        if value in ("", None):
            continue
        table.add_row(key, masking.text(str(value)))
    return Group(Text(title, style="bold"), table)
