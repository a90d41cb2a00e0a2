"""The panes of the main screen: settings tree, endpoints table, row detail, results.

Widgets only place what :mod:`codex_otel_config.tui.render` draws from plain state; they
hold no logic the ``check`` and ``send-test-events`` commands lack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, Tree
from textual.widgets.tree import TreeNode

from codex_otel_config.errors import Problem
from codex_otel_config.settings.model import (
    EXPORTER_FIELD,
    SIGNALS,
    Console,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Statsig,
    Tls,
)
from codex_otel_config.settings.redact import mask, mask_headers
from codex_otel_config.settings.schema import TLS_KEY_OF
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


class SettingsTree(Tree[str]):
    """The resolved settings, one branch per signal; each node's data is its dotted key."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("settings", data="", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.masking = Masking()
        self.values: dict[str, str] = {}

    def _leaf(self, parent: TreeNode[str], key: str, label: str, value: object) -> None:
        shown = self.masking.text(_value(value))
        self.values[key] = shown
        parent.add_leaf(Text.assemble((f"{label} ", "bold"), ("= ", "dim"), shown), data=key)

    def show_settings(self, settings: OtelSettings) -> None:
        """Fill the tree from ``settings``: general keys, then logs, traces, metrics."""
        self.clear()
        self.values.clear()
        root = self.root
        general = root.add(Text("service", style="bold"), data="", expand=True)
        for key in (
            "environment",
            "service_name",
            "service_version",
            "log_user_prompt",
            "runtime_metrics",
        ):
            self._leaf(general, key, key, getattr(settings, key))
        if settings.sdk_disabled:
            self._leaf(general, "sdk_disabled", "sdk_disabled", True)
        if settings.resource_attributes:
            attrs = general.add("resource_attributes", data="resource_attributes")
            for name, value in settings.resource_attributes.items():
                self._leaf(attrs, f"resource_attributes.{name}", name, value)
        for signal in SIGNALS:
            self._signal(root, settings, signal)
        if settings.warnings:
            warn = root.add(
                Text(f"warnings ({len(settings.warnings)})", style="bold yellow"),
                data="",
                expand=True,
            )
            for message in settings.warnings:
                warn.add_leaf(Text(self.masking.text(message), style="yellow"), data="")
        root.expand()

    def _signal(self, root: TreeNode[str], settings: OtelSettings, signal: str) -> None:
        field = EXPORTER_FIELD[signal]  # type: ignore[index]
        configured = settings.configured_exporter(signal)  # type: ignore[arg-type]
        resolved = settings.exporter_for(signal)  # type: ignore[arg-type]
        label = Text.assemble((signal, "bold"), (" → ", "dim"))
        if isinstance(resolved, NoExporter | Console):
            label.append(resolved.kind, style="dim")
            root.add_leaf(label, data=field)
            return
        label.append(configured.kind, style="cyan")
        node = root.add(label, data=field, expand=True)
        base = f"{field}.{configured.kind}"
        self._leaf(node, f"{base}.endpoint", "endpoint", resolved.endpoint)
        if isinstance(resolved, OtlpHttp):
            self._leaf(node, f"{base}.protocol", "protocol", resolved.protocol)
        if isinstance(configured, Statsig):
            self._leaf(node, f"{base}.api_key", "api_key", mask(configured.api_key))
        elif resolved.headers:
            headers = node.add("headers", data=f"{base}.headers", expand=True)
            for name, masked in mask_headers(resolved.headers).items():
                self._leaf(headers, f"{base}.headers.{name}", name, masked)
        if isinstance(resolved, OtlpHttp | OtlpGrpc) and resolved.tls is not None:
            self._tls(node, f"{base}.tls", resolved.tls)
        self._leaf(node, f"{base}.timeout", "timeout", f"{_value(resolved.timeout)} s")
        if resolved.compression != "none":
            self._leaf(node, f"{base}.compression", "compression", resolved.compression)

    def _tls(self, parent: TreeNode[str], key: str, tls: Tls) -> None:
        node = parent.add("tls", data=key, expand=True)
        for name, label in TLS_KEY_OF.items():
            value = getattr(tls, name)
            if value is not None:
                self._leaf(node, f"{key}.{label}", label, value)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """The settings did not load: list the problems where the settings would be."""
        self.clear()
        node = self.root.add(Text("✗ settings not loaded", style="bold red"), data="", expand=True)
        for problem in problems:
            node.add_leaf(Text(problem.key, style="red"), data="")
        self.root.expand()


class Provenance(Static):
    """Where the selected setting came from (file and table, variable, override…)."""


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
