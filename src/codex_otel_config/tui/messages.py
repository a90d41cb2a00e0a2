"""Messages the app's thread workers post back to the UI thread.

Workers never touch widgets: they post one of these (``post_message`` is thread-safe) and the
app's handlers update state and redraw on the UI thread.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class CheckProgress(Message):
    """One check finding arrived (a stage of one signal finished)."""

    def __init__(self, run: int, finding: Any) -> None:
        super().__init__()
        self.run = run
        self.finding = finding


class CheckDone(Message):
    """The check is over: its report, or the error that stopped it."""

    def __init__(self, run: int, report: Any | None, error: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.report = report
        self.error = error


class ScenarioStep(Message):
    """The test scenario moved on (an event emitted, flushing, shutting down)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ScenarioDone(Message):
    """The test auth-401 scenario ran (events emitted, flushed and shut down), or failed."""

    def __init__(self, result: Any | None, error: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class ProviderReport(Message):
    """A force-flush or shutdown of the live provider returned its per-signal report."""

    def __init__(self, kind: str, report: Any | None, error: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.report = report
        self.error = error
