"""Secret-leak suite: canaries go in, and appear in no output, log or payload (``pytest -m leak``).

Canaries: a header token (in a settings file's ``.secrets.toml``, in
``OTEL_EXPORTER_OTLP_*_HEADERS``), the Statsig key (``STATSIG_SERVER_SDK_SECRET``, a file's
``api_key``), the application's own API key (``OPENAI_API_KEY``, seen by the auth-env
telemetry), and the body of a collector's 401 answer — which also echoes the rejected token,
as real servers do. They are searched for in:

- ``show`` (human, ``--json``, ``--explain``), ``check`` (human, ``--json``) and
  ``send-test-events`` (human, ``--json``), each through the real console script, on working,
  rejecting and invalid settings (the ``cli`` fixture scans every run, and so do we);
- the TUI under Textual's pilot: every screen after validate / test send / flush, and the
  JSON report ``c`` saves;
- ``bootstrap_from_env`` in-process: its warnings and errors (``caplog``) and everything the
  process writes to stdout / stderr (``capfd``, so the SDK's own log lines count), the flush
  and shutdown reports, and the feedback tags;
- the exported telemetry: every span, log record and metric point the receiver decoded
  (attributes, bodies, resources, scopes) and the raw OTLP/JSON bodies.

The generated section (hypothesis, at the end) draws a fresh canary per example, wraps it in
every form a secret takes and places it in every input; see docs/reliability.md.

Exempt, by design: the request *headers* the receiver recorded — a header is sent to the
collector as a header; that is its purpose. TLS private keys with passphrases are not
supported (see test_bad_input.py: an encrypted key is refused at build time, never prompted
for), so there is no passphrase to leak.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config import bootstrap_from_env
from codex_otel_config.errors import CodexOtelError, SettingsError
from codex_otel_config.receiver import Behavior, Receiver, item_to_json
from codex_otel_config.telemetry import (
    AuthEnvTelemetry,
    FeedbackRequestTags,
    FeedbackTagStore,
    SessionTelemetry,
    emit_feedback_auth_recovery_tags,
    emit_feedback_request_tags,
    extract_response_debug_context,
    feedback_tags,
)
from fixtures.check_cli import HEADER_CANARY, STATSIG_CANARY, CliRunner, grpc, http, write_settings
from fixtures.check_cli import cli as cli

pytestmark = [pytest.mark.leak, pytest.mark.timeout(60)]

#: Only in the body of the collector's 401 answer.
BODY_CANARY = "body-canary-4d2a91c07e"
#: The application's own API key (auth-env telemetry reports its presence only).
APP_KEY_CANARY = "sk-app-canary-0f1e2d3c4b5a"
#: A Statsig key that does not start with ``secret-`` (the loader warns about it).
UNPREFIXED_STATSIG = "client-statsig-canary-77aa"
CANARIES = (HEADER_CANARY, STATSIG_CANARY, BODY_CANARY, APP_KEY_CANARY, UNPREFIXED_STATSIG)
BEARER = f"Bearer {HEADER_CANARY}"
#: What a careless collector answers: our token echoed back, plus its own detail.
REJECTION_BODY = f"invalid token {HEADER_CANARY} ({BODY_CANARY})"


def assert_clean(text: str, where: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary!r} leaked in {where}:\n{text[:2000]}"


def telemetry_text(receiver: Receiver) -> str:
    """Everything the receiver decoded, plus raw OTLP/JSON bodies — but not request headers."""
    items: Iterable[Any] = [*receiver.spans, *receiver.log_records, *receiver.metric_points]
    parts = [json.dumps(item_to_json(item), default=str) for item in items]
    parts += [request.raw_json or "" for request in receiver.requests]
    parts += [repr(request) for request in receiver.requests]  # its repr masks header values
    return "\n".join(parts)


@pytest.fixture
def rejecting(receiver_factory: Any) -> Receiver:
    """A collector answering 401 with Codex's debug headers and a body full of secrets."""
    receiver: Receiver = receiver_factory(
        behavior=Behavior.unauthorized(request_id="req-leak-401", body=REJECTION_BODY)
    )
    return receiver


def _secret_settings(folder: Path, receiver: Receiver) -> tuple[Path, dict[str, str]]:
    """Logs over HTTP with the token from ``.secrets.toml``, traces over gRPC with the token
    from ``OTEL_EXPORTER_OTLP_TRACES_HEADERS``, metrics to the Statsig shorthand (pointed at
    the receiver) with the key from ``STATSIG_SERVER_SDK_SECRET``."""
    path = write_settings(
        folder / "otel.toml",
        {
            "default": {
                "service_name": "leak-suite",
                "exporter": http(receiver.http_url, "binary"),
                "trace_exporter": grpc(receiver.grpc_url),
                "metrics_exporter": {"statsig": {"endpoint": receiver.http_url, "timeout": 3}},
            }
        },
    )
    write_settings(
        folder / ".secrets.toml",
        {"default": {"exporter": {"otlp-http": {"headers": {"authorization": BEARER}}}}},
    )
    env = {
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": f"x-api-key={HEADER_CANARY}",
        "STATSIG_SERVER_SDK_SECRET": STATSIG_CANARY,
        "OPENAI_API_KEY": APP_KEY_CANARY,
    }
    return path, env


# --- the console script ---------------------------------------------------------------------------


def test_cli_outputs_on_a_rejecting_collector(
    cli: CliRunner, rejecting: Receiver, tmp_path: Path
) -> None:
    path, env = _secret_settings(tmp_path, rejecting)
    config = ("--config", str(path))
    shows = [
        cli("show", *config, env=env),
        cli("show", "--json", *config, env=env),
        cli("show", "--explain", *config, env=env),
        cli("show", "--json", "--explain", *config, env=env),
    ]
    assert [run.returncode for run in shows] == [0, 0, 0, 0], shows[0].output
    assert "****" in shows[0].stdout  # the secrets are there, masked
    check_json = cli("check", "--json", "--timeout", "3", *config, env=env)
    check_human = cli("check", "--timeout", "3", *config, env=env)
    assert check_json.returncode == check_human.returncode == 1, check_json.output
    codes = {f["code"] for f in check_json.findings(stage="otlp")}
    assert codes == {"auth_rejected", "grpc_unauthenticated"}, codes  # it met the 401 body
    sends = [
        cli("send-test-events", "--timeout", "3", *config, env=env),
        cli("send-test-events", "--json", "--timeout", "3", *config, env=env),
    ]
    assert [run.returncode for run in sends] == [1, 1]
    assert "auth_rejected" in sends[0].output and "grpc_unauthenticated" in sends[0].output
    for run in cli.runs:
        assert_clean(run.output, " ".join(run.args))
    assert_clean(telemetry_text(rejecting), "the rejected exports")


@pytest.mark.parametrize(
    "behavior",
    [
        Behavior(status=400, status_message=f"bad {BEARER} {STATSIG_CANARY} at http://x/?t=1"),
        Behavior.partial(message=f"rejected for {HEADER_CANARY} and {STATSIG_CANARY}"),
        Behavior.partial(rejected=0, message=f"warning about {BEARER}"),
        Behavior.redirect(f"https://lb.example/v1/logs?token={HEADER_CANARY}"),
    ],
    ids=["status-body", "partial", "partial-warning", "redirect"],
)
def test_cli_outputs_on_collectors_that_echo_secrets(
    cli: CliRunner, receiver: Receiver, tmp_path: Path, behavior: Behavior
) -> None:
    """Issue #12 reads collectors' words (Status bodies, partial successes, Location): every
    secret any exporter holds stays masked, whichever exporter's answer echoes it."""
    receiver.set_behavior(behavior)
    path, env = _secret_settings(tmp_path, receiver)
    config = ("--config", str(path))
    runs = [
        cli("check", "--json", "--timeout", "3", *config, env=env),
        cli("check", "--timeout", "3", *config, env=env),
        cli("send-test-events", "--timeout", "3", *config, env=env),
        cli("send-test-events", "--json", "--timeout", "3", *config, env=env),
    ]
    assert runs[3].json()["flush"] is not None  # it ran and reported
    for run in runs:
        assert_clean(run.output, " ".join(run.args))


def test_cli_outputs_on_a_healthy_collector_and_its_payloads(
    cli: CliRunner, receiver: Receiver, tmp_path: Path
) -> None:
    path, env = _secret_settings(tmp_path, receiver)
    for args in (("send-test-events",), ("send-test-events", "--json"), ("check", "--json")):
        run = cli(*args, "--timeout", "5", "--config", str(path), env=env)
        assert run.returncode == 0, run.output
        assert_clean(run.output, " ".join(args))
    # The headers did reach the collector — as headers, which is their purpose ...
    assert any(
        r.headers.get("authorization") == f"Bearer {HEADER_CANARY}" for r in receiver.requests
    )
    assert any(r.headers.get("statsig-api-key") == STATSIG_CANARY for r in receiver.requests)
    # ... and nowhere in what was exported.
    assert receiver.spans and receiver.log_records and receiver.metric_points
    assert any(r.raw_json for r in receiver.requests)  # Statsig metrics are OTLP/JSON
    assert_clean(telemetry_text(receiver), "the exported telemetry")


@pytest.mark.parametrize(
    ("case", "env", "file_extra", "exit_code"),
    [
        (
            "malformed header list",
            {"OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{HEADER_CANARY},broken"},
            {},
            2,
        ),
        (
            "undefined variable inside a header",
            {},
            {"headers": {"authorization": f"Bearer {HEADER_CANARY}${{LEAK_SUITE_UNSET}}"}},
            2,
        ),
        (  # an invalid escape is kept as written (as the SDK does): valid, and masked
            "bad percent-escape in a header",
            {"OTEL_EXPORTER_OTLP_HEADERS": f"authorization={HEADER_CANARY}%zz"},
            {},
            0,
        ),
    ],
)
def test_cli_settings_problems_never_quote_a_secret(
    cli: CliRunner,
    receiver: Receiver,
    tmp_path: Path,
    case: str,
    env: dict[str, str],
    file_extra: dict[str, Any],
    exit_code: int,
) -> None:
    path = write_settings(
        tmp_path / "otel.toml",
        {"default": {"exporter": http(receiver.http_url, "binary", **file_extra)}},
    )
    runs = [
        cli(command, *extra, "--config", str(path), env=env)
        for command, *extra in (
            ("show",),
            ("show", "--json"),
            ("check", "--json"),
            ("send-test-events",),
        )
    ]
    assert [run.returncode for run in runs] == [exit_code] * 4, (case, runs[0].output)
    assert "authorization" in runs[0].output or "HEADERS" in runs[0].output  # names the key
    for run in runs:
        assert_clean(run.output, f"{case}: {' '.join(run.args)}")


def test_cli_statsig_key_warning_never_quotes_the_key(cli: CliRunner, tmp_path: Path) -> None:
    path = write_settings(
        tmp_path / "otel.toml",
        {"default": {"metrics_exporter": {"statsig": {"api_key": UNPREFIXED_STATSIG}}}},
    )
    for args in (("show",), ("show", "--json", "--explain"), ("check", "--offline", "--json")):
        run = cli(*args, "--config", str(path))
        assert run.returncode == 0, run.output
        assert "secret-" in run.output  # the warning is there
        assert_clean(run.output, " ".join(args))


# --- bootstrap_from_env in-process ----------------------------------------------------------------


def _app_environ(protocol: str, receiver: Receiver, home: Path) -> dict[str, str]:
    grpc_ = protocol == "grpc"
    return {
        "CODEX_HOME": str(home),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_url if grpc_ else receiver.http_url,
        "OTEL_EXPORTER_OTLP_PROTOCOL": {
            "binary": "http/protobuf",
            "json": "http/json",
            "grpc": "grpc",
        }[protocol],
        "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{HEADER_CANARY}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "2000",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "CODEX_OTEL_METRICS_EXPORTER": f'{{ statsig = {{ endpoint = "{receiver.http_url}" }} }}',
        "STATSIG_SERVER_SDK_SECRET": STATSIG_CANARY,
        "OPENAI_API_KEY": APP_KEY_CANARY,
        "CODEX_API_KEY": APP_KEY_CANARY,
    }


class _ApiError(Exception):
    """What an HTTP client raises for a 401: its message quotes the response body."""

    def __init__(self, body: str) -> None:
        super().__init__(f"401 Unauthorized: {body}")
        self.response = type("Response", (), {"status_code": 401})()


def _run_app(provider: Any, environ: dict[str, str], store: FeedbackTagStore) -> None:
    """The embedding application: a 401 from its API (body quoting its key), the recovery,
    the retry, feedback tags — through SessionTelemetry on the bootstrapped providers."""
    auth_env = AuthEnvTelemetry.from_environ(environ)
    session = SessionTelemetry(
        "conv-leak",
        "gpt-5.1",
        account_id="acct-1",
        auth_mode="ApiKey",
        metrics=provider.metrics,
        logger_provider=provider.logger_provider,
        tracer_provider=provider.tracer_provider,
        auth_env=auth_env,
    )
    headers = {
        "x-request-id": "req-app-1",
        "cf-ray": "ray-1",
        "x-openai-authorization-error": "invalid_api_key",
    }
    debug = extract_response_debug_context(401, headers)
    tracer = provider.tracer_provider.get_tracer("leak-suite")
    with tracer.start_as_current_span("app.turn"):
        session.conversation_starts("openai")
        session.record_api_request(
            1,
            401,
            _ApiError(f"Incorrect API key provided: {APP_KEY_CANARY}"),
            0.05,
            auth_header_attached=True,
            auth_header_name="authorization",
            endpoint="/responses",
            debug_context=debug,
        )
        emit_feedback_request_tags(
            FeedbackRequestTags(
                endpoint="/responses",
                auth_header_attached=True,
                auth_header_name="authorization",
                auth_request_id=debug.request_id,
                auth_error=debug.auth_error,
            ),
            auth_env=auth_env,
            store=store,
        )
        emit_feedback_auth_recovery_tags(
            "managed",
            "reload",
            "recovery_succeeded",
            debug.request_id,
            debug.cf_ray,
            debug.auth_error,
            debug.auth_error_code,
            store=store,
        )
        session.record_api_request(
            2, 200, None, 0.04, retry_after_unauthorized=True, endpoint="/responses"
        )
    provider.metrics.counter("app.requests", 1, {"outcome": "retried"})


@pytest.mark.parametrize("protocol", ["binary", "json", "grpc"])
def test_bootstrap_app_and_exported_telemetry(
    receiver: Receiver,
    tmp_path: Path,
    protocol: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    environ = _app_environ(protocol, receiver, tmp_path)
    provider = bootstrap_from_env(files=[], environ=environ, set_global=False)
    assert provider is not None and len(provider.signals) == 3
    store = FeedbackTagStore()
    try:
        _run_app(provider, environ, store)
        healthy = provider.force_flush(timeout=5)
        assert healthy.ok, healthy.summary()
        # Now the collector rejects us, echoing the token in its answer.
        receiver.set_behavior(Behavior.unauthorized(request_id="req-leak", body=REJECTION_BODY))
        _run_app(provider, environ, store)
        rejected = provider.force_flush(timeout=5)
        assert not rejected.ok
    finally:
        report = provider.shutdown(timeout=3)
    reports = json.dumps([healthy.to_dict(), rejected.to_dict(), report.to_dict()])
    assert_clean(reports + healthy.summary() + rejected.summary() + str(report), "the reports")
    assert "auth_rejected" in reports or "grpc_unauthenticated" in reports
    assert_clean(json.dumps(feedback_tags(store)), "the feedback tags")
    assert feedback_tags(store)["auth_env_openai_api_key_present"] == "true"
    assert_clean(telemetry_text(receiver), "the exported telemetry")
    assert any(r.name == "codex.api_request" for r in receiver.log_records)
    assert any(r.attributes.get("error.message") == "http 401" for r in receiver.log_records), (
        "the 401's body-quoting error is reduced to its status"
    )
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert any(r.name.startswith("opentelemetry") for r in caplog.records)  # the SDK did log
    assert_clean(logged, "log records")
    out, err = capfd.readouterr()
    assert_clean(out + err, "stdout/stderr")


def test_bootstrap_warnings_and_errors_never_quote_a_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    home = str(tmp_path)
    broken = {
        "CODEX_HOME": home,
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{HEADER_CANARY},broken",
        "STATSIG_SERVER_SDK_SECRET": STATSIG_CANARY,
    }
    ignored = bootstrap_from_env(files=[], environ=broken, set_global=False)
    if ignored is not None:  # the malformed headers are ignored; the rest may run
        ignored.shutdown(timeout=0.5)
    with pytest.raises(SettingsError) as info:
        bootstrap_from_env(files=[], environ=broken, set_global=False, strict=True)
    error = info.value
    assert error.key and error.layer
    assert_clean(str(error) + repr(error.problems), "the SettingsError")
    # An undefined variable inside a secret value, in a settings file.
    path = write_settings(
        tmp_path / "otel.toml",
        {
            "default": {
                "exporter": http(
                    "http://127.0.0.1:9",
                    "binary",
                    headers={"x-key": f"{HEADER_CANARY}${{LEAK_UNSET}}"},
                )
            }
        },
    )
    ignored = bootstrap_from_env(files=[path], environ={"CODEX_HOME": home}, set_global=False)
    if ignored is not None:  # the header is ignored; the exporter runs without it
        ignored.shutdown(timeout=0.5)
    with pytest.raises(CodexOtelError) as info2:
        bootstrap_from_env(files=[path], environ={"CODEX_HOME": home}, strict=True)
    assert_clean(str(info2.value), "the SettingsError")
    # A Statsig key without the `secret-` prefix: a warning, and a working provider.
    provider = bootstrap_from_env(
        files=[],
        set_global=False,
        environ={
            "CODEX_HOME": home,
            "CODEX_OTEL_METRICS_EXPORTER": "statsig",
            "STATSIG_SERVER_SDK_SECRET": UNPREFIXED_STATSIG,
        },
    )
    assert provider is not None
    provider.shutdown(timeout=0.5)
    warnings = [r for r in caplog.records if r.name.startswith("codex_otel_config")]
    assert len(warnings) >= 3  # two "ignored" lines and the Statsig warning
    assert_clean("\n".join(r.getMessage() for r in caplog.records), "log records")
    out, err = capfd.readouterr()
    assert_clean(out + err, "stdout/stderr")


# --- the TUI --------------------------------------------------------------------------------------


async def test_tui_screens_and_saved_report(rejecting: Receiver, tmp_path: Path) -> None:
    from codex_otel_config.tui.app import OtelConsoleApp

    path, env = _secret_settings(tmp_path, rejecting)
    app = OtelConsoleApp(
        files=[path],
        environ={"CODEX_HOME": str(tmp_path), **env},
        timeout=3.0,
        report_dir=tmp_path / "reports",
    )
    screens: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screens.append(app.export_screenshot())
        for key in ("v", "t", "f", "c", "?"):
            await pilot.press(key)
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            screens.append(app.export_screenshot())
        report_text = json.dumps(app.report(), default=str)
        saved = app.last_report_path
    assert saved is not None and saved.is_file()
    assert "auth_rejected" in report_text  # the validate met the 401
    for index, screen in enumerate(screens):
        assert_clean(screen, f"TUI screen {index}")
    assert_clean(report_text, "the TUI report")
    assert_clean(saved.read_text(encoding="utf-8"), "the saved JSON report")


# --- the rules behind the above -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["UNAUTHENTICATED", "PERMISSION_DENIED"])
def test_grpc_rejection_details_are_the_servers_words_and_left_out(status: str) -> None:
    """A gRPC auth rejection's details are its body: never in a message (as for HTTP)."""
    from codex_otel_config.exporters.classify import classify_grpc

    failure = classify_grpc(status, REJECTION_BODY, {"x-request-id": "r-1"})
    assert failure.message == f"grpc {status}"
    assert failure.request_id == "r-1"  # the metadata is still read


def test_the_sdks_grpc_log_line_loses_rejection_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import grpc

    import codex_otel_config.exporters.grpc_channel  # noqa: F401  (installs the filter)

    sdk = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")
    with caplog.at_level(logging.WARNING):
        sdk.error(
            "Failed to export %s to %s, error code: %s, error details: %s",
            "logs",
            "collector:4317",
            grpc.StatusCode.UNAUTHENTICATED,
            REJECTION_BODY,
        )
        sdk.warning(
            "Transient error %s encountered while exporting %s to %s, retrying in %.2fs. "
            "Error details: %s",
            grpc.StatusCode.UNAVAILABLE,
            "logs",
            "collector:4317",
            1.0,
            "upstream https://user:pw@backend:443/path?token=abc is down",
        )
    first, second = (r.getMessage() for r in caplog.records)
    assert first.endswith("error details: (omitted)")
    assert_clean(first, "the SDK's log line")
    assert "https://backend:443 is down" in second and "token=abc" not in second


def test_a_token_echoed_without_its_scheme_is_still_masked() -> None:
    from codex_otel_config.redaction import scrub

    masked = scrub(f"rejected {HEADER_CANARY}", [f"Bearer {HEADER_CANARY}"])
    assert HEADER_CANARY not in masked and "rejected" in masked
    assert scrub("Bearer of news", ["Bearer abc"]) == "Bearer of news"  # short words stay


# --- generated canaries (hypothesis) --------------------------------------------------------------
#
# A random canary core, dressed in one of the forms secrets take (clean, ``Bearer``,
# percent-encoded, with CR/LF and other control characters, non-ASCII, a password holding
# ``/ ? # @``), placed in one of the inputs (``.secrets.toml``, Codex ``config.toml``,
# ``CODEX_OTEL_*``, ``--set``, ``OTEL_EXPORTER_OTLP_HEADERS``, URL user information, the Statsig
# and application keys), echoed by a collector answering 200/400/401/429/500/503 in its body,
# headers and gRPC status details, and passed to ``SessionTelemetry`` inside exception texts.
# The core is then searched for in every output: 0 hits. Examples are few (each runs the
# commands in-process against one shared receiver) so the section stays within a minute.

import traceback  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from urllib.parse import quote  # noqa: E402

from click.testing import CliRunner as ClickRunner  # noqa: E402
from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from codex_otel_config.redaction import forget_secrets, register_environ  # noqa: E402
from codex_otel_config.settings.model import OtelSettings, OtlpGrpc, OtlpHttp, Statsig  # noqa: E402

CORES = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=14).map(
    lambda s: f"cnry{s}"
)
#: How a secret wraps its core.
FORMS: dict[str, Callable[[str], str]] = {
    "clean": lambda core: core,
    "bearer": lambda core: f"Bearer {core}",
    "crlf": lambda core: f"Bearer {core}\r\n",
    "control": lambda core: f"\x01{core}\x1b[2J\x7f",
    "non-ascii": lambda core: f"clé-{core}-ß",
    "specials": lambda core: f'{core}/+=;"%\\,x',
}
PASSWORD_TAILS = st.text("/?#@:x", min_size=1, max_size=4)
STATUSES = st.sampled_from([200, 400, 401, 429, 500, 503])


def _has(text: str, core: str) -> bool:
    return core in text


@pytest.fixture(scope="module")
def echo_receiver() -> Iterator[Receiver]:
    with Receiver() as shared:
        yield shared


def _echo(receiver: Receiver, status: int, secret: str) -> None:
    """The collector answers ``status``; an error echoes the token in its body (gRPC: the
    status details) and, where a header can carry it, in its debug headers."""
    if status == 200:
        receiver.set_behavior(Behavior())
        return
    headers: dict[str, str] = {}
    if secret.isascii() and secret.isprintable():
        headers = {"x-request-id": f"req {secret}", "x-openai-authorization-error": secret}
    receiver.set_behavior(
        Behavior(status=status, response_headers=headers, body=f"invalid token {secret}")
    )


def _place(
    placement: str, secret: str, password: str, receiver: Receiver, home: Path
) -> tuple[dict[str, str], list[str]]:
    """The environment and command-line arguments that put ``secret`` in ``placement``."""
    http_url, grpc_url = receiver.http_url, receiver.grpc_url
    env = {"CODEX_HOME": str(home), "OTEL_EXPORTER_OTLP_TIMEOUT": "1500"}
    args: list[str] = []
    if placement == "secrets.toml":
        path = write_settings(
            home / "otel.toml",
            {"default": {"exporter": http(http_url), "trace_exporter": grpc(grpc_url)}},
        )
        write_settings(
            home / ".secrets.toml",
            {"default": {"exporter": {"otlp-http": {"headers": {"x-api-key": secret}}}}},
        )
        args = ["--config", str(path)]
    elif placement == "codex config.toml":
        write_settings(
            home / "config.toml",
            {"otel": {"exporter": grpc(grpc_url, headers={"x-api-key": secret})}},
        )
    elif placement == "CODEX_OTEL_*":
        env["CODEX_OTEL_EXPORTER"] = (
            f'{{ otlp-http = {{ endpoint = "{http_url}", '
            f"headers = {{ authorization = {json.dumps(secret)} }} }} }}"
        )
    elif placement == "--set":
        args = [
            "--set",
            f"exporter.otlp-http.endpoint={http_url}",
            "--set",
            f"exporter.otlp-http.headers.x-api-key={secret}",
        ]
    elif placement == "OTEL_EXPORTER_OTLP_HEADERS":
        env |= {
            "OTEL_EXPORTER_OTLP_ENDPOINT": http_url,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_HEADERS": f"authorization={quote(secret)}",
        }
    elif placement == "userinfo-http":
        env |= {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://user:{password}@{http_url[7:]}"}
    elif placement == "userinfo-grpc":
        env |= {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://user:{password}@{grpc_url[7:]}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_TRACES_EXPORTER": "otlp",
        }
    else:  # the Statsig key and the application's own key
        env |= {
            "CODEX_OTEL_METRICS_EXPORTER": f'{{ statsig = {{ endpoint = "{http_url}" }} }}',
            "STATSIG_SERVER_SDK_SECRET": secret,
            "OPENAI_API_KEY": secret,
        }
    return env, args


PLACEMENTS = (
    "secrets.toml",
    "codex config.toml",
    "CODEX_OTEL_*",
    "--set",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "userinfo-http",
    "userinfo-grpc",
    "keys",
)
COMMANDS = (
    ("show",),
    ("show", "--json", "--explain"),
    ("check", "--timeout", "1.5"),
    ("check", "--json", "--timeout", "1.5"),
    ("send-test-events", "--timeout", "1.5"),
    ("send-test-events", "--json", "--timeout", "1.5"),
)


class _Everything(logging.Handler):
    """Every record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.parametrize("placement", PLACEMENTS)
@hypothesis_settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(core=CORES, form=st.sampled_from(sorted(FORMS)), tail=PASSWORD_TAILS, status=STATUSES)
def test_generated_canaries_in_every_input_reach_no_output(
    echo_receiver: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
    core: str,
    form: str,
    placement: str,
    tail: str,
    status: int,
) -> None:
    from codex_otel_config.cli.main import main

    forget_secrets()  # only what this example's own run registers may mask its canary
    secret = FORMS[form](core)
    password = f"{core}{tail}x"
    home = tmp_path_factory.mktemp("leak")
    env, args = _place(placement, secret, password, echo_receiver, home)
    _echo(echo_receiver, status, password if placement.startswith("userinfo") else secret)
    handler, root = _Everything(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    outputs: list[tuple[str, str]] = []
    try:
        for command in COMMANDS:
            result = ClickRunner().invoke(main, [*command, *args], env=env)
            text = result.output + (result.stderr if result.stderr_bytes else "")
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                text += repr(result.exception) + str(result.exception)
            outputs.append((" ".join(command), text))
            assert result.exit_code in (0, 1, 2), (command, text)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    out, err = capfd.readouterr()
    outputs += [("logs", "\n".join(handler.lines)), ("stdout/stderr", out + err)]
    outputs.append(("exported telemetry", telemetry_text(echo_receiver)))
    for where, text in outputs:
        assert not _has(text, core), f"{placement}/{form}/{status}: {where}:\n{text[:3000]}"


class _AppError(Exception):
    """An exception whose text quotes the key, the way ``http.client`` and API clients do."""


def _exception_texts(secret: str) -> list[BaseException]:
    return [
        ValueError(f"Invalid header value {f'Bearer {secret}'.encode()!r}"),
        _AppError(f"Incorrect API key provided: {secret}"),
        _AppError(f"request failed: {secret!r}"),
        ConnectionError(f"https://user:{secret}@api.example.com/v1 refused"),
        OSError(f"{json.dumps({'key': secret})}"),
    ]


@hypothesis_settings(max_examples=40, deadline=None)
@given(core=CORES, form=st.sampled_from(sorted(FORMS)), tail=PASSWORD_TAILS)
def test_generated_canaries_in_objects_and_session_telemetry(
    core: str, form: str, tail: str
) -> None:
    """``repr``/``str`` of every public settings object, and ``SessionTelemetry`` given
    exceptions quoting the application's key: the exported log records and span events."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import (
        InMemoryLogRecordExporter,
        SimpleLogRecordProcessor,
    )
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from codex_otel_config.metrics import MetricsClient, MetricsConfig

    forget_secrets()
    secret = FORMS[form](core)
    password = f"{core}{tail}x"
    objects: list[object] = [
        OtlpHttp(f"https://user:{password}@collector:4318", headers={"authorization": secret}),
        OtlpGrpc(f"http://user:{password}@collector:4317", headers={"x-api-key": secret}),
        Statsig(api_key=secret),
    ]
    settings = OtelSettings(
        exporter=objects[0],  # type: ignore[arg-type]
        trace_exporter=objects[1],  # type: ignore[arg-type]
        metrics_exporter=objects[2],  # type: ignore[arg-type]
    )
    objects += [settings, *(settings.exporter_for(s) for s in ("logs", "traces", "metrics"))]
    for obj in objects:
        assert not _has(repr(obj) + str(obj), core), repr(obj)

    environ = {"OPENAI_API_KEY": secret}
    register_environ(environ)  # what bootstrap and AuthEnvTelemetry.from_environ do
    spans, logs = InMemorySpanExporter(), InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    tracer_provider, logger_provider = TracerProvider(), LoggerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    metrics = MetricsClient(MetricsConfig.in_memory("test", "codex-cli", "0.0.0"))
    session = SessionTelemetry(
        "conv-generated",
        "gpt-5.1",
        metrics=metrics,
        logger_provider=logger_provider,
        tracer_provider=tracer_provider,
        auth_env=AuthEnvTelemetry.from_environ(environ),
    )
    try:
        with tracer_provider.get_tracer("leak").start_as_current_span("turn"):
            for error in _exception_texts(secret):
                session.record_api_request(1, None, error, 0.01, endpoint="/responses")
                session.record_websocket_connect(0.01, None, error)
                session.sse_event_failed("response.failed", 0.01, error)
    finally:
        metrics.shutdown()
        logger_provider.shutdown()
        tracer_provider.shutdown()
    exported = [
        json.dumps(dict(data.log_record.attributes or {}), default=str) + str(data.log_record.body)
        for data in logs.get_finished_logs()
    ]
    exported += [
        json.dumps(dict(event.attributes or {}), default=str)
        for span in spans.get_finished_spans()
        for event in span.events
    ]
    assert len(exported) >= 15
    assert any("error.message" in text for text in exported)
    for text in exported:
        assert not _has(text, core), text

    # Feedback tags carrying the server's words, and a settings error raised (strict) with its
    # traceback: the key inside a malformed header list, the password in the endpoint.
    store = FeedbackTagStore()
    emit_feedback_auth_recovery_tags(
        "managed",
        "reload",
        "recovery_failed",
        "req-1",
        "ray-1",
        f"bad key {secret}",
        None,
        store=store,
    )
    assert not _has(json.dumps(feedback_tags(store)), core)
    broken = {
        "CODEX_HOME": "/nonexistent-codex-home",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://user:{password}@127.0.0.1:9",
        "OTEL_EXPORTER_OTLP_HEADERS": f"authorization={quote(secret)},broken",
    }
    with pytest.raises(CodexOtelError) as info:
        bootstrap_from_env(files=[], environ=broken, set_global=False, strict=True)
    raised = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert not _has(raised, core), raised


async def _tui_outputs(
    env: dict[str, str], args: list[str], report_dir: Path
) -> list[tuple[str, str]]:
    """Every screen after validate, test send and save, the report and the saved file."""
    from codex_otel_config.tui.app import OtelConsoleApp

    files = [args[1]] if args[:1] == ["--config"] else None
    app = OtelConsoleApp(files=files, environ=env, timeout=1.5, report_dir=report_dir)
    outputs: list[tuple[str, str]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        outputs.append(("first screen", app.export_screenshot()))
        for key in ("v", "t", "c"):
            await pilot.press(key)
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            outputs.append((f"screen after {key}", app.export_screenshot()))
        outputs.append(("report", json.dumps(app.report(), default=str)))
        saved = app.last_report_path
    if saved is not None:
        outputs.append(("saved report", saved.read_text(encoding="utf-8")))
    return outputs


@pytest.mark.parametrize(
    "placement", ["secrets.toml", "OTEL_EXPORTER_OTLP_HEADERS", "userinfo-grpc", "keys"]
)
@hypothesis_settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(core=CORES, form=st.sampled_from(sorted(FORMS)), tail=PASSWORD_TAILS, status=STATUSES)
def test_generated_canaries_reach_no_tui_screen_or_report(
    echo_receiver: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
    core: str,
    form: str,
    placement: str,
    tail: str,
    status: int,
) -> None:
    import asyncio

    forget_secrets()
    secret = FORMS[form](core)
    password = f"{core}{tail}x"
    home = tmp_path_factory.mktemp("leak-tui")
    env, args = _place(placement, secret, password, echo_receiver, home)
    _echo(echo_receiver, status, password if placement.startswith("userinfo") else secret)
    outputs = asyncio.run(_tui_outputs(env, args, home / "reports"))
    assert len(outputs) >= 5
    for where, text in outputs:
        assert not _has(text, core), f"{placement}/{form}/{status}: TUI {where}:\n{text[:3000]}"
