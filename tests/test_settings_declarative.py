"""OTEL_CONFIG_FILE (the OpenTelemetry declarative configuration) as a settings layer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codex_otel_config.settings.model import Console, NoExporter, OtlpGrpc, OtlpHttp, Tls
from settings_support import load, problems, write

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "otel-config.example.yaml"

FULL = """
    file_format: "1.0"
    disabled: false
    resource:
      attributes_list: team=payments,service.name=ignored-by-attributes
      attributes:
        - name: service.name
          value: billing-api
        - name: service.version
          value: "2.1"
        - name: env
          value: production
        - name: region
          value: eu-west-1
    tracer_provider:
      processors:
        - batch:
            schedule_delay: 2000
            max_queue_size: 4096
            max_export_batch_size: 256
            export_timeout: 9000
            exporter:
              otlp_http:
                endpoint: http://127.0.0.1:4318/v1/traces
                encoding: json
                compression: gzip
                timeout: 2500
                headers_list: x-tenant=acme,authorization=from-list
                headers:
                  - name: Authorization
                    value: Bearer ${TOKEN_FOR_TEST}
    logger_provider:
      processors:
        - batch:
            schedule_delay: 700
            exporter:
              otlp_grpc:
                endpoint: https://127.0.0.1:4317
                tls:
                  ca_file: CA
                  cert_file: CERT
                  key_file: KEY
    meter_provider:
      readers:
        - periodic:
            interval: 15000
            exporter:
              console: {}
"""


def _full(tmp_path: Path) -> Path:
    for name in ("ca.pem", "client.pem", "client-key.pem"):
        (tmp_path / name).write_text("x")
    text = (
        FULL.replace("CA", str(tmp_path / "ca.pem"))
        .replace("CERT", str(tmp_path / "client.pem"))
        .replace("KEY", str(tmp_path / "client-key.pem"))
    )
    return write(tmp_path / "otel.yaml", text)


def test_every_mapped_field_is_read_with_its_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_FOR_TEST", "s3cret")
    path = _full(tmp_path)
    s = load(tmp_path, {"OTEL_CONFIG_FILE": str(path)})
    assert (s.service_name, s.service_version, s.environment) == (
        "billing-api",
        "2.1",
        "production",
    )
    assert dict(s.resource_attributes) == {"team": "payments", "region": "eu-west-1"}
    assert s.exporter_for("traces") == OtlpHttp(
        endpoint="http://127.0.0.1:4318/v1/traces",
        headers={"authorization": "Bearer s3cret", "x-tenant": "acme"},
        protocol="json",
        timeout=2.5,
        compression="gzip",
    )
    assert s.exporter_for("logs") == OtlpGrpc(
        endpoint="https://127.0.0.1:4317",
        tls=Tls(tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client-key.pem"),
    )
    assert s.exporter_for("metrics") == Console()
    p = s.processors
    assert (p.bsp_schedule_delay_ms, p.bsp_max_queue_size, p.bsp_max_export_batch_size) == (
        2000,
        4096,
        256,
    )
    assert (p.bsp_export_timeout_ms, p.blrp_schedule_delay_ms) == (9000, 700)
    assert p.metric_export_interval_ms == 15000
    src = s.source_of("trace_exporter.otlp-http.endpoint")
    assert (src.layer, src.file) == ("otel-config", path)
    assert src.describe() == (
        f"{path} (at tracer_provider.processors[0].batch.exporter.otlp_http.endpoint)"
    )
    assert s.source_of("trace_exporter.otlp-http.headers.authorization").note == (
        "at tracer_provider.processors[0].batch.exporter.otlp_http.headers[0].value"
    )
    assert s.source_of("resource_attributes.team").note == "at resource.attributes_list"
    assert s.source_of("exporter.otlp-grpc.tls.ca-certificate").note == (
        "at logger_provider.processors[0].batch.exporter.otlp_grpc.tls.ca_file"
    )


def test_the_file_is_authoritative_over_otel_variables_and_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_FOR_TEST", "s3cret")
    path = _full(tmp_path)
    s = load(
        tmp_path,
        {
            "OTEL_CONFIG_FILE": str(path),
            "OTEL_SERVICE_NAME": "from-env",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://elsewhere:1/v1/traces",
            "OTEL_BSP_SCHEDULE_DELAY": "oops",  # ignored, so not even a problem
        },
    )
    assert s.service_name == "billing-api"
    assert s.exporter_for("traces").endpoint == "http://127.0.0.1:4318/v1/traces"  # type: ignore[union-attr]
    ignored = [w for w in s.warnings if "authoritative" in w]
    assert ignored == [
        "OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ignored: "
        f"the declarative configuration {path} is authoritative (OpenTelemetry specification)"
    ]


def test_layer_sits_above_settings_files_and_below_codex_otel_variables(tmp_path: Path) -> None:
    settings = write(
        tmp_path / "s.toml",
        """
        [default]
        service_name = "from-file"
        runtime_metrics = true
        [default.trace_exporter.otlp-http]
        endpoint = "http://127.0.0.1:9/"
        headers = { x-only-in-settings = "v" }
        """,
    )
    path = write(
        tmp_path / "o.yaml",
        """
        file_format: "1.0"
        resource: {attributes: [{name: service.name, value: from-otel-config}]}
        tracer_provider:
          processors: [{batch: {exporter: {otlp_http: {endpoint: "http://127.0.0.1:4318/v1/traces"}}}}]
        """,
    )
    s = load(tmp_path, {"OTEL_CONFIG_FILE": str(path)}, files=[settings])
    assert s.service_name == "from-otel-config"
    assert s.runtime_metrics is True  # what the file has no equivalent for stands
    # the file's exporter replaces the settings file's one, headers included
    assert dict(s.exporter_for("traces").headers) == {}  # type: ignore[union-attr]
    # providers the file leaves out are not exported (the specification's noop default)
    assert s.exporter_for("logs") == NoExporter()
    assert s.source_of("exporter").note == "at logger_provider (absent: not exported)"
    top = load(
        tmp_path,
        {"OTEL_CONFIG_FILE": str(path), "CODEX_OTEL_SERVICE_NAME": "from-codex-env"},
        files=[settings],
    )
    assert top.service_name == "from-codex-env"
    over = load(tmp_path, {}, files=[settings], otel_config=path)  # --otel-config
    assert over.service_name == "from-otel-config"


def test_what_the_model_cannot_represent_is_named_in_warnings(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.yaml",
        """
        file_format: "1.0"
        propagator: {composite: [{tracecontext: {}}]}
        tracer_provider:
          sampler: {always_on: {}}
          processors:
            - simple: {exporter: {console: {}}}
            - batch: {exporter: {otlp_http: {endpoint: "http://127.0.0.1:1/v1/traces"}}}
        meter_provider:
          views: [{selector: {instrument_name: x}, stream: {name: y}}]
          readers:
            - periodic:
                exporter:
                  otlp_http:
                    endpoint: "http://127.0.0.1:1/v1/metrics"
                    temporality_preference: delta
        """,
    )
    s = load(tmp_path, {"OTEL_CONFIG_FILE": str(path)})
    assert s.exporter_for("traces") == Console()  # the first processor is used
    body = [w.split(": ", 1)[1] for w in s.warnings if w.startswith(str(path))]
    assert body == [
        "propagator: `propagator` is not represented by these settings; ignored",
        "tracer_provider.sampler: `sampler` is not represented by these settings; ignored",
        "tracer_provider.processors[0].simple: a simple processor is represented as a batch "
        "processor (this package always batches)",
        "tracer_provider.processors[1]: a second processor or reader for one signal is not "
        "represented by these settings; ignored",
        "meter_provider.views: `views` is not represented by these settings; ignored",
        "meter_provider.readers[0].periodic.exporter.otlp_http.temporality_preference: "
        "`temporality_preference` is not represented by these settings; ignored",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'file_format: "1.0"\ntracer_provider: [\n',
            "line 3: invalid YAML: expected the node content, but found '<stream end>'",
        ),
        (
            'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n'
            "        schedule_delay: soon\n        exporter: {console: {}}\n",
            "tracer_provider.processors[0].batch.schedule_delay: does not match the declarative "
            "configuration schema: 'soon' is not of type 'integer', 'null'",
        ),
        (
            'file_format: "2.0"\n',
            "file_format: Unsupported file_format '2.0': this SDK supports schema version 1.x",
        ),
        (
            'file_format: "1.0"\nresource:\n  attributes:\n'
            "    - name: team\n      value: ${UNSET_FOR_TEST}\n",
            "resource.attributes[0].value: ${UNSET_FOR_TEST} is not set and has no default "
            "(write ${UNSET_FOR_TEST:-…})",
        ),
    ],
    ids=["malformed-yaml", "schema-violation", "major-file-format", "unset-variable"],
)
def test_bad_files_are_named_problems_with_a_location(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    found = problems(tmp_path, {"OTEL_CONFIG_FILE": str(path)})
    assert found == [f"{path} {expected}"]


def test_a_fifo_or_huge_file_is_refused_unread(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "otel.yaml"
    os.mkfifo(fifo)
    assert problems(tmp_path, {"OTEL_CONFIG_FILE": str(fifo)}) == [
        f"{fifo} file: is not a regular file (a FIFO, device or socket is never read)"
    ]
    huge = tmp_path / "huge.yaml"
    huge.write_text('file_format: "1.0"\n' + "#" * (2 * 1024 * 1024))
    (found,) = problems(tmp_path, {"OTEL_CONFIG_FILE": str(huge)})
    assert found.startswith(f"{huge} file: is larger than")


def test_non_strict_load_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    """The settings-core tolerance rule: each problem one warning, its value ignored."""
    path = write(
        tmp_path / "o.yaml",
        """
        file_format: "1.0"
        resource:
          attributes: [{name: service.name, value: svc}, {name: team, value: "${UNSET_X}"}]
        tracer_provider:
          processors:
            - batch:
                exporter:
                  otlp_http: {endpoint: "http://127.0.0.1:1/v1/traces", compression: deflate}
        """,
    )
    s = load(tmp_path, {"OTEL_CONFIG_FILE": str(path)}, lenient=True)
    assert s.service_name == "svc"
    assert "team" not in s.resource_attributes
    assert s.exporter_for("traces").compression == "none"  # type: ignore[union-attr]
    ignored = [w for w in s.warnings if w.startswith("ignored:")]
    assert len(ignored) == 2, ignored
    assert "resource.attributes[1].value: ${UNSET_X} is not set" in ignored[0]
    assert "compression: " in ignored[1] and "(the setting trace_exporter.otlp-http" in ignored[1]


def test_a_header_with_an_unset_variable_is_left_out_not_sent_truncated(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.yaml",
        """
        file_format: "1.0"
        tracer_provider:
          processors:
            - batch:
                exporter:
                  otlp_http:
                    endpoint: "http://127.0.0.1:1/v1/traces"
                    headers:
                      - {name: Authorization, value: "Bearer ${UNSET_Y}"}
                      - {name: x, value: y}
        """,
    )
    s = load(tmp_path, {"OTEL_CONFIG_FILE": str(path)}, lenient=True)
    assert dict(s.exporter_for("traces").headers) == {"x": "y"}  # type: ignore[union-attr]
    (ignored,) = [w for w in s.warnings if w.startswith("ignored:")]
    assert "otlp_http.headers[0].value: ${UNSET_Y} is not set" in ignored


def test_the_example_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """config/otel-config.example.yaml (listed in test_settings_examples.py)."""
    monkeypatch.setenv("OTLP_TOKEN", "example-token")
    s = load(tmp_path, {"OTEL_CONFIG_FILE": str(EXAMPLE)})
    assert (s.service_name, s.environment) == ("billing-api", "production")
    assert dict(s.resource_attributes) == {"team": "payments"}
    assert s.exporter_for("traces") == OtlpHttp(
        endpoint="https://collector.example.com:4318/v1/traces",
        headers={"x-api-key": "example-token"},
        timeout=5.0,
        compression="gzip",
    )
    assert s.exporter_for("logs") == OtlpGrpc(endpoint="https://collector.example.com:4317")
    assert s.exporter_for("metrics") == Console()
    assert (s.processors.bsp_schedule_delay_ms, s.processors.metric_export_interval_ms) == (
        2000,
        30000,
    )
    assert s.warnings == ()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_otel_config", *args],
        capture_output=True,
        text=True,
        env={"CODEX_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_show_and_check_exit_2_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('file_format: "9.0"\n')
    for command in (["show"], ["check", "--offline"]):
        done = _cli(tmp_path, *command, "--otel-config", str(path))
        assert done.returncode == 2, done.stderr
        assert f"{path} file_format: Unsupported file_format '9.0'" in done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    done = _cli(tmp_path, "check", "--offline", "--json", "--otel-config", str(path))
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["code"], finding["setting"], finding["stage"]) == (
        "invalid_setting",
        "file_format",
        "settings",
    )
    assert finding["hint"] == f"fix `file_format` in {path}"


def test_check_rows_cite_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.yaml",
        """
        file_format: "1.0"
        tracer_provider:
          processors:
            - batch:
                exporter:
                  otlp_http: {endpoint: "http://127.0.0.1:1/v1/traces", timeout: 9000000}
        """,
    )
    done = _cli(tmp_path, "check", "--offline", "--json", "--otel-config", str(path))
    findings = json.loads(done.stdout)["findings"]
    (timeout,) = [f for f in findings if f["setting"] == "trace_exporter.otlp-http.timeout"]
    assert (
        f"{path} (at tracer_provider.processors[0].batch.exporter.otlp_http.timeout)"
        in (timeout["hint"])
    )


def test_nothing_of_the_package_loads_when_the_variable_is_unset(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from codex_otel_config.settings.loader import load_settings\n"
        "load_settings(environ={'OTEL_SERVICE_NAME': 'x', 'CODEX_HOME': sys.argv[1]})\n"
        "mods = ('opentelemetry.configuration', 'yaml', 'jsonschema')\n"
        "print(json.dumps([m for m in mods if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
    # … and they do load when it is set (the probe above can see them)
    code_set = code.replace("'OTEL_SERVICE_NAME': 'x'", f"'OTEL_CONFIG_FILE': {str(EXAMPLE)!r}")
    done = subprocess.run(
        [sys.executable, "-c", code_set, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == ["opentelemetry.configuration", "yaml", "jsonschema"]


async def test_tui_rows_cite_the_file(tmp_path: Path) -> None:
    """The TUI needs nothing of its own: its rows are ``settings.explain``'s."""
    from codex_otel_config.tui.app import OtelConsoleApp
    from codex_otel_config.tui.widgets import SettingsTree

    path = write(
        tmp_path / "o.yaml",
        """
        file_format: "1.0"
        resource: {attributes: [{name: service.name, value: tui-declarative}]}
        tracer_provider:
          processors:
            - batch:
                exporter:
                  otlp_http:
                    endpoint: "http://127.0.0.1:9/v1/traces"
                    headers: [{name: x-api-key, value: tui-declarative-secret-123}]
        """,
    )
    app = OtelConsoleApp(
        files=[],
        environ={"OTEL_CONFIG_FILE": str(path), "CODEX_HOME": str(tmp_path)},
        timeout=1.0,
        report_dir=tmp_path / "reports",
    )
    async with app.run_test(size=(100, 32)) as pilot:
        tree = app.main.query_one(SettingsTree)
        tree.focus()
        await pilot.pause()
        nodes = [tree.root]
        for node in nodes:
            nodes += list(node.children)
        line = next(n.line for n in nodes if n.data == "trace_exporter.otlp-http.endpoint")
        tree.cursor_line = line
        await pilot.pause()
        provenance = str(app.main.query_one("#provenance").content)  # type: ignore[attr-defined]
        where = "at tracer_provider.processors[0].batch.exporter.otlp_http.endpoint"
        assert str(path) in provenance and where in provenance
        labels = "\n".join(str(getattr(n.label, "plain", n.label)) for n in nodes)
        assert "tui-declarative-secret-123" not in labels
