"""``codex-otel-config check``: will telemetry from this setup arrive, and if not, why.

Presentation only: the engine is :func:`codex_otel_config.check.run_check` (the TUI calls
it too). Exit 0 nothing failed (warnings allowed), 1 something failed, 2 the settings could
not be loaded or the command line is wrong.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from codex_otel_config.cli.options import (
    EXIT_SETTINGS,
    SettingsOptions,
    parse_set_options,
    print_settings_error,
    settings_options,
)
from codex_otel_config.errors import SettingsError
from codex_otel_config.redaction import terminal_safe

if TYPE_CHECKING:
    from rich.console import Console

    from codex_otel_config.check import CheckReport, Finding

F = TypeVar("F", bound=Callable[..., Any])
SIGNAL_CHOICES = ("logs", "traces", "metrics")
_STATUS_MARK = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "bold red")}
#: Narrower consoles get one block per signal instead of the eight-column table.
WIDE_TABLE = 120


def timeout_option(
    default: float, help: str = "Bound on each network stage (DNS, TCP, TLS, OTLP)."
) -> Callable[[F], F]:
    """``--timeout SECONDS``, shared by check and send-test-events (each says what it bounds)."""
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0.05, max=600.0),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=help,
    )


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--offline", is_flag=True, help="Skip the network: settings, files, certificates.")
@timeout_option(5.0)
@click.option(
    "--signal",
    "signals",
    multiple=True,
    type=click.Choice(SIGNAL_CHOICES),
    help="Check only this signal (repeatable).",
)
@click.option(
    "--all-envs", is_flag=True, help="Check every environment table of the settings files."
)
@click.option(
    "--demo",
    is_flag=True,
    help="Start a local OTLP receiver, point every signal at it, check, send test events.",
)
@settings_options
def check(
    as_json: bool,
    offline: bool,
    timeout: float,
    signals: tuple[str, ...],
    all_envs: bool,
    demo: bool,
    settings_options: SettingsOptions,
) -> None:
    """Check the settings offline, then probe every endpoint: DNS, TCP, TLS, OTLP.

    Every endpoint is probed in parallel; each stage is timed and bounded by --timeout.
    Failures carry a stable code and a hint naming the setting and the layer that set it.
    """
    from codex_otel_config.check import run_check

    wanted = tuple(signals) or None
    if demo:
        _run_demo(as_json=as_json, offline=offline, timeout=timeout, signals=wanted)
        return
    try:
        overrides = parse_set_options(settings_options.set) or None
    except SettingsError as exc:
        if not as_json:
            print_settings_error(exc)
            raise SystemExit(EXIT_SETTINGS) from None
        from codex_otel_config.check import CheckReport
        from codex_otel_config.check.offline import settings_error_findings

        label = settings_options.env or "default"
        findings = settings_error_findings(exc, label)
        _print_json(CheckReport.build(findings, [label], [], settings_loaded=False).to_dict())
        raise SystemExit(EXIT_SETTINGS) from None
    report = run_check(
        files=list(settings_options.config) or None,
        env=settings_options.env,
        overrides=overrides,
        offline=offline,
        timeout=timeout,
        signals=wanted,  # type: ignore[arg-type]
        all_envs=all_envs,
        otel_config=settings_options.otel_config,
    )
    if as_json:
        _print_json(report.to_dict())
    else:
        _print_report(report)
    raise SystemExit(report.exit_code)


def _run_demo(
    *, as_json: bool, offline: bool, timeout: float, signals: tuple[str, ...] | None
) -> None:
    from codex_otel_config.check import run_check
    from codex_otel_config.demo import demo

    with demo() as session:
        settings = session.settings(timeout=timeout)
        report = run_check(settings, offline=offline, timeout=timeout, signals=signals)  # type: ignore[arg-type]
        delivery: dict[str, Any] | None = None
        if report.exit_code == 0 and not offline:
            delivery = send_and_count(session, settings, timeout)
    failed = report.exit_code != 0 or (delivery is not None and not delivery["ok"])
    if as_json:
        document = report.to_dict()
        document["demo"] = delivery
        _print_json(document)
    else:
        _print_report(report)
        if delivery is not None:
            print_delivery(make_console(), delivery)
    raise SystemExit(1 if failed else 0)


def send_and_count(session: Any, settings: Any, timeout: float) -> dict[str, Any]:
    """Send the test scenario to the demo receiver; wait for what was exported to arrive."""
    from codex_otel_config.bootstrap import build_provider
    from codex_otel_config.scenario import run_test_scenario

    provider = build_provider(settings, set_global=False)
    if provider is None:  # pragma: no cover - the demo always exports
        return {"ok": False, "sent": {}, "received": {}}
    result = run_test_scenario(provider, timeout=timeout)
    sent = result.exported()
    session.wait_for(sent, timeout)
    received = session.received_counts()
    ok = result.ok and all(received.get(s, 0) >= n for s, n in sent.items())
    return {
        "ok": ok,
        "sent": sent,
        "received": received,
        "trace_id": result.trace_id,
        "request_ids": list(result.request_ids),
        "scenario": result.to_dict(),
    }


def print_delivery(console: Console, delivery: dict[str, Any]) -> None:
    """``logs: 3 sent, 3 received`` per signal, then the overall line."""
    from rich.text import Text

    sent, received = delivery["sent"], delivery["received"]
    console.print(Text("Test events through the demo receiver", style="bold"))
    for signal in SIGNAL_CHOICES:
        if signal not in sent:
            continue
        got = received.get(signal, 0)
        mark, style = _STATUS_MARK["ok" if got >= sent[signal] else "fail"]
        console.print(
            Text.assemble((f"  {mark} ", style), f"{signal}: {sent[signal]} sent, {got} received")
        )
    total_sent, total_received = sum(sent.values()), sum(received.values())
    line = f"{total_sent} items sent, {total_received} received"
    if delivery.get("trace_id"):
        line += f" (trace id {delivery['trace_id']})"
    console.print(Text(line, style="green" if delivery["ok"] else "bold red"))


# --- output ---------------------------------------------------------------------------------


def _print_json(document: dict[str, Any]) -> None:
    from codex_otel_config._version import __version__

    click.echo(
        json.dumps(
            {"tool": "codex-otel-config", "version": __version__, **document}, indent=2, default=str
        )
    )


def make_console() -> Console:
    from rich.console import Console

    # A pipe gets wide lines (no wrapping mid-value) unless COLUMNS says otherwise; a
    # terminal gets its own width.
    sized = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return Console(highlight=False, width=None if sized else 200)


def _ms(finding: Finding) -> str:
    return "" if finding.elapsed_ms is None else f"{finding.elapsed_ms:.0f}"


def _details(finding: Finding) -> Any:
    from rich.text import Text

    # Server- and file-derived text (messages, ids, subjects) is shown with its control
    # characters escaped: a hostile collector cannot move the cursor or fake a verdict.
    text = Text(terminal_safe(finding.message, newlines=True))
    ids = [
        f"{name}={terminal_safe(value)}"
        for name, value in (
            ("request_id", finding.request_id),
            ("cf_ray", finding.cf_ray),
            ("auth_error", finding.auth_error),
            ("auth_error_code", finding.auth_error_code),
        )
        if value
    ]
    if ids:
        text.append("\n" + "  ".join(ids), style="dim")
    if finding.hint and finding.status != "ok":
        text.append(f"\n→ {terminal_safe(finding.hint, newlines=True)}", style="cyan")
    return text


def _print_report(report: CheckReport) -> None:
    console = make_console()
    if console.width < WIDE_TABLE:
        _print_blocks(console, report)
    else:
        _print_table(console, report)
    console.print(_verdict(report))


def _print_blocks(console: Console, report: CheckReport) -> None:
    """Narrow terminals: a heading per (environment, signal) with its endpoint, then one row
    per stage, so the details keep most of the width instead of a sliver of a column."""
    from itertools import groupby

    from rich.table import Table
    from rich.text import Text

    multi_env = len(report.environments) > 1
    stage_width = 2 + max((len(f.stage) for f in report.findings), default=0)
    code_width = max((len(f.code.value) for f in report.findings), default=0)
    for index, (group, items) in enumerate(
        groupby(report.findings, key=lambda f: (f.environment, f.signal))
    ):
        findings = list(items)
        environment, signal = group
        heading = Text(f"{environment}  " if multi_env else "", style="bold")
        heading.append(signal or "settings", style="bold")
        endpoint = next((f.endpoint for f in findings if f.endpoint), None)
        if endpoint:
            heading.append(f"  {terminal_safe(endpoint)}")
        if index:
            console.print()
        console.print(heading, overflow="fold")
        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(width=1)
        grid.add_column(no_wrap=True, width=stage_width)
        grid.add_column(no_wrap=True, width=code_width)
        grid.add_column(justify="right", no_wrap=True, width=5)
        grid.add_column(overflow="fold")
        for finding in findings:
            mark, style = _STATUS_MARK[finding.status]
            grid.add_row(
                "",
                Text(f"{mark} {finding.stage}", style=style),
                Text(finding.code.value, style=style if finding.status != "ok" else "dim"),
                Text(_ms(finding)),
                _details(finding),
            )
        console.print(grid)


def _print_table(console: Console, report: CheckReport) -> None:
    from rich.table import Table
    from rich.text import Text

    multi_env = len(report.environments) > 1
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    if multi_env:
        table.add_column("env", no_wrap=True)
    table.add_column("signal", no_wrap=True)
    table.add_column("endpoint", overflow="fold", max_width=48)
    table.add_column("stage", no_wrap=True)
    # One status column: the mark and the code (``✓ ok``, ``! endpoint_warning``,
    # ``✗ connection_refused``); the word ok/warn/fail would only repeat the mark.
    table.add_column("status", no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("details", overflow="fold")
    previous: tuple[str | None, str | None] | None = None
    for finding in report.findings:
        group = (finding.environment, finding.signal)
        first = group != previous
        if first and previous is not None:
            table.add_row(*([""] * (7 if multi_env else 6)))
        previous = group
        mark, style = _STATUS_MARK[finding.status]
        row = [
            Text(finding.signal or "-", style="bold") if first else Text(""),
            Text(terminal_safe(finding.endpoint or "")) if first else Text(""),
            Text(finding.stage),
            Text(f"{mark} {finding.code.value}", style=style),
            Text(_ms(finding)),
            _details(finding),
        ]
        if multi_env:
            row.insert(0, Text(finding.environment or "", style="bold") if first else Text(""))
        table.add_row(*row)
    console.print(table)


def _verdict(report: CheckReport) -> Any:
    from rich.text import Text

    fails, warns = len(report.failures), len(report.warnings)
    where = ", ".join(report.environments)
    scope = f" ({where})" if where else ""
    if report.exit_code == 2:
        broken = [
            e
            for e in report.environments
            if any(f.environment == e and f.signal is None for f in report.failures)
        ]
        scope = f" ({', '.join(broken)})" if broken else scope
        return Text(
            f"✗ the settings could not be loaded{scope}: fix the problems above", style="bold red"
        )
    if fails:
        multi_env = len(report.environments) > 1
        failed = sorted(
            {
                f"{f'{f.environment}/' if multi_env else ''}{f.signal or 'settings'}: "
                f"{f.code.value}"
                for f in report.failures
            }
        )
        return Text(
            f"✗ {fails} failed, {warns} warning(s){scope} — " + "; ".join(failed),
            style="bold red",
        )
    mode = "offline checks" if report.offline else "checks"
    if warns:
        return Text(f"! all {mode} passed with {warns} warning(s){scope}", style="yellow")
    return Text(f"✓ all {mode} passed{scope}", style="bold green")
