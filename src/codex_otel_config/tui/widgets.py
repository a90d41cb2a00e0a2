"""The panes of the main screen: settings tree, endpoints table, the detail lines, results,
and the status line.

Widgets only place what :mod:`codex_otel_config.tui.render` draws from plain state; they
hold no logic the ``check`` and ``send-test-events`` commands lack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, Tree
from textual.widgets.tree import TreeNode

from codex_otel_config.errors import Problem
from codex_otel_config.settings import explain
from codex_otel_config.settings.explain import Row
from codex_otel_config.settings.model import (
    EXPORTER_FIELD,
    SIGNALS,
    STATSIG_API_KEY_HEADER,
    OtelSettings,
    Signal,
)
from codex_otel_config.tui import render
from codex_otel_config.tui.render import Masking
from codex_otel_config.tui.state import LIVE_STAGES, EndpointRow

# --- settings -------------------------------------------------------------------------------


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class SettingLine:
    """One setting as the detail line shows it: the key as a settings file spells it, the
    value (masked by :mod:`~codex_otel_config.settings.explain`, escaped) and its layer."""

    key: str
    value: str
    where: str


class SettingsTree(Tree[str]):
    """The resolved settings — the rows ``show`` prints (:func:`settings.explain.rows`, every
    secret already masked there) — as a tree: general keys, then one branch per signal with
    its exporter as built. Each node's data is the setting's key as a settings file spells
    it (``exporter.otlp-http.endpoint``); :attr:`lines` has its value and layer."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("settings", data="", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.masking = Masking()
        self.lines: dict[str, SettingLine] = {}

    @property
    def values(self) -> dict[str, str]:
        """The shown (masked, escaped) value of each setting, by key."""
        return {key: line.value for key, line in self.lines.items()}

    def _leaf(self, parent: TreeNode[str], key: str, label: str, row: Row) -> None:
        shown = self.masking.text(_value(row.value))
        self.lines[key] = SettingLine(key, shown, row.explain())
        name = self.masking.text(label)  # header and attribute names come from files
        parent.add_leaf(Text.assemble((f"{name} ", "bold"), ("= ", "dim"), shown), data=key)

    def show_settings(self, settings: OtelSettings) -> None:
        """Fill the tree from ``settings``: general keys, then logs, traces, metrics."""
        self.clear()
        self.lines.clear()
        root = self.root
        general = root.add(Text("service", style="bold"), data="", expand=True)
        groups: dict[str, TreeNode[str]] = {}
        signals: dict[str, list[Row]] = {signal: [] for signal in SIGNALS}
        for row in explain.rows(settings):
            head, _, rest = row.key.partition(".")
            if head in signals:
                signals[head].append(row)
            elif rest and head in ("resource_attributes", "processors"):
                if head not in groups:
                    groups[head] = general.add(head, data=head, expand=True)
                self._leaf(groups[head], row.key, rest, row)
            elif head != "sdk_disabled" or row.value:
                self._leaf(general, row.key, row.key, row)
        for signal in SIGNALS:
            self._signal(root, settings, signal, signals[signal])
        if settings.warnings:
            warn = root.add(
                Text(f"warnings ({len(settings.warnings)})", style="bold yellow"),
                data="",
                expand=True,
            )
            for message in settings.warnings:
                warn.add_leaf(Text(self.masking.text(message), style="yellow"), data="")
        root.expand()

    def _signal(
        self, root: TreeNode[str], settings: OtelSettings, signal: Signal, rows: list[Row]
    ) -> None:
        field = EXPORTER_FIELD[signal]
        kind = settings.configured_exporter(signal).kind
        statsig = kind == "statsig"
        node: TreeNode[str] | None = None
        branches: dict[str, TreeNode[str]] = {}
        for row in rows:
            rest = row.key.partition(".")[2]
            if rest == "exporter":
                label = Text.assemble((signal, "bold"), (" → ", "dim"))
                if row.value == "none":
                    label.append("none", style="dim")
                    root.add_leaf(label, data=field)
                    self.lines[field] = SettingLine(field, "none", row.explain())
                    return
                label.append(kind, style="cyan")
                node = root.add(label, data=field, expand=True)
                self.lines[field] = SettingLine(field, kind, row.explain())
                continue
            assert node is not None  # explain lists the exporter row first
            if statsig and rest == f"headers.{STATSIG_API_KEY_HEADER}":
                self._leaf(node, f"{field}.statsig.api_key", "api_key", row)
                continue
            key = f"{field}.{kind}.{rest}"
            group, _, name = rest.partition(".")
            if name and group in ("headers", "tls"):
                if group not in branches:
                    branches[group] = node.add(group, data=f"{field}.{kind}.{group}", expand=True)
                self._leaf(branches[group], key, name, row)
            elif rest == "timeout":
                self._leaf(node, key, rest, replace(row, value=f"{_value(row.value)} s"))
            else:
                self._leaf(node, key, rest, row)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """The settings did not load: list the problems where the settings would be."""
        self.clear()
        self.lines.clear()
        node = self.root.add(Text("✗ settings not loaded", style="bold red"), data="", expand=True)
        for problem in problems:
            node.add_leaf(Text(self.masking.text(problem.key), style="red"), data="")
        self.root.expand()


class Provenance(Static):
    """The selected setting across the screen's width: full key, value (masked) and the layer
    it came from (file and table, variable, override…). Shown in place of the endpoint
    detail while the settings tree has the focus."""


# --- endpoints ------------------------------------------------------------------------------

#: Content widths of the fixed columns (cell padding comes on top): narrow, wide terminal.
_WIDTHS: dict[str, tuple[int, int]] = {
    "signal": (7, 7),
    "dns": (3, 3),
    "tcp": (3, 3),
    "tls": (3, 3),
    "otlp": (4, 4),
    "code": (14, 22),
    "ms": (5, 6),
    "received": (5, 11),
}
_LABELS: dict[str, tuple[str, str]] = {
    "signal": ("Signal", "Signal"),
    "endpoint": ("Endpoint", "Endpoint"),
    "dns": ("DNS", "DNS"),
    "tcp": ("TCP", "TCP"),
    "tls": ("TLS", "TLS"),
    "otlp": ("OTLP", "OTLP"),
    "code": ("Code", "Code"),
    "ms": ("ms", "ms"),
    "received": ("Recv", "Received"),
}
WIDE = 96  # table width from which long codes and "12 spans" fit


def compact_endpoint(endpoint: str, signal: str, width: int) -> str:
    """The endpoint in ``width`` columns: whole if it fits, else without the scheme and the
    default ``/v1/<signal>`` path (the TLS column tells http from https), else elided."""
    if len(endpoint) <= width:
        return endpoint
    short = endpoint.split("://", 1)[-1]
    short = short.removesuffix(f"/v1/{signal}")
    return render.shorten(short, width)


class EndpointsTable(DataTable[RenderableType]):
    """A row per signal and endpoint; the stage cells fill in as the check reports."""

    def __init__(self, *, demo: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.demo = demo
        self.masking = Masking()
        self.frame = 0
        self._rows: dict[str, EndpointRow] = {}
        self._layout: tuple[bool, int] | None = None

    @property
    def keys(self) -> list[str]:
        keys = ["signal", "endpoint", "dns", "tcp", "tls", "otlp", "code", "ms"]
        return [*keys, "received"] if self.demo else keys

    def _plan(self) -> tuple[bool, int]:
        """(wide, endpoint width) for the table's current width."""
        width = self.size.width or self.app.size.width - 2
        wide = width >= WIDE
        fixed = sum(_WIDTHS[k][wide] + 2 for k in self.keys if k != "endpoint")
        return wide, max(12, width - fixed - 3)

    def _ensure_columns(self) -> None:
        plan = self._plan()
        if plan == self._layout:
            return
        self._layout = plan
        wide, endpoint_width = plan
        self.clear(columns=True)
        for key in self.keys:
            width = endpoint_width if key == "endpoint" else _WIDTHS[key][wide]
            self.add_column(_LABELS[key][wide], key=key, width=width)

    def on_resize(self) -> None:
        if self._rows and self._plan() != self._layout:
            self.show_rows(self._rows)

    def _cells(self, row: EndpointRow) -> list[RenderableType]:
        wide, endpoint_width = self._layout or self._plan()
        endpoint = self.masking.text(row.endpoint) if row.endpoint else "none"
        cells: list[RenderableType] = [
            Text(row.signal, style="bold"),
            Text(
                compact_endpoint(endpoint, row.signal, endpoint_width),
                style="" if row.exported else "dim",
            ),
        ]
        cells += [
            render.cell(row.cell(stage), self.frame, stable=self.masking.stable)
            for stage in LIVE_STAGES
        ]
        code = render.code_text(row)
        code.truncate(_WIDTHS["code"][wide], overflow="ellipsis")
        cells.append(code)
        cells.append(Text(self.masking.ms(row.elapsed_ms), justify="right"))
        if self.demo:
            text = row.received or ""
            if not wide:
                text = text.split(" ", 1)[0]
            cells.append(Text(text, style="cyan"))
        return cells

    def show_rows(self, rows: Mapping[str, EndpointRow]) -> None:
        """Replace every row (after a settings load), keeping the cursor on the same line."""
        cursor = self.cursor_row
        self._ensure_columns()
        self.clear()
        self._rows = dict(rows)
        for signal, row in rows.items():
            self.add_row(*self._cells(row), key=signal)
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)

    def update_row(self, row: EndpointRow) -> None:
        """Redraw one signal's row in place."""
        if row.signal not in self._rows:
            return
        self._rows[row.signal] = row
        for key, value in zip(self.keys, self._cells(row), strict=True):
            self.update_cell(row.signal, key, value)

    def tick(self) -> None:
        """Advance the spinners of the running stages."""
        self.frame += 1
        for row in self._rows.values():
            for stage in LIVE_STAGES:
                if row.cell(stage) == "running":
                    self.update_cell(
                        row.signal,
                        stage,
                        render.cell("running", self.frame, stable=self.masking.stable),
                    )

    @property
    def selected_signal(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # an empty table during a reload
            return None
        return None if key.value is None else str(key.value)


class RowDetail(Static):
    """The selected endpoint explained: verdict, request id and hint."""


class StatusLine(Static):
    """What the last key did, in one line at the top: a toast would cover the results."""

    _STYLE: ClassVar[dict[str, str]] = {
        "information": "",
        "warning": "bold yellow",
        "error": "bold red",
    }

    def show(self, text: str, severity: str, masking: Masking) -> None:
        line = Text.assemble(("codex-otel-config", "bold"), ("  ", ""), no_wrap=True)
        line.append(masking.text(text), style=self._STYLE.get(severity, ""))
        line.overflow = "ellipsis"
        self.update(line)


# --- results --------------------------------------------------------------------------------


class ResultsPane(VerticalScroll):
    """Test events, flush and shutdown reports, check summary — newest action first."""

    can_focus = True

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="results-body")

    def show(self, *parts: RenderableType | None) -> None:
        body = self.query_one("#results-body", Static)
        shown = [p for p in parts if p is not None]
        body.update(Group(*shown) if shown else Text(""))
