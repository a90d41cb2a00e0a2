"""Settings layer: the typed model and the layered loader. Imports nothing above itself."""

from codex_otel_config._lazy import lazy_attributes
from codex_otel_config.errors import Problem, SettingsError
from codex_otel_config.settings.model import (
    SIGNALS,
    Exporter,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    OtlpHttp,
    ProcessorSettings,
    ResolvedExporter,
    Signal,
    Source,
    Statsig,
    Tls,
)

__all__ = [
    "SIGNALS",
    "Exporter",
    "NoExporter",
    "OtelSettings",
    "OtlpGrpc",
    "OtlpHttp",
    "Problem",
    "ProcessorSettings",
    "ResolvedExporter",
    "SettingsError",
    "Signal",
    "Source",
    "Statsig",
    "Tls",
    "load_settings",
]


# The loader pulls in dynaconf; keep `import codex_otel_config.settings.model` free of it.
__getattr__ = lazy_attributes(__name__, {"load_settings": "codex_otel_config.settings.loader"})
