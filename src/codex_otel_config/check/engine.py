"""``run_check``: the offline phase, then every target's live stages in parallel.

The engine is library code shared by the CLI and the TUI: findings are reported through
``on_finding`` as each stage completes (from worker threads, one call at a time), and the
returned :class:`CheckReport` holds them all in a stable order. Every string is scrubbed of
every secret the settings carry before anyone sees it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from codex_otel_config.check.certificates import now_utc
from codex_otel_config.check.model import (
    OFFLINE_STAGES,
    CheckReport,
    Finding,
    SignalSummary,
    worst,
)
from codex_otel_config.check.offline import (
    offline_findings,
    settings_error_findings,
    settings_findings,
)
from codex_otel_config.check.probes import probe_target
from codex_otel_config.check.target import Target, display_url, settings_secrets
from codex_otel_config.errors import SettingsError
from codex_otel_config.outcomes import Code
from codex_otel_config.redaction import scrub
from codex_otel_config.settings.model import (
    SIGNALS,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Signal,
)

OnFinding = Callable[[Finding], None]

#: Live probes run at most this many at once (each is a few sockets and one thread).
MAX_PARALLEL = 32
#: Top-level tables of a settings file that are not environments.
_NOT_ENVIRONMENTS = frozenset({"default", "global"})


def discover_environments(
    files: Sequence[str | os.PathLike[str]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Every environment table ``--all-envs`` checks: the loader's own list (so it sees the
    files loading sees), less ``[default]`` and dynaconf's reserved tables."""
    from codex_otel_config.settings.loader import list_environments

    return [
        name
        for name in list_environments(files=files, environ=environ)
        if name.lower() not in _NOT_ENVIRONMENTS and not name.lower().startswith("dynaconf")
    ]


def environ_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Secrets that may reach an error message before settings exist: header values from
    ``OTEL_EXPORTER_OTLP_*HEADERS`` / ``CODEX_OTEL_*HEADERS*`` and the Statsig key."""
    environ = os.environ if environ is None else environ
    found: list[str] = []
    for name, value in environ.items():
        upper = name.upper()
        if "HEADERS" in upper and upper.startswith(("OTEL_", "CODEX_OTEL_")):
            for pair in value.split(","):
                _, sep, raw = pair.partition("=")
                if sep and raw.strip():
                    found += [raw.strip(), unquote(raw.strip())]
        elif value and upper.endswith(("API_KEY", "_SECRET", "_TOKEN")):
            found.append(value)
    return found


class _Emitter:
    """Scrubs every finding and hands it to ``on_finding`` one at a time (any thread)."""

    def __init__(self, on_finding: OnFinding | None, secrets: Iterable[str]) -> None:
        self._on_finding = on_finding
        self._secrets = sorted({s for s in secrets if s})
        self._lock = threading.Lock()
        self.findings: list[Finding] = []

    def add_secrets(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets = sorted(set(self._secrets) | {s for s in secrets if s})

    def clean(self, finding: Finding) -> Finding:
        def safe(text: str | None) -> str | None:
            return None if text is None else scrub(text, self._secrets)

        return replace(
            finding,
            message=scrub(finding.message, self._secrets),
            hint=safe(finding.hint),
            endpoint=None if finding.endpoint is None else display_url(finding.endpoint),
            auth_error=safe(finding.auth_error),
            auth_error_code=safe(finding.auth_error_code),
            request_id=safe(finding.request_id),
            cf_ray=safe(finding.cf_ray),
        )

    def __call__(self, finding: Finding) -> None:
        with self._lock:
            finding = self.clean(finding)
            self.findings.append(finding)
            if self._on_finding is not None:
                self._on_finding(finding)


def _load(
    env: str | None,
    files: Sequence[str | os.PathLike[str]] | None,
    environ: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
    otel_config: str | os.PathLike[str] | None = None,
) -> OtelSettings:
    from codex_otel_config.settings.loader import load_settings

    kwargs: dict[str, Any] = {"files": files, "env": env, "environ": environ}
    if overrides:
        kwargs["overrides"] = overrides
    if otel_config is not None:
        kwargs["otel_config"] = otel_config
    settings: OtelSettings = load_settings(**kwargs)
    return settings


def _summaries(
    loaded: Sequence[tuple[str, OtelSettings]],
    signals: tuple[Signal, ...],
    findings: Sequence[Finding],
) -> list[SignalSummary]:
    result = []
    for label, settings in loaded:
        for signal in signals:
            exporter = settings.exporter_for(signal)
            mine = [f for f in findings if f.environment == label and f.signal == signal]
            status = worst([f.status for f in mine])
            first = next((f for f in mine if f.status == status and f.code is not Code.OK), None)
            live = [f.elapsed_ms for f in mine if f.stage not in OFFLINE_STAGES and f.elapsed_ms]
            if isinstance(exporter, OtlpGrpc):
                protocol, endpoint = "grpc", display_url(exporter.endpoint)
            elif isinstance(exporter, OtlpHttp):
                protocol = "http/json" if exporter.protocol == "json" else "http/protobuf"
                endpoint = display_url(exporter.endpoint)
            else:
                protocol, endpoint = exporter.kind, None  # "none" or "console"
            result.append(
                SignalSummary(
                    environment=label,
                    signal=signal,
                    endpoint=endpoint,
                    protocol=protocol,
                    status=status,
                    code=first.code if first else Code.OK,
                    elapsed_ms=sum(live) if live else None,
                )
            )
    return result


def _probe_safely(target: Target, timeout: float, emit: _Emitter) -> None:
    """A bug in one probe becomes a finding for that target, not a crash of the whole run."""
    try:
        probe_target(target, timeout, emit)
    except Exception as exc:
        emit(
            Finding(
                Code.UNEXPECTED_RESPONSE,
                "otlp",
                "fail",
                f"the probe itself failed ({type(exc).__name__})",
                signal=target.signal,
                endpoint=target.endpoint,
                environment=target.environment,
            )
        )


def _probe_all(targets: Sequence[Target], timeout: float, emit: _Emitter) -> None:
    """Probe every target at once (at most :data:`MAX_PARALLEL` at a time) on daemon threads:
    an interrupted run (Ctrl-C, the TUI quitting) must not wait for probes held by a black
    hole, and the interpreter joins executor threads at exit, daemon threads it does not."""
    slots = threading.BoundedSemaphore(MAX_PARALLEL)

    def probe(target: Target) -> None:
        try:
            _probe_safely(target, timeout, emit)
        finally:
            slots.release()

    threads = []
    for target in targets:
        slots.acquire()
        thread = threading.Thread(target=probe, args=(target,), name="check-probe", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


def run_check(
    settings: OtelSettings | None = None,
    *,
    files: Sequence[str | os.PathLike[str]] | None = None,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    offline: bool = False,
    timeout: float = 5.0,
    signals: Iterable[Signal] | None = None,
    all_envs: bool = False,
    on_finding: OnFinding | None = None,
    now: datetime | None = None,
    otel_config: str | os.PathLike[str] | None = None,
) -> CheckReport:
    """Check the settings (given, or loaded from ``files``/``env``/``environ``/``overrides``).

    ``offline`` skips the network; ``timeout`` bounds each live stage (seconds); ``signals``
    narrows to some of ``logs``, ``traces``, ``metrics``; ``all_envs`` checks every
    environment table found in the settings files in one run. ``on_finding`` is called with
    each finding as its stage completes — from worker threads, never two at once.
    ``otel_config``: a declarative configuration file instead of ``OTEL_CONFIG_FILE``; it is
    validated against the schema here, offline (a problem is ``invalid_setting`` + location).
    """
    started = time.perf_counter()
    wanted: tuple[Signal, ...] = tuple(s for s in SIGNALS if signals is None or s in set(signals))
    emit = _Emitter(on_finding, environ_secrets(environ))
    moment = now or now_utc()

    loaded: list[tuple[str, OtelSettings]] = []
    labels: list[str] = []
    settings_ok = True
    if settings is not None:
        loaded.append((settings.environment, settings))
        labels.append(settings.environment)
    else:
        names: list[str | None] = [env]
        if all_envs:
            # ``[default]`` alone (no environment selected) is what runs by default: its
            # own entry, first, then every environment table.
            names = [None, *discover_environments(files, environ)]
        for name in names:
            try:
                one = _load(name, files, environ, overrides, otel_config)
            except SettingsError as error:
                settings_ok = False
                labels.append(name or "default")
                for finding in settings_error_findings(error, name or "default"):
                    emit(finding)
                continue
            label = (name or "default") if all_envs else one.environment
            loaded.append((label, one))
            labels.append(label)
    for _, one in loaded:
        emit.add_secrets(settings_secrets(one))

    targets: list[Target] = []
    for label, one in loaded:
        for finding in settings_findings(one, wanted):
            emit(replace(finding, environment=label))
        for signal in wanted:
            exporter = one.exporter_for(signal)
            if isinstance(exporter, OtlpHttp | OtlpGrpc):
                target = Target(label, signal, exporter, one)
                targets.append(target)
                for finding in offline_findings(target, moment, None if offline else timeout):
                    emit(finding)

    if not offline and targets:
        _probe_all(targets, timeout, emit)

    return CheckReport.build(
        emit.findings,
        labels,
        _summaries(loaded, wanted, emit.findings),
        offline=offline,
        timeout=timeout,
        settings_loaded=settings_ok,
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
    )
