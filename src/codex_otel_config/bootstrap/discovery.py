"""Can anything configure an exporter here? Answered without loading the settings.

``bootstrap_from_env()`` in a process where nothing is configured should cost next to
nothing: no dynaconf, no SDK. This check is conservative — any sign of configuration (a
settings file, an ``OTEL_*`` or ``CODEX_OTEL_*`` variable, an ``[otel]`` table in Codex's
``config.toml``) sends the caller to the full loader, which has the final word. It imports
only the settings model and the loader's file helpers (no TOML parser, no dynaconf).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from codex_otel_config.settings import _files
from codex_otel_config.settings.model import codex_home_from

__all__ = ["might_be_configured"]

#: Variable prefixes any of the layers reads (standard, package-specific).
_PREFIXES = ("OTEL_", "CODEX_OTEL_")


def _mentions_otel(path: Path) -> bool:
    if not _files.exists(path):
        return False
    try:
        data = _files.read_capped(path)
    except _files.Refused:
        return True  # the loader reports it
    return b"otel" in data


def might_be_configured(
    *,
    files: Sequence[str | os.PathLike[str]] | None,
    overrides: Mapping[str, object] | None,
    environ: Mapping[str, str],
) -> bool:
    """``False`` only when no layer could possibly enable an exporter."""
    if files or overrides:
        return True
    if any(name.startswith(_PREFIXES) for name in environ):
        return True
    home = codex_home_from(environ)
    if _files.name_too_long(home) or any(_files.exists(p) for p in _files.default_files(home)):
        return True
    return _mentions_otel(home / "config.toml")
