"""The redaction boundary (``codex_otel_config.redaction``): the ``Secret`` type, value-based
``redact``, the log-record redaction, terminal-safe text, and the SDK never parsing the
``OTEL_EXPORTER_OTLP_*HEADERS`` variables itself."""

from __future__ import annotations

import importlib
import json
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from codex_otel_config import bootstrap_from_env
from codex_otel_config.receiver import Behavior, Receiver
from codex_otel_config.redaction import (
    MASK,
    Secret,
    forget_secrets,
    install_log_redaction,
    redact,
    register_environ,
    register_url,
    terminal_safe,
)
from codex_otel_config.settings.model import OtelSettings, OtlpGrpc, OtlpHttp, Statsig
from fixtures.check_cli import CliRunner, http, write_settings
from fixtures.check_cli import cli as cli

TOKEN = "tok-redaction-7c1e5a9b3d"


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


# --- the Secret type ------------------------------------------------------------------------------


def test_a_secret_masks_itself_everywhere_but_reveal() -> None:
    secret = Secret(f"Bearer {TOKEN}")
    percent = "%s" % (secret,)  # noqa: UP031  (what a %-style log line does)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", percent, f"{secret:>30}"]
    for text in shown:
        assert TOKEN not in text, text
    assert str(secret) == MASK + TOKEN[-4:]  # the usual mask: at most the last four characters
    assert str(Secret("short")) == MASK
    assert secret.reveal() == f"Bearer {TOKEN}"
    # Compared and hashed by value, also against the plain string (settings tests do that).
    assert secret == Secret(f"Bearer {TOKEN}") == f"Bearer {TOKEN}"
    assert secret != Secret("other") and secret != 3
    assert {secret: 1}[f"Bearer {TOKEN}"] == 1
    assert pickle.loads(pickle.dumps(secret)) == secret
    with pytest.raises(AttributeError):
        secret._value = "x"  # type: ignore[misc]
    assert TOKEN not in json.dumps({"k": secret}, default=str)


def test_settings_objects_are_safe_to_repr() -> None:
    http_ = OtlpHttp(f"https://user:{TOKEN}@collector:4318", headers={"x-api-key": TOKEN})
    grpc_ = OtlpGrpc(f"http://u:{TOKEN}@collector:4317", headers={"authorization": TOKEN})
    statsig = Statsig(api_key=f"secret-{TOKEN}")
    settings = OtelSettings(exporter=http_, trace_exporter=grpc_, metrics_exporter=statsig)
    for obj in (http_, grpc_, statsig, settings, settings.exporter_for("metrics")):
        assert TOKEN not in repr(obj) and TOKEN not in str(obj), repr(obj)
    assert "x-api-key" in repr(http_) and "collector:4318" in repr(http_)  # still useful
    assert isinstance(http_.headers["x-api-key"], Secret)
    assert isinstance(settings.exporter_for("metrics").headers["statsig-api-key"], Secret)
    assert http_ == OtlpHttp(f"https://user:{TOKEN}@collector:4318", headers={"x-api-key": TOKEN})


# --- redact ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"rejected {TOKEN}",
        f"Invalid header value b'Bearer {TOKEN}\\n'",  # what http.client raises
        f"rejected {quote(f'Bearer {TOKEN}/+=', safe='')}",
        f'{{"token": "{TOKEN}"}}',
    ],
)
def test_a_registered_secret_is_masked_in_any_form(text: str) -> None:
    Secret(f"Bearer {TOKEN}\n")
    Secret(f"Bearer {TOKEN}/+=")
    assert "7c1e5a9b3d" not in redact(text)


def test_url_user_information_is_masked_in_urls_and_grpc_targets() -> None:
    cases = {
        f"http://user:{TOKEN}@host:4318/v1": "http://****@host:4318/v1",
        f"errors resolving user:{TOKEN}@host:4317": "errors resolving ****@host:4317",
        "upstream https://a:p/w?x#y@backend:443 down": "upstream https://****@backend:443 down",
        "Bearer abcdefghijkl expired": "Bearer **** expired",
    }
    for text, expected in cases.items():
        assert redact(text) == expected
    assert redact("plain http://collector:4318/v1/logs text") == (
        "plain http://collector:4318/v1/logs text"
    )


def test_pieces_of_a_password_a_parser_quotes_are_masked() -> None:
    register_url(f"http://user:{TOKEN}/x@host:4318")
    assert TOKEN not in redact(f"Port could not be cast to integer value as '{TOKEN}'")


def test_process_api_keys_and_raw_header_variables_are_registered() -> None:
    register_environ(
        {
            "OPENAI_API_KEY": "sk-openai-key-0123",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": f"a=b,authorization=Bearer%20{TOKEN},broken",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://me:pass-word-42@host:4318",
        }
    )
    text = redact(f"key sk-openai-key-0123, header Bearer%20{TOKEN}, pw pass-word-42")
    assert "sk-openai-key-0123" not in text and TOKEN not in text and "pass-word-42" not in text


# --- log records ----------------------------------------------------------------------------------


def test_every_covered_logger_record_is_redacted_when_created(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    Secret(TOKEN)
    caplog.set_level(logging.DEBUG)
    for name in (
        "opentelemetry.exporter.x.y",
        "urllib3.connectionpool",
        "grpc._channel",
        "codex_otel_config.z",
    ):
        logging.getLogger(name).debug("sending %s to %s", TOKEN, f"u:{TOKEN}@host:4317")
    try:
        raise ValueError(f"Invalid header value b'{TOKEN}\\r\\n'")
    except ValueError:
        logging.getLogger("opentelemetry.sdk").exception("export failed")
    logging.getLogger("the.application").info("app %s", TOKEN)  # not ours: left alone
    covered = [r for r in caplog.records if r.name != "the.application"]
    assert len(covered) == 5
    handler = logging.StreamHandler()
    for record in covered:
        assert TOKEN not in handler.format(record), handler.format(record)
    assert "ValueError" in handler.format(covered[-1])  # the traceback is kept, redacted
    assert TOKEN in caplog.records[-1].getMessage()


# --- terminals ------------------------------------------------------------------------------------


def test_terminal_safe_escapes_every_control_sequence() -> None:
    hostile = "req-1\x1b]0;pwned\x07\x1b[2J\x1b[1;1H\r✓ all checks passed\x9b\u202e"
    safe = terminal_safe(hostile)
    assert not any(ch in safe for ch in "\x1b\x07\r\x9b\u202e")
    assert safe.startswith("req-1\\x1b]0;pwned\\x07") and "✓ all checks passed" in safe
    assert terminal_safe("a\nb") == "a\\nb" and terminal_safe("a\nb", newlines=True) == "a\nb"


def test_human_check_output_escapes_a_hostile_collectors_headers(
    cli: CliRunner, receiver_factory: Any, tmp_path: Path
) -> None:
    """A collector's ``x-request-id`` / ``cf-ray`` / authorization error carrying terminal
    escape sequences: human ``check`` output shows them escaped, never raw."""
    hostile = Behavior.unauthorized(
        request_id="req-\x1b]0;pwned\x07",
        cf_ray="ray-\x1b[2J\x1b[1;1H",
        authorization_error="bad\x1b[32m all checks passed",
    )
    receiver: Receiver = receiver_factory(grpc=False, behavior=hostile)
    path = write_settings(
        tmp_path / "otel.toml", {"default": {"exporter": http(receiver.http_url, "binary")}}
    )
    run = cli("check", "--timeout", "3", "--signal", "logs", "--config", str(path))
    assert run.returncode == 1, run.output
    assert "auth_rejected" in run.stdout
    assert "\x1b" not in run.output and "\x07" not in run.output
    assert "req-\\x1b]0;pwned\\x07" in run.stdout  # shown, escaped: still evidence
    data = cli("check", "--json", "--timeout", "3", "--signal", "logs", "--config", str(path))
    assert "\\u001b" in data.stdout  # JSON escapes it by itself


# --- the SDK never parses OTEL_EXPORTER_OTLP_*HEADERS -------------------------------------------

_PARSERS = (
    "opentelemetry.util.re",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.json.http._internal",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
)


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every value the SDK's ``parse_env_headers`` was given, wherever it was imported (a
    spy: the real function logs the whole raw value when it dislikes it). The SDK's HTTP
    constructors call it unconditionally; with the variables shielded they pass ``""``,
    which parses (and logs) nothing, so only non-empty values count."""
    calls: list[str] = []
    real = importlib.import_module("opentelemetry.util.re").parse_env_headers

    def spy(value: str, liberal: bool = False) -> dict[str, str]:
        if value:
            calls.append(value)
        result: dict[str, str] = real(value, liberal=liberal)
        return result

    for name in _PARSERS:
        monkeypatch.setattr(importlib.import_module(name), "parse_env_headers", spy)
    # What the SDK would find in the process environment: a value its grammar refuses.
    for variable in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"):
        monkeypatch.setenv(variable, f'authorization=Bearer "{TOKEN};x"')
    return calls


@pytest.mark.parametrize("protocol", ["http/protobuf", "http/json", "grpc"])
def test_bootstrap_never_lets_the_sdk_parse_header_variables(
    parse_calls: list[str], receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    import os

    environ = {
        "CODEX_HOME": str(tmp_path),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_url
        if protocol == "grpc"
        else receiver.http_url,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=abc",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
    }
    provider = bootstrap_from_env(files=[], environ=environ, set_global=False)
    assert provider is not None and len(provider.signals) == 3
    provider.tracer_provider.get_tracer("t").start_span("s").end()
    assert provider.force_flush(timeout=5).ok
    provider.shutdown(timeout=3)
    assert parse_calls == []
    assert os.environ["OTEL_EXPORTER_OTLP_HEADERS"].endswith(';x"')  # restored after the build
    assert any(r.headers.get("x-api-key") == "abc" for r in receiver.requests)


def test_check_and_send_test_events_never_let_the_sdk_parse_header_variables(
    parse_calls: list[str], receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner as ClickRunner

    from codex_otel_config.check import run_check
    from codex_otel_config.cli.main import main

    path = write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(receiver.http_url, "binary", headers={"x-api-key": "abc"}),
                "trace_exporter": http(receiver.http_url, "json"),
            }
        },
    )
    report = run_check(files=[path], environ={"CODEX_HOME": str(tmp_path)}, timeout=3)
    assert report.exit_code == 0, report
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    for variable in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"):
        monkeypatch.delenv(variable)  # the CLI's loader reads os.environ: keep it valid ...
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-extra=1")  # ... but present
    result = ClickRunner().invoke(
        main, ["send-test-events", "--timeout", "5", "--config", str(path)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert parse_calls == []
