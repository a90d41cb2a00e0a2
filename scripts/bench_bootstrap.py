"""Cold-process cost of ``bootstrap_from_env()`` (not a test; prints a markdown table).

Comparisons, each ours against a baseline:

1. OTLP/HTTP protobuf on all three signals configured by ``OTEL_*`` variables, through
   ``bootstrap_from_env()`` vs. the same three providers written by hand with the raw SDK.
   Target: <= 1.05x.
2. The same configured by a settings file (``$CODEX_HOME/otel.toml``) vs. what a user of the
   two libraries would write: the hand-written SDK set-up plus dynaconf loading the same
   file. Target: <= 1.05x. (Informational: the same file path vs. the bare hand-written SDK,
   which does not read a file at all; and ``build_provider()`` with an ``OtelSettings``
   built in code, i.e. without the settings loader.)
3. Nothing configured: ``bootstrap_from_env()`` vs. a bare ``import codex_otel_config``.
   Target: <= 1.05x.
4. Control: the hand-written SDK against a second copy of itself. Its true ratio is 1, so its
   interval shows how finely this run can resolve a ratio (and should contain 1.0).

Method (docs/benchmarks.md says why). The comparisons use eight programs, each run as a fresh
interpreter. A round runs all eight once, in a new random order; the first ``--warmup``
rounds are discarded (they fill the file-system cache). The primary figure is each process's
CPU time (user + system, from ``os.wait4``), which does not count time spent waiting for a
CPU held by other processes; wall time is a secondary column. Each comparison takes the ratio
ours / baseline *within* each round, then the median of those per-round ratios with a 95 %
bootstrap interval (percentile bootstrap of the median, resampling rounds, seeded). Verdict:
"ok" when the interval's upper end is <= the target, "over" when its lower end is above it,
"inconclusive" otherwise (this run cannot tell). The statistics and the table are shared with
``bench_events.py`` (``scripts/_benchstats.py``).

Usage: ``python scripts/bench_bootstrap.py [--rounds 40] [--warmup 2] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from _benchstats import Sample, table_header, table_row

BOOTSTRAP_HTTP = """
from codex_otel_config import bootstrap_from_env
provider = bootstrap_from_env()
assert provider is not None and len(provider.signals) == 3
"""

HAND_WRITTEN_HTTP = """
import socket
from opentelemetry import _logs, metrics, trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

base = "http://127.0.0.1:9"
resource = Resource.create({
    "service.name": "codex-cli", "service.version": "0", "env": "dev",
    "host.name": socket.gethostname(),
})
tracer_provider = TracerProvider(resource=resource)
span_exporter = OTLPSpanExporter(endpoint=base + "/v1/traces")
tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
trace.set_tracer_provider(tracer_provider)
logger_provider = LoggerProvider(resource=resource)
log_exporter = OTLPLogExporter(endpoint=base + "/v1/logs")
logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
_logs.set_logger_provider(logger_provider)
reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=base + "/v1/metrics"))
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
metrics.set_meter_provider(meter_provider)
"""

SETTINGS_FILE = """\
[default]
metrics_exporter = { otlp-http = { endpoint = "http://127.0.0.1:9" } }

[default.exporter.otlp-http]
endpoint = "http://127.0.0.1:9"
"""

#: The hand-written SDK set-up, with the endpoint read from the same file by dynaconf.
HAND_WRITTEN_WITH_DYNACONF = """
import os
from dynaconf import Dynaconf
conf = Dynaconf(
    settings_files=[os.path.join(os.environ["CODEX_HOME"], "otel.toml")], environments=True
)
base = conf.exporter["otlp-http"]["endpoint"]
""" + HAND_WRITTEN_HTTP.replace('base = "http://127.0.0.1:9"\n', "")

BUILD_PROVIDER_HTTP = """
from codex_otel_config.bootstrap import build_provider
from codex_otel_config.settings.model import OtelSettings, OtlpHttp
exporter = OtlpHttp(endpoint="http://127.0.0.1:9")
provider = build_provider(
    OtelSettings(exporter=exporter, trace_exporter=exporter, metrics_exporter=exporter)
)
assert provider is not None and len(provider.signals) == 3
"""

BOOTSTRAP_NOTHING = """
import codex_otel_config
assert codex_otel_config.bootstrap_from_env() is None
"""

BARE_IMPORT = """
import codex_otel_config
"""

HTTP_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_LOGS_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "otlp",
}


@dataclass(frozen=True)
class Program:
    """One measured program: Python source run by ``python -c`` in a given environment."""

    code: str
    env: Mapping[str, str]


@dataclass(frozen=True)
class Comparison:
    name: str
    ours: str  # keys into the programs
    baseline: str
    target: float | None  # None: informational


def _clean_env(home: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "CODEX_", "STATSIG_", "PYTHON"))
        or k == "PYTHONPYCACHEPREFIX"  # bench_all.py's precompiled bytecode
    }
    env["CODEX_HOME"] = home
    env.update(extra or {})
    return env


def run_once(program: Program, cwd: str) -> Sample:
    """Run ``program`` in a fresh interpreter; its CPU time comes from the kernel's rusage."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", program.code], env=dict(program.env), cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)  # reaps the child: Popen must not wait again
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark program failed ({proc.returncode}):\n{program.code}")
    return Sample(cpu=usage.ru_utime + usage.ru_stime, wall=wall)


def measure(
    programs: Mapping[str, Program], rounds: int, warmup: int, rng: random.Random, cwd: str
) -> list[dict[str, Sample]]:
    """``rounds`` rounds (after ``warmup`` discarded ones), each every program once, shuffled."""
    kept: list[dict[str, Sample]] = []
    for index in range(warmup + rounds):
        order = list(programs)
        rng.shuffle(order)
        samples = {key: run_once(programs[key], cwd) for key in order}
        if index >= warmup:
            kept.append(samples)
    return kept


def report(
    comparisons: Sequence[Comparison], rounds: list[dict[str, Sample]], rng: random.Random
) -> str:
    rows = [
        table_row(
            c.name,
            [r[c.ours] for r in rounds],
            [r[c.baseline] for r in rounds],
            c.target,
            rng,
            scale=1000,
            digits=0,
        )
        for c in comparisons
    ]
    return "\n".join([table_header("comparison", "ms"), *rows])


COMPARISONS = (
    Comparison(
        "`OTEL_*` variables, OTLP/HTTP, 3 signals: `bootstrap_from_env()` vs hand-written SDK",
        "bootstrap_env",
        "sdk",
        1.05,
    ),
    Comparison(
        "settings file, OTLP/HTTP, 3 signals: `bootstrap_from_env()` vs hand-written SDK + "
        "dynaconf loading the same file",
        "bootstrap_file",
        "sdk_dynaconf",
        1.05,
    ),
    Comparison(
        "settings file, OTLP/HTTP, 3 signals: `bootstrap_from_env()` vs hand-written SDK "
        "(no file read)",
        "bootstrap_file",
        "sdk",
        None,
    ),
    Comparison(
        "OTLP/HTTP, 3 signals: `build_provider(OtelSettings(...))` (no loader) vs hand-written SDK",
        "build_provider",
        "sdk",
        None,
    ),
    Comparison(
        "nothing configured: `bootstrap_from_env()` vs `import codex_otel_config`",
        "bootstrap_nothing",
        "bare_import",
        1.05,
    ),
    Comparison(
        "control: hand-written SDK vs itself (true ratio 1: the interval shows this run's "
        "resolution)",
        "sdk",
        "sdk_again",
        None,
    ),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="measured rounds (>= 5)")
    parser.add_argument("--warmup", type=int, default=2, help="discarded rounds first")
    parser.add_argument("--seed", type=int, default=0, help="order shuffling and bootstrap")
    args = parser.parse_args()
    rounds = max(5, args.rounds)
    rng = random.Random(args.seed)
    with (
        tempfile.TemporaryDirectory() as home,
        tempfile.TemporaryDirectory() as file_home,
        tempfile.TemporaryDirectory() as cwd,
    ):
        with open(os.path.join(file_home, "otel.toml"), "w", encoding="utf-8") as handle:
            handle.write(SETTINGS_FILE)
        plain_env = _clean_env(home)
        file_env = _clean_env(file_home)
        programs = {
            "bootstrap_env": Program(BOOTSTRAP_HTTP, _clean_env(home, HTTP_ENV)),
            "sdk": Program(HAND_WRITTEN_HTTP, plain_env),
            "sdk_again": Program(HAND_WRITTEN_HTTP, plain_env),
            "bootstrap_file": Program(BOOTSTRAP_HTTP, file_env),
            "sdk_dynaconf": Program(HAND_WRITTEN_WITH_DYNACONF, file_env),
            "build_provider": Program(BUILD_PROVIDER_HTTP, plain_env),
            "bootstrap_nothing": Program(BOOTSTRAP_NOTHING, plain_env),
            "bare_import": Program(BARE_IMPORT, plain_env),
        }
        measured = measure(programs, rounds, max(0, args.warmup), rng, cwd)
    print(
        f"Cold processes, {rounds} rounds after {max(0, args.warmup)} discarded warm-up "
        f"round(s); each round runs the {len(programs)} programs once, in random order; "
        f"median of per-round ratios, 95 % bootstrap interval (Python "
        f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f} at the end):\n"
    )
    print(report(COMPARISONS, measured, rng))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
