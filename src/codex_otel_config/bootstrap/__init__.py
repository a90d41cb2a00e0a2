"""Layer 4: settings → SDK providers with truthful, bounded flush and shutdown.

``bootstrap_from_env()`` is cheap when nothing is configured: it answers ``None`` without
loading dynaconf or the OpenTelemetry SDK. Everything heavier is imported on demand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from codex_otel_config._lazy import lazy_attributes
from codex_otel_config.bootstrap.discovery import might_be_configured

if TYPE_CHECKING:
    from codex_otel_config.bootstrap.provider import (
        DEFAULT_EXIT_TIMEOUT,
        OtelProvider,
        build_provider,
    )
    from codex_otel_config.bootstrap.reports import (
        FlushReport,
        ShutdownReport,
        SignalReport,
        Status,
    )

__all__ = [
    "DEFAULT_EXIT_TIMEOUT",
    "FlushReport",
    "OtelProvider",
    "ShutdownReport",
    "SignalReport",
    "Status",
    "bootstrap_from_env",
    "build_provider",
    "load_settings",
]

_LAZY = {
    "DEFAULT_EXIT_TIMEOUT": "codex_otel_config.bootstrap.provider",
    "OtelProvider": "codex_otel_config.bootstrap.provider",
    "build_provider": "codex_otel_config.bootstrap.provider",
    "FlushReport": "codex_otel_config.bootstrap.reports",
    "ShutdownReport": "codex_otel_config.bootstrap.reports",
    "SignalReport": "codex_otel_config.bootstrap.reports",
    "Status": "codex_otel_config.bootstrap.reports",
    "load_settings": "codex_otel_config.settings.loader",
}

_TRUE = ("1", "true", "yes", "on")


__getattr__ = lazy_attributes(__name__, _LAZY)


def bootstrap_from_env(
    *,
    files: Sequence[str | os.PathLike[str]] | None = None,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    strict: bool = False,
    set_global: bool = True,
    exit_timeout: float = 2.0,
) -> OtelProvider | None:
    """Load the layered settings and build the providers (DESIGN §2).

    Returns ``None`` when nothing is exported (or ``OTEL_SDK_DISABLED=true``). With
    ``strict=False`` one bad value costs only itself: it is reported by one warning on the
    ``codex_otel_config`` logger naming the key and the layer, and ignored (the layer below or
    the default stands); a signal whose exporter cannot be built is turned off with a warning
    while the others run; no exception escapes. With ``strict=True`` or
    ``CODEX_OTEL_STRICT=true`` the :class:`SettingsError` listing every problem (or the
    :class:`ExporterBuildError`) is raised. Never does network I/O on the caller's thread and
    never raises for an unreachable endpoint.
    """
    source: Mapping[str, str] = os.environ if environ is None else environ
    strict = strict or source.get("CODEX_OTEL_STRICT", "").strip().lower() in _TRUE
    if strict:
        return _bootstrap(files, env, environ, source, overrides, True, set_global, exit_timeout)
    try:
        return _bootstrap(files, env, environ, source, overrides, False, set_global, exit_timeout)
    except Exception as exc:  # a bug must not take the application down
        import logging

        logging.getLogger("codex_otel_config").warning(
            "OpenTelemetry disabled: unexpected %s while starting", type(exc).__name__
        )
        return None


def _bootstrap(
    files: Sequence[str | os.PathLike[str]] | None,
    env: str | None,
    environ: Mapping[str, str] | None,
    source: Mapping[str, str],
    overrides: Mapping[str, Any] | None,
    strict: bool,
    set_global: bool,
    exit_timeout: float,
) -> OtelProvider | None:
    if not might_be_configured(files=files, overrides=overrides, environ=source):
        return None
    import logging

    from codex_otel_config.bootstrap.provider import _one_line, build_provider
    from codex_otel_config.errors import SettingsError
    from codex_otel_config.redaction import install_log_redaction, register_environ

    install_log_redaction()  # every SDK / urllib3 / grpc / our log record crosses redact()
    register_environ(source)  # API keys, raw header values, endpoint user information

    log = logging.getLogger("codex_otel_config")
    try:
        from codex_otel_config.settings.loader import load_settings

        settings = load_settings(
            files=files, env=env, environ=environ, overrides=overrides, lenient=not strict
        )
    except SettingsError as exc:
        if strict:
            raise
        log.warning("OpenTelemetry disabled: %s", _one_line(exc))
        return None
    except Exception as exc:  # a loader bug must not take the application down
        if strict:
            raise
        log.warning("OpenTelemetry disabled: settings could not be loaded (%s)", type(exc).__name__)
        return None
    for warning in settings.warnings:
        log.warning("OpenTelemetry settings: %s", warning)
    return build_provider(settings, set_global=set_global, strict=strict, exit_timeout=exit_timeout)
