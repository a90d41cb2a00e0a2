"""``codex-otel-config show`` through the real console script, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from codex_otel_config.cli.main import LazyGroup
from settings_support import write

pytestmark = pytest.mark.timeout(60)

SECRET_HEADER = "hdr-secret-value-7f3a"
SECRET_STATSIG = "secret-statsig-key-5f2a"


def _script() -> list[str]:
    script = Path(sys.executable).with_name("codex-otel-config")
    return [str(script)] if script.exists() else [sys.executable, "-m", "codex_otel_config"]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {}), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [*_script(), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=50,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(
        tmp_path / "settings.toml",
        """
        [default]
        service_name = "billing-api"
        [default.exporter.otlp-http]
        endpoint = "https://collector.example.com:4318"
        headers = { "x-api-key" = "placeholder" }
        [production]
        metrics_exporter = "statsig"
        log_user_prompt = true
    """,
    )
    write(
        tmp_path / ".secrets.toml",
        f"""
        [default.exporter.otlp-http.headers]
        x-api-key = "{SECRET_HEADER}"
        x-short = "tiny"
    """,
    )
    return tmp_path


def _lines(text: str) -> dict[str, str]:
    """``key -> rest of the line`` of the human table."""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out[parts[0]] = parts[1].rstrip()
    return out


def test_show_masks_secrets(project: Path) -> None:
    result = run(
        "show",
        "--config",
        str(project / "settings.toml"),
        "--env",
        "production",
        env={"STATSIG_SERVER_SDK_SECRET": SECRET_STATSIG},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert SECRET_HEADER not in out and SECRET_STATSIG not in out and "tiny" not in out
    rows = _lines(out)
    assert rows["logs.headers.x-api-key"].startswith("****7f3a")
    assert rows["logs.headers.x-short"].startswith("****")
    assert rows["metrics.headers.statsig-api-key"].startswith("****5f2a")
    assert rows["logs.endpoint"].startswith("https://collector.example.com:4318/v1/logs")
    assert rows["traces.endpoint"].startswith("https://collector.example.com:4318/v1/traces")
    assert rows["metrics.endpoint"].startswith("https://api.statsig.com/otlp/v1/metrics")
    assert rows["service_name"].startswith("billing-api")
    assert rows["log_user_prompt"].startswith("true")


def test_show_explain_names_the_layer_of_each_value(project: Path) -> None:
    settings_file = project / "settings.toml"
    result = run(
        "show",
        "--explain",
        "--config",
        str(settings_file),
        "--set",
        "runtime_metrics=true",
        env={
            "CODEX_OTEL_ENV": "production",
            "STATSIG_SERVER_SDK_SECRET": SECRET_STATSIG,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example.com/v1/traces",
            "CODEX_OTEL_SERVICE_VERSION": "9.9.9",
        },
    )
    assert result.returncode == 0, result.stderr
    rows = _lines(result.stdout)
    assert rows["service_name"].endswith(f"{settings_file} [default]")
    assert rows["log_user_prompt"].endswith(f"{settings_file} [production]")
    assert rows["environment"].startswith("production")
    assert "env CODEX_OTEL_ENV" in rows["environment"]
    assert rows["service_version"].endswith("env CODEX_OTEL_SERVICE_VERSION")
    assert rows["runtime_metrics"].endswith("override")
    assert rows["logs.headers.x-api-key"].endswith(f"{project / '.secrets.toml'} [default]")
    assert rows["logs.endpoint"].endswith(f"{settings_file} [default]; /v1/logs appended")
    assert rows["traces.endpoint"].endswith("env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    assert rows["metrics.headers.statsig-api-key"].endswith("env STATSIG_SERVER_SDK_SECRET")
    assert rows["logs.timeout"].endswith("built-in default")
    assert SECRET_HEADER not in result.stdout and SECRET_STATSIG not in result.stdout


def test_show_json(project: Path) -> None:
    result = run(
        "show",
        "--json",
        "--explain",
        "--config",
        str(project / "settings.toml"),
        env={"OTEL_RESOURCE_ATTRIBUTES": "team=core"},
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["settings"]["service_name"] == "billing-api"
    assert doc["settings"]["resource_attributes"] == {"team": "core"}
    logs = doc["signals"]["logs"]
    assert logs["exporter"] == "otlp-http" and logs["protocol"] == "binary"
    assert logs["headers"] == {"x-api-key": "****7f3a", "x-short": "****"}
    assert doc["signals"]["metrics"] == {"exporter": "none"}
    assert doc["sources"]["resource_attributes.team"] == "env OTEL_RESOURCE_ATTRIBUTES"
    assert doc["sources"]["traces.endpoint"].startswith("derived (inherited from exporter")
    assert doc["warnings"] == []
    assert SECRET_HEADER not in result.stdout


def test_show_warnings(project: Path) -> None:
    result = run(
        "show",
        "--config",
        str(project / "settings.toml"),
        "--env",
        "production",
        env={"STATSIG_SERVER_SDK_SECRET": "client-not-a-server-key"},
    )
    assert result.returncode == 0, result.stderr
    assert (
        'warning: metrics_exporter.statsig.api_key does not start with "secret-"' in result.stdout
    )
    assert "client-not-a-server-key" not in result.stdout


def test_invalid_settings_exit_2_with_every_problem(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.toml",
        """
        [default]
        service_nmae = "x"
        [default.exporter.otlp-http]
        endpoint = "https://c.example.com"
        protocol = "xml"
        headers = { "x-key" = "${MISSING_TOKEN}" }
    """,
    )
    result = run("show", "--config", str(bad), "--set", "metrics_exporter=zipkin")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    err = result.stderr
    assert "error: the OpenTelemetry settings are invalid (4 problems):" in err
    assert f'{bad} [default] service_nmae: unknown key (did you mean "service_name"?)' in err
    assert (
        f'{bad} [default] exporter.otlp-http.protocol: "xml" is not one of "binary", "json"' in err
    )
    assert "${MISSING_TOKEN} is not set" in err
    assert 'override metrics_exporter: "zipkin" is not one of' in err


def test_missing_config_file_and_bad_set(tmp_path: Path) -> None:
    result = run("show", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2 and "settings file not found" in result.stderr
    result = run("show", "--set", "no-equals-sign")
    assert result.returncode == 2 and "expected key=value" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_version_and_unknown_command() -> None:
    result = run("--help")
    assert result.returncode == 0 and "show" in result.stdout
    assert "Print the resolved settings" in result.stdout
    version = run("--version")
    assert version.returncode == 0 and "0." in version.stdout
    unknown = run("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "codex_otel_config", "show", "--json"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["settings"]["service_name"] == "codex-cli"


# -- the lazy group, in process -----------------------------------------------------------


@click.command("boom")
def boom() -> None:
    raise RuntimeError("something broke")


def _group() -> click.Group:
    @click.group(
        cls=LazyGroup,
        lazy={
            "ghost": ("codex_otel_config.cli.no_such_module:cmd", "Missing."),
            "boom": (f"{__name__}:boom", "Raises."),
        },
    )
    def group() -> None:
        pass

    return group


def test_missing_module_does_not_break_the_group() -> None:
    runner = CliRunner()
    result = runner.invoke(_group(), ["--help"])
    assert result.exit_code == 0 and "boom" in result.output and "ghost" not in result.output
    result = runner.invoke(_group(), ["ghost"])
    assert result.exit_code == 2 and "No such command" in result.output


def test_unexpected_error_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(_group(), ["boom"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: RuntimeError: something broke"


def test_repeated_config_later_file_wins(tmp_path: Path) -> None:
    a = write(tmp_path / "a" / "a.toml", '[default]\nservice_name = "a"\nenvironment = "from-a"\n')
    b = write(tmp_path / "b" / "b.toml", '[default]\nservice_name = "b"\n')
    result = run("show", "--json", "--explain", "--config", str(a), "--config", str(b))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["settings"]["service_name"] == "b"
    assert doc["settings"]["environment"] == "from-a"
    assert doc["sources"]["service_name"] == f"{b} [default]"


def test_show_explain_codex_config_layer(tmp_path: Path) -> None:
    """Layer 2 through the console script: the Codex sub-table form, its relative TLS path
    resolved against CODEX_HOME, the header masked, the inherited trace endpoint explained."""
    home = tmp_path / "codex-home"
    (home / "certs").mkdir(parents=True)
    (home / "certs" / "otel-ca.pem").write_text("pem")
    write(
        home / "config.toml",
        """
        model = "gpt-5"
        [otel]
        environment = "staging"
        [otel.exporter."otlp-http"]
        endpoint = "https://otel.example.com/v1/logs"
        protocol = "binary"
        [otel.exporter."otlp-http".headers]
        "x-otlp-api-key" = "${OTLP_TOKEN}"
        [otel.exporter."otlp-http".tls]
        ca-certificate = "certs/otel-ca.pem"
    """,
    )
    result = run("show", "--explain", env={"CODEX_HOME": str(home), "OTLP_TOKEN": SECRET_HEADER})
    assert result.returncode == 0, result.stderr
    rows = _lines(result.stdout)
    codex = f"{home / 'config.toml'} [otel]"
    assert rows["environment"].startswith("staging") and rows["environment"].endswith(codex)
    assert rows["logs.endpoint"].endswith(codex)
    assert rows["logs.headers.x-otlp-api-key"].startswith("****7f3a")
    assert rows["logs.headers.x-otlp-api-key"].endswith(codex)
    assert rows["logs.tls.ca-certificate"].startswith(str(home / "certs" / "otel-ca.pem"))
    assert rows["traces.endpoint"].startswith("https://otel.example.com/v1/traces")
    assert "its /v1/logs path became /v1/traces" in rows["traces.endpoint"]
    assert SECRET_HEADER not in result.stdout
