"""The library calls behind the TUI's actions — the same ones ``check`` and
``send-test-events`` make — and the shaping of their results for the panes and the JSON report.

Imports of the heavier layers (loader, check engine, bootstrap, scenario, receiver) happen
inside the functions, so opening the app costs only what the first action needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from codex_otel_config._version import __version__
from codex_otel_config.settings.model import SIGNALS, Console, NoExporter, OtelSettings, Statsig
from codex_otel_config.settings.redact import mask, mask_headers
from codex_otel_config.tui import render
from codex_otel_config.tui.render import Masking

if TYPE_CHECKING:
    from codex_otel_config.tui.app import OtelConsoleApp


# --- settings -------------------------------------------------------------------------------


def load(
    *,
    files: Sequence[Path] | None,
    env: str | None,
    environ: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
) -> OtelSettings:
    """``load_settings`` exactly as the CLI calls it; raises ``SettingsError``."""
    from codex_otel_config.settings.loader import load_settings

    settings: OtelSettings = load_settings(
        files=files, env=env, environ=environ, overrides=overrides or None
    )
    return settings


def environments(*, files: Sequence[Path] | None, environ: Mapping[str, str] | None) -> list[str]:
    """The environment tables found in the settings files (``[default]`` excluded); the
    check engine's discovery, so the picker and ``check --all-envs`` agree."""
    from codex_otel_config.check import discover_environments

    return discover_environments(files, environ)


# --- check ----------------------------------------------------------------------------------


def check(
    settings: OtelSettings,
    *,
    on_finding: Callable[[Any], None],
    timeout: float,
    environ: Mapping[str, str] | None,
) -> Any:
    """Run the live check of ``settings``; ``on_finding`` is called from the engine's threads."""
    from codex_otel_config.check import run_check

    return run_check(settings, environ=environ, timeout=timeout, on_finding=on_finding)


def report_status(report: Any) -> str:
    return str(getattr(report, "status", "ok"))


def check_summary(report: Any, masking: Masking) -> RenderableType:
    """The verdict, then every warning and failure with its request id and hint."""
    findings = list(getattr(report, "findings", ()))
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("ok", "warn", "fail")}
    status = report_status(report)
    head = Text.assemble(
        ("Check: ", "bold"),
        (status, render.STATUS_STYLE.get(status, "")),
        f" — {counts['ok']} ok, {counts['warn']} warning{'s' * (counts['warn'] != 1)}, "
        f"{counts['fail']} failure{'s' * (counts['fail'] != 1)}",
    )
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for finding in findings:
        if finding.status == "ok":
            continue
        mark = Text(
            "✗" if finding.status == "fail" else "!", style=render.STATUS_STYLE[finding.status]
        )
        code = str(getattr(finding.code, "value", finding.code))
        text = Text.assemble(
            (code, render.STATUS_STYLE[finding.status]), " ", masking.text(finding.message)
        )
        if finding.request_id:
            text.append(f" · request id {finding.request_id}", style="bold")
        if finding.hint:
            text.append("\nhint: ", style="bold")
            text.append(masking.text(finding.hint))
        table.add_row(mark, finding.signal or "settings", text)
    if not table.row_count:
        return head
    return Group(head, table)


# --- pipeline -------------------------------------------------------------------------------


def build(settings: OtelSettings) -> Any:
    """A pipeline from ``settings`` (not installed globally); ``None`` when nothing exports."""
    from codex_otel_config.bootstrap import build_provider

    return build_provider(settings, set_global=False)


def send_test_events(
    settings: OtelSettings, *, timeout: float, on_step: Callable[[str], object] | None = None
) -> Any:
    """The ``send-test-events`` scenario: build, emit, force-flush, shut down.

    Raises ``ValueError`` when no signal is exported (there would be nothing to send).
    """
    from codex_otel_config.scenario import run_test_scenario

    provider = build(settings)
    if provider is None:
        raise ValueError("no signal is exported (every exporter is none)")

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    return run_test_scenario(provider, timeout=timeout, on_step=step)


def scenario_flush(result: Any) -> Any:
    return getattr(result, "flush", None)


def scenario_shutdown(result: Any) -> Any:
    return getattr(result, "shutdown", None)


def scenario_parts(result: Any, masking: Masking) -> list[RenderableType]:
    """The emitted events with their 401 evidence, the trace id to look for in a backend,
    and the feedback tags a bug report would carry."""
    head = Text("Test send: ", style="bold")
    ok = bool(getattr(result, "ok", True))
    head.append("ok" if ok else "failed", style="bold green" if ok else "bold red")
    exported = result.exported() if callable(getattr(result, "exported", None)) else {}
    if exported:
        head.append(" — exported ")
        head.append(", ".join(f"{signal} {count}" for signal, count in exported.items()))
    trace_id = getattr(result, "trace_id", None)
    if trace_id:
        head.append("\ntrace id ", style="dim")
        head.append(str(trace_id), style="bold")
    parts: list[RenderableType] = [
        head,
        Text("Events emitted", style="bold"),
        render.events_table(list(getattr(result, "events", ())), masking),
    ]
    tags = getattr(result, "feedback_tags", None)
    if isinstance(tags, Mapping):
        evidence = {
            k: v
            for k, v in tags.items()
            if k.startswith(("auth_401_", "auth_recovery_", "auth_request_id")) and v
        }
        if evidence:
            parts.append(
                render.tags_table("Feedback tags (auth_401_* / auth_recovery_*)", evidence, masking)
            )
    return parts


# --- demo -----------------------------------------------------------------------------------


@dataclass
class DemoSession:
    """The local receiver of ``--demo`` and the overrides pointing every signal at it."""

    receiver: Any
    overrides: dict[str, Any] = field(default_factory=dict)

    def received(self) -> dict[str, str]:
        """What the receiver got, per signal, in a few words."""
        return {
            "logs": _count(len(self.receiver.log_records), "record"),
            "traces": _count(len(self.receiver.spans), "span"),
            "metrics": _count(len(self.receiver.metric_points), "point"),
        }

    def received_line(self, signal: str) -> str:
        """``the receiver got 3 requests: 12 spans`` — export requests (the check's empty
        probes included) and the items they carried."""
        requests = sum(1 for r in self.receiver.requests if r.signal == signal)
        return f"demo receiver got {_count(requests, 'request')}: {self.received()[signal]}"

    def received_counts(self) -> dict[str, int]:
        return {
            "logs": len(self.receiver.log_records),
            "traces": len(self.receiver.spans),
            "metrics": len(self.receiver.metric_points),
        }

    def stop(self) -> None:
        self.receiver.stop()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def start_demo() -> DemoSession:
    """Start the demo receiver on free loopback ports."""
    from codex_otel_config.demo import start_demo_receiver

    receiver, overrides = start_demo_receiver()
    return DemoSession(receiver=receiver, overrides=dict(overrides))


# --- the JSON report ------------------------------------------------------------------------


def settings_summary(settings: OtelSettings) -> dict[str, Any]:
    """Where each signal goes, secrets masked, and the layer that chose it."""
    signals: dict[str, Any] = {}
    for signal in SIGNALS:
        resolved = settings.exporter_for(signal)
        configured = settings.configured_exporter(signal)
        if isinstance(resolved, NoExporter | Console):
            signals[signal] = {"exporter": resolved.kind}
            continue
        entry: dict[str, Any] = {
            "exporter": configured.kind,
            "endpoint": resolved.endpoint,
            "protocol": getattr(resolved, "protocol", "grpc"),
            "headers": mask_headers(resolved.headers),
            "timeout": resolved.timeout,
            "compression": resolved.compression,
        }
        if isinstance(configured, Statsig):
            entry["api_key"] = mask(configured.api_key)
        entry["source"] = settings.source_of(f"{_field(signal)}").describe()
        signals[signal] = entry
    return {
        "environment": settings.environment,
        "service_name": settings.service_name,
        "service_version": settings.service_version,
        "signals": signals,
        "warnings": list(settings.warnings),
    }


def _field(signal: str) -> str:
    from codex_otel_config.settings.model import EXPORTER_FIELD

    return EXPORTER_FIELD[signal]  # type: ignore[index]


def _to_dict(value: Any) -> Any:
    if value is None:
        return None
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return str(value)


def build_report(app: OtelConsoleApp) -> dict[str, Any]:
    """The app's state as one JSON value: settings, check, test send, flush, shutdown."""
    report: dict[str, Any] = {
        "tool": "codex-otel-config tui",
        "version": __version__,
        "demo": app.demo,
    }
    if app.settings_error is not None:
        report["settings_error"] = [
            {"key": p.key, "layer": p.layer, "message": p.message}
            for p in app.settings_error.problems
        ]
    if app.settings is not None:
        report["settings"] = settings_summary(app.settings)
    report["check"] = _to_dict(app.check_report)
    if app.check_error:
        report["check_error"] = app.check_error
    report["test_send"] = _to_dict(app.scenario)
    if app.scenario_error:
        report["test_send_error"] = app.scenario_error
    report["pipeline"] = {
        "flush": _to_dict(app.flush_report),
        "shutdown": _to_dict(app.shutdown_report),
    }
    if app.demo_session is not None:
        report["received"] = app.demo_session.received_counts()
    return report
