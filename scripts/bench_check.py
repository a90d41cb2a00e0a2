"""Benchmark: ``check --all-envs`` over 1, 4 and 16 endpoints that each answer after 200 ms.

Every endpoint is its own local receiver (``Behavior(delay=0.2)``), spread over settings
environments x signals (1 = 1x1, 4 = 2 envs x logs+metrics, 16 = 8 x 2). The real console
script runs in a subprocess; the table shows its wall time and the engine's own elapsed
time. Because every endpoint is probed in parallel, the time should stay near one probe's
(≈ 200 ms plus start-up), not grow with the count.

    python scripts/bench_check.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

from codex_otel_config.receiver import Behavior, Receiver

CLI = str(Path(sys.executable).with_name("codex-otel-config"))
DELAY_S = 0.2
SHAPES = {1: (1, ("logs",)), 4: (2, ("logs", "metrics")), 16: (8, ("logs", "metrics"))}
FIELD = {"logs": "exporter", "metrics": "metrics_exporter"}


def _settings(path: Path, receivers: list[Receiver], envs: int, signals: tuple[str, ...]) -> None:
    tables: dict[str, dict[str, object]] = {
        "default": {"trace_exporter": "none", "metrics_exporter": "none"}
    }
    endpoints = iter(receivers)
    for index in range(envs):
        table: dict[str, object] = {}
        for signal in signals:
            protocol = "binary" if signal == "logs" else "json"
            table[FIELD[signal]] = {
                "otlp-http": {"endpoint": next(endpoints).http_url, "protocol": protocol}
            }
        tables[f"env{index:02d}"] = table
    path.write_text(tomli_w.dumps(tables))


def _run(path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    proc = subprocess.run(
        [CLI, "check", "--all-envs", "--json", "--timeout", "5", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CODEX_OTEL_"))},
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"check failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    document = json.loads(proc.stdout)
    probes = sum(1 for f in document["findings"] if f["stage"] == "otlp")
    return wall, float(document["elapsed_ms"]), probes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median shown)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for count, (envs, signals) in SHAPES.items():
            receivers = [
                Receiver(grpc=False, behavior=Behavior(delay=DELAY_S)).start() for _ in range(count)
            ]
            try:
                path = Path(folder) / f"bench-{count}.toml"
                _settings(path, receivers, envs, signals)
                _run(path)  # warm-up: imports and page cache
                runs = [_run(path) for _ in range(args.repeat)]
            finally:
                for receiver in receivers:
                    receiver.stop()
            probes = runs[0][2]
            assert probes == count, (probes, count)
            wall = statistics.median(r[0] for r in runs)
            engine = statistics.median(r[1] for r in runs)
            rows.append((count, f"{envs} x {len(signals)}", wall, engine, count * DELAY_S))
    print("| endpoints | envs x signals | wall time (s) | check elapsed (ms) | one by one (s) |")
    print("| ---: | :---: | ---: | ---: | ---: |")
    for count, shape, wall, engine, serial in rows:
        print(f"| {count} | {shape} | {wall:.2f} | {engine:.0f} | {serial:.1f} |")
    print(f"\neach endpoint answers after {DELAY_S * 1000:.0f} ms; median of {args.repeat} runs")


if __name__ == "__main__":
    main()
