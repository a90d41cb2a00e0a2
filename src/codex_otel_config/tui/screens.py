"""Screens: the main layout, the help screen and the settings-environment picker."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from codex_otel_config.tui.render import printable
from codex_otel_config.tui.widgets import (
    EndpointsTable,
    Provenance,
    ResultsPane,
    RowDetail,
    SettingsTree,
    StatusLine,
)


class MainScreen(Screen[None]):
    """Endpoints on top (the thing people come for), settings and results side by side below.

    Between them, across the whole width, the detail lines: the selected endpoint explained,
    or — while the settings tree has the focus (class ``-settings``) — the selected setting
    with its full key, value and layer. The status line on top says what the last key did.
    """

    class Ready(Message):
        """The panes exist: the app may load the settings into them."""

    def __init__(self, *, demo: bool = False) -> None:
        super().__init__(id="main")
        self.demo = demo

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Vertical(id="endpoints-box"):
            yield EndpointsTable(demo=self.demo, id="endpoints")
        yield RowDetail(id="detail")
        yield Provenance(id="provenance")
        with Horizontal(id="lower"):
            with Vertical(id="settings-box"):
                yield SettingsTree(id="settings")
            yield ResultsPane(id="results")
        yield Footer()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The detail lines follow the pane in use: endpoints or settings (results keep
        whichever was shown)."""
        if isinstance(event.widget, SettingsTree):
            self.add_class("-settings")
        elif isinstance(event.widget, EndpointsTable):
            self.remove_class("-settings")

    def on_resize(self) -> None:
        # Nine keys fit in 80 columns only without the footer's padding and palette hint.
        footer = self.query_one(Footer)
        narrow = self.size.width < 110
        footer.compact = narrow
        footer.show_command_palette = not narrow

    def on_mount(self) -> None:
        self.query_one("#endpoints-box").border_title = "Endpoints"
        self.query_one("#settings-box").border_title = "Settings"
        self.query_one("#results").border_title = "Results"
        self.query_one(EndpointsTable).focus()
        self.app.post_message(self.Ready())


class HelpScreen(ModalScreen[None]):
    """Every key the app answers to, generated from its bindings so it cannot drift."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", show=True),
    ]

    def __init__(self, bindings: Sequence[Binding], *, title: str) -> None:
        super().__init__(id="help")
        self._keys = bindings
        self._heading = title

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for binding in self._keys:
            table.add_row(
                binding.key_display or binding.key, binding.tooltip or binding.description
            )
        table.add_row("tab", "move between the endpoints, settings and results panes")
        table.add_row("↑ ↓", "pick an endpoint or a setting: the lines under the table explain it")
        table.add_row("ctrl+p", "command palette (every action above, by name)")
        with Vertical(id="help-box"):
            yield Static(Text(self._heading, style="bold"), id="help-title")
            yield Static(table)
            yield Static(Text("esc or ? closes this screen.", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


#: What the picker returns for "no environment table, only ``[default]``".
DEFAULT_ONLY = "\x00default-only"


class EnvironmentPicker(ModalScreen[str | None]):
    """Choose the settings environment (a table of the settings files) to load; dismissed
    with the table's name, :data:`DEFAULT_ONLY`, or ``None`` when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, environments: Sequence[str], current: str | None, *, default_only: bool = True
    ) -> None:
        """``default_only`` offers "[default] only" (not when ``CODEX_OTEL_ENV`` picks one)."""
        super().__init__(id="env-picker")
        self._default_only = default_only
        self._environments = list(environments)
        self._current = current

    def compose(self) -> ComposeResult:
        options = [  # table names come from files: shown as text, never as markup
            Option(
                Text(printable(name) + ("  (current)" if name == self._current else "")), id=name
            )
            for name in self._environments
        ]
        if options and self._default_only:
            label = "[default] only" + ("  (current)" if self._current is None else "")
            options.append(Option(Text(label, style="italic"), id=DEFAULT_ONLY))
        with Vertical(id="env-box"):
            yield Static(Text("Settings environment", style="bold"), id="env-title")
            if options:
                yield OptionList(*options, id="env-list")
            else:
                yield Static(
                    Text(
                        "No environment tables found in the settings files.\n"
                        "Add one (e.g. [production]) to a settings file, then press r."
                    ),
                    id="env-empty",
                )
            yield Static(Text("enter selects · esc cancels", style="dim"))

    def on_mount(self) -> None:
        if not self._environments:
            return
        option_list = self.query_one(OptionList)
        if self._current in self._environments:
            option_list.highlighted = self._environments.index(self._current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
