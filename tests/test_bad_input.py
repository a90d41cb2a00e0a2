"""Bad input: every documented settings error through every entry point, and a generated corpus.

``tests/test_settings_errors.py`` (and ``test_settings_otel_env.py``,
``test_settings_interpolate.py``) already pin the *message* of each documented error of
``load_settings()``; this file does not repeat them. It takes one case per documented error
(docs/configuration.md, "Errors and warnings"; docs/bootstrap.md for the build-time ones) and
checks what the other entry points do with it:

- ``bootstrap_from_env(strict=False)``: ``None`` and exactly one warning line on the
  ``codex_otel_config`` logger naming the key and the layer — the application runs on;
- ``bootstrap_from_env(strict=True)``: the ``SettingsError`` (or ``ExporterBuildError``) with
  that key and layer, never another exception;
- the CLI (``show``, ``check``, ``send-test-events``): exit status 2 with the key on stderr and
  no traceback.

Then a hypothesis corpus (derandomized, no deadline) of generated settings files and
environments — well over 1,000 in total — each of which must give valid settings or a
``SettingsError`` whose every problem has a key, a layer and a message, and never quotes a
header value or key that was put in.

An encrypted TLS private key (passphrases are not supported) must be refused when the
exporter is built — OpenSSL would otherwise prompt on the terminal and block the application.
"""

from __future__ import annotations

import logging
import os
import pty
import select
import signal
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from codex_otel_config import bootstrap_from_env
from codex_otel_config.cli.main import main as cli_main
from codex_otel_config.errors import CodexOtelError, ExporterBuildError, SettingsError
from codex_otel_config.receiver.certs import TlsBundle
from codex_otel_config.settings import schema
from codex_otel_config.settings.loader import load_settings
from codex_otel_config.settings.model import SIGNALS, OtelSettings

pytestmark = pytest.mark.timeout(120)

CANARY = "bad-input-canary-6e5d4c3b2a19"


# --- one case per documented error -----------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A documented error: a settings file (TOML text, or raw bytes) and/or variables."""

    name: str
    key: str  # a substring of the dotted key the problem must name
    toml: str | bytes | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    codex_config: str | None = None  # $CODEX_HOME/config.toml

    def write(self, folder: Path) -> tuple[list[Path], dict[str, str]]:
        home = folder / "home"
        home.mkdir(exist_ok=True)
        files: list[Path] = []
        if self.toml is not None:
            path = folder / "otel.toml"
            if isinstance(self.toml, bytes):
                path.write_bytes(self.toml)
            else:
                path.write_text(textwrap.dedent(self.toml).lstrip(), encoding="utf-8")
            files.append(path)
        if self.codex_config is not None:
            (home / "config.toml").write_text(textwrap.dedent(self.codex_config).lstrip())
        return files, {"CODEX_HOME": str(home), **self.environ}


HTTP = '[default.exporter.otlp-http]\nendpoint = "http://127.0.0.1:4318"\n'
CASES = [
    Case("malformed TOML", "line 2", "[default]\nservice_name = \n"),
    Case("not UTF-8", "line 2", b'[default]\nservice_name = "\xff\xfe"\n'),
    Case(
        "missing named file", "file", environ={"CODEX_OTEL_SETTINGS_FILES": "/nonexistent/x.toml"}
    ),
    Case("unknown key", "service_nmae", '[default]\nservice_nmae = "x"\n'),
    Case("wrong type", "log_user_prompt", '[default]\nlog_user_prompt = "maybe"\n'),
    Case("unknown exporter kind", "exporter", '[default]\nexporter = "zipkin"\n'),
    Case("unknown protocol", "protocol", HTTP + 'protocol = "http/json"\n'),
    Case("bare otlp-http string", "exporter", '[default]\nexporter = "otlp-http"\n'),
    Case(
        "exporter as string and table",
        "trace_exporter",
        codex_config='[otel]\ntrace_exporter = "none"\n[otel.trace_exporter.otlp-http]\n'
        'endpoint = "http://c:4318"\n',
    ),
    Case(
        "two kinds in one table",
        "exporter",
        '[default.exporter.otlp-http]\nendpoint = "http://c:4318"\n'
        '[default.exporter.otlp-grpc]\nendpoint = "http://c:4317"\n',
    ),
    Case("missing endpoint", "endpoint", '[default.exporter.otlp-http]\nprotocol = "binary"\n'),
    Case("malformed endpoint", "endpoint", '[default.exporter.otlp-http]\nendpoint = "c:4318"\n'),
    Case(
        "gRPC endpoint with a path",
        "endpoint",
        '[default.exporter.otlp-grpc]\nendpoint = "http://c:4317/v1/logs"\n',
    ),
    Case("TLS on http://", "tls", HTTP + 'tls = { ca-certificate = "ca.pem" }\n'),
    Case(
        "client certificate without its key",
        "tls",
        '[default.exporter.otlp-http]\nendpoint = "https://c:4318"\n'
        'tls = { client-certificate = "missing-client.pem" }\n',
    ),
    Case(
        "missing certificate file",
        "ca-certificate",
        '[default.exporter.otlp-http]\nendpoint = "https://c:4318"\n'
        'tls = { ca-certificate = "missing-ca.pem" }\n',
    ),
    Case("Statsig without a key", "metrics_exporter", '[default]\nmetrics_exporter = "statsig"\n'),
    Case(
        "undefined ${VAR} in a secret",
        "headers",
        HTTP + f'headers = {{ "x-api-key" = "{CANARY}${{BAD_INPUT_UNSET}}" }}\n',
    ),
    Case("malformed ${ reference", "service_name", '[default]\nservice_name = "a${1X}"\n'),
    Case(
        "bad OTEL_* timeout",
        "timeout",
        environ={
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "ten",
        },
    ),
    Case(
        "bad OTEL_* protocol",
        "protocol",
        environ={
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "xml",
        },
    ),
    Case("bad OTEL_SDK_DISABLED", "sdk_disabled", environ={"OTEL_SDK_DISABLED": "maybe"}),
    Case("unsupported OTEL_TRACES_EXPORTER", "trace", environ={"OTEL_TRACES_EXPORTER": "zipkin"}),
    Case(
        "bad OTEL_BSP_MAX_QUEUE_SIZE",
        "bsp_max_queue_size",
        environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_BSP_MAX_QUEUE_SIZE": "-5"},
    ),
    Case(
        "malformed OTEL_EXPORTER_OTLP_HEADERS",
        "headers",
        environ={
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
            "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{CANARY},oops",
        },
    ),
    Case(
        "unknown CODEX_OTEL_* name",
        "CODEX_OTEL_SERVICE_NMAE",
        environ={"CODEX_OTEL_SERVICE_NMAE": "x"},
    ),
    Case(
        "CODEX_OTEL_* exporter as string and table",
        "trace_exporter",
        environ={
            "CODEX_OTEL_TRACE_EXPORTER": "otlp-http",
            "CODEX_OTEL_TRACE_EXPORTER__OTLP_HTTP__ENDPOINT": "http://c:4318",
        },
    ),
    Case(
        "non-Codex key in the [otel] table",
        "service_name",
        codex_config='[otel]\nservice_name = "x"\n',
    ),
    Case("top-level value in a settings file", "bogus", "bogus = 1\n[default]\n"),
]


def _key_named(error: SettingsError, fragment: str) -> bool:
    return any(fragment in p.key or fragment in p.layer for p in error.problems)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_documented_error_through_every_entry_point(
    case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    written, environ = case.write(tmp_path)
    files = written or None

    with pytest.raises(SettingsError) as info:
        load_settings(environ=environ, files=files)
    error = info.value
    assert all(p.key and p.layer and p.message for p in error.problems), error.problems
    assert _key_named(error, case.key), [str(p) for p in error.problems]
    assert CANARY not in str(error)

    # The application asked politely: the bad value costs only itself — one warning naming
    # key and layer per problem, the value ignored, and whatever else is valid still runs.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
        provider = bootstrap_from_env(environ=environ, set_global=False, files=files)
    if provider is not None:
        provider.shutdown(timeout=0.5)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("codex_otel_config")]
    first = error.problems[0]
    assert any(first.key in line and first.layer in line for line in lines), lines
    assert CANARY not in "\n".join(lines)
    # ... and strictly: the same error, raised.
    with pytest.raises(SettingsError) as strict:
        bootstrap_from_env(environ=environ, set_global=False, strict=True, files=files)
    assert strict.value.problems == error.problems
    strict_env = {**environ, "CODEX_OTEL_STRICT": "true"}
    with pytest.raises(SettingsError):
        bootstrap_from_env(environ=strict_env, set_global=False, files=files)

    # The CLI: exit 2, the key on stderr, never a traceback.
    config = [arg for path in written for arg in ("--config", str(path))]
    runner = CliRunner()
    for command in (["show"], ["show", "--json"], ["check", "--json"], ["send-test-events"]):
        result = runner.invoke(cli_main, [*command, *config], env=_cli_env(environ))
        output = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exit_code == 2, (command, output)
        assert "Traceback" not in output and CANARY not in output
        assert error.problems[0].key in output, (command, output)


def _cli_env(environ: Mapping[str, str]) -> dict[str, str | None]:
    """The case's variables, and every other OTEL_/CODEX_ variable of this process unset."""
    cleared: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("OTEL_", "CODEX_", "STATSIG_"))
    }
    return {**cleared, **environ}


@pytest.mark.parametrize(
    ("where", "environ", "toml"),
    [
        (
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4318",
                "OTEL_EXPORTER_OTLP_CERTIFICATE": "~nosuchuser0/ca.pem",
            },
            None,
        ),
        (
            "a TLS path in a file",
            {},
            '[default.exporter.otlp-http]\nendpoint = "https://c:4318"\n'
            'tls = { ca-certificate = "~nosuchuser0/ca.pem" }\n',
        ),
        (
            "CODEX_OTEL_SETTINGS_FILES",
            {"CODEX_OTEL_SETTINGS_FILES": "~nosuchuser0/otel.toml"},
            None,
        ),
        ("CODEX_HOME", {"CODEX_HOME": "~nosuchuser0/.codex", "CODEX_OTEL_SERVICE_NAME": "x"}, None),
    ],
)
def test_a_home_directory_that_does_not_exist_is_a_missing_file_not_a_crash(
    tmp_path: Path, where: str, environ: dict[str, str], toml: str | None
) -> None:
    """``Path("~user/x").expanduser()`` raises ``RuntimeError`` for an unknown user: such a
    path is kept as written, and is then reported missing like any other (found by the
    corpus below)."""
    files: list[Path] | None = None
    if toml is not None:
        files = [tmp_path / "otel.toml"]
        files[0].write_text(toml)
    environ = {"CODEX_HOME": str(tmp_path), **environ}
    try:
        load_settings(environ=environ, files=files)
    except SettingsError as exc:
        assert any("~nosuchuser0" in str(p) for p in exc.problems), exc.problems
    assert bootstrap_from_env(environ=environ, set_global=False, files=files) is None


# --- errors found when the pipeline is built ------------------------------------------------------


def _tls_settings(folder: Path, name: str, tls: Mapping[str, Path]) -> Path:
    path = folder / f"{name}.toml"
    table = {"endpoint": "https://127.0.0.1:4318", "tls": {k: str(v) for k, v in tls.items()}}
    path.write_text(tomli_w.dumps({"default": {"exporter": {"otlp-http": table}}}))
    return path


def _encrypted_key(bundle: TlsBundle, folder: Path) -> Path:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(bundle.client_key.read_bytes(), None)
    path = folder / "encrypted-client.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pass-" + CANARY.encode()),
        )
    )
    return path


def _build_time_cases(bundle: TlsBundle, folder: Path) -> dict[str, tuple[Path, str]]:
    not_pem = folder / "not-pem.pem"
    not_pem.write_text("hello")
    encrypted = _encrypted_key(bundle, folder)
    return {
        "CA file that is not PEM": (
            _tls_settings(folder, "not-pem", {"ca-certificate": not_pem}),
            "tls.ca-certificate",
        ),
        "key not matching the certificate": (
            _tls_settings(
                folder,
                "mismatch",
                {
                    "client-certificate": bundle.client_cert,
                    "client-private-key": bundle.other_client_key,
                },
            ),
            "tls.client-certificate",
        ),
        "encrypted private key": (
            _tls_settings(
                folder,
                "encrypted",
                {"client-certificate": bundle.client_cert, "client-private-key": encrypted},
            ),
            "tls.client-private-key",
        ),
    }


def test_build_time_errors_follow_the_strict_policy(
    tls_bundle: TlsBundle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {"CODEX_HOME": str(tmp_path)}
    for name, (path, key) in _build_time_cases(tls_bundle, tmp_path).items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
            assert bootstrap_from_env(files=[path], environ=environ, set_global=False) is None
        # One line per signal that could not be built (logs, and traces inheriting it).
        lines = [r.getMessage() for r in caplog.records if r.name == "codex_otel_config"]
        assert lines and all(key in x and str(path) in x for x in lines), (name, lines)
        line = "\n".join(lines)
        with pytest.raises(ExporterBuildError) as info:
            bootstrap_from_env(files=[path], environ=environ, set_global=False, strict=True)
        assert key in str(info.value), (name, str(info.value))
        assert CANARY not in line + str(info.value)


def test_processor_tuning_the_sdk_refuses_follows_the_strict_policy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {
        "CODEX_HOME": str(tmp_path),
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
        "OTEL_BSP_MAX_QUEUE_SIZE": "8",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
    }
    with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
        provider = bootstrap_from_env(files=[], environ=environ, set_global=False)
    # Non-strict: the refused tuning is ignored (the SDK's defaults stand), the rest runs.
    assert provider is not None
    provider.shutdown(timeout=0.5)
    lines = [r.getMessage() for r in caplog.records if r.name == "codex_otel_config"]
    assert any("processors.bsp_max_export_batch_size" in x and "OTEL_BSP" in x for x in lines)
    with pytest.raises(SettingsError) as info:
        bootstrap_from_env(files=[], environ=environ, set_global=False, strict=True)
    assert info.value.key == "processors.bsp_max_export_batch_size"


_PROMPT_PROBE = """
import sys
from codex_otel_config import bootstrap_from_env
provider = bootstrap_from_env(files=[sys.argv[1]], environ={"CODEX_HOME": sys.argv[2]},
                              set_global=False)
print("RESULT", provider)
"""


def test_an_encrypted_key_is_refused_not_prompted_for_on_a_terminal(
    tls_bundle: TlsBundle, tmp_path: Path
) -> None:
    """On a terminal, OpenSSL asks "Enter PEM pass phrase:" and waits for ever: the
    application would hang in ``bootstrap_from_env()``. Run it on a real pseudo-terminal."""
    path = _build_time_cases(tls_bundle, tmp_path)["encrypted private key"][0]
    script = tmp_path / "probe.py"
    script.write_text(_PROMPT_PROBE)
    pid, fd = pty.fork()
    if pid == 0:  # the child: a process whose controlling terminal is the pty
        os.execv(sys.executable, [sys.executable, str(script), str(path), str(tmp_path)])
    output = b""
    deadline = time.monotonic() + 20
    exited = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            if b"pass phrase" in output:
                break  # it is waiting for a passphrase: that is the hang
        for _ in range(50):  # the child ends right after printing
            if os.waitpid(pid, os.WNOHANG)[0]:
                exited = True
                break
            time.sleep(0.1)
    finally:
        if not exited:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode(errors="replace")
    assert "pass phrase" not in text, f"OpenSSL prompted on the terminal: {text!r}"
    assert "RESULT None" in text, text
    assert "tls.client-private-key" in text and "encrypted" in text, text


# --- the generated corpus ----------------------------------------------------------------------

CORPUS = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

SECRET_VALUES = st.sampled_from(
    [
        CANARY,
        f"Bearer {CANARY}",
        f"{CANARY}${{NOPE}}",
        f"${{NOPE}}{CANARY}",
        f"{CANARY}%zz",
        f"{CANARY},x=y",
        f"{CANARY}\n",
        f"${{{CANARY}",
    ]
)
WORDS = st.sampled_from(
    sorted(
        {
            *schema.TOP_LEVEL_KEYS,
            *schema.EXPORTER_KINDS,
            *schema.TLS_KEYS,
            *schema.PROCESSOR_KEYS,
            *(p.key.split(".")[-1] for p in schema.EXPORTER_FIELDS),
            "default",
            "production",
            "headers",
            "tls",
            "otlp_http",
            "none",
            "statsig",
        }
    )
) | st.text(max_size=10)
TEXT = st.sampled_from(
    [
        "none",
        "statsig",
        "otlp-http",
        "otlp-grpc",
        "binary",
        "json",
        "grpc",
        "gzip",
        "xml",
        "http://127.0.0.1:4318",
        "https://127.0.0.1:4317",
        "http://c:4317/v1/logs",
        "c:4318",
        "https://u:p@c:4318/v1/traces?k=v",
        "ca.pem",
        "${HOME}",
        "${NOPE}",
        "${X:-5}",
        "$$",
        "${",
        "10",
        "-1",
        "0",
        "1e9",
        "true",
        "secret-abc",
        "",
    ]
) | st.text(max_size=16)
SCALARS = TEXT | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
EXPORTER_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "endpoint": TEXT,
        "protocol": TEXT,
        "timeout": SCALARS,
        "compression": TEXT,
        "headers": st.dictionaries(
            st.sampled_from(["authorization", "x-api-key", "X Y", ""]),
            SECRET_VALUES | SCALARS,
            max_size=2,
        ),
        "tls": st.dictionaries(
            st.sampled_from([*schema.TLS_KEYS, "ca_certificate", "bogus"]), TEXT, max_size=2
        ),
        "api_key": SECRET_VALUES,
    },
)
EXPORTERS = TEXT | st.dictionaries(
    st.sampled_from([*schema.EXPORTER_KINDS, "otlp_grpc", "zipkin"]),
    EXPORTER_FIELDS,
    min_size=1,
    max_size=2,
)
TABLES = st.fixed_dictionaries(
    {},
    optional={
        **{key: EXPORTERS for key in schema.EXPORTER_KEYS},
        "service_name": SCALARS,
        "environment": SCALARS,
        "log_user_prompt": SCALARS,
        "sdk_disabled": SCALARS,
        "resource_attributes": st.dictionaries(WORDS, SCALARS, max_size=2),
        "processors": st.dictionaries(
            st.sampled_from([*schema.PROCESSOR_KEYS, "bsp"]), SCALARS, max_size=2
        ),
        "bogus": SCALARS,
    },
)
FILES = st.dictionaries(st.sampled_from(["default", "production", "otel"]), TABLES, max_size=3)

VARIABLES = st.sampled_from(
    [v for v in schema.every_variable() if "<" not in v]
    + [
        "CODEX_OTEL_EXPORTER",
        "CODEX_OTEL_TRACE_EXPORTER__OTLP_GRPC__ENDPOINT",
        "CODEX_OTEL_EXPORTER__OTLP_HTTP__HEADERS__X_KEY",
        "CODEX_OTEL_BOGUS",
        "CODEX_OTEL_ENV",
        "CODEX_OTEL_PROCESSORS__BLRP_MAX_QUEUE_SIZE",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    ]
)
HEADER_VARIABLES = st.sampled_from(
    [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "CODEX_OTEL_EXPORTER__OTLP_HTTP__HEADERS__AUTHORIZATION",
        "STATSIG_SERVER_SDK_SECRET",
    ]
)
ENVIRONS = st.dictionaries(VARIABLES, TEXT, max_size=6) | st.dictionaries(
    HEADER_VARIABLES,
    SECRET_VALUES.map(lambda v: f"authorization={v}") | SECRET_VALUES,
    min_size=1,
    max_size=2,
).flatmap(
    lambda secrets: st.dictionaries(VARIABLES, TEXT, max_size=4).map(
        lambda rest: {**rest, **secrets}
    )
)


def _verdict(document: dict[str, Any] | None, environ: dict[str, str], env: str | None) -> None:
    """Load; valid settings or a SettingsError whose every problem names key and layer."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files: list[Path] = []
        if document is not None:
            try:
                content = tomli_w.dumps(document)
            except (TypeError, ValueError):
                assume(False)  # not representable in TOML: not counted
                return
            (folder / "s.toml").write_text(content, encoding="utf-8")
            files.append(folder / "s.toml")
        try:
            result = load_settings(
                files=files, env=env, environ={"CODEX_HOME": tmp, "HOME": "/h", "X": "1", **environ}
            )
        except SettingsError as exc:
            event("SettingsError")
            for problem in exc.problems:
                assert problem.key and problem.layer and problem.message, problem
                assert CANARY not in str(problem), problem
            return
        event("valid settings")
        assert isinstance(result, OtelSettings)
        for signal_name in SIGNALS:
            result.exporter_for(signal_name)


@CORPUS
@given(FILES, st.sampled_from([None, "production", "otel"]))
def test_corpus_settings_files(document: dict[str, Any], env: str | None) -> None:
    _verdict(document, {}, env)


@CORPUS
@given(ENVIRONS)
def test_corpus_environments(environ: dict[str, str]) -> None:
    _verdict(None, environ, None)


@CORPUS
@given(FILES, st.dictionaries(VARIABLES, TEXT, max_size=3), st.sampled_from([None, "production"]))
def test_corpus_files_and_environments(
    document: dict[str, Any], environ: dict[str, str], env: str | None
) -> None:
    _verdict(document, environ, env)


BOOTSTRAP_ENVIRONS = st.fixed_dictionaries(
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT": st.sampled_from(
            ["http://127.0.0.1:9", "https://127.0.0.1:9", "127.0.0.1:9", "http://127.0.0.1:9/x"]
        )
    },
    optional={
        "OTEL_EXPORTER_OTLP_PROTOCOL": st.sampled_from(["grpc", "http/protobuf", "http/json", "x"]),
        "OTEL_EXPORTER_OTLP_HEADERS": SECRET_VALUES.map(lambda v: f"authorization={v}"),
        "OTEL_EXPORTER_OTLP_TIMEOUT": st.sampled_from(["1", "0", "-3", "abc", "100000000"]),
        "OTEL_BSP_MAX_QUEUE_SIZE": st.sampled_from(["1", "0", "2048", "x"]),
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": st.sampled_from(["1", "4096", "512"]),
        "OTEL_BLRP_SCHEDULE_DELAY": st.sampled_from(["0", "1", "-1"]),
        "OTEL_METRIC_EXPORT_INTERVAL": st.sampled_from(["0", "1000", "x"]),
        "OTEL_METRICS_EXPORTER": st.sampled_from(["otlp", "none", "prometheus"]),
        "OTEL_EXPORTER_OTLP_CERTIFICATE": st.sampled_from(["/nonexistent.pem", ""]),
        "CODEX_OTEL_METRICS_EXPORTER": st.sampled_from(["statsig", "none"]),
        "STATSIG_SERVER_SDK_SECRET": SECRET_VALUES,
    },
)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(BOOTSTRAP_ENVIRONS)
def test_corpus_bootstrap_never_raises_unless_strict(environ: dict[str, str]) -> None:
    """Whatever the variables: non-strict gives a provider or ``None``; strict raises only
    this package's errors. A provider built here shuts down within its timeout."""
    with tempfile.TemporaryDirectory() as home:
        environ = {**environ, "CODEX_HOME": home}
        provider = bootstrap_from_env(files=[], environ=environ, set_global=False)
        event("provider" if provider is not None else "None")
        if provider is not None:
            started = time.monotonic()
            provider.shutdown(timeout=0.2)
            assert time.monotonic() - started < 0.2 + 0.5
        try:
            strict = bootstrap_from_env(files=[], environ=environ, set_global=False, strict=True)
        except CodexOtelError as exc:
            assert CANARY not in str(exc)
            return  # strict raises for any problem; non-strict ignored it (issue #10 item 4)
        assert (strict is None) == (provider is None)
        if strict is not None:
            strict.shutdown(timeout=0.2)


@pytest.mark.parametrize("command", ["show", "check", "send-test-events"])
def test_processor_tuning_the_sdk_refuses_is_a_settings_error_at_load(command: str) -> None:
    """Caught by the loader, so every command exits 2 naming key and layer (no pipeline)."""
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "OTEL_BSP_MAX_QUEUE_SIZE": "8",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
    }
    run = subprocess.run(
        [sys.executable, "-m", "codex_otel_config", command, "--config", "/dev/null"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    output = run.stdout + run.stderr  # check reports in its table, the others on stderr
    assert run.returncode == 2, output
    assert "processors.bsp_max_export_batch_size" in output
    assert "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" in output
    assert "Traceback" not in output
