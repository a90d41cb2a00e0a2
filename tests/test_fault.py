"""Fault suite: a broken collector never hurts the application (``pytest -m fault``).

For each protocol and each fault, :func:`fixtures.faults.run_fault` runs the application's
own loop (spans, session events, metric adds through real providers) against a healthy
pipeline and a broken one, interleaved, and checks the contracts listed in
``FaultResult.problems``: the app is not slowed beyond ``SLOWDOWN_BOUND``, memory does not
grow with the number of operations and the batch queues stay within ``max_queue_size``, no
exception reaches the app, export resumes on the same provider when the collector comes
back, ``shutdown(timeout)`` ends within its timeout, and every span and log record is
exported, failed or counted as dropped. ``scripts/fault_report.py`` runs the same scenarios
and writes the figures to ``docs/reliability.md``.
"""

from __future__ import annotations

import pytest

from codex_otel_config.receiver import Receiver
from fixtures.faults import (
    FAULTS,
    MEMORY_GROWTH_BOUND_BYTES,
    PROTOCOLS,
    QUEUE_SIZE,
    run_fault,
)

pytestmark = [pytest.mark.fault, pytest.mark.timeout(60)]

#: The classified error each fault must leave in the reports (flapping mixes several).
EXPECTED_CODE = {
    "down_at_start": {"connection_refused"},
    "down_mid_run": {"connection_refused"},
    "blackhole": {"timeout"},
    "slow": {"timeout"},
    "401": {"auth_rejected", "grpc_unauthenticated"},
    "403": {"forbidden"},
    "429": {"rate_limited"},
    "503": {"server_error", "grpc_unavailable"},
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_broken_collector_never_hurts_the_application(
    receiver: Receiver, protocol: str, fault: str
) -> None:
    result = run_fault(protocol, fault, receiver)  # type: ignore[arg-type]

    assert result.problems() == [], result.to_dict()
    # What the reports say about the fault: the right classification, and losses counted.
    if fault in EXPECTED_CODE:
        assert set(result.fault_errors.values()) <= EXPECTED_CODE[fault], result.fault_errors
    for signal in ("traces", "logs"):
        counts = result.signals[signal]
        assert counts.failed + counts.dropped > 0, counts
        assert counts.exported <= counts.received, counts  # the receiver saw every success
    # Shutdown ran with the fault back on: its report does not pretend all went well.
    if fault not in ("flapping",):
        assert {c.status for c in result.signals.values()} <= {"failed", "timed_out"}


def test_memory_check_detects_a_growing_queue(receiver: Receiver) -> None:
    """The memory contract can fail: a queue far larger than the work keeps every item, and
    the same measurement then reports the growth the bounded queue prevents."""
    result = run_fault("binary", "blackhole", receiver, queue_size=100_000)
    assert result.memory.growth > MEMORY_GROWTH_BOUND_BYTES, result.to_dict()
    assert result.max_queue > QUEUE_SIZE
    assert any("memory grew" in problem for problem in result.problems())
