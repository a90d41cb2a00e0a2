"""Messages the app's thread workers post back to the UI thread.

Workers never touch widgets or the app's state: they post one of these (``post_message`` is
thread-safe) and the app's handlers update :class:`~codex_otel_config.tui.state.ConsoleState`
and redraw on the UI thread. Each pipeline message names the pipeline (its number) it is about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import FlushReport, OtelProvider, ShutdownReport
    from codex_otel_config.check import CheckReport, Finding
    from codex_otel_config.scenario import ScenarioResult


class CheckProgress(Message):
    """One check finding arrived (a stage of one signal finished)."""

    def __init__(self, run: int, finding: Finding) -> None:
        super().__init__()
        self.run = run
        self.finding = finding


class CheckDone(Message):
    """The check is over: its report, or the error that stopped it."""

    def __init__(self, run: int, report: CheckReport | None, error: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.report = report
        self.error = error


class PipelineBuilt(Message):
    """Pipeline ``number`` was built (``provider`` is ``None`` when nothing is exported), or
    could not be (``error``); ``why`` says why it was (re)built."""

    def __init__(
        self,
        number: int,
        provider: OtelProvider | None,
        error: str | None = None,
        *,
        why: str = "",
    ) -> None:
        super().__init__()
        self.number = number
        self.provider = provider
        self.error = error
        self.why = why


class ScenarioStep(Message):
    """The test scenario moved on (an event emitted, flushing)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ScenarioDone(Message):
    """The test auth-401 scenario ran through pipeline ``number`` (emitted and force-flushed),
    or failed."""

    def __init__(
        self, number: int, result: ScenarioResult | None, error: str | None = None
    ) -> None:
        super().__init__()
        self.number = number
        self.result = result
        self.error = error


class ProviderReport(Message):
    """A force-flush or shutdown of pipeline ``number`` returned its per-signal report."""

    def __init__(
        self,
        number: int,
        kind: Literal["flush", "shutdown"],
        report: FlushReport | ShutdownReport | None,
        error: str | None = None,
        *,
        why: str = "",
    ) -> None:
        super().__init__()
        self.number = number
        self.kind = kind
        self.report = report
        self.error = error
        self.why = why
