"""Benchmark: how long the console's keys take against the package's receiver on loopback.

The real app runs headless under Textual's pilot (``run_test``), 80x24. Measured per run:
start-up until pipeline #1 is built (the screen itself is up before), ``t`` (emit the test
events through the live pipeline and force-flush it), ``f`` and ``s`` on that pipeline, and
``t`` after ``s`` (a new pipeline is built first). Each time runs from the key press until
the worker's message has been handled.

    python scripts/bench_tui.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from codex_otel_config.receiver import Receiver
from codex_otel_config.tui.app import OtelConsoleApp

STEPS = ("start → pipeline #1", "t", "f", "s", "t (new pipeline)")


def _settings(path: Path, receiver: Receiver) -> Path:
    path.write_text(
        f"""
[default.exporter.otlp-http]
endpoint = "{receiver.http_url}"
[default.trace_exporter.otlp-grpc]
endpoint = "{receiver.grpc_url}"
[default.metrics_exporter.otlp-http]
endpoint = "{receiver.http_url}"
protocol = "json"
""",
        encoding="utf-8",
    )
    return path


async def _once(settings: Path, folder: Path) -> list[float]:
    app = OtelConsoleApp(files=[settings], environ={}, timeout=5.0, report_dir=folder)
    times: list[float] = []
    started = time.perf_counter()
    async with app.run_test(size=(80, 24)) as pilot:
        while app.state.pipeline is None:
            await pilot.pause(0.005)
        times.append(time.perf_counter() - started)
        for key in ("t", "f", "s", "t"):
            before = len(app.state.results)
            started = time.perf_counter()
            await pilot.press(key)
            while app.state.activity is not None or len(app.state.results) == before:
                await pilot.pause(0.005)
            times.append(time.perf_counter() - started)
        assert app.state.pipeline is not None and app.state.pipeline.number == 2
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    receiver = Receiver(http=True, grpc=True, host="127.0.0.1").start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = _settings(Path(tmp) / "settings.toml", receiver)
            runs = [asyncio.run(_once(settings, Path(tmp))) for _ in range(args.repeat)]
    finally:
        receiver.stop()
    print(f"| step (n={args.repeat}) | median ms | max ms |")
    print("| --- | ---: | ---: |")
    for index, step in enumerate(STEPS):
        values = [run[index] * 1000 for run in runs]
        print(f"| {step} | {statistics.median(values):.0f} | {max(values):.0f} |")


if __name__ == "__main__":
    main()
