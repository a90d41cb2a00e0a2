"""``codex-otel-config send-test-events``: the test auth-401 scenario through the real pipeline.

Presentation only: the scenario is :func:`codex_otel_config.scenario.run_test_scenario`.
Exit 0 when every exported signal flushed and shut down cleanly, 1 when one failed (or
nothing is exported), 2 when the settings cannot be loaded.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from codex_otel_config.cli.check import make_console, print_delivery, timeout_option
from codex_otel_config.cli.options import (
    EXIT_SETTINGS,
    SettingsOptions,
    load_or_exit,
    settings_options,
)
from codex_otel_config.redaction import terminal_safe

if TYPE_CHECKING:
    from rich.console import Console

    from codex_otel_config.scenario import ScenarioResult

_STATUS_STYLE = {
    "ok": "green",
    "skipped": "dim",
    "degraded": "bold yellow",
    "failed": "bold red",
    "timed_out": "bold red",
}


@click.command("send-test-events")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@timeout_option(
    5.0,
    help="Bound on sending: the flush and the shutdown it reports finish within it together "
    "(the shutdown keeps a quarter of it, at most 1 s); start-up comes on top.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Send to a local OTLP receiver started for the run, and count what it received.",
)
@settings_options
def send_test_events(
    as_json: bool, timeout: float, demo: bool, settings_options: SettingsOptions
) -> None:
    """Emit one test auth-401 scenario, then force-flush and shut down.

    The scenario is a 401 `codex.api_request` with its auth evidence and auth_401_* feedback
    tags, the `codex.auth_recovery`, the retried request answered 200, and a counter. Every
    event carries codex.test_event=true and every request id starts with `test-`. The flush
    and shutdown reports say, per signal, what the exporters really delivered.
    """
    if demo:
        from codex_otel_config.cli.check import send_and_count
        from codex_otel_config.demo import demo as start_demo

        with start_demo() as session:
            settings = session.settings(timeout=timeout)
            delivery = send_and_count(session, settings, timeout)
        _emit(as_json, delivery["scenario"], delivery)
        raise SystemExit(0 if delivery["ok"] else 1)

    settings = _load(settings_options, as_json)
    from codex_otel_config.bootstrap import build_provider
    from codex_otel_config.errors import CodexOtelError
    from codex_otel_config.scenario import run_test_scenario

    try:
        provider = build_provider(settings, set_global=False)
    except CodexOtelError as exc:
        _fail(as_json, f"the pipeline could not be built: {exc}", settings)
        return
    if provider is None:
        _fail(
            as_json,
            "no signal is exported (every exporter is `none`, or OTEL_SDK_DISABLED is set): "
            "nothing to send",
            settings,
        )
        return
    from codex_otel_config.cli.capture import captured_stderr
    from codex_otel_config.cli.options import secret_values

    secrets = list(secret_values(settings))
    with captured_stderr(secrets) as sdk_log:
        result = run_test_scenario(provider, timeout=timeout)
    document = result.to_dict()
    document["sdk_log"] = sdk_log.to_dict()
    # A collector's words (a partial success, an error body) are scrubbed per exporter of
    # that exporter's secrets; one may echo another exporter's: scrub with all of them.
    _emit(as_json, _scrubbed(document, secrets), None, result)
    raise SystemExit(0 if result.ok else 1)


def _load(options: SettingsOptions, as_json: bool) -> Any:
    """The settings; with ``--json`` a settings error is a JSON document too (exit 2)."""
    if not as_json:
        return load_or_exit(options)
    from codex_otel_config.errors import SettingsError

    try:
        return options.load()
    except SettingsError as exc:
        from codex_otel_config._version import __version__
        from codex_otel_config.check.engine import environ_secrets
        from codex_otel_config.redaction import scrub

        secrets = environ_secrets()
        problems = [
            {"key": p.key, "layer": p.layer, "message": scrub(p.message, secrets)}
            for p in exc.problems
        ]
        document = {
            "tool": "codex-otel-config",
            "version": __version__,
            "ok": False,
            "exit_code": EXIT_SETTINGS,
            "error": "the settings could not be loaded",
            "problems": problems,
        }
        click.echo(json.dumps(document, indent=2))
        raise SystemExit(EXIT_SETTINGS) from None


def _scrubbed(value: Any, secrets: list[str]) -> Any:
    """``value`` (a JSON-like document) with every known secret masked in every string."""
    from codex_otel_config.redaction import scrub

    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {key: _scrubbed(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item, secrets) for item in value]
    return value


def _fail(as_json: bool, message: str, settings: Any) -> None:
    from codex_otel_config.cli.options import secret_values
    from codex_otel_config.redaction import scrub

    message = scrub(message, list(secret_values(settings)))
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message}, indent=2))
    else:
        click.echo(f"error: {terminal_safe(message)}", err=True)
    raise SystemExit(1)


def _emit(
    as_json: bool,
    document: dict[str, Any],
    delivery: dict[str, Any] | None,
    result: ScenarioResult | None = None,
) -> None:
    if as_json:
        from codex_otel_config._version import __version__

        out = {"tool": "codex-otel-config", "version": __version__, **document}
        if delivery is not None:
            out["demo"] = {k: v for k, v in delivery.items() if k != "scenario"}
        click.echo(json.dumps(out, indent=2, default=str))
        return
    console = make_console()
    _print_scenario(console, document)
    if delivery is not None:
        print_delivery(console, delivery)


def _print_scenario(console: Console, document: dict[str, Any]) -> None:
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    console.print(Text("Test auth-401 scenario", style="bold"))
    if document.get("trace_id"):
        console.print(Text.assemble("  trace id ", (str(document["trace_id"]), "bold")))
    for event in document["events"]:
        attributes = event["attributes"]
        shown = "  ".join(
            f"{k}={_short(v)}" for k, v in attributes.items() if v is not None and k != "attempt"
        )
        # Wrapped lines keep their indent, so each event stays one block at any width.
        console.print(Padding(Text(event["name"], style="bold cyan"), (0, 0, 0, 2), expand=False))
        console.print(Padding(Text(terminal_safe(shown), style="dim"), (0, 0, 0, 4), expand=False))
    console.print(
        Padding(
            Text(f"metrics: {', '.join(document['metrics'])}", style="dim"),
            (0, 0, 0, 2),
            expand=False,
        )
    )
    tags = {k: v for k, v in document["feedback_tags"].items() if k.startswith("auth_401_")}
    if tags:
        feedback = "feedback: " + "  ".join(f"{k}={terminal_safe(v)}" for k, v in tags.items())
        console.print(Padding(Text(feedback, style="dim"), (0, 0, 0, 2), expand=False))
    runtime = _runtime_line(document.get("runtime_metrics"))
    if runtime:
        console.print(Padding(Text(runtime, style="dim"), (0, 0, 0, 2), expand=False))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    columns = ("signal", "flush", "shutdown", "exported", "failed", "dropped", "rejected", "error")
    for column in columns:
        table.add_column(column, no_wrap=column != "error", overflow="fold")
    flush = (document.get("flush") or {}).get("signals", {})
    shutdown = (document.get("shutdown") or {}).get("signals", {})
    for signal in ("logs", "traces", "metrics"):
        one, last = flush.get(signal), shutdown.get(signal)
        if one is None and last is None:
            table.add_row(signal, Text("not exported", style="dim"), *[""] * 6)
            continue
        final = last or one
        error = final.get("error") or (one or {}).get("error")
        table.add_row(
            signal,
            _status(one),
            _status(last),
            str(final["exported"]),
            str(final["failed"]),
            str(final["dropped"]),
            str(final.get("rejected", 0)),
            Text(
                terminal_safe(f"{error['code']}: {error['message']}" if error else ""), style="red"
            ),
        )
    console.print(table)
    held = (document.get("sdk_log") or {}).get("count", 0)
    if held:
        console.print(
            Text(f"{held} SDK/grpc log line(s) held back (redacted in --json: sdk_log)", "dim")
        )
    verdict = "✓ every signal delivered" if document["ok"] else _failed_verdict(document)
    console.print(Text(verdict, style="bold green" if document["ok"] else "bold red"))


def _failed_verdict(document: dict[str, Any]) -> str:
    """``✗ not everything was delivered: logs degraded, traces failed``."""
    worst: dict[str, str] = {}
    for phase in ("flush", "shutdown"):
        for signal, report in ((document.get(phase) or {}).get("signals") or {}).items():
            if report["status"] not in ("ok", "skipped"):
                worst.setdefault(signal, report["status"])
    parts = ", ".join(f"{signal} {status}" for signal, status in worst.items())
    return "✗ not everything was delivered" + (f": {parts}" if parts else "")


def _runtime_line(summary: dict[str, Any] | None) -> str:
    """``runtime_metrics = true``: the summary's non-empty totals and non-zero timings."""
    shown: list[str] = []
    for name, value in (summary or {}).items():
        if isinstance(value, dict):
            if value.get("count") or value.get("duration_ms"):
                shown.append(f"{name}={value['count']} ({value['duration_ms']} ms)")
        elif value:
            shown.append(f"{name}={value}")
    return "runtime: " + "  ".join(shown) if shown else ""


def _status(report: dict[str, Any] | None) -> Any:
    from rich.text import Text

    if report is None:
        return Text("-", style="dim")
    status = str(report["status"])
    return Text(f"{status} {report['elapsed_ms']:.0f} ms", style=_STATUS_STYLE.get(status, ""))


def _short(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
