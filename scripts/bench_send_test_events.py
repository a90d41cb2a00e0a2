"""Benchmark: how long ``send-test-events --timeout T`` takes against broken collectors.

The real console script runs in a subprocess against: a port where nothing listens (a
refused connection must be reported as soon as it happens), a black hole (reads, never
answers: the flush and the shutdown share ``--timeout``), and a healthy receiver. All three
signals go to the one endpoint (logs and metrics over OTLP/HTTP protobuf, traces over gRPC).
The table shows the median wall time, the reported status of the logs flush, and how many
lines reached stderr (the SDK's and grpc's own lines are held in the report instead).

    python scripts/bench_send_test_events.py [--timeout 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

from codex_otel_config.receiver import Behavior, Receiver, free_port

CLI = str(Path(sys.executable).with_name("codex-otel-config"))


def _settings(path: Path, http_url: str, grpc_url: str) -> None:
    tables = {
        "default": {
            "exporter": {"otlp-http": {"endpoint": http_url}},
            "trace_exporter": {"otlp-grpc": {"endpoint": grpc_url}},
            "metrics_exporter": {"otlp-http": {"endpoint": http_url}},
        }
    }
    path.write_text(tomli_w.dumps(tables))


def _run(config: Path, timeout: float) -> tuple[float, str, int]:
    import json

    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    started = time.perf_counter()
    proc = subprocess.run(
        [CLI, "send-test-events", "--json", "--timeout", str(timeout), "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    logs = json.loads(proc.stdout)["flush"]["signals"]["logs"]
    status = f"{logs['status']} ({(logs['error'] or {}).get('code', '-')})"
    return wall, status, len(proc.stderr.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder, Receiver() as receiver:
        config = Path(folder) / "otel.toml"
        closed = f"http://127.0.0.1:{free_port()}"
        cases = [
            ("refused (nothing listens)", closed, closed, None),
            ("black hole", receiver.http_url, receiver.grpc_url, Behavior(blackhole=True)),
            ("healthy", receiver.http_url, receiver.grpc_url, None),
        ]
        for name, http_url, grpc_url, behavior in cases:
            receiver.set_behavior(behavior)
            _settings(config, http_url, grpc_url)
            runs = [_run(config, args.timeout) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            rows.append((name, wall, runs[-1][1], max(r[2] for r in runs)))
        receiver.set_behavior(None)
    print(f"| collector | wall time (s), --timeout {args.timeout:g} | logs flush | stderr lines |")
    print("| --- | ---: | --- | ---: |")
    for name, wall, status, stderr in rows:
        print(f"| {name} | {wall:.2f} | {status} | {stderr} |")


if __name__ == "__main__":
    main()
