"""${VAR}, ${VAR:-default}, ${env:VAR} and $$ in string values."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_otel_config.settings.interpolate import InterpolationError, expand, has_reference
from codex_otel_config.settings.model import OtlpHttp
from settings_support import load, one_problem, write

ENV = {"TOKEN": "abc", "EMPTY": "", "HOST": "collector.example.com"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${TOKEN}", "abc"),
        ("Bearer ${TOKEN}!", "Bearer abc!"),
        ("${env:TOKEN}", "abc"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY}", ""),
        ("${MISSING:-}", ""),
        ("$${TOKEN}", "${TOKEN}"),
        ("$$", "$"),
        ("cost: $5", "cost: $5"),
        ("https://${HOST}:${PORT:-4318}", "https://collector.example.com:4318"),
    ],
)
def test_expand(text: str, expected: str) -> None:
    assert expand(text, ENV) == expected


def test_undefined_variable_is_an_error_naming_it() -> None:
    with pytest.raises(InterpolationError) as info:
        expand("x-${NOPE}", ENV)
    assert info.value.variable == "NOPE"
    assert "${NOPE} is not set" in str(info.value)


@pytest.mark.parametrize("text", ["${1BAD}", "${UNCLOSED", "${}"])
def test_invalid_reference(text: str) -> None:
    with pytest.raises(InterpolationError, match="is not a valid reference"):
        expand(text, ENV)


def test_has_reference() -> None:
    assert has_reference("a ${B}") and has_reference("$$")
    assert not has_reference("cost: $5") and not has_reference("plain")


def test_expansion_in_files_reads_the_given_environ(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "${SERVICE:-fallback-svc}"
        [default.exporter.otlp-http]
        endpoint = "https://${HOST}:4318"
        headers = { "authorization" = "Bearer ${TOKEN}", "x-literal" = "$${NOT_EXPANDED}" }
        timeout = "${TIMEOUT_S:-7}"
    """,
    )
    s = load(tmp_path, {"HOST": "c.example.com", "TOKEN": "tok-123"}, files=[f])
    assert s.service_name == "fallback-svc"
    assert s.exporter == OtlpHttp(
        endpoint="https://c.example.com:4318",
        timeout=7.0,
        headers={"authorization": "Bearer tok-123", "x-literal": "${NOT_EXPANDED}"},
    )


def test_expansion_in_codex_config_and_overrides(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        """
        [otel.exporter."otlp-http"]
        endpoint = "https://otel.example.com/v1/logs"
        protocol = "binary"
        [otel.exporter."otlp-http".headers]
        "x-otlp-api-key" = "${OTLP_TOKEN}"
    """,
    )
    s = load(
        tmp_path,
        {"OTLP_TOKEN": "codex-token-1234"},
        overrides={"service_name": "${SVC:-from-override}"},
    )
    assert s.exporter.headers == {"x-otlp-api-key": "codex-token-1234"}  # type: ignore[union-attr]
    assert s.service_name == "from-override"


def test_variables_are_not_expanded_twice(tmp_path: Path) -> None:
    s = load(tmp_path, {"CODEX_OTEL_SERVICE_NAME": "${NOT_A_REFERENCE}"})
    assert s.service_name == "${NOT_A_REFERENCE}"


def test_error_names_key_layer_and_variable(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[staging]\nservice_name = "${SVC_NAME}"\n')
    assert one_problem(tmp_path, files=[f], env="staging") == (
        f"{f} [staging] service_name: ${{SVC_NAME}} is not set (write ${{SVC_NAME:-default}} "
        "to give a default)"
    )


def test_invalid_reference_in_a_secret_is_not_quoted(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.toml",
        """
        [default.exporter.otlp-http]
        endpoint = "https://c.example.com"
        headers = { "x-key" = "tok-${abc-def}" }
    """,
    )
    message = one_problem(tmp_path, files=[f])
    assert message.endswith(
        "x-key: contains an invalid ${…} reference; expected ${NAME} or "
        "${NAME:-default} (write $$ for a literal $)"
    )
    assert "abc-def" not in message
