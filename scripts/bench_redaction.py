#!/usr/bin/env python3
"""Cost of the redaction boundary (``codex_otel_config.redaction``).

Measures, in one process:

* ``redact(text)`` on a typical SDK log line (160 characters), with nothing registered and
  with 10 secrets registered (each in its ~10 encoded forms);
* ``terminal_safe(text)`` on the same line;
* one log record of an SDK exporter logger (a ``NullHandler``, not propagated) before and
  after ``install_log_redaction()`` — the record factory every covered record goes through.

Prints a markdown table of the median per-call cost over the rounds.

    python scripts/bench_redaction.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

from codex_otel_config.redaction import (
    Secret,
    forget_secrets,
    install_log_redaction,
    redact,
    terminal_safe,
)

LINE = (
    "Transient error StatusCode.UNAVAILABLE encountered while exporting logs to "
    "collector.example.com:4317, retrying in 0.98s. Error details: connection refused"
)


def per_call(fn: Callable[[], object], calls: int, rounds: int) -> float:
    """Median microseconds per call over ``rounds`` rounds of ``calls`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=9, help="rounds")
    options = parser.parse_args()
    calls, rounds = options.calls, options.rounds

    rows: list[tuple[str, float]] = []
    forget_secrets()
    rows.append(
        ("`redact(line)`, nothing registered", per_call(lambda: redact(LINE), calls, rounds))
    )
    for index in range(10):
        Secret(f"Bearer token-{index:04d}-abcdefghijklmnop")
    rows.append(
        ("`redact(line)`, 10 secrets registered", per_call(lambda: redact(LINE), calls, rounds))
    )
    rows.append(("`terminal_safe(line)`", per_call(lambda: terminal_safe(LINE), calls, rounds)))

    logger = logging.getLogger("opentelemetry.exporter.bench_redaction")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    logger.setLevel(logging.DEBUG)

    def record() -> None:
        logger.warning("Failed to export %s to %s, error: %s", "logs", "collector:4317", LINE)

    rows.append(("one SDK log record, plain factory", per_call(record, calls, rounds)))
    install_log_redaction()
    rows.append(("one SDK log record, redacting factory", per_call(record, calls, rounds)))

    print(f"{rounds} rounds x {calls} calls, median per call\n")
    print("| what | µs/call |\n| --- | ---: |")
    for what, micros in rows:
        print(f"| {what} | {micros:.2f} |")


if __name__ == "__main__":
    main()
