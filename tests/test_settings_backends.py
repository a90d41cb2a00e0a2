"""Variables-only configurations merge without dynaconf; both merge backends must agree."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from codex_otel_config.errors import SettingsError
from codex_otel_config.settings import loader
from codex_otel_config.settings.model import OtelSettings

CASES: list[tuple[dict[str, str], dict[str, Any] | None]] = [
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, None),
    (
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc,x-tenant=t1",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-trace=1",
            "OTEL_RESOURCE_ATTRIBUTES": "team=obs,region=eu",
            "OTEL_METRICS_EXPORTER": "none",
        },
        None,
    ),
    (
        {
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://c:4318/v1/logs",
            "CODEX_OTEL_EXPORTER__OTLP_HTTP__HEADERS__X_KEY": "k1",
            "CODEX_OTEL_SERVICE_NAME": "svc",
        },
        {"exporter.otlp-http.headers.x-other": "v", "resource_attributes.a": "b"},
    ),
    ({}, {"trace_exporter.otlp-grpc.endpoint": "http://127.0.0.1:4317", "environment": "ci"}),
    (
        {"STATSIG_SERVER_SDK_SECRET": "secret-abcdefghijkl"},
        {"metrics_exporter": "statsig", "exporter.otlp-http.endpoint": "http://h:4318"},
    ),
    ({"OTEL_EXPORTER_OTLP_PROTOCOL": "xml", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://h"}, None),
]


def _load(environ: Mapping[str, str], overrides: dict[str, Any] | None) -> OtelSettings | str:
    try:
        return loader.load_settings(files=[], environ=dict(environ), overrides=overrides)
    except SettingsError as exc:
        return str(exc)


@pytest.mark.parametrize(("environ", "overrides"), CASES)
def test_dict_and_dynaconf_backends_agree(
    environ: dict[str, str], overrides: dict[str, Any] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    light = _load(environ, overrides)
    monkeypatch.setattr(loader, "_use_dynaconf", lambda fragments: True)
    heavy = _load(environ, overrides)
    assert light == heavy


def test_variables_only_configuration_does_not_import_dynaconf() -> None:
    code = (
        "import sys; from codex_otel_config.settings.loader import load_settings;"
        "s = load_settings(files=[], environ={'OTEL_EXPORTER_OTLP_ENDPOINT': 'http://h:4318',"
        "'CODEX_OTEL_SERVICE_NAME': 'svc'});"
        "assert s.service_name == 'svc', s;"
        "print('dynaconf' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_settings_file_is_merged_by_dynaconf(tmp_path: Any) -> None:
    settings = tmp_path / "otel.toml"
    settings.write_text('[default]\nservice_name = "from-file"\n')
    code = (
        "import sys; from codex_otel_config.settings.loader import load_settings;"
        f"s = load_settings(files=[{str(settings)!r}], environ={{}});"
        "assert s.service_name == 'from-file', s;"
        "print('dynaconf' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
