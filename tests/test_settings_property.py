"""Property: whatever a settings file or the environment holds, load_settings() returns valid
settings or raises SettingsError — never another exception (the hardening suite runs more)."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex_otel_config.errors import SettingsError
from codex_otel_config.settings import schema
from codex_otel_config.settings.loader import load_settings
from codex_otel_config.settings.model import SIGNALS, OtelSettings

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VOCABULARY = sorted(
    {
        *schema.TOP_LEVEL_KEYS,
        *schema.EXPORTER_KINDS,
        *schema.TLS_KEYS,
        *schema.PROCESSOR_KEYS,
        *(p.key.split(".")[-1] for p in schema.EXPORTER_FIELDS),
        "default",
        "production",
        "headers",
        "tls",
        "otlp_http",
        "api-key",
        "dynaconf_merge",
    }
)
WORDS = st.sampled_from(VOCABULARY) | st.text(min_size=0, max_size=12)
STRINGS = st.sampled_from(
    [
        "none",
        "statsig",
        "otlp-http",
        "otlp-grpc",
        "binary",
        "json",
        "gzip",
        "http://127.0.0.1:4318",
        "https://c.example.com:4317/v1/traces",
        "${HOME}",
        "${NOPE}",
        "${X:-y}",
        "$$",
        "${",
        "ca.pem",
        "@format {env[HOME]}",
        "secret-abc",
        "",
    ]
) | st.text(max_size=20)
SCALARS = (
    STRINGS
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.datetimes(timezones=st.none() | st.just(datetime.UTC))
    | st.dates()
    | st.times()
)
VALUES = st.recursive(
    SCALARS | st.lists(SCALARS, max_size=3),
    lambda children: st.dictionaries(WORDS, children, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(WORDS, st.dictionaries(WORDS, VALUES, max_size=5) | VALUES, max_size=5)

# Documents shaped like real settings files, so the deep paths (exporters, TLS, merging) run.
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "endpoint": STRINGS,
        "protocol": STRINGS,
        "timeout": SCALARS,
        "compression": STRINGS,
        "headers": st.dictionaries(WORDS, SCALARS, max_size=3),
        "tls": st.dictionaries(
            st.sampled_from([*schema.TLS_KEYS, "ca_certificate", "x"]), STRINGS, max_size=3
        ),
        "api_key": STRINGS,
    },
)
EXPORTERS = STRINGS | st.dictionaries(
    st.sampled_from(schema.EXPORTER_KINDS) | WORDS, FIELDS, min_size=1, max_size=2
)
TABLES = st.fixed_dictionaries(
    {},
    optional={
        **{key: EXPORTERS for key in schema.EXPORTER_KEYS},
        "service_name": SCALARS,
        "environment": SCALARS,
        "log_user_prompt": SCALARS,
        "resource_attributes": st.dictionaries(WORDS, SCALARS, max_size=3),
        "processors": st.dictionaries(
            st.sampled_from(schema.PROCESSOR_KEYS) | WORDS, SCALARS, max_size=3
        ),
    },
)
SHAPED = st.dictionaries(st.sampled_from(["default", "production", "otel"]), TABLES, max_size=3)


def _load(content: bytes, env: str | None, environ: dict[str, str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "settings.toml"
        path.write_bytes(content)
        try:
            result = load_settings(
                files=[path], env=env, environ={"CODEX_HOME": str(folder), **(environ or {})}
            )
        except SettingsError as exc:
            assert exc.problems and all(p.message for p in exc.problems)
            return
        assert isinstance(result, OtelSettings)
        for signal in SIGNALS:
            result.exporter_for(signal)


@EXAMPLES
@given(st.binary(max_size=300), st.sampled_from([None, "production", "default"]))
def test_random_bytes(content: bytes, env: str | None) -> None:
    _load(content, env)


@EXAMPLES
@given(DOCUMENTS | SHAPED, st.sampled_from([None, "production", "otel"]))
def test_random_toml_documents(document: dict[str, Any], env: str | None) -> None:
    try:
        content = tomli_w.dumps(document).encode()
    except (TypeError, ValueError):
        return  # not representable in TOML (e.g. a NaN inside an array is fine, None is not)
    _load(content, env, {"HOME": "/home/x", "X": "1"})


VARIABLES = st.sampled_from(
    [v for v in schema.every_variable() if "<" not in v]
    + [
        "CODEX_OTEL_EXPORTER",
        "CODEX_OTEL_TRACE_EXPORTER__OTLP_HTTP__ENDPOINT",
        "CODEX_OTEL_EXPORTER__OTLP_GRPC__HEADERS__X_KEY",
        "CODEX_OTEL_BOGUS",
        "CODEX_OTEL_",
        "CODEX_OTEL___",
        "CODEX_OTEL_RESOURCE_ATTRIBUTES__A",
        "CODEX_OTEL_PROCESSORS__BSP_MAX_QUEUE_SIZE",
    ]
)


@EXAMPLES
@given(st.dictionaries(VARIABLES, STRINGS, max_size=6))
def test_random_environment(environ: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = load_settings(environ={**environ, "CODEX_HOME": tmp}, files=[])
        except SettingsError:
            return
        for signal in SIGNALS:
            result.exporter_for(signal)


OVERRIDE_KEYS = st.sampled_from(
    [
        "exporter",
        "trace_exporter.otlp-http.endpoint",
        "metrics_exporter",
        "service_name",
        "exporter.otlp-grpc.tls.ca-certificate",
        "resource_attributes.a.b",
        "bogus.key",
        "",
        "processors.bsp_max_queue_size",
        "exporter.otlp-http.headers.X",
        "exporter.otlp-http",
    ]
) | st.text(max_size=10)


@EXAMPLES
@given(st.dictionaries(OVERRIDE_KEYS, STRINGS | st.booleans() | st.integers(), max_size=5))
def test_random_overrides(overrides: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = load_settings(environ={"CODEX_HOME": tmp}, files=[], overrides=overrides)
        except SettingsError:
            return
        for signal in SIGNALS:
            result.exporter_for(signal)
