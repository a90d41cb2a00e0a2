"""The library calls behind the TUI's actions — the same ones ``check`` and
``send-test-events`` make — and the JSON report of a :class:`ConsoleState`.

It takes values (settings, a provider, the state), never the app. Imports of the heavier
layers (loader, check engine, bootstrap, scenario, receiver) happen inside the functions, so
opening the app costs only what the first action needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_otel_config._version import __version__
from codex_otel_config.redaction import mask, mask_headers, mask_url
from codex_otel_config.settings.model import (
    EXPORTER_FIELD,
    SIGNALS,
    Console,
    NoExporter,
    OtelSettings,
    Signal,
    Statsig,
)
from codex_otel_config.tui.state import ConsoleState, PipelineReportEntry

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import FlushReport, OtelProvider, ShutdownReport
    from codex_otel_config.check import CheckReport, Finding
    from codex_otel_config.demo import Demo
    from codex_otel_config.scenario import ScenarioResult


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
    on_finding: Callable[[Finding], None],
    timeout: float,
    environ: Mapping[str, str] | None,
) -> CheckReport:
    """Run the live check of ``settings``; ``on_finding`` is called from the engine's threads."""
    from codex_otel_config.check import run_check

    return run_check(settings, environ=environ, timeout=timeout, on_finding=on_finding)


# --- pipeline -------------------------------------------------------------------------------


def build(settings: OtelSettings) -> OtelProvider | None:
    """A pipeline from ``settings`` (not installed globally); ``None`` when nothing exports."""
    from codex_otel_config.bootstrap import build_provider

    return build_provider(settings, set_global=False)


def send_test_events(
    provider: OtelProvider, *, timeout: float, on_step: Callable[[str], object] | None = None
) -> ScenarioResult:
    """The ``send-test-events`` scenario through the console's live ``provider``: emit, then
    force-flush (no shutdown: ``f`` and ``s`` act on the same pipeline afterwards)."""
    from codex_otel_config.scenario import run_test_scenario

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    return run_test_scenario(provider, timeout=timeout, on_step=step, shutdown=False)


# --- demo -----------------------------------------------------------------------------------


def start_demo() -> Demo:
    """Start the demo receiver on free loopback ports (``demo.Demo``; the caller stops it)."""
    from codex_otel_config.demo import Demo, start_demo_receiver

    receiver, _ = start_demo_receiver()
    return Demo(receiver)


_ITEM_NOUN: dict[Signal, str] = {"logs": "record", "traces": "span", "metrics": "point"}


def received(demo: Demo) -> dict[str, str]:
    """What the demo receiver got, per signal, in a few words (``3 records``)."""
    counts = demo.received_counts()
    return {signal: _count(counts[signal], _ITEM_NOUN[signal]) for signal in SIGNALS}


def received_line(demo: Demo, signal: Signal) -> str:
    """``demo receiver got 3 requests: 12 spans`` — export requests (the check's empty
    probes included) and the items they carried."""
    requests = sum(1 for r in demo.receiver.requests if r.signal == signal)
    return f"demo receiver got {_count(requests, 'request')}: {received(demo)[signal]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


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
            "endpoint": mask_url(resolved.endpoint),
            "protocol": getattr(resolved, "protocol", "grpc"),
            "headers": mask_headers(resolved.headers),
            "timeout": resolved.timeout,
            "compression": resolved.compression,
        }
        if isinstance(configured, Statsig):
            entry["api_key"] = mask(configured.api_key)
        entry["source"] = settings.source_of(EXPORTER_FIELD[signal]).describe()
        signals[signal] = entry
    return {
        "environment": settings.environment,
        "service_name": settings.service_name,
        "service_version": settings.service_version,
        "signals": signals,
        "warnings": list(settings.warnings),
    }


def _to_dict(
    value: CheckReport | ScenarioResult | FlushReport | ShutdownReport | None,
) -> dict[str, object] | None:
    return None if value is None else value.to_dict()


def build_report(state: ConsoleState, *, demo: bool) -> dict[str, Any]:
    """The console's state as one JSON value: settings, check, test send, flush, shutdown
    (the latest of each) and the pipeline they were about."""
    report: dict[str, Any] = {
        "tool": "codex-otel-config tui",
        "version": __version__,
        "demo": demo,
    }
    if state.settings_error is not None:
        report["settings_error"] = [
            {"key": p.key, "layer": p.layer, "message": p.message}
            for p in state.settings_error.problems
        ]
    if state.settings is not None:
        report["settings"] = settings_summary(state.settings)
    check_entry = state.check
    report["check"] = _to_dict(check_entry.report if check_entry else None)
    if check_entry is not None and check_entry.error:
        report["check_error"] = check_entry.error
    send = state.test
    report["test_send"] = _to_dict(send.result if send else None)
    if send is not None:
        report["test_send_pipeline"] = send.pipeline
        if send.error:
            report["test_send_error"] = send.error
    flush, shutdown = state.last_report("flush"), state.last_report("shutdown")
    report["pipeline"] = {
        "live": state.pipeline.number if state.pipeline is not None else None,
        "built": state.pipelines_built,
        "flush": _report_entry(flush),
        "shutdown": _report_entry(shutdown),
    }
    if state.demo is not None:
        report["received"] = state.demo.received_counts()
    return report


def _report_entry(entry: PipelineReportEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    shown: dict[str, Any] = {"pipeline": entry.pipeline, "report": _to_dict(entry.report)}
    if entry.why:
        shown["why"] = entry.why
    if entry.error:
        shown["error"] = entry.error
    return shown
