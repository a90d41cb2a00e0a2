"""Can anything configure an exporter here? Answered without loading the settings.

``bootstrap_from_env()`` in a process where nothing is configured should cost next to
nothing: no dynaconf, no SDK. This check is conservative — any sign of configuration (a
settings file, an ``OTEL_*`` or ``CODEX_OTEL_*`` variable, an ``[otel]`` table in Codex's
``config.toml``) sends the caller to the full loader, which has the final word. It imports
only ``os`` and ``pathlib``, which the settings model already imports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["might_be_configured"]

#: Variable prefixes any of the layers reads (standard, package-specific).
_PREFIXES = ("OTEL_", "CODEX_OTEL_")
#: Settings files read when none is given (DESIGN §1.2), relative to cwd / CODEX_HOME.
_DEFAULT_FILES_CWD = ("codex-otel.toml",)
_DEFAULT_FILES_HOME = ("otel.toml",)


def _codex_home(environ: Mapping[str, str]) -> Path:
    value = environ.get("CODEX_HOME")
    if not value:
        return Path.home() / ".codex"
    try:
        return Path(value).expanduser()
    except RuntimeError:  # ~user of an unknown user: the loader reports it as written
        return Path(value)


def _mentions_otel(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
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
    home = _codex_home(environ)
    candidates = [Path.cwd() / name for name in _DEFAULT_FILES_CWD]
    candidates += [home / name for name in _DEFAULT_FILES_HOME]
    if any(path.exists() for path in candidates):
        return True
    return _mentions_otel(home / "config.toml")
