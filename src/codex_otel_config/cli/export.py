"""``codex-otel-config export --format otel-config|codex|env [--output FILE] [--include-secrets]``:
the resolved settings (any ``--env``) in the format another tool reads.

Secrets are ``${VAR}`` references unless ``--include-secrets``; stderr says which, and names
the variables. ``--output`` creates the file exclusively (never overwrites, never follows a
symbolic link) with mode 0600.
"""

from __future__ import annotations

import os

import click

from codex_otel_config.cli.options import (
    EXIT_SETTINGS,
    SettingsOptions,
    load_or_exit,
    settings_options,
)
from codex_otel_config.export import FORMATS, export_settings


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="otel-config: OpenTelemetry declarative YAML; codex: config.toml [otel]; env: OTEL_*.",
)
@click.option("--output", "-o", metavar="FILE", help="Write here (mode 0600, must not exist).")
@click.option("--include-secrets", is_flag=True, help="Write header values and keys in clear.")
@settings_options
def export(
    fmt: str, output: str | None, include_secrets: bool, settings_options: SettingsOptions
) -> None:
    """Write the resolved settings as an OTEL_CONFIG_FILE, a Codex [otel] table or OTEL_*."""
    settings = load_or_exit(settings_options)
    result = export_settings(settings, fmt, include_secrets=include_secrets)  # type: ignore[arg-type]
    if output is None:
        click.echo(result.text, nl=False)
    else:
        _write_private(output, result.text)
    if include_secrets:
        click.echo("secrets written in clear (--include-secrets)", err=True)
    elif result.variables:
        names = ", ".join(sorted(result.variables))
        click.echo(f"secrets written as ${{VAR}} references; set {names}", err=True)
    for item in result.omitted:
        click.echo(f"not expressible in {fmt}: {item}", err=True)


def _write_private(path: str, text: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        click.echo(f"error: {path} exists; export never overwrites a file", err=True)
        raise SystemExit(EXIT_SETTINGS) from None
    except OSError as exc:
        click.echo(f"error: cannot create {path}: {exc.strerror}", err=True)
        raise SystemExit(EXIT_SETTINGS) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
