"""``codex-otel-config show [--json] [--explain]``: the resolved settings, secrets masked."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from codex_otel_config.cli.options import SettingsOptions, load_or_exit, settings_options
from codex_otel_config.redaction import terminal_safe


@click.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--explain", is_flag=True, help="Also say which layer set each value.")
@settings_options
def show(as_json: bool, explain: bool, settings_options: SettingsOptions) -> None:
    """Print the resolved settings per signal as the exporters that will be built.

    Header values and the Statsig key are masked (at most their last four characters).
    """
    from codex_otel_config.settings import explain as explain_mod

    settings = load_or_exit(settings_options)
    if as_json:
        click.echo(json.dumps(explain_mod.report(settings, explain=explain), indent=2, default=str))
        return
    _print_human(explain_mod.rows(settings), settings.warnings, explain)


def _print_human(rows: list[Any], warnings: tuple[str, ...], explain: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # A pipe gets one line per value however long (a long file path in --explain must not
    # wrap mid-path, or `| grep` breaks); a terminal gets its own width.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 100_000)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    if explain:
        table.add_column("source", style="cyan", overflow="fold")
    previous_group = None
    for row in rows:
        group = (
            row.key.split(".", 1)[0]
            if row.key.split(".", 1)[0] in ("logs", "traces", "metrics")
            else "settings"
        )
        if previous_group is not None and group != previous_group:
            table.add_row("", "", *([""] if explain else []))
        previous_group = group
        cells = [Text(terminal_safe(row.key)), Text(terminal_safe(_format(row.value)))]
        if explain:
            cells.append(Text(terminal_safe(row.explain())))
        table.add_row(*cells)
    console.print(table)
    for warning in warnings:
        console.print(Text(f"warning: {terminal_safe(warning)}", style="yellow"))


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
