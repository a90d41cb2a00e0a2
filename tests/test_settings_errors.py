"""Every SettingsError the loader raises: dotted key, layer, and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_otel_config.errors import SettingsError
from settings_support import load, one_problem, problems, write


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default]\nservice_name = "ok"\nexporter = \n')
    assert one_problem(tmp_path, files=[f]) == (
        f"{f} line 3: invalid TOML: invalid value (column 12)"
    )


def test_malformed_codex_config(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "[otel\n")
    assert one_problem(tmp_path).startswith(f"{tmp_path / 'config.toml'} line 1: invalid TOML")


def test_multi_line_inline_table_gets_a_hint(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel]
        exporter = { otlp-grpc = {endpoint = "https://otel.example.com:4317",
          headers = { "x-otlp-meta" = "abc123" }}}
    """,
    )
    assert "inline tables { … } must fit on one line" in one_problem(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_bytes(b'[default]\nservice_name = "\xff\xfe"\n')
    assert (
        one_problem(tmp_path, files=[f])
        == f"{f} line 2: is not UTF-8 text; settings files are TOML"
    )


def test_missing_settings_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert one_problem(tmp_path, files=[missing]) == (
        f"{missing} file: settings file not found (named by files=)"
    )
    assert "CODEX_OTEL_SETTINGS_FILES" in one_problem(
        tmp_path, {"CODEX_OTEL_SETTINGS_FILES": str(missing)}
    )


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[production]\nservice_nmae = "x"\n')
    message = one_problem(tmp_path, files=[f], env="production")
    assert message.startswith(
        f'{f} [production] service_nmae: unknown key (did you mean "service_name"?)'
    )


def test_unknown_exporter_field_and_tls_key(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://c.example.com"
        endpiont = "x"
        tls = { ca-cert = "ca.pem" }
    """,
    )
    found = problems(tmp_path, files=[f])
    assert (
        f'{f} [default] exporter.otlp-http.endpiont: unknown key (did you mean "endpoint"?)'
        in found[0]
    )
    assert (
        f'{f} [default] exporter.otlp-http.tls.ca-cert: unknown key (did you mean "ca-certificate"?)'  # noqa: E501
        in found[1]
    )


def test_non_codex_key_in_codex_otel_table(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", '[otel]\nservice_name = "x"\nlog_user_prompts = true\n')
    found = problems(tmp_path)
    assert "service_name: is not a key of Codex's [otel] table" in found[0]
    assert 'log_user_prompts: unknown key (did you mean "log_user_prompt"?)' in found[1]


def test_top_level_value_in_settings_file(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", 'sevice_name = "x"\n')
    assert "sevice_name: is not a settings key; a settings file holds environments as tables" in (
        one_problem(tmp_path, files=[f])
    )


def test_top_level_settings_keys_act_as_default(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", 'service_name = "top"\n[production]\nenvironment = "p"\n')
    s = load(tmp_path, files=[f], env="production")
    assert (s.service_name, s.environment) == ("top", "p")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            'log_user_prompt = "yes"',
            "log_user_prompt: expected a boolean (true or false), found a string",
        ),
        ("service_name = 42", "service_name: expected a string, found an integer"),
        (
            '[default.exporter.otlp-http]\nendpoint = "https://c"\ntimeout = "soon"',
            "exporter.otlp-http.timeout: expected a number of seconds from 0 to 2147483.647, found a string",  # noqa: E501
        ),
        (
            '[default.exporter.otlp-http]\nendpoint = "https://c"\ntimeout = -1',
            'exporter.otlp-http.timeout: expected a number of seconds from 0 to 2147483.647, found "-1"',  # noqa: E501
        ),
        (
            '[default.exporter.otlp-http]\nendpoint = "https://c"\nheaders = { x-key = 5 }',
            "exporter.otlp-http.headers.x-key: expected a string, found an integer",
        ),
        (
            "exporter = 5",
            'exporter: expected a string ("none", "statsig", "console") or a table naming its kind, found an integer',  # noqa: E501
        ),
        (
            "[default.processors]\nbsp_max_queue_size = 1.5",
            'processors.bsp_max_queue_size: expected a whole number from 1 to 1000000, found "1.5"',
        ),
    ],
)
def test_wrong_type(tmp_path: Path, toml: str, expected: str) -> None:
    body = toml if toml.startswith("[") else f"[default]\n{toml}"
    f = write(tmp_path / "s.toml", body + "\n")
    assert one_problem(tmp_path, files=[f]) == f"{f} [default] {expected}"


def test_unknown_exporter_kind(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default]\nexporter = "zipkin"\ntrace_exporter = "statsg"\n')
    found = problems(tmp_path, files=[f])
    assert found[0].endswith(
        'exporter: "zipkin" is not one of "none", "statsig", "otlp-http", "otlp-grpc", "console"'
    )
    assert found[1].endswith('(did you mean "statsig"?)')


def test_unknown_protocol_in_production_table(tmp_path: Path) -> None:
    f = write(
        tmp_path / "settings.toml",
        """
        [production.exporter.otlp-http]
        endpoint = "https://c.example.com"
        protocol = "xml"
    """,
    )
    assert one_problem(tmp_path, files=[f], env="production") == (
        f'{f} [production] exporter.otlp-http.protocol: "xml" is not one of "binary", "json"'
    )


def test_http_json_protocol_gets_a_hint(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://c.example.com"
        protocol = "http/json"
    """,
    )
    assert 'use "json"' in one_problem(tmp_path, files=[f])


def test_bare_string_otlp_http(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", '[otel]\nexporter = "otlp-http"\n')
    message = one_problem(tmp_path)
    assert message.startswith(
        f'{tmp_path / "config.toml"} [otel] exporter: "otlp-http" needs a table with an endpoint'
    )
    assert "[otel.exporter.otlp-http]" in message


def test_string_mixed_with_table_in_toml(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel]
        trace_exporter = "otlp-http"
        [otel.trace_exporter.otlp-http]
        endpoint = "https://c.example.com"
    """,
    )
    assert one_problem(tmp_path) == (
        f"{tmp_path / 'config.toml'} trace_exporter: is a string on line 2 and a table on line 3; "
        'an exporter is either a string ("none", "statsig", "console") or a table naming its '
        "kind, not both: remove line 2"
    )


def test_string_mixed_with_table_names_the_string_of_that_table(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        exporter = "none"
        [production]
        exporter = "none"
        [production.exporter.otlp-http]
    """,
    )
    assert one_problem(tmp_path, files=[f]).startswith(
        f"{f} exporter: is a string on line 4 and a table on line 5;"
    )


def test_string_mixed_with_table_in_variables(tmp_path: Path) -> None:
    message = one_problem(
        tmp_path,
        {
            "CODEX_OTEL_TRACE_EXPORTER": "otlp-http",
            "CODEX_OTEL_TRACE_EXPORTER__OTLP_HTTP__ENDPOINT": "https://c.example.com",
        },
    )
    assert message.startswith(
        "env CODEX_OTEL_* trace_exporter: is given both as a string and as a table"
    )
    assert "CODEX_OTEL_TRACE_EXPORTER, CODEX_OTEL_TRACE_EXPORTER__OTLP_HTTP__ENDPOINT" in message


def test_two_kinds_in_one_table(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel.exporter.otlp-http]
        endpoint = "https://a"
        [otel.exporter.otlp-grpc]
        endpoint = "https://b"
    """,
    )
    assert "names 2 exporter kinds" in one_problem(tmp_path)


def test_missing_endpoint(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default.exporter.otlp-http]\nprotocol = "json"\n')
    assert one_problem(tmp_path, files=[f]).startswith(
        f"{f} [default] exporter.otlp-http.endpoint: is required"
    )


def test_grpc_endpoint_with_path(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        '[default.trace_exporter.otlp-grpc]\nendpoint = "https://c:4317/v1/traces"\n',
    )
    assert one_problem(tmp_path, files=[f]) == (
        f"{f} [default] trace_exporter.otlp-grpc.endpoint: gRPC endpoints take no path; found "
        '"/v1/traces" (write https://c:4317)'
    )


def test_endpoint_not_a_url(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default.exporter.otlp-grpc]\nendpoint = "collector:4317"\n')
    assert '"collector:4317" is not a URL; expected http://host:port' in one_problem(
        tmp_path, files=[f]
    )


def test_tls_block_on_http_endpoint(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("pem")
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "http://c.example.com:4318"
        tls = { ca-certificate = "ca.pem" }
    """,
    )
    assert one_problem(tmp_path, files=[f]).startswith(
        f"{f} [default] exporter.otlp-http.tls: a TLS block needs an https:// endpoint, but the "
        'endpoint is "http://c.example.com:4318"'
    )


@pytest.mark.parametrize(
    ("given", "missing"),
    [("client-certificate", "client-private-key"), ("client-private-key", "client-certificate")],
)
def test_client_certificate_and_key_come_together(tmp_path: Path, given: str, missing: str) -> None:
    (tmp_path / "file.pem").write_text("pem")
    f = write(
        tmp_path / "s.toml",
        f"""
        [default.exporter.otlp-grpc]
        endpoint = "https://c.example.com:4317"
        tls = {{ {given} = "file.pem" }}
    """,
    )
    assert one_problem(tmp_path, files=[f]) == (
        f"{f} [default] exporter.otlp-grpc.tls.{missing}: is missing: {given} and {missing} must "
        "be given together for mTLS"
    )


def test_missing_certificate_file_relative_to_the_file(tmp_path: Path) -> None:
    f = write(
        tmp_path / "conf" / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://c.example.com"
        tls = { ca-certificate = "certs/ca.pem" }
    """,
    )
    assert one_problem(tmp_path, files=[f]) == (
        f"{f} [default] exporter.otlp-http.tls.ca-certificate: file not found: "
        f"{tmp_path / 'conf' / 'certs' / 'ca.pem'}"
    )


def test_codex_relative_tls_paths_resolve_against_codex_home(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "otel-ca.pem").write_text("pem")
    write(
        tmp_path / "config.toml",
        """
        [otel.exporter."otlp-http"]
        endpoint = "https://otel.example.com/v1/logs"
        protocol = "binary"
        [otel.exporter."otlp-http".tls]
        ca-certificate = "certs/otel-ca.pem"
    """,
    )
    s = load(tmp_path)
    assert s.exporter.tls.ca_certificate == tmp_path / "certs" / "otel-ca.pem"  # type: ignore[union-attr]


def test_statsig_without_key_names_both_places(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[default]\nmetrics_exporter = "statsig"\n')
    message = one_problem(tmp_path, files=[f])
    assert message.startswith(
        f"{f} [default] metrics_exporter.statsig.api_key: Statsig needs a server key"
    )
    assert "api_key" in message and "STATSIG_SERVER_SDK_SECRET" in message


def test_undefined_variable_in_a_value(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://c.example.com"
        headers = { "x-api-key" = "${OTLP_TOKEN}" }
    """,
    )
    assert one_problem(tmp_path, files=[f]) == (
        f"{f} [default] exporter.otlp-http.headers.x-api-key: ${{OTLP_TOKEN}} is not set "
        "(write ${OTLP_TOKEN:-default} to give a default)"
    )


def test_unknown_codex_variable_did_you_mean(tmp_path: Path) -> None:
    assert one_problem(tmp_path, {"CODEX_OTEL_SERVICENAME": "x"}) == (
        "env CODEX_OTEL_SERVICENAME servicename: unknown key (did you mean "
        "CODEX_OTEL_SERVICE_NAME?)"
    )


def test_unknown_part_of_a_codex_variable_reads_like_a_file_key(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "CODEX_OTEL_EXPORTER__OTLP_HTTP__ENDPOINT": "https://c.example.com",
            "CODEX_OTEL_EXPORTER__OTLP_HTTP__TLS__CA_CERT": "ca.pem",
            "CODEX_OTEL_METRICS_EXPORTER__OTLP_HTP__ENDPOINT": "https://c.example.com",
        },
    )
    assert found == [
        "env CODEX_OTEL_EXPORTER__OTLP_HTTP__TLS__CA_CERT exporter.otlp-http.tls.ca_cert: unknown "
        'key (did you mean "ca-certificate"?); tls takes ca-certificate, client-certificate, '
        "client-private-key",
        'env CODEX_OTEL_METRICS_EXPORTER__OTLP_HTP__ENDPOINT metrics_exporter.otlp_htp: "otlp_htp" '
        'is not one of "none", "statsig", "otlp-http", "otlp-grpc", "console" (did you mean '
        '"otlp-http"?)',
    ]


def test_a_missing_endpoint_names_the_variable_that_chose_the_exporter(tmp_path: Path) -> None:
    found = problems(tmp_path, {"CODEX_OTEL_EXPORTER__OTLP_HTTP__HEADERS__X_KEY": "k"})
    assert found == [
        "env CODEX_OTEL_EXPORTER__OTLP_HTTP__HEADERS__X_KEY exporter.otlp-http.endpoint: is "
        'required: otlp-http needs the collector URL (e.g. endpoint = "https://collector.'
        'example.com:4318")'
    ]


def test_bad_codex_variable_value_names_the_variable(tmp_path: Path) -> None:
    assert one_problem(tmp_path, {"CODEX_OTEL_LOG_USER_PROMPT": "maybe"}) == (
        'env CODEX_OTEL_LOG_USER_PROMPT log_user_prompt: expected a boolean (true or false), found "maybe"'  # noqa: E501
    )


def test_bad_override(tmp_path: Path) -> None:
    assert one_problem(
        tmp_path,
        overrides={
            "exporter.otlp-http.protocol": "xml",
            "exporter.otlp-http.endpoint": "https://c",
        },
    ) == ('override exporter.otlp-http.protocol: "xml" is not one of "binary", "json"')
    assert one_problem(tmp_path, overrides={"servce_name": "x"}).startswith(
        'override servce_name: unknown key (did you mean "service_name"?)'
    )


def test_every_problem_in_one_raise_with_key_and_layer(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", '[otel]\nexporter = "otlp-http"\n')
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_nmae = "x"
        [default.metrics_exporter.otlp-http]
        endpoint = "http://c"
        protocol = "xml"
    """,
    )
    with pytest.raises(SettingsError) as info:
        load(tmp_path, {"OTEL_EXPORTER_OTLP_TIMEOUT": "x"}, files=[f])
    err = info.value
    assert len(err.problems) == 4
    assert err.key == "exporter" and err.layer == f"{tmp_path / 'config.toml'} [otel]"
    assert "4 problems" in str(err)


@pytest.mark.parametrize(
    "variable",
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "CODEX_OTEL_EXPORTER__OTLP_HTTP__ENDPOINT",
    ],
)
@pytest.mark.parametrize(
    "url", ["admin:hunter2-pw@collector:4318", "ftp://admin:hunter2-pw@collector:4318"]
)
def test_credentials_in_a_malformed_endpoint_are_masked(
    tmp_path: Path, variable: str, url: str
) -> None:
    found = one_problem(tmp_path, {variable: url})
    assert "hunter2" not in found and "****@collector:4318" in found, found


def test_batch_larger_than_queue_names_the_layer_that_shrank_the_queue(tmp_path: Path) -> None:
    """The default batch (512) is not the user's doing: the problem names the variable that
    set the queue size, not "built-in default"."""
    found = one_problem(tmp_path, {"OTEL_BSP_MAX_QUEUE_SIZE": "8"})
    assert found == (
        "env OTEL_BSP_MAX_QUEUE_SIZE processors.bsp_max_export_batch_size: 512 exceeds the "
        "queue size 8"
    )


def test_a_broken_inline_table_is_refused_not_read_as_pairs(tmp_path: Path) -> None:
    broken = '{ team = "core"'
    too_deep = "{ a = " + "[" * 40 + "]" * 40 + " }"
    for text in (broken, too_deep):
        assert one_problem(tmp_path, {"CODEX_OTEL_RESOURCE_ATTRIBUTES": text}) == (
            "env CODEX_OTEL_RESOURCE_ATTRIBUTES resource_attributes: is not a valid TOML "
            "inline table"
        )
        assert one_problem(tmp_path, overrides={"resource_attributes": text}) == (
            "override resource_attributes: is not a valid TOML inline table"
        )


def test_a_batch_larger_than_the_queue_names_the_queue_variable(tmp_path: Path) -> None:
    env = {"OTEL_BSP_MAX_QUEUE_SIZE": "8", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    assert one_problem(tmp_path, env) == (
        "env OTEL_BSP_MAX_QUEUE_SIZE processors.bsp_max_export_batch_size: 512 exceeds the "
        "queue size 8"
    )


def test_a_settings_file_not_named_toml_is_refused_not_skipped(tmp_path: Path) -> None:
    """dynaconf reads a file by its extension: otel.conf would be skipped without a word."""
    f = write(tmp_path / "otel.conf", '[default]\nservice_name = "x"\n')
    assert one_problem(tmp_path, files=[f]) == (
        f"{f} file: is not a .toml file: settings files are TOML, named *.toml"
    )
    ok = write(tmp_path / "otel.tml", '[default]\nservice_name = "x"\n')
    assert load(tmp_path, files=[ok]).service_name == "x"
