"""Recording exporters: the truth about what each export did.

The SDK's batch processors discard the result of ``export()`` and its ``force_flush`` answers
``True`` whether or not anything arrived. Each SDK exporter we build is wrapped in a
``Recording*Exporter`` (one per signal, in ``recording_traces`` / ``recording_logs`` /
``recording_metrics`` so that a settings exporting only traces never imports the logs or
metrics SDK) sharing the :class:`Recorder` below, which counts items exported and failed,
keeps the last classified failure, and can *cut* the exporter: shut the SDK exporter down
(that aborts its retry back-off sleep, since opentelemetry-python PR #4638, and closes its
connections), after which every export fails at once instead of retrying for up to a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from codex_otel_config.exporters.attempts import AttemptLog
from codex_otel_config.exporters.classify import classify_exception
from codex_otel_config.outcomes import Code, ExportFailure
from codex_otel_config.settings.model import Signal

__all__ = ["ExportStats", "Recorder", "RecordingExporter", "StatsSnapshot"]


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of one signal's counters.

    ``exported`` / ``failed`` count items (spans, log records, metric data points);
    ``submitted`` counts items handed to the batch processor (0 for metrics, whose reader
    has no queue); ``dropped`` is a lower bound on items lost before reaching the exporter
    (queue overflow), established each time the queue is known to be drained; ``rejected``
    counts items the collector refused in an OTLP partial success (not in ``exported``).
    """

    signal: Signal
    exported: int = 0
    failed: int = 0
    submitted: int = 0
    dropped: int = 0
    rejected: int = 0
    in_flight: int = 0
    exports: int = 0
    failed_exports: int = 0
    partial_exports: int = 0
    last_ok: bool | None = None
    last_error: ExportFailure | None = None
    last_partial: ExportFailure | None = None
    last_export_monotonic: float | None = None


class ExportStats:
    """Thread-safe counters for one signal (see :class:`StatsSnapshot`)."""

    def __init__(self, signal: Signal) -> None:
        self.signal: Signal = signal
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._exported = 0
        self._failed = 0
        self._submitted = 0
        self._dropped = 0
        self._rejected = 0
        self._in_flight = 0
        self._exports = 0
        self._failed_exports = 0
        self._partial_exports = 0
        self._last_ok: bool | None = None
        self._last_error: ExportFailure | None = None
        self._last_partial: ExportFailure | None = None
        self._last_at: float | None = None

    def note_submitted(self, count: int = 1) -> None:
        with self._lock:
            self._submitted += count

    def begin(self, count: int) -> None:
        with self._lock:
            self._in_flight += count

    def end(self, count: int, ok: bool, failure: ExportFailure | None) -> None:
        """One export ended; ``failure`` of a successful one is its partial success (if any),
        whose ``rejected`` items are counted apart from the exported ones."""
        with self._lock:
            self._in_flight -= count
            self._exports += 1
            if self._in_flight <= 0:
                self._idle.notify_all()
            self._last_ok = ok
            self._last_at = time.monotonic()
            if ok:
                rejected = min(count, failure.rejected or 0) if failure is not None else 0
                self._exported += count - rejected
                if rejected:
                    self._rejected += rejected
                    self._partial_exports += 1
                    self._last_partial = failure
            else:
                self._failed += count
                self._failed_exports += 1
                if failure is not None:
                    self._last_error = failure

    def wait_idle(self, deadline: float) -> bool:
        """Wait (until ``deadline``, a ``time.monotonic()`` value) for no export to be in
        flight; a flush is only over when the exports it raced with have ended too."""
        with self._idle:
            return self._idle.wait_for(
                lambda: self._in_flight <= 0, timeout=max(0.0, deadline - time.monotonic())
            )

    def reject(self, count: int, failure: ExportFailure) -> None:
        """An export refused without being attempted (the exporter was cut)."""
        self.begin(count)
        self.end(count, False, failure)

    def note_drained(self, submitted_before: int) -> None:
        """The queue was drained after ``submitted_before`` items had been handed over: any of
        those neither exported nor failed was dropped (a lower bound, never an over-count)."""
        with self._lock:
            lost = (
                submitted_before - self._exported - self._rejected - self._failed - self._in_flight
            )
            self._dropped = max(self._dropped, lost)

    def note_abandoned(self) -> None:
        """Shutdown gave up: everything handed over and not yet exported is lost."""
        with self._lock:
            lost = self._submitted - self._exported - self._rejected - self._failed
            self._dropped = max(self._dropped, lost)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                signal=self.signal,
                exported=self._exported,
                failed=self._failed,
                submitted=self._submitted,
                dropped=self._dropped,
                rejected=self._rejected,
                in_flight=self._in_flight,
                exports=self._exports,
                failed_exports=self._failed_exports,
                partial_exports=self._partial_exports,
                last_ok=self._last_ok,
                last_error=self._last_error,
                last_partial=self._last_partial,
                last_export_monotonic=self._last_at,
            )


class _Shutdownable(Protocol):
    def shutdown(self) -> Any: ...


_CUT = ExportFailure(Code.TIMEOUT, "not sent: exporter was shut down at its deadline")


class Recorder:
    """The shared core of the recording exporters (one per signal)."""

    def __init__(
        self,
        signal: Signal,
        inner: _Shutdownable,
        attempts: AttemptLog,
        *,
        secrets: Sequence[str] = (),
        describe: str = "",
    ) -> None:
        self.stats = ExportStats(signal)
        self.inner = inner
        self.attempts = attempts
        self.describe = describe
        self._secrets = tuple(secrets)
        self._lock = threading.Lock()
        self._closed = False
        self._shutdown_lock = threading.Lock()
        self._inner_shut_down = False

    @property
    def closed(self) -> bool:
        return self._closed

    def run(self, count: int, call: Callable[[], bool]) -> bool:
        """Run one export of ``count`` items through ``call`` and record what happened."""
        if self._closed:
            self.stats.reject(count, _CUT)
            return False
        with self._lock:
            self.attempts.reset()
            self.stats.begin(count)
            failure: ExportFailure | None = None
            try:
                ok = call()
            except Exception as exc:  # an exporter must never raise into the SDK's worker
                ok = False
                failure = classify_exception(exc, secrets=self._secrets)
            if ok:
                failure = self.attempts.last_outcome()  # a partial success counts apart
            elif failure is None:
                failure = self.attempts.last_failure() or ExportFailure(
                    Code.UNEXPECTED_RESPONSE,
                    "export failed before sending (encoding or request size limit)"
                    if not self.attempts.attempted
                    else "export failed",
                )
            self.stats.end(count, ok, failure)
            return ok

    def shutdown_inner(self) -> None:
        """Shut the SDK exporter down once (aborts back-off sleeps, closes connections)."""
        self.attempts.closing = True
        with self._shutdown_lock:
            if self._inner_shut_down:
                return
            self._inner_shut_down = True
        try:
            self.inner.shutdown()
        except Exception:  # best effort: we are tearing down
            return

    def cut(self) -> None:
        """Stop exporting now: later exports fail at once; retries in progress are aborted."""
        self._closed = True
        self.attempts.set_shutdown_deadline(time.monotonic())
        self.shutdown_inner()


class RecordingExporter(Protocol):
    """What bootstrap needs from any recording exporter."""

    recorder: Recorder

    @property
    def stats(self) -> ExportStats: ...
