"""Load: a steady stream from several application threads loses nothing (``pytest -m load``).

Four threads run a fixed number of operations each (a span holding a session event, which
is a log record, a span event and two metrics, plus a counter add) through a pipeline that
``bootstrap_from_env`` builds from ``OTEL_*`` variables with the SDK's default queues. While
the collector keeps up, every span, log record and metric increment arrives: the receiver's
counts equal what was sent, and the reports say nothing was dropped or failed.
``scripts/fault_report.py`` prints the throughput and peak memory of the same runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.faults import PROTOCOLS, run_load

pytestmark = [pytest.mark.load, pytest.mark.timeout(60)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_steady_stream_from_several_threads_loses_nothing(protocol: str, tmp_path: Path) -> None:
    result = run_load(protocol, home=str(tmp_path))  # type: ignore[arg-type]

    assert result.escaped == []
    assert result.received == result.sent, result.to_dict()
    assert result.exported["spans"] == result.exported["log records"] == result.ops
    assert set(result.statuses.values()) == {"ok"}, result.statuses
    assert set(result.dropped.values()) == {0} and set(result.failed.values()) == {0}
    assert result.shutdown_s < 10


def test_unpaced_burst_is_accounted_for(tmp_path: Path) -> None:
    """As fast as four threads can go: whatever the pipeline could not take is counted as
    dropped, never lost silently, and what was exported arrived."""
    result = run_load("binary", rate_per_thread=None, ops_per_thread=600, home=str(tmp_path))

    assert result.escaped == []
    for signal, name in (("traces", "spans"), ("logs", "log records")):
        assert result.exported[name] + result.dropped[signal] + result.failed[signal] == result.ops
        assert result.received[name] == result.exported[name]
    assert result.received["app.ops sum"] == result.ops  # metrics aggregate: never dropped
    # Drops are not "ok" (issue #12): a signal that lost items says so.
    for signal, dropped in result.dropped.items():
        assert (result.statuses[signal] == "degraded") == (dropped > 0), result.to_dict()
