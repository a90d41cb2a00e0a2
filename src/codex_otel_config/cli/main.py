"""The ``codex-otel-config`` click group.

Commands live in their own modules (``cli/<name>.py``) and are imported only when invoked, so
``--help`` stays fast and a command whose module is missing or broken does not take the others
down. To add a command, add one line to :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from codex_otel_config._version import __version__

#: command name → ("module:attribute", one-line help shown by --help without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "show": (
        "codex_otel_config.cli.show:show",
        "Print the resolved settings per signal, secrets masked.",
    ),
    "tui": ("codex_otel_config.cli.tui:tui", "Interactive console: check, send test events."),
    "check": (
        "codex_otel_config.cli.check:check",
        "Check settings, certificates and every endpoint (DNS, TCP, TLS, OTLP).",
    ),
    "send-test-events": (
        "codex_otel_config.cli.send_test_events:send_test_events",
        "Send the test auth-401 events and report flush and shutdown.",
    ),
    "export": (
        "codex_otel_config.cli.export:export",
        "Write the resolved settings as OTEL_CONFIG_FILE YAML, a Codex [otel] table or OTEL_*.",
    ),
    "receive": (
        "codex_otel_config.cli.receive:receive",
        "Run a local OTLP receiver and print what arrives.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def _available(self, name: str) -> bool:
        module = self.lazy[name][0].partition(":")[0]
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [name for name in self.lazy if self._available(name)]
        return sorted({*super().list_commands(ctx), *lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.lazy:
            return command
        target = self.lazy[cmd_name][0]
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            if exc.name == module_name:
                return None  # not installed in this build: click says "No such command"
            raise
        loaded = getattr(module, attribute)
        if not isinstance(loaded, click.Command):  # pragma: no cover - a wiring mistake
            raise TypeError(f"{target} is not a click command")
        return loaded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name][1]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit=80)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # the one place that turns a bug into exit 2
            from codex_otel_config.cli.options import report_unexpected

            report_unexpected(ctx, exc)
            sys.exit(2)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", "-V", prog_name="codex-otel-config")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Layered, validated OpenTelemetry settings and the tools to check them.

    Every command reads the same layers: built-in defaults, the [otel] table of
    $CODEX_HOME/config.toml, settings files (--config, CODEX_OTEL_SETTINGS_FILES, or
    $CODEX_HOME/otel.toml and ./codex-otel.toml), OTEL_* and CODEX_OTEL_* variables, --set.
    """
    from codex_otel_config.redaction import (
        install_log_redaction,
        redact_output_streams,
        register_environ,
    )

    install_log_redaction()
    register_environ(os.environ)
    if ctx.invoked_subcommand != "tui":  # the TUI owns the terminal; it redacts what it shows
        redact_output_streams()


if __name__ == "__main__":
    main(prog_name="codex-otel-config")
