"""``build_provider`` and ``OtelProvider``: SDK providers with bounded, truthful flush/shutdown.

How the bounds hold whatever the collector does (see docs/bootstrap.md):

- every SDK flush/shutdown runs in a daemon worker thread per signal; the caller waits for
  them only until the deadline, so a flush or shutdown returns within its ``timeout``;
- the flush deadline is also pushed into the exporter's transport (thread-locally, so only
  that flush's requests are cut short), and requests that would start after it are not sent;
- shutdown gives the pipelines until shortly before the deadline, then *cuts* the exporters
  still busy: the SDK exporter's own ``shutdown()`` aborts its retry back-off and closes its
  connections, and every later export fails at once; a request already on the wire is left to
  its daemon thread, which cannot hold the process;
- statuses come from the recording exporters, not from the SDK's always-``True`` flush.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from codex_otel_config.bootstrap import atexit as exit_hook
from codex_otel_config.bootstrap.reports import FlushReport, ShutdownReport, SignalReport, Status
from codex_otel_config.errors import CodexOtelError, ExporterBuildError, SettingsError
from codex_otel_config.outcomes import Code, ExportFailure
from codex_otel_config.settings.model import (
    EXPORTER_FIELD,
    SIGNALS,
    Console,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    Signal,
)

if TYPE_CHECKING:
    from codex_otel_config.bootstrap.pipelines import Pipeline
    from codex_otel_config.exporters.recording import StatsSnapshot
    from codex_otel_config.metrics import MetricsClient

__all__ = ["DEFAULT_EXIT_TIMEOUT", "OtelProvider", "build_provider"]

_log = logging.getLogger("codex_otel_config")

DEFAULT_EXIT_TIMEOUT = 2.0
#: Share of a shutdown's time kept back to cut busy exporters and collect their outcome.
_CUT_SHARE = 0.1
_CUT_MAX_S = 0.25


class _Job:
    """One flush/shutdown call of one signal, on a daemon thread (never holds the exit)."""

    def __init__(self, name: str, work: Callable[[], object]) -> None:
        self.error: BaseException | None = None
        self.finished_at: float | None = None
        self._done = threading.Event()
        self._work = work
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._work()
        except BaseException as exc:  # reported, never raised into the caller's thread
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            self._done.set()

    def wait_until(self, deadline: float) -> bool:
        return self._done.wait(max(0.0, deadline - time.monotonic()))

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def elapsed_ms(self) -> float:
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return (end - self.started_at) * 1000.0


def _judge(
    pipeline: Pipeline,
    before: StatsSnapshot,
    after: StatsSnapshot,
    job: _Job,
    unfinished: bool,
    timeout: float,
) -> tuple[Status, ExportFailure | None]:
    """Status and error of one signal from what its exporter recorded during the call."""
    if unfinished:
        error = (
            after.last_error if after.failed_exports > before.failed_exports else None
        ) or pipeline.recorder.attempts.last_failure()
        return "timed_out", error or ExportFailure(
            Code.TIMEOUT, f"did not finish within {timeout:g} s"
        )
    if job.error is not None:
        from codex_otel_config.exporters.classify import classify_exception

        return "failed", classify_exception(job.error)
    if after.failed_exports > before.failed_exports:
        return "failed", after.last_error
    if after.exports == before.exports and after.last_ok is False:
        return "failed", after.last_error  # nothing new to send, and the last export failed
    if after.rejected > before.rejected:
        return "degraded", after.last_partial
    if after.dropped > before.dropped:
        lost = after.dropped - before.dropped
        return "degraded", ExportFailure(
            Code.DROPPED, f"{lost} dropped before export (the queue was full or not drained)"
        )
    return "ok", None


def _skipped(signal: Signal) -> SignalReport:
    return SignalReport(signal=signal, status="skipped")


class OtelProvider:
    """The tracer, logger and meter providers built from one :class:`OtelSettings`.

    A signal exported nowhere has ``None`` for its provider. Use as a context manager, or
    call :meth:`shutdown`; otherwise it is shut down at interpreter exit within
    :attr:`exit_timeout` seconds.
    """

    def __init__(
        self,
        settings: OtelSettings,
        *,
        pipelines: Mapping[Signal, Pipeline],
        tracer_provider: Any = None,
        logger_provider: Any = None,
        metrics: MetricsClient | None = None,
        exit_timeout: float = DEFAULT_EXIT_TIMEOUT,
    ) -> None:
        self.settings = settings
        self.tracer_provider = tracer_provider
        self.logger_provider = logger_provider
        self.metrics = metrics
        self.exit_timeout = exit_timeout
        self._pipelines = dict(pipelines)
        self._lock = threading.Lock()
        self._shutdown_report: ShutdownReport | None = None
        self.is_global = False

    # -- attributes -------------------------------------------------------------------------
    @property
    def meter_provider(self) -> Any:
        """The ``MeterProvider`` of :attr:`metrics` (``None`` when metrics are off)."""
        return self.metrics.meter_provider if self.metrics is not None else None

    @property
    def signals(self) -> tuple[Signal, ...]:
        """The signals this provider exports."""
        return tuple(s for s in SIGNALS if s in self._pipelines)

    @property
    def is_shut_down(self) -> bool:
        return self._shutdown_report is not None

    def stats(self) -> dict[Signal, StatsSnapshot]:
        """Running counters per exported signal (see :class:`StatsSnapshot`)."""
        return {s: p.stats.snapshot() for s, p in self._pipelines.items()}

    def logging_handler(self, level: int = logging.NOTSET) -> logging.Handler:
        """A stdlib handler bridging records to the logger provider (the SDK's
        ``LoggingHandler``); a ``NullHandler`` when logs are exported nowhere. Records from
        the export machinery itself (``opentelemetry.*``, ``urllib3``, ``grpc``) are skipped."""
        if self.logger_provider is None:
            return logging.NullHandler(level)
        from codex_otel_config.bootstrap.pipelines import logging_handler

        return logging_handler(self.logger_provider, level)

    # -- flush ------------------------------------------------------------------------------
    def force_flush(self, timeout: float = 5.0) -> FlushReport:
        """Export everything pending now; returns within ``timeout`` seconds."""
        timeout = max(0.0, float(timeout))
        start = time.monotonic()
        deadline = start + timeout
        if self.is_shut_down:
            return FlushReport({s: _skipped(s) for s in SIGNALS}, timeout, 0.0)
        jobs: dict[Signal, tuple[Pipeline, StatsSnapshot, _Job]] = {}
        for signal, pipeline in self._pipelines.items():
            before = pipeline.stats.snapshot()
            jobs[signal] = (
                pipeline,
                before,
                _Job(f"codex-otel-flush-{signal}", self._flush_work(pipeline, deadline, timeout)),
            )
        reports: dict[Signal, SignalReport] = {}
        for signal in SIGNALS:
            if signal not in jobs:
                reports[signal] = _skipped(signal)
                continue
            pipeline, before, job = jobs[signal]
            finished = job.wait_until(deadline) and pipeline.stats.wait_idle(deadline)
            if finished and pipeline.counts_submitted:
                pipeline.stats.note_drained(before.submitted)
            reports[signal] = self._report(
                pipeline, before, job, unfinished=not finished, timeout=timeout
            )
        return FlushReport(reports, timeout, (time.monotonic() - start) * 1000.0)

    @staticmethod
    def _flush_work(pipeline: Pipeline, deadline: float, timeout: float) -> Callable[[], None]:
        def work() -> None:
            attempts = pipeline.recorder.attempts
            attempts.set_thread_deadline(deadline)
            try:
                pipeline.flush(timeout)
            finally:
                attempts.set_thread_deadline(None)

        return work

    # -- shutdown ---------------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> ShutdownReport:
        """Flush and stop every signal; returns within ``timeout`` seconds. Idempotent: later
        calls return the first report."""
        with self._lock:
            if self._shutdown_report is not None:
                return self._shutdown_report
            timeout = max(0.0, float(timeout))
            start = time.monotonic()
            deadline = start + timeout
            cut_at = deadline - min(_CUT_MAX_S, _CUT_SHARE * timeout)
            jobs: dict[Signal, tuple[Pipeline, StatsSnapshot, _Job]] = {}
            for signal, pipeline in self._pipelines.items():
                pipeline.recorder.attempts.set_shutdown_deadline(cut_at)
                before = pipeline.stats.snapshot()
                close = pipeline.close
                jobs[signal] = (
                    pipeline,
                    before,
                    _Job(f"codex-otel-shutdown-{signal}", lambda c=close: c(timeout)),  # type: ignore[misc]
                )
            cut: set[Signal] = set()
            for signal, (pipeline, _, job) in jobs.items():
                # Over only when the exports it raced with (an earlier flush's, the
                # background worker's) have ended too.
                if not (job.wait_until(cut_at) and pipeline.stats.wait_idle(cut_at)):
                    pipeline.recorder.cut()
                    cut.add(signal)
            reports: dict[Signal, SignalReport] = {}
            for signal in SIGNALS:
                if signal not in jobs:
                    reports[signal] = _skipped(signal)
                    continue
                pipeline, before, job = jobs[signal]
                if job.wait_until(deadline):
                    pipeline.stats.wait_idle(deadline)
                pipeline.stats.note_abandoned()
                reports[signal] = self._report(
                    pipeline, before, job, unfinished=signal in cut, timeout=timeout
                )
            report = ShutdownReport(reports, timeout, (time.monotonic() - start) * 1000.0)
            self._shutdown_report = report
        exit_hook.unregister(self)
        return report

    @staticmethod
    def _report(
        pipeline: Pipeline, before: StatsSnapshot, job: _Job, *, unfinished: bool, timeout: float
    ) -> SignalReport:
        after = pipeline.stats.snapshot()
        status, error = _judge(pipeline, before, after, job, unfinished, timeout)
        return SignalReport(
            signal=pipeline.signal,
            status=status,
            elapsed_ms=min(job.elapsed_ms(), timeout * 1000.0)
            if not job.done
            else job.elapsed_ms(),
            exported=after.exported,
            failed=after.failed,
            dropped=after.dropped,
            rejected=after.rejected,
            error=error,
            endpoint=pipeline.endpoint,
        )

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> OtelProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        state = "shut down" if self.is_shut_down else "running"
        return f"OtelProvider(signals={list(self.signals)}, {state})"


# -- building --------------------------------------------------------------------------------


def _setting_key(settings: OtelSettings, signal: Signal) -> str:
    return f"{EXPORTER_FIELD[signal]}.{settings.configured_exporter(signal).kind}"


def _located(settings: OtelSettings, exc: ExporterBuildError) -> ExporterBuildError:
    """The build error, re-worded with the layer that set the offending key."""
    key = getattr(exc, "key", None)
    if not isinstance(key, str):
        return exc
    layer = settings.source_of(key).describe()
    detail = getattr(exc, "detail", str(exc))
    located = ExporterBuildError(f"{layer} {key}: {detail}")
    located.key = key  # type: ignore[attr-defined]
    located.layer = layer  # type: ignore[attr-defined]
    return located


def _shutdown_quietly(parts: list[Any]) -> None:
    """Tear down a half-built pipeline without waiting on anything remote."""
    for part in parts:
        try:
            if hasattr(part, "recorder"):
                part.recorder.cut()
            elif hasattr(part, "meter_provider"):  # MetricsClient
                part.shutdown(0.5)
            else:
                part.shutdown()
        except Exception:
            continue


def build_provider(
    settings: OtelSettings,
    *,
    set_global: bool = True,
    strict: bool = True,
    exit_timeout: float = DEFAULT_EXIT_TIMEOUT,
) -> OtelProvider | None:
    """Providers for every exported signal of ``settings``; ``None`` when nothing is exported
    (or the SDK is disabled). No network I/O: connections open on the first export.

    A build failure (unusable TLS material, processor tuning the SDK refuses) raises when
    ``strict`` (``ExporterBuildError`` / ``SettingsError``), else logs one warning and
    returns ``None``; either way nothing is left running.
    """
    resolved = {signal: settings.exporter_for(signal) for signal in SIGNALS}
    active: dict[Signal, OtlpHttp | OtlpGrpc | Console] = {
        s: e for s, e in resolved.items() if not isinstance(e, NoExporter)
    }
    if not active:
        return None
    built: list[Any] = []
    try:
        from codex_otel_config.bootstrap import pipelines as sdk
        from codex_otel_config.exporters.build import build_exporter

        sdk.check_processors(settings)
        exporters: dict[Signal, Any] = {}
        for signal, exporter in active.items():
            try:
                exporters[signal] = build_exporter(
                    signal, exporter, setting_key=_setting_key(settings, signal)
                )
            except ExporterBuildError as exc:
                if strict:
                    raise
                # One signal's unusable material turns off that signal only.
                _log.warning(
                    "OpenTelemetry %s not exported: %s", signal, _one_line(_located(settings, exc))
                )
                continue
            built.append(exporters[signal])
        if not exporters:
            return None
        resource = sdk.build_resource(settings) if {"traces", "logs"} & exporters.keys() else None
        pipelines: dict[Signal, Pipeline] = {}
        tracer_provider = logger_provider = metrics = None
        if "traces" in exporters:
            tracer_provider, pipelines["traces"] = sdk.build_traces(
                settings, exporters["traces"], resource
            )
            built.append(tracer_provider)
        if "logs" in exporters:
            logger_provider, pipelines["logs"] = sdk.build_logs(
                settings, exporters["logs"], resource
            )
            built.append(logger_provider)
        if "metrics" in exporters:
            metrics, pipelines["metrics"] = sdk.build_metrics(settings, exporters["metrics"])
            built.append(metrics)
        from codex_otel_config.exporters.sdk_logs import quiet_sdk_loggers

        quiet_sdk_loggers()  # the reports carry each failure; the app's log gets a few lines
    except Exception as exc:
        _shutdown_quietly(list(reversed(built)))
        error: CodexOtelError
        if isinstance(exc, SettingsError):
            error = exc
        elif isinstance(exc, ExporterBuildError):
            error = _located(settings, exc)
        else:
            error = ExporterBuildError(
                f"could not build the OpenTelemetry pipeline: {type(exc).__name__}: {exc}"
            )
        if strict:
            raise error from exc
        _log.warning("OpenTelemetry disabled: %s", _one_line(error))
        return None
    provider = OtelProvider(
        settings,
        pipelines=pipelines,
        tracer_provider=tracer_provider,
        logger_provider=logger_provider,
        metrics=metrics,
        exit_timeout=exit_timeout,
    )
    exit_hook.register(provider)
    if set_global:
        from codex_otel_config.bootstrap.globals import install_globals

        provider.is_global = install_globals(provider)
    return provider


def _one_line(error: BaseException) -> str:
    if isinstance(error, SettingsError):
        first = str(error.problems[0])
        more = len(error.problems) - 1
        return f"invalid settings: {first}" + (
            f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        )
    return " ".join(str(error).split())
