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

from rich.console import RenderableType
from rich.text import Text

from codex_otel_config._version import __version__
from codex_otel_config.settings.model import SIGNALS, NoExporter, OtelSettings, Statsig
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


def check_summary(report: Any) -> RenderableType:
    """One line: how many findings passed, warned, failed."""
    findings = list(getattr(report, "findings", ()))
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("ok", "warn", "fail")}
    status = report_status(report)
    return Text.assemble(
        ("Check: ", "bold"),
        (status, render.STATUS_STYLE.get(status, "")),
        f" — {counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s)",
    )


# --- pipeline -------------------------------------------------------------------------------


def build(settings: OtelSettings) -> Any:
    """A pipeline from ``settings`` (not installed globally); ``None`` when nothing exports."""
    from codex_otel_config.bootstrap import build_provider

    return build_provider(settings, set_global=False)


def send_test_events(settings: OtelSettings, *, timeout: float) -> Any:
    """The ``send-test-events`` scenario: build, emit, force-flush, shut down."""
    from codex_otel_config.scenario import run_test_scenario

    provider = build(settings)
    return run_test_scenario(provider, timeout=timeout)


def scenario_flush(result: Any) -> Any:
    return getattr(result, "flush", None)


def scenario_shutdown(result: Any) -> Any:
    return getattr(result, "shutdown", None)


def scenario_parts(result: Any, masking: Masking) -> list[RenderableType]:
    """The emitted events with their 401 evidence and the trace id to look for."""
    parts: list[RenderableType] = [Text("Test auth-401 events", style="bold")]
    trace_id = getattr(result, "trace_id", None)
    if trace_id:
        parts.append(Text.assemble(("trace id ", "dim"), (str(trace_id), "bold")))
    parts.append(render.events_table(list(getattr(result, "events", ())), masking))
    tags = getattr(result, "feedback_tags", None)
    if isinstance(tags, Mapping) and tags:
        parts.append(render.tags_table("Feedback tags", tags, masking))
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
        if isinstance(resolved, NoExporter):
            signals[signal] = {"exporter": "none"}
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
    report["flush"] = _to_dict(app.flush_report)
    report["shutdown"] = _to_dict(app.shutdown_report)
    if app.demo_session is not None:
        report["received"] = app.demo_session.received_counts()
    return report
