"""The schema table drives the docs and the defaults: neither may drift from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_otel_config.settings import loader, schema
from codex_otel_config.settings.model import OtelSettings

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", [p.key for p in schema.ALL_PARAMS])
def test_docs_mention_every_key(key: str) -> None:
    assert f"`{key}`" in DOCS


@pytest.mark.parametrize("variable", schema.every_variable())
def test_docs_mention_every_variable(variable: str) -> None:
    assert f"`{variable}" in DOCS


def test_every_model_field_is_declared() -> None:
    fields = set(OtelSettings.__dataclass_fields__) - {"provenance", "warnings"}
    assert fields == set(schema.TOP_LEVEL_KEYS)


def test_the_schema_defaults_are_what_loads_with_nothing_configured(tmp_path: Path) -> None:
    """One declaration of each default: a load through the full loader (a variable that sets
    nothing else forces it) gives every declared default."""
    loaded = loader.load_settings(
        files=[], environ={"CODEX_HOME": str(tmp_path), "OTEL_SERVICE_NAME": "codex-cli"}
    )
    for param in schema.SETTINGS:
        if param.key in ("codex_home", "trace_exporter") or "." in param.key:
            continue
        value = getattr(loaded, param.key)
        if param.type == "exporter":
            value = value.kind
        elif param.type == "table":
            value = dict(value)
        assert value == param.default, param.key
    assert loaded.processors == OtelSettings().processors
    assert loaded.trace_exporter.kind == "none"  # follows exporter


def test_secret_keys_are_the_header_tables_and_the_statsig_key() -> None:
    assert {"otlp-http.headers", "otlp-grpc.headers", "statsig.api_key"} == schema.SECRET_KEYS
