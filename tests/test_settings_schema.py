"""The schema table drives the docs and the defaults: neither may drift from it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from codex_otel_config.settings import loader, schema
from codex_otel_config.settings.model import OtelSettings

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
DEFAULTS = Path(schema.__file__).with_name("defaults.toml")


@pytest.mark.parametrize("key", [p.key for p in schema.ALL_PARAMS])
def test_docs_mention_every_key(key: str) -> None:
    assert f"`{key}`" in DOCS


@pytest.mark.parametrize("variable", schema.every_variable())
def test_docs_mention_every_variable(variable: str) -> None:
    assert f"`{variable}" in DOCS


def test_every_model_field_is_declared() -> None:
    fields = set(OtelSettings.__dataclass_fields__) - {"provenance", "warnings"}
    assert fields == set(schema.TOP_LEVEL_KEYS)


def test_defaults_toml_agrees_with_schema() -> None:
    data = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))
    for param in schema.SETTINGS:
        head = param.key.split(".")[0]
        if param.key in ("service_version", "codex_home", "trace_exporter"):
            assert head not in data  # computed, or deliberately absent (follows exporter)
        elif "." in param.key:
            assert data[head] == {}  # processors: SDK defaults
        else:
            assert data[param.key] == param.default, param.key


def test_fast_path_constants_agree_with_schema() -> None:
    assert set(loader._CONTROL_VARIABLES) == set(schema.CONTROL_VARIABLES)
    declared = {p.key for p in schema.SETTINGS} - {"trace_exporter"}
    assert set(loader._DEFAULT_KEYS) == declared
    assert loader._EXPORTER_KEYS == schema.EXPORTER_KEYS


def test_secret_keys_are_the_header_tables_and_the_statsig_key() -> None:
    assert {"otlp-http.headers", "otlp-grpc.headers", "statsig.api_key"} == schema.SECRET_KEYS


def test_defaults_toml_ships_in_the_package() -> None:
    assert DEFAULTS.is_file() and DEFAULTS.parent.name == "settings"
