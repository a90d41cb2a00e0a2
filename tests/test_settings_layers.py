"""Each layer alone and every adjacent pair of layers (who wins), with provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_otel_config.settings.model import NoExporter, OtlpGrpc, OtlpHttp, Statsig
from settings_support import load, write

# -- each layer alone ---------------------------------------------------------------------


def test_builtin_defaults_alone(tmp_path: Path) -> None:
    s = load(tmp_path)
    assert (s.environment, s.service_name, s.log_user_prompt) == ("dev", "codex-cli", False)
    assert s.codex_home == tmp_path
    assert all(isinstance(s.exporter_for(sig), NoExporter) for sig in ("logs", "traces", "metrics"))
    assert s.source_of("service_name").layer == "default"
    assert s.source_of("codex_home").variable == "CODEX_HOME"
    assert not s.exports_anything


def test_fast_and_slow_paths_agree_on_defaults(tmp_path: Path) -> None:
    fast = load(tmp_path)
    slow = load(tmp_path, files=[write(tmp_path / "empty.toml", "[default]\n")])
    for field in (
        "environment",
        "service_name",
        "service_version",
        "exporter",
        "trace_exporter",
        "metrics_exporter",
        "processors",
        "sdk_disabled",
    ):
        assert getattr(fast, field) == getattr(slow, field), field
    assert set(fast.provenance) <= set(slow.provenance)
    for key, source in fast.provenance.items():
        assert slow.provenance[key].layer == source.layer, key


def test_codex_config_alone(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        model = "gpt-5"
        [otel]
        environment = "staging"
        log_user_prompt = true
        exporter = { otlp-http = { endpoint = "https://otel.example/v1/logs", protocol = "json" } }
    """,
    )
    s = load(tmp_path)
    assert s.environment == "staging" and s.log_user_prompt is True
    assert s.exporter == OtlpHttp(endpoint="https://otel.example/v1/logs", protocol="json")
    source = s.source_of("exporter.otlp-http.endpoint")
    assert (source.layer, source.file, source.table) == (
        "codex-config",
        tmp_path / "config.toml",
        "otel",
    )
    assert source.describe() == f"{tmp_path / 'config.toml'} [otel]"


def test_settings_file_alone(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "billing-api"
        [default.exporter.otlp-grpc]
        endpoint = "http://127.0.0.1:4317"
    """,
    )
    s = load(tmp_path, files=[f])
    assert s.service_name == "billing-api"
    assert s.exporter == OtlpGrpc(endpoint="http://127.0.0.1:4317")
    assert s.source_of("service_name").describe() == f"{f} [default]"


def test_otel_variables_alone(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SERVICE_NAME": "from-otel"},
    )
    assert s.service_name == "from-otel"
    assert s.exporter_for("logs").endpoint == "http://127.0.0.1:4318/v1/logs"  # type: ignore[union-attr]
    assert s.exporter_for("traces").endpoint == "http://127.0.0.1:4318/v1/traces"  # type: ignore[union-attr]
    assert s.exporter_for("metrics").endpoint == "http://127.0.0.1:4318/v1/metrics"  # type: ignore[union-attr]
    assert (
        s.source_of("exporter.otlp-http.endpoint").describe() == "env OTEL_EXPORTER_OTLP_ENDPOINT"
    )


def test_codex_variables_alone(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "CODEX_OTEL_SERVICE_NAME": "from-codex-env",
            "CODEX_OTEL_LOG_USER_PROMPT": "true",
            "CODEX_OTEL_TRACE_EXPORTER__OTLP_GRPC__ENDPOINT": "https://c.example.com:4317",
            "CODEX_OTEL_TRACE_EXPORTER__OTLP_GRPC__HEADERS__X_API_KEY": "k-123456789012345",
            "CODEX_OTEL_TRACE_EXPORTER__OTLP_GRPC__TIMEOUT": "2.5",
        },
    )
    assert s.service_name == "from-codex-env" and s.log_user_prompt is True
    assert s.trace_exporter == OtlpGrpc(
        endpoint="https://c.example.com:4317",
        headers={"x-api-key": "k-123456789012345"},
        timeout=2.5,
    )
    assert isinstance(s.exporter, NoExporter)
    assert (
        s.source_of("trace_exporter.otlp-grpc.headers.x-api-key").describe()
        == "env CODEX_OTEL_TRACE_EXPORTER__OTLP_GRPC__HEADERS__X_API_KEY"
    )


def test_overrides_alone(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        overrides={
            "service_name": "from-override",
            "metrics_exporter.otlp-http.endpoint": "http://127.0.0.1:4318",
            "metrics_exporter.otlp-http.timeout": "5",
            "runtime_metrics": "true",
            "resource_attributes.deployment.region": "eu-west-1",
        },
    )
    assert s.service_name == "from-override" and s.runtime_metrics is True
    assert s.metrics_exporter == OtlpHttp(endpoint="http://127.0.0.1:4318", timeout=5.0)
    assert s.resource_attributes == {"deployment.region": "eu-west-1"}
    assert s.source_of("service_name").layer == "override"


def test_override_value_forms(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        overrides={
            "service_name": '"quoted name"',
            "exporter": '{ otlp-http = { endpoint = "http://127.0.0.1:4318", protocol = "json" } }',
            "log_user_prompt": True,
        },
    )
    assert s.service_name == "quoted name" and s.log_user_prompt is True
    assert s.exporter == OtlpHttp(endpoint="http://127.0.0.1:4318", protocol="json")


@pytest.mark.parametrize("inline_first", [True, False])
def test_override_inline_exporter_with_a_dotted_field(tmp_path: Path, inline_first: bool) -> None:
    """``--set 'exporter={ otlp-http = {…} }' --set exporter.otlp-http.timeout=3``: a table
    and one of its fields, in either order, not "a string and a table"."""
    inline = ("exporter", '{ otlp-http = { endpoint = "http://127.0.0.1:4318" } }')
    dotted = ("exporter.otlp-http.timeout", "3")
    s = load(tmp_path, overrides=dict([inline, dotted] if inline_first else [dotted, inline]))
    assert s.exporter == OtlpHttp(endpoint="http://127.0.0.1:4318", timeout=3.0)
    assert s.source_of("exporter.otlp-http.timeout").layer == "override"
    env = {
        "CODEX_OTEL_EXPORTER": inline[1],
        "CODEX_OTEL_EXPORTER__OTLP_HTTP__TIMEOUT": "3",
    }
    from_env = load(tmp_path, env)
    assert from_env.exporter == OtlpHttp(endpoint="http://127.0.0.1:4318", timeout=3.0)
    assert (
        from_env.source_of("exporter.otlp-http.timeout").variable
        == "CODEX_OTEL_EXPORTER__OTLP_HTTP__TIMEOUT"
    )


# -- adjacent pairs -----------------------------------------------------------------------


def test_codex_config_beats_defaults(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", '[otel]\nenvironment = "staging"\n')
    s = load(tmp_path)
    assert s.environment == "staging"
    assert s.source_of("environment").layer == "codex-config"
    assert s.source_of("service_name").layer == "default"


def test_settings_file_beats_codex_config(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel]
        environment = "staging"
        [otel.exporter.otlp-http]
        endpoint = "https://codex.example.com"
        protocol = "binary"
        headers = { "x-codex" = "codex-header-value" }
    """,
    )
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        environment = "prod"
        [default.exporter.otlp-http.headers]
        x-file = "file-header-value"
    """,
    )
    s = load(tmp_path, files=[f])
    assert s.environment == "prod"
    # Same exporter kind: the file's table merges into Codex's.
    assert isinstance(s.exporter, OtlpHttp)
    assert s.exporter.endpoint == "https://codex.example.com"
    assert dict(s.exporter.headers) == {
        "x-codex": "codex-header-value",
        "x-file": "file-header-value",
    }
    assert s.source_of("exporter.otlp-http.endpoint").layer == "codex-config"
    assert s.source_of("exporter.otlp-http.headers.x-file").layer == "file"


def test_other_exporter_kind_replaces(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel.exporter.otlp-http]
        endpoint = "https://codex.example.com"
        protocol = "json"
        headers = { "x-codex" = "codex-header-value" }
    """,
    )
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-grpc]
        endpoint = "https://grpc.example.com:4317"
    """,
    )
    s = load(tmp_path, files=[f])
    assert s.exporter == OtlpGrpc(endpoint="https://grpc.example.com:4317")
    assert not any(k.startswith("exporter.otlp-http") for k in s.provenance)


def test_environment_table_beats_default_table(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "svc"
        log_user_prompt = false
        [production]
        log_user_prompt = true
        [development]
        service_name = "svc-dev"
    """,
    )
    prod = load(tmp_path, files=[f], env="production")
    assert (prod.service_name, prod.log_user_prompt, prod.environment) == (
        "svc",
        True,
        "production",
    )
    assert prod.source_of("log_user_prompt").table == "production"
    assert prod.source_of("environment").layer == "derived"
    plain = load(tmp_path, files=[f])
    assert (plain.service_name, plain.log_user_prompt, plain.environment) == ("svc", False, "dev")
    via_var = load(tmp_path, {"CODEX_OTEL_ENV": "Development"}, files=[f])
    assert via_var.service_name == "svc-dev"
    assert via_var.source_of("environment").variable == "CODEX_OTEL_ENV"


def test_secrets_file_beats_its_settings_file(tmp_path: Path) -> None:
    f = write(
        tmp_path / "conf" / "settings.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://collector.example.com"
        headers = { "x-api-key" = "placeholder" }
        [production.exporter.otlp-http]
        endpoint = "https://prod.example.com"
    """,
    )
    write(
        tmp_path / "conf" / ".secrets.toml",
        """
        [default.exporter.otlp-http.headers]
        x-api-key = "real-secret-value-1234"
        [production.exporter.otlp-http.headers]
        x-prod = "prod-secret-value-5678"
    """,
    )
    s = load(tmp_path, files=[f], env="production")
    assert isinstance(s.exporter, OtlpHttp)
    assert s.exporter.endpoint == "https://prod.example.com"
    assert dict(s.exporter.headers) == {
        "x-api-key": "real-secret-value-1234",
        "x-prod": "prod-secret-value-5678",
    }
    source = s.source_of("exporter.otlp-http.headers.x-api-key")
    assert (source.layer, source.file) == ("secrets", tmp_path / "conf" / ".secrets.toml")


def test_later_settings_file_beats_earlier(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[default]\nservice_name = "a"\nenvironment = "a-env"\n')
    b = write(tmp_path / "b.toml", '[default]\nservice_name = "b"\n')
    s = load(tmp_path, files=[a, b])
    assert (s.service_name, s.environment) == ("b", "a-env")


def test_otel_variables_beat_settings_file(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "from-file"
        [default.exporter.otlp-http]
        endpoint = "https://file.example.com"
        headers = { "x-file" = "file-value-123456" }
        timeout = 3
    """,
    )
    s = load(
        tmp_path,
        {
            "OTEL_SERVICE_NAME": "from-otel",
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "https://otel.example.com/custom/logs",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-otel=otel-value",
        },
        files=[f],
    )
    assert s.service_name == "from-otel"
    assert isinstance(s.exporter, OtlpHttp)
    assert s.exporter.endpoint == "https://otel.example.com/custom/logs"
    assert dict(s.exporter.headers) == {"x-file": "file-value-123456", "x-otel": "otel-value"}
    assert s.exporter.timeout == 3.0
    assert s.source_of("exporter.otlp-http.endpoint").variable == "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"
    assert s.source_of("exporter.otlp-http.timeout").layer == "file"


def test_codex_variables_beat_otel_variables(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "OTEL_SERVICE_NAME": "from-otel",
            "CODEX_OTEL_SERVICE_NAME": "from-codex",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "CODEX_OTEL_EXPORTER__OTLP_HTTP__ENDPOINT": "http://127.0.0.1:9999",
        },
    )
    assert s.service_name == "from-codex"
    assert s.exporter_for("logs").endpoint == "http://127.0.0.1:9999/v1/logs"  # type: ignore[union-attr]
    assert s.source_of("service_name").variable == "CODEX_OTEL_SERVICE_NAME"


def test_overrides_beat_codex_variables(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {
            "CODEX_OTEL_SERVICE_NAME": "from-codex",
            "CODEX_OTEL_EXPORTER": "statsig",
            "STATSIG_SERVER_SDK_SECRET": "secret-key-1234",
        },
        overrides={"service_name": "from-override", "exporter": "none"},
    )
    assert s.service_name == "from-override"
    assert isinstance(s.exporter, NoExporter)
    assert s.source_of("exporter").layer == "override"


# -- trace_exporter inheritance and Statsig -----------------------------------------------


def test_trace_exporter_inherits_and_fixes_logs_path(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel.exporter."otlp-http"]
        endpoint = "https://otel.example.com/v1/logs"
        protocol = "binary"
        [otel.exporter."otlp-http".headers]
        "x-otlp-api-key" = "abcdefghijklmnop"
    """,
    )
    s = load(tmp_path)
    assert s.trace_exporter == OtlpHttp(
        endpoint="https://otel.example.com/v1/traces",
        headers={"x-otlp-api-key": "abcdefghijklmnop"},
    )
    source = s.source_of("trace_exporter.otlp-http.endpoint")
    assert source.layer == "derived"
    assert "/v1/logs" in source.describe() and "/v1/traces" in source.describe()
    assert "config.toml [otel]" in source.describe()


def test_trace_exporter_set_explicitly_does_not_inherit(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel]
        exporter = { otlp-http = { endpoint = "https://otel.example.com", protocol = "binary" } }
        trace_exporter = "none"
    """,
    )
    s = load(tmp_path)
    assert isinstance(s.trace_exporter, NoExporter)
    assert s.source_of("trace_exporter").layer == "codex-config"


def test_trace_fields_merge_into_inherited_exporter(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://otel.example.com"
        headers = { "x-a" = "aaaaaaaaaaaaaaaa" }
        [default.trace_exporter.otlp-http.headers]
        x-b = "bbbbbbbbbbbbbbbb"
    """,
    )
    s = load(tmp_path, files=[f])
    assert isinstance(s.trace_exporter, OtlpHttp)
    assert s.trace_exporter.endpoint == "https://otel.example.com"
    assert dict(s.trace_exporter.headers) == {"x-a": "aaaaaaaaaaaaaaaa", "x-b": "bbbbbbbbbbbbbbbb"}
    assert s.source_of("trace_exporter.otlp-http.headers.x-a").layer == "derived"
    assert s.source_of("trace_exporter.otlp-http.headers.x-b").layer == "file"


def test_statsig_metrics_key_from_variable_and_setting(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default]\nmetrics_exporter = "statsig"\n')
    s = load(tmp_path, {"STATSIG_SERVER_SDK_SECRET": "secret-from-variable"}, files=[f])
    assert s.metrics_exporter == Statsig(api_key="secret-from-variable")
    resolved = s.exporter_for("metrics")
    assert resolved == OtlpHttp(
        endpoint="https://api.statsig.com/otlp/v1/metrics",
        headers={"statsig-api-key": "secret-from-variable"},
        protocol="json",
    )
    assert s.source_of("metrics_exporter.statsig.api_key").variable == "STATSIG_SERVER_SDK_SECRET"
    assert s.warnings == ()
    g = write(
        tmp_path / "g.toml",
        """
        [default.metrics_exporter.statsig]
        api_key = "secret-from-setting"
    """,
    )
    s2 = load(tmp_path, {"STATSIG_SERVER_SDK_SECRET": "secret-from-variable"}, files=[g])
    assert s2.metrics_exporter == Statsig(api_key="secret-from-setting")


def test_statsig_warnings(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml", '[default]\nexporter = "statsig"\nmetrics_exporter = "statsig"\n'
    )
    s = load(tmp_path, {"STATSIG_SERVER_SDK_SECRET": "client-abcdef123456"}, files=[f])
    text = "\n".join(s.warnings)
    assert "exporter is statsig" in text and "meant for metrics" in text
    assert 'does not start with "secret-"' in text
    assert "client-abcdef123456" not in text


# -- file discovery -----------------------------------------------------------------------


def test_default_files_project_beats_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    project = tmp_path / "project"
    write(home / "otel.toml", '[default]\nservice_name = "home"\nenvironment = "home-env"\n')
    write(project / "codex-otel.toml", '[default]\nservice_name = "project"\n')
    monkeypatch.chdir(project)
    s = load(home)
    assert (s.service_name, s.environment) == ("project", "home-env")
    assert s.source_of("environment").file == home / "otel.toml"
    assert s.source_of("service_name").file == Path("codex-otel.toml")


def test_settings_files_variable_replaces_defaults(tmp_path: Path) -> None:
    write(tmp_path / "otel.toml", '[default]\nservice_name = "home"\n')
    a = write(tmp_path / "x" / "a.toml", '[default]\nservice_name = "a"\n')
    b = write(tmp_path / "x" / "b.toml", '[default]\nenvironment = "b"\n')
    s = load(tmp_path, {"CODEX_OTEL_SETTINGS_FILES": f"{a}, {b}"})
    assert (s.service_name, s.environment) == ("a", "b")
    assert (
        load(tmp_path, {"CODEX_OTEL_SETTINGS_FILES": str(a)}, files=[]).service_name == "codex-cli"
    )


def test_real_os_environ_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codex_otel_config.settings.loader import load_settings

    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    monkeypatch.setenv("CODEX_OTEL_SERVICE_NAME", "from-os-environ")
    assert load_settings().service_name == "from-os-environ"
    # An explicit environ hides os.environ completely.
    assert load_settings(environ={"CODEX_HOME": str(tmp_path)}).service_name == "codex-cli"


def test_dynaconf_reads_nothing_behind_our_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = write(tmp_path / "evil.toml", '[default]\nservice_name = "evil"\n')
    for name, value in {
        "SETTINGS_FILE_FOR_DYNACONF": str(evil),
        "DYNACONF_SERVICE_NAME": "evil",
        "ENVVAR_PREFIX_FOR_DYNACONF": "DYNACONF",
        "INCLUDES_FOR_DYNACONF": str(evil),
        "LOAD_DOTENV_FOR_DYNACONF": "true",
        "AUTO_CAST_FOR_DYNACONF": "true",
    }.items():
        monkeypatch.setenv(name, value)
    write(tmp_path / ".env", "SERVICE_NAME=evil\n")
    monkeypatch.chdir(tmp_path)
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "good"
        [default.exporter.otlp-http]
        endpoint = "http://127.0.0.1:4318"
        headers = { "x-token" = "@format {env[HOME]}" }
    """,
    )
    s = load(tmp_path, files=[f])
    assert s.service_name == "good"
    assert isinstance(s.exporter, OtlpHttp)
    assert s.exporter.headers["x-token"] == "@format {env[HOME]}"


def test_dynaconf_variables_do_not_change_which_tables_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dynaconf applies its *_FOR_DYNACONF variables over its init arguments; ours win."""
    for name, value in {
        "ENVIRONMENTS_FOR_DYNACONF": "false",
        "ENV_FOR_DYNACONF": "development",
        "DEFAULT_ENV_FOR_DYNACONF": "development",
        "MERGE_ENABLED_FOR_DYNACONF": "true",
    }.items():
        monkeypatch.setenv(name, value)
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "base"
        [development]
        service_name = "dev"
        [production]
        environment = "prod"
    """,
    )
    s = load(tmp_path, {"CODEX_OTEL_ENV": "production"}, files=[f])
    assert (s.service_name, s.environment) == ("base", "prod")
    assert s.source_of("environment").table == "production"


def test_list_environments(tmp_path: Path) -> None:
    from codex_otel_config.settings.loader import list_environments

    f = write(tmp_path / "s.toml", "[production]\n[default]\n[development]\n")
    write(tmp_path / ".secrets.toml", "[staging]\n")
    env = {"CODEX_HOME": str(tmp_path)}
    assert list_environments(files=[f], environ=env) == (
        "default",
        "development",
        "production",
        "staging",
    )
    assert list_environments(files=[], environ=env) == ()


@pytest.mark.timeout(60)
def test_nothing_to_load_never_imports_dynaconf(tmp_path: Path) -> None:
    import subprocess
    import sys

    write(tmp_path / "config.toml", 'model = "gpt-5"\n[profiles.x]\nmodel = "o3"\n')
    home = repr(str(tmp_path))
    code = (
        "import sys; from codex_otel_config import load_settings; "
        f"s = load_settings(environ={{'CODEX_HOME': {home}, 'CODEX_OTEL_ENV': 'prod'}}); "
        "assert 'dynaconf' not in sys.modules, 'dynaconf imported'; "
        "assert s.environment == 'prod' and not s.exports_anything; "
        f"load_settings(environ={{'CODEX_HOME': {home}, 'CODEX_OTEL_SERVICE_NAME': 'x'}}); "
        "assert 'dynaconf' not in sys.modules, 'variables alone need no dynaconf'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_codex_documented_shapes(tmp_path: Path) -> None:
    """The three [otel] shapes of Codex's own docs, verbatim."""
    write(
        tmp_path / "config.toml",
        """
        [otel]
        environment = "staging"   # defaults to "dev"
        exporter = "none"
        log_user_prompt = false
    """,
    )
    simple = load(tmp_path)
    assert simple.environment == "staging" and not simple.exports_anything

    write(
        tmp_path / "config.toml",
        """
        [otel]
        exporter = { otlp-grpc = {endpoint = "https://otel.example.com:4317", headers = { "x-otlp-meta" = "abc123" }}}
    """,  # noqa: E501 (Codex's documented one-line inline form, verbatim)
    )
    inline = load(tmp_path)
    grpc = OtlpGrpc(endpoint="https://otel.example.com:4317", headers={"x-otlp-meta": "abc123"})
    assert inline.exporter == grpc and inline.trace_exporter == grpc

    for name in ("otel-ca.pem", "client.pem", "client-key.pem"):
        (tmp_path / name).write_text("pem")
    write(
        tmp_path / "config.toml",
        f"""
        [otel.exporter."otlp-http"]
        endpoint = "https://otel.example.com/v1/logs"
        protocol = "binary"
        [otel.exporter."otlp-http".headers]
        "x-otlp-api-key" = "${{OTLP_TOKEN}}"
        [otel.exporter."otlp-http".tls]
        ca-certificate = "otel-ca.pem"
        client-certificate = "{tmp_path / "client.pem"}"
        client-private-key = "{tmp_path / "client-key.pem"}"
    """,
    )
    tables = load(tmp_path, {"OTLP_TOKEN": "token-value-123456"})
    assert isinstance(tables.exporter, OtlpHttp)
    assert tables.exporter.headers == {"x-otlp-api-key": "token-value-123456"}
    assert tables.exporter.tls is not None and tables.exporter.tls.is_mtls
    assert tables.exporter.tls.ca_certificate == tmp_path / "otel-ca.pem"
