"""Per-signal flush and shutdown reports: what really happened, within the time allowed.

``status`` is one of ``ok`` (every export in the window succeeded, or there was nothing to
export and the last export had succeeded), ``degraded`` (the exports were accepted, but the
collector rejected some items in an OTLP partial success, or items were dropped before
reaching the exporter; ``error`` says which, with code ``partial_success`` or ``dropped``),
``failed`` (an export failed; ``error`` says how),
``timed_out`` (the call did not finish within its timeout; ``error`` is the last failure seen,
or a ``timeout``), ``skipped`` (the signal is exported nowhere, or the provider is shut down).

``exported`` / ``failed`` / ``dropped`` / ``rejected`` are running totals since the provider
was built (items: spans, log records, metric data points); ``dropped`` counts items that
never reached the exporter (queue overflow, or stranded by a shutdown that ran out of time);
``rejected`` counts items the collector refused in a partial success (not in ``exported``).

Which answers count as delivered is decided once, in
:func:`codex_otel_config.exporters.classify.classify_http` / ``classify_grpc_ok`` (a
redirect is not, a partial success is in part); ``check`` and ``send-test-events`` use the
same rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from codex_otel_config.outcomes import ExportFailure
from codex_otel_config.settings.model import SIGNALS, Signal

__all__ = ["FlushReport", "ShutdownReport", "SignalReport", "Status"]

Status = Literal["ok", "degraded", "failed", "timed_out", "skipped"]


@dataclass(frozen=True)
class SignalReport:
    """The outcome of a flush or shutdown for one signal."""

    signal: Signal
    status: Status
    elapsed_ms: float = 0.0
    exported: int = 0
    failed: int = 0
    dropped: int = 0
    error: ExportFailure | None = None
    endpoint: str | None = None
    rejected: int = 0

    @property
    def ok(self) -> bool:
        """True when everything was delivered (``skipped`` is not a problem; ``degraded``,
        ``failed`` and ``timed_out`` are)."""
        return self.status in ("ok", "skipped")

    def to_dict(self) -> dict[str, object]:
        return {
            "signal": self.signal,
            "status": self.status,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "exported": self.exported,
            "failed": self.failed,
            "dropped": self.dropped,
            "rejected": self.rejected,
            "error": self.error.to_dict() if self.error is not None else None,
            "endpoint": self.endpoint,
        }

    def __str__(self) -> str:
        text = (
            f"{self.signal}: {self.status} in {self.elapsed_ms:.0f} ms "
            f"(exported {self.exported}, failed {self.failed}, dropped {self.dropped}"
            + (f", rejected {self.rejected})" if self.rejected else ")")
        )
        if self.error is not None:
            text += f": {self.error.code.value}: {self.error.message}"
        return text


def _frozen_signals(signals: Mapping[Signal, SignalReport]) -> Mapping[Signal, SignalReport]:
    ordered = {s: signals[s] for s in SIGNALS if s in signals}
    return MappingProxyType(ordered)


@dataclass(frozen=True)
class _Report:
    signals: Mapping[Signal, SignalReport] = field(default_factory=dict)
    timeout: float = 0.0
    elapsed_ms: float = 0.0

    kind: str = "report"

    def __post_init__(self) -> None:
        object.__setattr__(self, "signals", _frozen_signals(self.signals))

    def __getitem__(self, signal: Signal) -> SignalReport:
        return self.signals[signal]

    def __iter__(self) -> Iterator[SignalReport]:
        return iter(self.signals.values())

    @property
    def ok(self) -> bool:
        """True when every signal delivered everything (none degraded, failed or timed out)."""
        return all(report.ok for report in self.signals.values())

    @property
    def status(self) -> Status:
        """The worst status across signals
        (``timed_out`` > ``failed`` > ``degraded`` > ``ok`` > ``skipped``)."""
        statuses = {report.status for report in self.signals.values()}
        for status in ("timed_out", "failed", "degraded", "ok"):
            if status in statuses:
                return status  # type: ignore[return-value]
        return "skipped"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "status": self.status,
            "timeout_s": self.timeout,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "signals": {signal: report.to_dict() for signal, report in self.signals.items()},
        }

    def summary(self) -> str:
        """One line: ``traces timed_out (timeout), logs degraded (dropped: …), metrics ok``."""
        parts = []
        for report in self.signals.values():
            part = f"{report.signal} {report.status}"
            if report.error is not None:
                part += f" ({report.error.code.value}: {report.error.message})"
            parts.append(part)
        return ", ".join(parts)

    def __str__(self) -> str:
        lines = [f"{self.kind}: {self.status} in {self.elapsed_ms:.0f} ms"]
        lines += [f"  {report}" for report in self.signals.values()]
        return "\n".join(lines)


@dataclass(frozen=True)
class FlushReport(_Report):
    """What :meth:`OtelProvider.force_flush` achieved, per signal."""

    kind: str = "flush"


@dataclass(frozen=True)
class ShutdownReport(_Report):
    """What :meth:`OtelProvider.shutdown` achieved, per signal."""

    kind: str = "shutdown"
