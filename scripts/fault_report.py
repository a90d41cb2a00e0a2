#!/usr/bin/env python3
"""Run the fault and load scenarios and regenerate ``docs/reliability.md`` (not a test).

The scenarios are the fault suite's own (``tests/fixtures/faults.py``: ``run_fault`` and
``run_load``, imported from the tests folder), run here without pytest so the figures can be
written down: for each protocol and fault, the application's slowdown, the memory it kept, the
queue high-water mark, the shutdown time, how fast export resumed, and the per-signal counts
(sent, exported, failed, dropped, received); for the load, the throughput, the losses and the
peak memory. ``tests/test_fault.py`` and ``tests/test_load.py`` assert the same contracts.

    python scripts/fault_report.py [--output docs/reliability.md] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_all import machine_markdown  # noqa: E402

from codex_otel_config.receiver import Receiver  # noqa: E402
from fixtures import faults as F  # noqa: E402

SIGNAL_ITEMS = {"traces": "spans", "logs": "log records", "metrics": "metric points"}


def run_all(protocols: Sequence[str], fault_names: Sequence[str]) -> list[F.FaultResult]:
    results: list[F.FaultResult] = []
    for protocol in protocols:
        for fault in fault_names:
            print(f"fault {protocol} {fault} …", file=sys.stderr, flush=True)
            with Receiver() as healthy:
                results.append(F.run_fault(protocol, fault, healthy))  # type: ignore[arg-type]
    return results


def run_loads(protocols: Sequence[str]) -> list[F.LoadResult]:
    results: list[F.LoadResult] = []
    with tempfile.TemporaryDirectory() as home:
        for protocol in protocols:
            print(f"load {protocol} (paced) …", file=sys.stderr, flush=True)
            results.append(F.run_load(protocol, home=home))  # type: ignore[arg-type]
        for protocol in protocols:
            print(f"load {protocol} (unpaced) …", file=sys.stderr, flush=True)
            burst = F.run_load(
                protocol,
                rate_per_thread=None,
                ops_per_thread=600,
                home=home,  # type: ignore[arg-type]
            )
            results.append(burst)
    return results


# -- rendering ----------------------------------------------------------------------------------


def _kib(n: int) -> str:
    return f"{n / 1024:+.0f}" if n else "0"


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


def contracts_table(results: list[F.FaultResult]) -> str:
    lines = [
        "| protocol | fault | app µs/op healthy → faulty | slowdown | memory kept N → 3N ops (KiB) "
        "| queue max | exceptions | resumed after | shutdown (s) | verdict |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        problems = r.problems()
        lines.append(
            f"| {F.PROTOCOL_NAMES[r.protocol]} | {F.FAULT_NAMES[r.fault]} "
            f"| {r.healthy_us_per_op:.0f} → {r.faulty_us_per_op:.0f} | {r.slowdown:.2f}x "
            f"| {r.memory.retained_n // 1024} → {r.memory.retained_3n // 1024} "
            f"({_kib(r.memory.growth)}) | {r.max_queue} | {len(r.escaped)} "
            f"| {r.resume_s:.2f} s | {r.shutdown_s:.2f} "
            f"| {'ok' if not problems else '**' + '; '.join(problems) + '**'} |"
        )
    return "\n".join(lines)


def counts_table(results: list[F.FaultResult]) -> str:
    lines = [
        "| protocol | fault | spans sent / exported / failed / dropped / received "
        "| log records sent / exported / failed / dropped / received "
        "| metric points exported / failed / received | error in the reports "
        "| shutdown status | SDK log lines |",
        "| --- | --- | --- | --- | --- | --- | --- | ---: |",
    ]
    for r in results:
        t, g, m = r.signals["traces"], r.signals["logs"], r.signals["metrics"]
        errors = sorted({e for e in r.fault_errors.values() if e})
        statuses = sorted({c.status for c in r.signals.values()})
        lines.append(
            f"| {F.PROTOCOL_NAMES[r.protocol]} | {F.FAULT_NAMES[r.fault]} "
            f"| {t.sent} / {t.exported} / {t.failed} / {t.dropped} / {t.received} "
            f"| {g.sent} / {g.exported} / {g.failed} / {g.dropped} / {g.received} "
            f"| {m.exported} / {m.failed} / {m.received} "
            f"| {', '.join(f'`{e}`' for e in errors) or '—'} | {', '.join(statuses)} "
            f"| {r.log_lines.get('opentelemetry', 0)} |"
        )
    return "\n".join(lines)


def load_table(results: list[F.LoadResult]) -> str:
    lines = [
        "| protocol | threads x ops | pacing | throughput (ops/s) | spans exported / received "
        "| log records exported / received | counter sum received | dropped (spans, logs) "
        "| lost | RSS growth (MiB) | shutdown (s) |",
        "| --- | --- | --- | ---: | --- | --- | --- | --- | ---: | ---: | ---: |",
    ]
    for r in results:
        pacing = f"{r.rate_per_thread:.0f}/s per thread" if r.rate_per_thread else "none (burst)"
        lost = sum(max(0, v) for v in r.lost.values())
        lines.append(
            f"| {F.PROTOCOL_NAMES[r.protocol]} | {r.threads} x {r.ops // r.threads} | {pacing} "
            f"| {r.throughput:.0f} | {r.exported['spans']} / {r.received['spans']} "
            f"| {r.exported['log records']} / {r.received['log records']} "
            f"| {r.received['app.ops sum']} of {r.sent['app.ops sum']} "
            f"| {r.dropped['traces']}, {r.dropped['logs']} | {lost} "
            f"| {_mib(r.rss_growth_bytes)} | {r.shutdown_s:.2f} |"
        )
    return "\n".join(lines)


def render(faults: list[F.FaultResult], loads: list[F.LoadResult], seconds: float) -> str:
    broken = [r for r in faults if r.problems()]
    slowdowns = [r.slowdown for r in faults]
    shutdowns = [r.shutdown_s for r in faults]
    growth = [r.memory.growth for r in faults]
    resumed = [r.resume_s for r in faults]
    ours = sum(r.log_lines.get("codex_otel_config", 0) for r in faults)
    paced = [r for r in loads if r.rate_per_thread]
    verdict = (
        f"All {len(faults)} scenarios keep every contract."
        if not broken
        else f"**{len(broken)} of {len(faults)} scenarios break a contract** (see the table)."
    )
    return f"""# Reliability: faults, load and secrets

Regenerated by `python scripts/fault_report.py` (about {seconds:.0f} s) — do not edit the
figures by hand. The scenarios are the test suite's own (`tests/fixtures/faults.py`), asserted
by `pytest -m fault` (`tests/test_fault.py`) and `pytest -m load` (`tests/test_load.py`); the
secret-leak suite is `pytest -m leak` (`tests/test_leak.py`) and the bad-input corpus
`tests/test_bad_input.py`. Benchmarks of the happy path are in [benchmarks.md](benchmarks.md).

## Summary

{verdict}

- The application thread is never slowed beyond **{max(slowdowns):.2f}x** (median over all
  scenarios {statistics.median(slowdowns):.2f}x; bound asserted: {F.SLOWDOWN_BOUND}x) whatever
  the collector does: exports run on the SDK's worker threads, and a full queue drops.
- Memory does not grow with the amount of work: the memory still held after 3N operations is
  within **{max(growth) / 1024:+.0f} KiB** of that after N ({2 * F.MEMORY_OPS} more spans and
  log records; bound {F.MEMORY_GROWTH_BOUND_BYTES // 1024} KiB — a queue that kept them would
  hold megabytes, which `test_memory_check_detects_a_growing_queue` demonstrates), and the
  batch queues never hold more than their `max_queue_size` ({F.QUEUE_SIZE}).
- No exception reached the application in any scenario.
- `shutdown(timeout={F.SHUTDOWN_TIMEOUT_S:g})` with the fault back on returned within
  **{max(shutdowns):.2f} s** (bound asserted: timeout + {F.SHUTDOWN_SLACK_S:g} s slack).
- When the collector came back, export resumed on the *same* provider within
  **{max(resumed):.2f} s** in every scenario (no restart, no re-bootstrap).
- Every span and log record is accounted for: exported + failed + dropped = sent, in every
  report; the reports name the fault (`auth_rejected`, `rate_limited`, `timeout`, …).
- Under load ({paced[0].threads if paced else 0} threads, paced), nothing is lost: the receiver
  got exactly what was sent, for every protocol.

## Machine

{machine_markdown()}
## Method

Each fault scenario (`run_fault(protocol, fault)`) builds **two** real pipelines with
`build_provider()` from identical settings — all three signals over one protocol, export
timeout {F.EXPORT_TIMEOUT_S:g} s, batch queues of {F.QUEUE_SIZE} (batches of {F.BATCH_SIZE}),
schedule delays of {F.SCHEDULE_DELAY_MS} ms, a metric export every {F.METRIC_INTERVAL_MS} ms —
one pointed at a healthy receiver, the other at a collector (the package's receiver, restarted
on the same ports when it "comes back") that is then broken. The application's operation is a
span holding a `SessionTelemetry.record_api_request` event (a log record, a span event and two
metrics) plus a counter add.

1. Warm both pipelines ({F.OPS_PER_ROUND} operations each), then break the collector.
2. **Slowdown**: {F.ROUNDS} rounds of {F.OPS_PER_ROUND} operations on each pipeline,
   interleaved; the ratio of the median time per operation, faulty / healthy. This is a
   contract of non-blocking, not a micro-benchmark: values below 1 happen because a healthy
   pipeline's worker threads are busy encoding and sending, competing for the GIL.
3. **Memory**: under `tracemalloc`, {F.MEMORY_OPS} then {2 * F.MEMORY_OPS} more operations;
   the memory still held after each (allocations of the in-process receiver, which keeps
   everything it receives, excluded). Growth between the two must stay under the bound. The
   batch queues' length is read after each round (never above `max_queue_size`).
4. **Exceptions**: every operation runs in the application's own code path; anything raised
   is recorded (the contract is: nothing).
5. **Recovery**: the collector is repaired (restarted on the same ports, or its behaviour
   reset) and the application keeps working until a marked span, log record and metric point
   arrive — on the same provider.
6. **Shutdown**: the fault is switched back on, {F.OPS_PER_ROUND} more operations, then
   `shutdown(timeout={F.SHUTDOWN_TIMEOUT_S:g})`; its wall time, and its report's per-signal
   counts (running totals since the provider was built).

Faults: {", ".join(F.FAULT_NAMES.values())}. "Slow" answers after {3 * F.EXPORT_TIMEOUT_S:g} s,
i.e. after the export timeout; "flapping" stops and restarts the receiver every 100 ms during
the measured phases. gRPC receives the same statuses as gRPC codes (401 `UNAUTHENTICATED`,
403 `PERMISSION_DENIED`, 429 `RESOURCE_EXHAUSTED`, 503 `UNAVAILABLE`).

## The contracts, per protocol and fault

{contracts_table(faults)}

## What the reports counted

"Sent" is what the application handed to the pipeline (spans and log records; metrics are
aggregated, so their exported/failed counts are data points). "Received" is what the receiver
decoded — for "slow" it exceeds "exported": the collector got the data but answered after the
exporter had given up, so the exporter rightly counts it failed. "Dropped" is what never reached
an exporter: queue overflow while the collector was broken, and what a shutdown with the fault
back on had to abandon. "SDK log lines" counts the WARNING/ERROR records the OpenTelemetry SDK
wrote into the application's logging during the scenario (one per failed export batch); this
package itself logged {ours} line(s) in all scenarios together.

{counts_table(faults)}

## Load

`run_load(protocol)`: 4 application threads, a fixed number of operations each (the same
operation as above), through a pipeline that `bootstrap_from_env()` builds from `OTEL_*`
variables with the SDK's default queues (2048) and batch sizes (512), schedule delays of
200 ms and a metric export every 500 ms. Paced runs keep a steady rate; unpaced runs go as fast
as the threads can (throughput is then the application's, with the pipeline keeping up or
dropping). Everything is then shut down and what the receiver got is counted as it arrives.
RSS growth is the peak resident memory over the run minus the resident memory at its start,
sampled every 20 ms; it includes the in-process receiver's decoding (its store is emptied as
the run goes) and the exporters' encoding buffers — OTLP/JSON bodies are several times larger
than protobuf.

{load_table(loads)}

## Secrets

The leak suite (`tests/test_leak.py`) puts canaries in header values (a settings file's
`.secrets.toml`, `OTEL_EXPORTER_OTLP_*_HEADERS`), the Statsig key (`STATSIG_SERVER_SDK_SECRET`,
`api_key`), the application's own API key (`OPENAI_API_KEY`, `CODEX_API_KEY`) and the body of
a collector's 401 answer (which also echoes the rejected token), then searches every output of
`show` (human, `--json`, `--explain`), `check` (human, `--json`), `send-test-events` (human,
`--json`), the TUI (every screen after validate, test send and flush, and the saved JSON
report), `bootstrap_from_env` warnings and errors (log records, and everything written to
stdout/stderr, so the SDK's own log lines count), the flush/shutdown reports, the feedback tags,
and everything the receiver decoded (attributes, bodies, resources, raw OTLP/JSON). Request
*headers* recorded by the receiver are exempt: a header goes to the collector as a header, which
is its purpose.

TLS private keys **with a passphrase are not supported**: there is no setting for one. An
encrypted key is refused when the exporter is built (`ExporterBuildError` naming
`…tls.client-private-key`, or one warning and `None` from `bootstrap_from_env()`); `check`
reports it in its certificates stage. Before this suite, OpenSSL would have prompted
"Enter PEM pass phrase:" on the terminal and blocked the application.

## Found and fixed by these suites

- **gRPC rejections leaked the server's words.** A gRPC `UNAUTHENTICATED` /
  `PERMISSION_DENIED` status carries the server's details — the gRPC form of a 401 body, and
  servers echo the token they rejected. They were copied into the reports, `check`,
  `send-test-events` and the TUI, and the SDK's gRPC exporter logged them at ERROR into the
  application's logging. Now `classify_grpc` leaves them out for those two codes (HTTP bodies
  were already never read), and a filter on the SDK exporter's logger does the same to its log
  lines (other details: URLs cut, bounded). Masking of known secrets also masks the token of a
  `Bearer <token>` value when it is echoed without its scheme.
- **An encrypted TLS key hung the application** on a terminal (OpenSSL's passphrase prompt):
  see above.
- **`~user` paths crashed the loader.** `Path("~nosuchuser/ca.pem").expanduser()` raises
  `RuntimeError`; a certificate path, `CODEX_OTEL_SETTINGS_FILES` or `CODEX_HOME` written that
  way escaped `load_settings()` and `bootstrap_from_env()` as a `RuntimeError` (found by the
  generated corpus). Such a path is now kept as written and reported missing, naming its key.

## Limits

- An HTTP request already on the wire when `shutdown()` runs cannot be interrupted (urllib3
  has no cancellation); the call still returns in time and the request ends at its own export
  timeout on a daemon thread (see bootstrap.md).
- The SDK logs one WARNING/ERROR line per failed export batch (and "Queue full" warnings,
  which it de-duplicates to one per 20 s) into the application's logging: with the SDK's
  default 5 s schedule delay that is about one line per signal every 5 s of outage. This
  package does not silence them (an application may want them); route or filter the
  `opentelemetry` logger to taste.
- Figures are from one run on a shared 2-core machine; the bounds asserted by the tests are
  deliberately generous (they test contracts, not speed). The suites also pass with both
  cores saturated by other work, only slower.

## Dependencies

No new ones. The suites use the package's own receiver as the collector; `hypothesis` (dev)
generates the bad-input corpus (derandomized, so CI runs the same 1,400 cases every time);
`tomli-w` (dev) writes generated settings files; `cryptography` (already a runtime dependency)
makes the encrypted key; the standard library's `tracemalloc` measures retained memory, `pty`
gives the passphrase test a real terminal, and `/proc/self/statm` gives the load's RSS.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "reliability.md")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--protocol", action="append", choices=F.PROTOCOLS)
    parser.add_argument("--fault", action="append", choices=F.FAULTS)
    args = parser.parse_args(argv)
    # The SDK's export errors would otherwise go to stderr through logging's last resort.
    logging.getLogger().addHandler(logging.NullHandler())
    protocols = args.protocol or list(F.PROTOCOLS)
    started = time.monotonic()
    faults = run_all(protocols, args.fault or list(F.FAULTS))
    loads = run_loads(protocols)
    seconds = time.monotonic() - started
    args.output.write_text(render(faults, loads, seconds), encoding="utf-8")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"faults": [r.to_dict() for r in faults], "loads": [r.to_dict() for r in loads]},
                indent=2,
                default=str,
            )
        )
    broken = [(r.protocol, r.fault, r.problems()) for r in faults if r.problems()]
    for protocol, fault, problems in broken:
        print(f"BROKEN {protocol} {fault}: {problems}", file=sys.stderr)
    print(f"wrote {args.output} ({len(faults)} fault scenarios, {len(loads)} loads)")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
