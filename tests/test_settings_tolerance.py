"""Issue #10 item 4: one bad value costs only itself.

Each rule is run through ``bootstrap_from_env()`` in a process of its own, against the
project's real receiver: the bad value gives one warning naming the variable, is ignored,
and the valid signals still deliver. ``strict`` still raises for every problem.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codex_otel_config.errors import SettingsError
from codex_otel_config.receiver import Receiver
from codex_otel_config.settings.loader import load_settings

pytestmark = pytest.mark.timeout(120)

_APP = """
import json, logging, sys
from codex_otel_config import bootstrap_from_env

logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
provider = bootstrap_from_env(set_global=False)
if provider is None:
    print(json.dumps({"signals": None}))
    sys.exit(0)
if provider.tracer_provider is not None:
    with provider.tracer_provider.get_tracer("t").start_as_current_span("tolerance.span"):
        pass
if provider.logger_provider is not None:
    app = logging.getLogger("tolerance-app")
    app.addHandler(provider.logging_handler())
    app.warning("tolerance log")
if provider.metrics is not None:
    provider.metrics.counter("codex.tolerance", 1)
report = provider.force_flush(timeout=10)
print(json.dumps({"signals": list(provider.signals)}), flush=True)
provider.shutdown(timeout=5)
"""


def _run_app(cwd: Path, environ: dict[str, str]) -> tuple[dict[str, object], str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CODEX_OTEL_"))}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_APP)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=cwd,
        env={**clean, **environ},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@dataclass(frozen=True)
class Rule:
    name: str
    variables: dict[str, str]
    signals: tuple[str, ...]
    warning: str | None  # a fragment of the one warning (None: no warning at all)
    delivered: tuple[str, ...] = ("logs", "traces", "metrics")
    strict_raises: bool = True
    extra: dict[str, str] = field(default_factory=dict)


RULES = [
    Rule(
        "OTEL_SDK_DISABLED=1 is not true",
        {"OTEL_SDK_DISABLED": "1"},
        ("logs", "traces", "metrics"),
        "OTEL_SDK_DISABLED",
    ),
    Rule(
        "timeout 0 means no limit",
        {"OTEL_EXPORTER_OTLP_TIMEOUT": "0"},
        ("logs", "traces", "metrics"),
        None,
        strict_raises=False,
    ),
    Rule(
        "negative timeout ignored",
        {"OTEL_EXPORTER_OTLP_TIMEOUT": "-5"},
        ("logs", "traces", "metrics"),
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ),
    Rule(
        "unknown compression ignored",
        {"OTEL_EXPORTER_OTLP_COMPRESSION": "deflate"},
        ("logs", "traces", "metrics"),
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ),
    Rule(
        "certificate with http:// is unused",
        {"OTEL_EXPORTER_OTLP_CERTIFICATE": "ca.pem"},
        ("logs", "traces", "metrics"),
        "OTEL_EXPORTER_OTLP_CERTIFICATE not used",
        strict_raises=False,
    ),
    Rule(
        "console traces, OTLP logs and metrics",
        {"OTEL_TRACES_EXPORTER": "console"},
        ("logs", "traces", "metrics"),
        None,
        delivered=("logs", "metrics"),
        strict_raises=False,
    ),
    Rule(
        "unknown exporter value ignored",
        {"OTEL_TRACES_EXPORTER": "zipkin"},
        ("logs", "traces", "metrics"),
        "OTEL_TRACES_EXPORTER",
    ),
]


def _delivered(receiver: Receiver, signal: str) -> bool:
    if signal == "traces":
        return receiver.wait_for(lambda: any(s.name == "tolerance.span" for s in receiver.spans), 5)
    if signal == "logs":
        return receiver.wait_for(
            lambda: any("tolerance log" in str(r.body) for r in receiver.log_records), 5
        )
    return receiver.wait_for(
        lambda: any(p.name == "codex.tolerance" for p in receiver.metric_points), 5
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_one_bad_value_costs_only_itself(rule: Rule, receiver: Receiver, tmp_path: Path) -> None:
    environ = {
        "CODEX_HOME": str(tmp_path),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_url,
        "OTEL_METRIC_EXPORT_INTERVAL": "600000",
        **rule.variables,
    }
    (tmp_path / "ca.pem").write_text("not used\n")
    report, stderr = _run_app(tmp_path, environ)
    assert report["signals"] == list(rule.signals), stderr
    for signal in rule.delivered:
        assert _delivered(receiver, signal), (signal, stderr)
    ours = [line for line in stderr.splitlines() if line.startswith("codex_otel_config")]
    if rule.warning is None:
        assert ours == [], ours
    else:
        assert len(ours) == 1 and rule.warning in ours[0], ours
    if "traces" not in rule.delivered:
        assert not any(s.name == "tolerance.span" for s in receiver.spans)
        assert "tolerance.span" in stderr  # the console exporter wrote it to stderr
    if rule.strict_raises:
        with pytest.raises(SettingsError) as info:
            load_settings(files=[], environ=environ)
        assert any(p.layer.startswith("env OTEL_") for p in info.value.problems)
    else:
        load_settings(files=[], environ=environ)


def test_a_signal_that_cannot_be_built_is_off_and_the_others_deliver(
    receiver: Receiver, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage-ca.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    environ = {
        "CODEX_HOME": str(tmp_path),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_url,
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "https://127.0.0.1:9/v1/metrics",
        "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE": str(garbage),
    }
    report, stderr = _run_app(tmp_path, environ)
    assert report["signals"] == ["logs", "traces"], stderr
    assert _delivered(receiver, "logs") and _delivered(receiver, "traces")
    ours = [line for line in stderr.splitlines() if line.startswith("codex_otel_config")]
    assert len(ours) == 1 and "metrics not exported" in ours[0], ours
    assert "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE" in ours[0]


def test_console_exporter_from_a_file_is_shown_and_not_probed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from codex_otel_config.cli.main import main as cli_main

    path = tmp_path / "otel.toml"
    path.write_text('[default]\nexporter = "console"\nmetrics_exporter = "console"\n')
    settings = load_settings(files=[path], environ={"CODEX_HOME": str(tmp_path)})
    assert {settings.exporter_for(s).kind for s in ("logs", "traces", "metrics")} == {"console"}
    env = {k: None for k in os.environ if k.startswith(("OTEL_", "CODEX_"))}
    env["CODEX_HOME"] = str(tmp_path)
    shown = CliRunner().invoke(cli_main, ["show", "--config", str(path)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "console" in shown.output
    checked = CliRunner().invoke(cli_main, ["check", "--config", str(path)], env=env)
    assert "nothing to probe" in checked.output, checked.output
    assert checked.exit_code == 0, checked.output


def test_processor_tunings_the_sdk_refuses_are_ignored_leniently(tmp_path: Path) -> None:
    environ = {
        "CODEX_HOME": str(tmp_path),
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "OTEL_BSP_MAX_QUEUE_SIZE": "8",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
        "OTEL_BLRP_MAX_QUEUE_SIZE": "1000",
    }
    settings = load_settings(files=[], environ=environ, lenient=True)
    assert settings.processors.bsp_max_queue_size is None
    assert settings.processors.bsp_max_export_batch_size is None
    assert settings.processors.blrp_max_queue_size == 1000  # the other processor keeps its own
    assert settings.source_of("processors.bsp_max_queue_size").layer == "default"
    assert any("processors.bsp_max_export_batch_size" in w for w in settings.warnings)
