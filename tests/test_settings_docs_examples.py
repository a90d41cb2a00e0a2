"""Every TOML example of docs/configuration.md loads as the page says.

"A settings file written by someone who has only read the docs loads as they expect": each
```toml block is written to a real file (a block with an ``[otel]`` table to
``$CODEX_HOME/config.toml``, any other to a settings file; a block whose first line is
``# .secrets.toml`` goes beside the settings file of the block before it), the certificate files
it names are created, and it is loaded with every environment table it has.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from codex_otel_config.receiver.certs import TlsBundle
from codex_otel_config.settings import schema
from codex_otel_config.settings.model import NoExporter, OtelSettings, OtlpHttp
from settings_support import load

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.S | re.M)
_PEM = re.compile(r"\"([^\"]+\.pem)\"")
_ENVIRON = {
    "OTLP_TOKEN": "token-from-the-environment",
    "STATSIG_SERVER_SDK_SECRET": "secret-docs-0001",
}


def _examples() -> list[tuple[int, dict[str, str]]]:
    """``(line, {file name: text})`` for each example; a secrets block joins the one before."""
    text = DOCS.read_text(encoding="utf-8")
    out: list[tuple[int, dict[str, str]]] = []
    for match in _BLOCK.finditer(text):
        block = match.group(1)
        if block.lstrip().startswith("# .secrets.toml") and out:
            out[-1][1][".secrets.toml"] = block
            continue
        name = "config.toml" if re.search(r"^\[otel[.\]]", block, re.M) else "settings.toml"
        out.append((text.count("\n", 0, match.start()) + 1, {name: block}))
    return out


EXAMPLES = _examples()


def _write(tmp_path: Path, files: dict[str, str], bundle: TlsBundle) -> tuple[Path, list[Path]]:
    home, app = tmp_path / "home", tmp_path / "app"
    home.mkdir()
    app.mkdir()
    settings: list[Path] = []
    for name, text in files.items():
        folder = home if name == "config.toml" else app
        (folder / name).write_text(text, encoding="utf-8")
        if name == "settings.toml":
            settings.append(folder / name)
        for pem in _PEM.findall(text):
            target = folder / pem
            target.parent.mkdir(parents=True, exist_ok=True)
            source = bundle.client_key if "key" in Path(pem).name else bundle.ca_cert
            shutil.copy(source, target)
    return home, settings


def _environments(files: dict[str, str]) -> list[str | None]:
    """``None`` (only ``[default]``) and every other table a settings file names."""
    import tomllib

    names: list[str | None] = [None]
    for name, text in files.items():
        if name == "config.toml":
            continue
        for table, value in tomllib.loads(text).items():
            is_env = (
                isinstance(value, dict) and schema.canonical(table, schema.TOP_LEVEL_KEYS) is None
            )
            if is_env and table != "default" and table not in names:
                names.append(table)
    return names


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 5
    assert any(".secrets.toml" in files for _, files in EXAMPLES)
    assert any("config.toml" in files for _, files in EXAMPLES)


@pytest.mark.parametrize(
    "files", [files for _, files in EXAMPLES], ids=[f"line{line}" for line, _ in EXAMPLES]
)
def test_docs_example_loads(tmp_path: Path, tls_bundle: TlsBundle, files: dict[str, str]) -> None:
    home, settings = _write(tmp_path, files, tls_bundle)
    for env in _environments(files):
        s = load(home, _ENVIRON, files=settings, env=env)
        assert s.exports_anything, env
        assert s.warnings == (), env
        for signal in ("logs", "traces", "metrics"):
            exporter = s.exporter_for(signal)
            if not isinstance(exporter, NoExporter):
                assert all("${" not in v.reveal() for v in exporter.headers.values()), (env, signal)


def _load_example(tmp_path: Path, bundle: TlsBundle, marker: str, env: str | None) -> OtelSettings:
    (files,) = [f for _, f in EXAMPLES if any(marker in text for text in f.values())]
    home, settings = _write(tmp_path, files, bundle)
    return load(home, _ENVIRON, files=settings, env=env)


def test_worked_example_secrets_beside_the_file(tmp_path: Path, tls_bundle: TlsBundle) -> None:
    """Worked example 4: endpoint from [production], protocol from [default], the header from
    .secrets.toml, all merged into one otlp-http exporter."""
    s = _load_example(tmp_path, tls_bundle, "# .secrets.toml", "production")
    logs = s.exporter_for("logs")
    assert isinstance(logs, OtlpHttp)
    assert logs.endpoint == "https://collector.example.com:4318/v1/logs"
    assert logs.tls is not None and logs.tls.ca_certificate == tmp_path / "app" / "certs" / "ca.pem"
    assert set(logs.headers) == {"x-api-key"}
    assert s.source_of("exporter.otlp-http.endpoint").table == "production"
    assert s.source_of("exporter.otlp-http.protocol").table == "default"
    assert s.source_of("exporter.otlp-http.headers.x-api-key").layer == "secrets"


def test_worked_example_codex_table(tmp_path: Path, tls_bundle: TlsBundle) -> None:
    """Worked example 3: logs to /v1/logs, traces to /v1/traces, and --explain says why."""
    s = _load_example(tmp_path, tls_bundle, 'protocol = "binary" } }', None)
    assert s.exporter_for("logs").endpoint == "https://otel.example.com/v1/logs"  # type: ignore[union-attr]
    assert s.exporter_for("traces").endpoint == "https://otel.example.com/v1/traces"  # type: ignore[union-attr]
    note = s.source_of("trace_exporter.otlp-http.endpoint").describe()
    assert "config.toml [otel]" in note and "/v1/traces" in note
