"""Every example in config/ loads as its comments say (real files, real certificates)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codex_otel_config.settings.model import NoExporter, OtlpGrpc, OtlpHttp, Statsig
from settings_support import load, write

CONFIG = Path(__file__).resolve().parent.parent / "config"


def _certs(folder: Path) -> None:
    """A real CA, client certificate and key where production-mtls.toml expects them."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    client = ca.issue_cert("billing-api.example.com")
    folder.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    client.cert_chain_pems[0].write_to_path(str(folder / "client.pem"))
    client.private_key_pem.write_to_path(str(folder / "client-key.pem"))


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in CONFIG.iterdir()) == [
        "codex-config-otel-migration.toml",
        "local-collector.toml",
        "otel-collector-gateway.yaml",
        "otel-config.example.yaml",
        "production-mtls.toml",
        "statsig-metrics.toml",
    ]


def test_local_collector(tmp_path: Path) -> None:
    s = load(tmp_path, files=[CONFIG / "local-collector.toml"])
    assert s.exporter_for("logs") == OtlpHttp(endpoint="http://127.0.0.1:4318/v1/logs")
    assert s.exporter_for("traces") == OtlpGrpc(endpoint="http://127.0.0.1:4317", timeout=5.0)
    assert s.exporter_for("metrics") == OtlpHttp(endpoint="http://127.0.0.1:4318/v1/metrics")
    assert s.processors.metric_export_interval_ms == 10000
    assert s.resource_attributes == {"team": "platform"}


@pytest.mark.parametrize("env", [None, "development", "production"])
def test_production_mtls(tmp_path: Path, env: str | None) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    settings_file = Path(shutil.copy(CONFIG / "production-mtls.toml", folder))
    _certs(folder / "certs")
    s = load(tmp_path, {"OTLP_TOKEN": "token-abcdef123456"}, files=[settings_file], env=env)
    logs = s.exporter_for("logs")
    assert isinstance(logs, OtlpHttp)
    assert s.environment == (env or "dev")
    if env != "production":
        assert logs.endpoint == "http://127.0.0.1:4318/v1/logs" and logs.tls is None
        assert s.exporter_for("traces") == OtlpHttp(endpoint="http://127.0.0.1:4318/v1/traces")
        assert isinstance(s.exporter_for("metrics"), NoExporter)
        return
    assert logs.endpoint == "https://collector.example.com:4318/v1/logs"
    assert logs.compression == "gzip" and dict(logs.headers) == {"x-api-key": "token-abcdef123456"}
    assert logs.tls is not None and logs.tls.is_mtls
    assert logs.tls.ca_certificate == folder / "certs" / "ca.pem"
    traces = s.exporter_for("traces")
    assert isinstance(traces, OtlpGrpc) and traces.tls == logs.tls
    assert s.resource_attributes == {"deployment.environment": "production"}
    assert s.source_of("exporter.otlp-http.endpoint").table == "production"
    assert s.source_of("exporter.otlp-http.protocol").table == "default"


def test_production_mtls_with_secrets_file(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    settings_file = Path(shutil.copy(CONFIG / "production-mtls.toml", folder))
    _certs(folder / "certs")
    write(
        folder / ".secrets.toml",
        """
        [production.exporter.otlp-http.headers]
        x-api-key = "from-secrets-file-1234"
    """,
    )
    s = load(
        tmp_path, {"OTLP_TOKEN": "token-abcdef123456"}, files=[settings_file], env="production"
    )
    assert s.exporter.headers == {"x-api-key": "from-secrets-file-1234"}  # type: ignore[union-attr]


def test_statsig_metrics(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        {"STATSIG_SERVER_SDK_SECRET": "secret-0123456789"},
        files=[CONFIG / "statsig-metrics.toml"],
    )
    assert s.metrics_exporter == Statsig(api_key="secret-0123456789")
    assert s.exporter_for("metrics") == OtlpHttp(
        endpoint="https://api.statsig.com/otlp/v1/metrics",
        protocol="json",
        headers={"statsig-api-key": "secret-0123456789"},
    )
    assert s.exporter_for("traces") == OtlpHttp(endpoint="http://127.0.0.1:4318/v1/traces")
    assert s.warnings == ()


def test_codex_migration_both_halves_agree(tmp_path: Path) -> None:
    env = {"OTLP_TOKEN": "token-abcdef123456"}
    home = tmp_path / "codex-home"
    home.mkdir()
    shutil.copy(CONFIG / "codex-config-otel-migration.toml", home / "config.toml")
    as_codex = load(home, env)
    as_settings = load(
        tmp_path / "empty-home", env, files=[CONFIG / "codex-config-otel-migration.toml"]
    )
    for signal in ("logs", "traces", "metrics"):
        assert as_codex.exporter_for(signal) == as_settings.exporter_for(signal), signal  # type: ignore[arg-type]
    assert as_codex.environment == as_settings.environment == "staging"
    assert as_codex.exporter_for("traces").endpoint == "https://otel.example.com/v1/traces"  # type: ignore[union-attr]
    assert as_codex.source_of("exporter").layer == "codex-config"
    assert as_settings.source_of("exporter").layer == "file"


def test_collector_gateway_forwards_to_statsig_as_documented() -> None:
    from dynaconf.vendor.ruamel import yaml

    doc = yaml.YAML(typ="safe").load((CONFIG / "otel-collector-gateway.yaml").read_text())
    assert set(doc["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    statsig = doc["exporters"]["otlphttp/statsig"]
    assert statsig["endpoint"] == "https://api.statsig.com/otlp"
    assert statsig["encoding"] == "json"
    assert statsig["headers"] == {"statsig-api-key": "${env:STATSIG_SERVER_SDK_SECRET}"}
    for pipeline in doc["service"]["pipelines"].values():
        assert pipeline["receivers"] == ["otlp"]
        assert "otlphttp/statsig" in pipeline["exporters"]
