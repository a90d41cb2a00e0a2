"""Settings layer: the typed model and the layered loader. Imports nothing above itself."""

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


def __getattr__(name: str) -> object:
    # The loader pulls in dynaconf; keep `import codex_otel_config.settings.model` free of it.
    if name == "load_settings":
        from codex_otel_config.settings.loader import load_settings

        return load_settings
    raise AttributeError(name)
