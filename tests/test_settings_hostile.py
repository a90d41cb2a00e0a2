"""Issue #10 items 3, 6 and 7, issue #11 item 4: the endpoint rule, the three differences from
the OpenTelemetry specification, hostile input refused early with a named error, and control
characters in headers refused in every layer (never quoting the value)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from codex_otel_config import bootstrap_from_env
from codex_otel_config.errors import SettingsError
from codex_otel_config.settings.loader import load_settings
from codex_otel_config.settings.schema import MAX_FILE_BYTES

pytestmark = pytest.mark.timeout(60)

CANARY = "ctl-canary-7a1e"


def _env(home: Path, **variables: str) -> dict[str, str]:
    return {"CODEX_HOME": str(home), **variables}


def _problems(**kwargs: object) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(**kwargs)  # type: ignore[arg-type]
    assert CANARY not in str(info.value)
    return [str(p) for p in info.value.problems]


# --- item 3 and item 6: one endpoint rule, as the specification says ---------------------------


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        # the generic endpoint gets v1/<signal>, nothing else changes (a "//" keeps both slashes)
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318//"}, "http://c:4318//v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/base/"}, "http://c:4318/base/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "http://c:4318/v1/traces"),
        # a per-signal endpoint is used as written
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/x"}, "http://c:4318/x"),
        # a layer above that sets the endpoint brings its own rule (a base URL gets the path)
        (
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/x",
                "CODEX_OTEL_TRACE_EXPORTER__OTLP_HTTP__ENDPOINT": "http://d:4318",
            },
            "http://d:4318/v1/traces",
        ),
    ],
)
def test_endpoint_rule(tmp_path: Path, variables: dict[str, str], expected: str) -> None:
    settings = load_settings(files=[], environ=_env(tmp_path, **variables))
    assert settings.exporter_for("traces").endpoint == expected  # type: ignore[union-attr]


def test_header_names_are_case_insensitive_and_the_last_wins(tmp_path: Path) -> None:
    environ = _env(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318",
        OTEL_EXPORTER_OTLP_HEADERS="X-Key=1,x-key=2,X-Key=3",
    )
    exporter = load_settings(files=[], environ=environ).exporter_for("logs")
    assert dict(exporter.headers) == {"x-key": "3"}  # type: ignore[union-attr]


def test_resource_attribute_keys_are_not_percent_decoded(tmp_path: Path) -> None:
    environ = _env(tmp_path, OTEL_RESOURCE_ATTRIBUTES="team%2Fname=obs%2Fcore,plain=a%20b")
    settings = load_settings(files=[], environ=environ)
    assert dict(settings.resource_attributes) == {"team%2Fname": "obs/core", "plain": "a b"}


# --- item 7: hostile input ------------------------------------------------------------------


def test_a_fifo_settings_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "otel.toml"
    os.mkfifo(fifo)
    (problem,) = _problems(files=[fifo], environ=_env(tmp_path))
    assert str(fifo) in problem and "not a regular file" in problem
    # As $CODEX_HOME/config.toml and as the default $CODEX_HOME/otel.toml: same, and
    # bootstrap_from_env() returns instead of hanging.
    os.mkfifo(tmp_path / "config.toml")
    found = _problems(environ=_env(tmp_path))
    assert any("config.toml" in p and "not a regular file" in p for p in found), found
    assert bootstrap_from_env(environ=_env(tmp_path), set_global=False) is None
    # show and check: exit 2 naming the file, no hang.
    from click.testing import CliRunner

    from codex_otel_config.cli.main import main as cli_main

    env = {k: None for k in os.environ if k.startswith(("OTEL_", "CODEX_"))}
    env["CODEX_HOME"] = str(tmp_path)
    for command in (["show"], ["check", "--offline"]):
        result = CliRunner().invoke(cli_main, [*command, "--config", str(fifo)], env=env)
        assert result.exit_code == 2, (command, result.output)
        assert "not a regular file" in result.output + (result.stderr or "")


def test_dev_zero_and_huge_files_are_refused(tmp_path: Path) -> None:
    (problem,) = _problems(files=[Path("/dev/zero")], environ=_env(tmp_path))
    assert "/dev/zero" in problem and "not a regular file" in problem
    big = tmp_path / "big.toml"
    big.write_bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    (problem,) = _problems(files=[big], environ=_env(tmp_path))
    assert str(big) in problem and "larger than" in problem


def test_deep_nesting_is_refused_with_a_name(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("[default]\nresource_attributes = " + "{ a = " * 3000 + "1" + " }" * 3000)
    (problem,) = _problems(files=[deep], environ=_env(tmp_path))
    assert str(deep) in problem and "levels deep" in problem
    nested = "{ otlp-http = " * 3000 + "{}" + " }" * 3000
    found = _problems(files=[], environ=_env(tmp_path), overrides={"exporter": nested})
    assert any(p.startswith("override exporter") for p in found), found


def test_a_deleted_current_folder_is_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    environ = _env(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    settings = load_settings(environ=environ)
    assert settings.exporter_for("logs").kind == "otlp-http"
    provider = bootstrap_from_env(environ=environ, set_global=False)
    assert provider is not None
    provider.shutdown(timeout=0.5)


def test_a_codex_home_longer_than_the_system_allows(tmp_path: Path) -> None:
    home = tmp_path / ("h" * 300)
    environ = {"CODEX_HOME": str(home), "OTEL_SERVICE_NAME": "x"}
    (problem,) = _problems(environ=environ)
    assert problem.startswith("env CODEX_HOME codex_home:")
    assert bootstrap_from_env(environ=environ, set_global=False) is None  # no traceback
    assert bootstrap_from_env(environ={"CODEX_HOME": str(home)}, set_global=False) is None


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("OTEL_BSP_SCHEDULE_DELAY", "1e20", "processors.bsp_schedule_delay_ms"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "99999999999", "processors.blrp_max_queue_size"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1e300", "otlp.timeout"),
    ],
)
def test_numeric_ranges_come_from_the_schema(
    tmp_path: Path, variable: str, value: str, key: str
) -> None:
    environ = _env(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", **{variable: value})
    (problem,) = _problems(files=[], environ=environ)
    assert problem.startswith(f"env {variable} {key}:"), problem
    # bootstrap ignores it: the SDK's worker threads never see the value and stay alive.
    provider = bootstrap_from_env(files=[], environ=environ, set_global=False)
    assert provider is not None
    try:
        assert all(t.is_alive() for t in threading.enumerate() if t.name.startswith("OtelBatch"))
    finally:
        provider.shutdown(timeout=0.5)


def test_a_400_digit_override_is_a_named_error(tmp_path: Path) -> None:
    overrides = {
        "exporter": '{ otlp-http = { endpoint = "http://c:4318" } }',
        "exporter.otlp-http.timeout": "9" * 400,
    }
    (problem,) = _problems(files=[], environ=_env(tmp_path), overrides=overrides)
    assert problem.startswith("override exporter.otlp-http.timeout: expected a number of seconds")


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:0", "http://exa mple:4318", "http://[::zz]:4318"]
)
def test_host_and_port_are_validated_at_load(tmp_path: Path, endpoint: str) -> None:
    environ = _env(tmp_path, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=endpoint)
    found = _problems(files=[], environ=environ)
    assert any(
        p.startswith("env OTEL_EXPORTER_OTLP_LOGS_ENDPOINT exporter.otlp-http.endpoint")
        for p in found
    ), found


@pytest.mark.parametrize("name", ["content-length", "Content-Type", "content-encoding"])
def test_reserved_headers_are_refused_in_files_and_variables(tmp_path: Path, name: str) -> None:
    path = tmp_path / "otel.toml"
    path.write_text(
        '[default.exporter.otlp-http]\nendpoint = "http://c:4318"\n'
        f'headers = {{ "{name}" = "x" }}\n'
    )
    (problem,) = _problems(files=[path], environ=_env(tmp_path))
    assert f"headers.{name.lower()}" in problem and "set by the exporter" in problem
    environ = _env(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318",
        OTEL_EXPORTER_OTLP_HEADERS=f"{name}=x",
    )
    (problem,) = _problems(files=[], environ=environ)
    assert problem.startswith("env OTEL_EXPORTER_OTLP_HEADERS") and "set by the exporter" in problem


# --- issue #11 item 4: control characters in headers, whatever the layer ------------------------


def _codex_config(home: Path, value: str) -> None:
    (home / "config.toml").write_text(
        '[otel.exporter.otlp-http]\nendpoint = "http://c:4318"\n'
        f'headers = {{ x-key = "{value}" }}\n'
    )


@pytest.mark.parametrize("char", ["\n", "\x1b", "\x00", "\x7f"])
@pytest.mark.parametrize("layer", ["file", "secrets", "codex", "otel", "codex-env", "override"])
def test_control_characters_in_header_values_are_refused(
    tmp_path: Path, layer: str, char: str
) -> None:
    value = f"Bearer {CANARY}{char}tail"
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in value)
    environ = _env(tmp_path)
    kwargs: dict[str, object] = {"files": []}
    toml = '[default.exporter.otlp-http]\nendpoint = "http://c:4318"\n'
    if layer == "file":
        path = tmp_path / "otel.toml"
        path.write_text(toml + f'headers = {{ x-key = "{escaped}" }}\n')
        kwargs["files"] = [path]
    elif layer == "secrets":
        path = tmp_path / "otel.toml"
        path.write_text(toml)
        (tmp_path / ".secrets.toml").write_text(
            f'[default.exporter.otlp-http.headers]\nx-key = "{escaped}"\n'
        )
        kwargs["files"] = [path]
    elif layer == "codex":
        _codex_config(tmp_path, escaped)
    elif layer == "otel":
        encoded = "".join(f"%{ord(c):02X}" if c in "\n\x1b\x00\x7f " else c for c in value)
        environ.update(
            OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318",
            OTEL_EXPORTER_OTLP_HEADERS=f"x-key={encoded}",
        )
    elif layer == "codex-env":
        environ.update(
            CODEX_OTEL_EXPORTER__OTLP_HTTP__ENDPOINT="http://c:4318",
            CODEX_OTEL_EXPORTER__OTLP_HTTP__HEADERS__X_KEY=value,
        )
    else:
        kwargs["overrides"] = {
            "exporter.otlp-http.endpoint": "http://c:4318",
            "exporter.otlp-http.headers.x-key": value,
        }
    if char == "\x00" and layer == "codex-env":
        pytest.skip("an environment variable cannot hold NUL")
    found = _problems(environ=environ, **kwargs)
    assert any("x-key" in p and ("control character" in p or "line break" in p) for p in found), (
        found
    )
    assert not any(CANARY in p or "Bearer" in p for p in found)


def test_bootstrap_ignores_a_header_with_a_control_character(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = _env(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_EXPORTER_OTLP_HEADERS=f"authorization=Bearer%20{CANARY}%0A",
    )
    with caplog.at_level(logging.WARNING, logger="codex_otel_config"):
        provider = bootstrap_from_env(files=[], environ=environ, set_global=False)
    assert provider is not None
    try:
        assert dict(provider.settings.exporter_for("logs").headers) == {}  # type: ignore[union-attr]
    finally:
        provider.shutdown(timeout=0.5)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "OTEL_EXPORTER_OTLP_HEADERS" in text and CANARY not in text


# --- item 1: dynaconf loads the files, and only then --------------------------------------------

_WHO_LOADS = """
import json, sys
from codex_otel_config.settings.loader import load_settings
settings = load_settings()
print(json.dumps({
    "dynaconf": "dynaconf" in sys.modules,
    "source": settings.source_of("exporter.otlp-http.headers.x-key").describe(),
}))
"""


def test_dynaconf_is_imported_only_when_a_settings_file_exists(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CODEX_OTEL_"))}
    home = tmp_path / "home"
    home.mkdir()

    def run(**extra: str) -> dict[str, object]:
        env = {**clean, "CODEX_HOME": str(home), **extra}
        out = subprocess.run(
            [sys.executable, "-c", _WHO_LOADS],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        return json.loads(out)

    only_variables = run(
        OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318", OTEL_EXPORTER_OTLP_HEADERS="x-key=1"
    )
    assert only_variables["dynaconf"] is False
    (home / "otel.toml").write_text('[default.exporter.otlp-http]\nendpoint = "http://c:4318"\n')
    (home / ".secrets.toml").write_text('[default.exporter.otlp-http.headers]\nx-key = "k"\n')
    with_file = run()
    assert with_file["dynaconf"] is True
    assert with_file["source"] == f"{home / '.secrets.toml'} [default]"
