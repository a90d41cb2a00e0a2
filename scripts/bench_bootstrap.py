"""Cold-process cost of ``bootstrap_from_env()`` (not a test; prints a markdown table).

Each comparison is measured in fresh interpreters, interleaved run by run so machine load
affects both sides alike, ratio of medians:

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

Usage: ``python scripts/bench_bootstrap.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping

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


def _time_once(code: str, env: Mapping[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=dict(env), cwd=cwd, check=True)
    return time.perf_counter() - started


def _compare(
    name: str,
    ours: tuple[str, Mapping[str, str]],
    baseline: tuple[str, Mapping[str, str]],
    runs: int,
    cwd: str,
) -> tuple[str, float, float, float]:
    for code, env in (ours, baseline):  # warm the file-system cache, not the interpreter
        _time_once(code, env, cwd)
    ours_times: list[float] = []
    base_times: list[float] = []
    for _ in range(runs):
        ours_times.append(_time_once(*ours, cwd))
        base_times.append(_time_once(*baseline, cwd))
    ours_median = statistics.median(ours_times)
    base_median = statistics.median(base_times)
    return name, ours_median, base_median, ours_median / base_median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per side (>= 10)")
    args = parser.parse_args()
    runs = max(10, args.runs)
    with (
        tempfile.TemporaryDirectory() as home,
        tempfile.TemporaryDirectory() as file_home,
        tempfile.TemporaryDirectory() as cwd,
    ):
        with open(os.path.join(file_home, "otel.toml"), "w", encoding="utf-8") as handle:
            handle.write(SETTINGS_FILE)
        http_env = _clean_env(home, HTTP_ENV)
        plain_env = _clean_env(home)
        file_env = _clean_env(file_home)
        plan: list[
            tuple[str, tuple[str, Mapping[str, str]], tuple[str, Mapping[str, str]], float | None]
        ] = [
            (
                "`OTEL_*` variables, OTLP/HTTP, 3 signals: `bootstrap_from_env()` vs "
                "hand-written SDK",
                (BOOTSTRAP_HTTP, http_env),
                (HAND_WRITTEN_HTTP, plain_env),
                1.05,
            ),
            (
                "settings file, OTLP/HTTP, 3 signals: `bootstrap_from_env()` vs hand-written "
                "SDK + dynaconf loading the same file",
                (BOOTSTRAP_HTTP, file_env),
                (HAND_WRITTEN_WITH_DYNACONF, file_env),
                1.05,
            ),
            (
                "settings file, OTLP/HTTP, 3 signals: `bootstrap_from_env()` vs hand-written "
                "SDK (no file read)",
                (BOOTSTRAP_HTTP, file_env),
                (HAND_WRITTEN_HTTP, plain_env),
                None,
            ),
            (
                "OTLP/HTTP, 3 signals: `build_provider(OtelSettings(...))` (no loader) "
                "vs hand-written SDK",
                (BUILD_PROVIDER_HTTP, plain_env),
                (HAND_WRITTEN_HTTP, plain_env),
                None,
            ),
            (
                "nothing configured: `bootstrap_from_env()` vs `import codex_otel_config`",
                (BOOTSTRAP_NOTHING, plain_env),
                (BARE_IMPORT, plain_env),
                1.05,
            ),
        ]
        rows = [_compare(name, ours, base, runs, cwd) for name, ours, base, _ in plan]
    print(f"Cold process, median of {runs} runs each (Python {sys.version.split()[0]}):\n")
    print("| comparison | ours (ms) | baseline (ms) | ratio | target |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (name, ours, base, ratio), (*_, target) in zip(rows, plan, strict=True):
        if target is None:
            verdict = "— (informational)"
        else:
            verdict = f"<= {target}x ({'ok' if ratio <= target else 'over'})"
        print(f"| {name} | {ours * 1000:.0f} | {base * 1000:.0f} | {ratio:.3f}x | {verdict} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
