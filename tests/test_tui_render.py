"""Rendering of the library's reports: statuses and counters this version does not know yet
(another branch's ``degraded`` status, a ``rejected`` counter) are shown, not dropped."""

from __future__ import annotations

from dataclasses import dataclass

from codex_otel_config.bootstrap import FlushReport, ShutdownReport, SignalReport
from codex_otel_config.tui import render
from codex_otel_config.tui.render import Masking
from codex_otel_config.tui.state import ConsoleState, NoteEntry, PipelineReportEntry
from test_tui import plain


@dataclass(frozen=True)
class NewerSignalReport(SignalReport):
    """What a newer bootstrap may hand over: one more counter."""

    rejected: int = 0


def test_unknown_status_and_new_counter_are_shown() -> None:
    report = FlushReport(
        {
            "logs": NewerSignalReport("logs", "degraded", 12.0, 5, 1, 0, rejected=2),  # type: ignore[arg-type]
            "traces": SignalReport("traces", "ok", 3.0, 1),
        }
    )
    text = plain(render.report_table("Force-flush · pipeline #3", report, Masking()))
    assert "Force-flush · pipeline #3" in text
    assert "degraded" in text
    assert "rejected" in text.splitlines()[1]  # a column of its own
    logs = next(line for line in text.splitlines() if line.strip().startswith("logs"))
    assert logs.split()[-1] == "2" and "5" in logs.split()


def test_results_log_is_newest_first_and_bounded() -> None:
    state = ConsoleState()
    for number in range(1, 20):
        state.push(NoteEntry(f"note {number}"))
    state.push(PipelineReportEntry(7, "shutdown", ShutdownReport({})))
    assert isinstance(state.results[0], PipelineReportEntry)
    assert [e.text for e in state.results[1:3] if isinstance(e, NoteEntry)] == [
        "note 19",
        "note 18",
    ]
    assert len(state.results) == 12
    assert state.last_report("shutdown") is state.results[0]
    assert state.last_report("flush") is None
