"""``codex-otel-config tui [--demo] [--timeout SECONDS]``: the Textual console (DESIGN §4.5).

Settings that do not load are shown inside the app (and can be fixed and reloaded there), so
only a malformed ``--set`` or a missing terminal stops the command before it starts. Textual is
imported here, when the command runs, never by the other commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from codex_otel_config.cli.options import (
    EXIT_SETTINGS,
    SettingsOptions,
    parse_set_options,
    print_settings_error,
    settings_options,
)
from codex_otel_config.errors import SettingsError


@click.command("tui")
@click.option(
    "--demo",
    is_flag=True,
    help="Start the local receiver on free loopback ports, point every signal at it and "
    "show what it receives.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Bound for each check stage and for force-flush / shutdown.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Where `c` saves the JSON report (created 0700 if missing). Default: "
    "$XDG_STATE_HOME/codex-otel-config/reports (~/.local/state/… when unset).",
)
@settings_options
def tui(
    demo: bool, timeout: float, report_dir: Path | None, settings_options: SettingsOptions
) -> None:
    """Interactive console: resolved settings with their layers, a live endpoint check,
    the test auth-401 events and per-signal flush and shutdown reports.

    Keys: v validate, t send test events, f force-flush, s shut down, r reload settings,
    e pick the environment, c copy the JSON report, ? help, q quit.
    """
    try:
        overrides = parse_set_options(settings_options.set)
    except SettingsError as exc:
        print_settings_error(exc)
        raise SystemExit(EXIT_SETTINGS) from None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(
            "error: tui needs an interactive terminal; use `check` or `send-test-events` "
            "in scripts.",
            err=True,
        )
        raise SystemExit(EXIT_SETTINGS)

    if settings_options.otel_config:  # read again on every reload, like the variable itself
        os.environ["OTEL_CONFIG_FILE"] = os.path.abspath(settings_options.otel_config)
    from codex_otel_config.tui.app import OtelConsoleApp

    app = OtelConsoleApp(
        files=list(settings_options.config) or None,
        env=settings_options.env,
        environ=None,  # the process environment, read again on every reload
        overrides=overrides,
        demo=demo,
        timeout=timeout,
        report_dir=report_dir,
        exit_on_signals=True,
    )
    app.run()
    if app.return_code:  # SIGTERM / SIGHUP: 128 + the signal, after the terminal is restored
        raise SystemExit(app.return_code)
