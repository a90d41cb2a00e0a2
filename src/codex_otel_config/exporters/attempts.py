"""What the wire said during one export, and the deadlines that bound it.

The SDK exporters retry internally and then return a bare ``SUCCESS``/``FAILURE``; the HTTP
status, the gRPC status or the exception that caused a failure is only logged. Our transport
(HTTP) and interceptor (gRPC) write each attempt's outcome here, so the recording exporter can
attach a classified :class:`~codex_otel_config.outcomes.ExportFailure` to the failure.

Deadlines: ``flush`` sets a *thread-local* deadline (the SDK runs a forced flush on the calling
thread, so only that flush's requests are cut short, not the background exporter's), and
``shutdown`` sets an *instance* deadline that applies to every thread. A request (or retry) of
an export begun before its deadline is not sent once the deadline has passed; the retry loops
of both SDK exporters are told it is final, so they stop instead of backing off.
"""

from __future__ import annotations

import threading
import time

from codex_otel_config.outcomes import Code, ExportFailure

__all__ = ["AttemptLog", "DeadlineReached"]


class DeadlineReached(TimeoutError):
    """A request was not sent (or was cut short) because a flush/shutdown deadline passed."""


class AttemptLog:
    """The outcome of the latest wire attempt of one exporter, plus its active deadlines."""

    def __init__(self) -> None:
        self._last: ExportFailure | None = None
        self._attempted = False
        self._shutdown_deadline: float | None = None
        self._local = threading.local()
        #: Set once the exporter is being shut down: calls cancelled from then on were
        #: waiting for an answer that did not come in time, not refused by the server.
        self.closing = False

    # -- outcomes ---------------------------------------------------------------------------
    def reset(self) -> None:
        """A new export begins on this thread: forget the previous one's outcome.

        A flush deadline that has already passed no longer applies: the flush it bounded is
        over, and this thread is only draining what was queued since, as the background
        worker would; failing those items unsent would lose them for nothing. (A deadline
        still bounds every export that *began* before it, retries included.)
        """
        self._last = None
        self._attempted = False
        local: float | None = getattr(self._local, "deadline", None)
        if local is not None and local <= time.monotonic():
            self._local.deadline = None

    def record(self, outcome: ExportFailure) -> None:
        """Record one attempt's classified outcome (``Code.OK`` for a success)."""
        self._last = outcome
        self._attempted = True

    @property
    def attempted(self) -> bool:
        return self._attempted

    def last_failure(self) -> ExportFailure | None:
        """The latest attempt's outcome when the collector did not take the export."""
        last = self._last
        return None if last is None or last.delivered else last

    def last_outcome(self) -> ExportFailure | None:
        """The latest attempt's outcome, delivered or not (a partial success included)."""
        return self._last

    # -- deadlines (time.monotonic() values) ------------------------------------------------
    def set_shutdown_deadline(self, deadline: float | None) -> None:
        self._shutdown_deadline = deadline

    def set_thread_deadline(self, deadline: float | None) -> None:
        self._local.deadline = deadline

    def deadline(self) -> float | None:
        local: float | None = getattr(self._local, "deadline", None)
        shared = self._shutdown_deadline
        if local is None:
            return shared
        return local if shared is None else min(local, shared)

    def clamp(self, timeout: float | None) -> float | None:
        """``timeout`` cut to the active deadline; ``<= 0`` means "do not send"."""
        deadline = self.deadline()
        if deadline is None:
            return timeout
        remaining = deadline - time.monotonic()
        return remaining if timeout is None else min(timeout, remaining)

    def deadline_passed(self) -> bool:
        """Whether an active deadline has passed (so no further attempt would be sent)."""
        deadline = self.deadline()
        return deadline is not None and deadline <= time.monotonic()

    def refused_under_deadline(self) -> bool:
        """The latest attempt found nothing listening while a flush or shutdown waits on it.

        The background exporter retries a refused connection (the collector may be
        restarting), but a caller waiting on ``force_flush`` / ``shutdown`` is told at once:
        ``connection_refused`` now instead of ``timed_out`` at the deadline.
        """
        last = self._last
        return (
            last is not None
            and last.code is Code.CONNECTION_REFUSED
            and self.deadline() is not None
        )

    def deadline_failure(self) -> ExportFailure:
        """Record that a retry was not sent; an earlier attempt's failure of the same export
        (a timeout, a refused connection) stays the one reported, being the real cause."""
        earlier = self.last_failure()
        if earlier is not None:
            return earlier
        failure = ExportFailure(Code.TIMEOUT, "not sent: flush/shutdown deadline reached")
        self.record(failure)
        return failure
