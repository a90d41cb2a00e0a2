"""Options every command shares (``--config``, ``--env``, ``--set``) and error printing.

``@settings_options`` adds the three options to a command and passes them as one
:class:`SettingsOptions` argument named ``settings_options``; :func:`load_or_exit` loads the
settings from them and, on :class:`SettingsError`, prints every problem as a list on stderr and
exits with status 2 — never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.settings.model import OtelSettings

F = TypeVar("F", bound=Callable[..., Any])

#: Exit status for settings that cannot be loaded or a wrong command line (DESIGN §4.2).
EXIT_SETTINGS = 2


@dataclass(frozen=True)
class SettingsOptions:
    """What the shared options said; ``config`` empty means "the default files"."""

    config: tuple[str, ...] = ()
    env: str | None = None
    set: tuple[str, ...] = ()
    otel_config: str | None = None

    def load(self, environ: Mapping[str, str] | None = None) -> OtelSettings:
        """``load_settings()`` with these options; raises :class:`SettingsError`."""
        from codex_otel_config.settings.loader import load_settings

        overrides = parse_set_options(self.set)
        return load_settings(
            files=list(self.config) if self.config else None,
            env=self.env,
            environ=environ,
            overrides=overrides or None,
            otel_config=self.otel_config,
        )


def parse_set_options(items: Iterable[str]) -> dict[str, str]:
    """``["key=value", …]`` (``--set``) into overrides; values stay raw text.

    The loader parses each value against the key's declared type: a TOML scalar or inline
    table where that fits (``5``, ``true``, ``"quoted"``, ``{ otlp-http = {…} }``), else the
    text as written.
    """
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items:
        key, sep, value = item.partition("=")
        if sep and key.strip():
            out[key.strip()] = value
        else:
            message = "expected key=value (e.g. service_name=billing)"
            problems.append(Problem(key=key.strip() or item, layer="--set", message=message))
    if problems:
        raise SettingsError(problems)
    return out


def settings_options(func: F) -> F:
    """Add ``--config FILE`` (repeatable), ``--env NAME`` and ``--set key=value`` (repeatable)."""

    @click.option(
        "--config",
        "-c",
        "config",
        multiple=True,
        metavar="FILE",
        help="Settings file to load (repeatable; replaces the default files).",
    )
    @click.option(
        "--env",
        "-e",
        "env",
        metavar="NAME",
        help="Environment table to apply on top of [default] (else CODEX_OTEL_ENV).",
    )
    @click.option(
        "--set",
        "set_",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override one dotted key, e.g. --set exporter.otlp-http.timeout=5 "
        "(repeatable; the highest layer).",
    )
    @click.option(
        "--otel-config",
        "otel_config",
        metavar="FILE",
        help="OpenTelemetry declarative configuration (YAML/JSON) to read instead of "
        "OTEL_CONFIG_FILE; authoritative over the OTEL_* variables.",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        config: tuple[str, ...],
        env: str | None,
        set_: tuple[str, ...],
        otel_config: str | None,
        **kwargs: Any,
    ) -> Any:
        kwargs["settings_options"] = SettingsOptions(
            config=config, env=env, set=set_, otel_config=otel_config
        )
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def load_or_exit(
    options: SettingsOptions, environ: Mapping[str, str] | None = None
) -> OtelSettings:
    """Load the settings; on :class:`SettingsError` print the problems and exit 2."""
    try:
        settings = options.load(environ)
    except SettingsError as exc:
        print_settings_error(exc)
        raise SystemExit(EXIT_SETTINGS) from None
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta["codex_otel_config.settings"] = settings
    return settings


def print_settings_error(exc: SettingsError) -> None:
    """Every problem on its own line, on stderr, as ``layer key: message``."""
    from rich.console import Console
    from rich.text import Text

    from codex_otel_config.redaction import terminal_safe

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    count = len(exc.problems)
    noun = "problem" if count == 1 else "problems"
    console.print(
        Text(f"error: the OpenTelemetry settings are invalid ({count} {noun}):", style="bold red")
    )
    for problem in exc.problems:
        line = Text("  - ")
        if problem.layer:
            line.append(problem.layer, style="cyan")
            line.append(" ")
        line.append(terminal_safe(problem.key), style="bold")
        line.append(f": {terminal_safe(problem.message)}")
        console.print(line)


def report_unexpected(ctx: click.Context, exc: BaseException) -> None:
    """One line for a bug or an unexpected failure, with known secrets scrubbed."""
    if isinstance(exc, SettingsError):
        print_settings_error(exc)
        return
    from codex_otel_config.redaction import redact, terminal_safe

    message = str(exc).splitlines()[0] if str(exc) else ""
    settings = ctx.meta.get("codex_otel_config.settings")
    extra = secret_values(settings) if isinstance(settings, OtelSettings) else ()
    message = terminal_safe(redact(message, extra))
    if len(message) > 300:
        message = message[:297] + "..."
    text = f"error: {type(exc).__name__}: {message}" if message else f"error: {type(exc).__name__}"
    click.echo(text, err=True)


def secret_values(settings: OtelSettings) -> tuple[str, ...]:
    """Every secret the settings hold (header values, Statsig keys), for scrubbing."""
    from codex_otel_config.settings.model import SIGNALS, OtlpGrpc, OtlpHttp

    values: list[str] = []
    for signal in SIGNALS:
        exporter = settings.exporter_for(signal)
        if isinstance(exporter, OtlpHttp | OtlpGrpc):
            values += [v.reveal() for v in exporter.headers.values()]
    return tuple(values)
