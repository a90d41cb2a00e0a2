"""Helpers shared by the settings tests: write real files, load with an explicit environ."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from codex_otel_config.errors import SettingsError
from codex_otel_config.settings.loader import load_settings
from codex_otel_config.settings.model import OtelSettings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load(home: Path, environ: Mapping[str, str] | None = None, **kwargs: Any) -> OtelSettings:
    env = {"CODEX_HOME": str(home), **(environ or {})}
    return load_settings(environ=env, **kwargs)


def problems(home: Path, environ: Mapping[str, str] | None = None, **kwargs: Any) -> list[str]:
    """Every problem of a load that must fail, rendered as ``layer key: message``."""
    with pytest.raises(SettingsError) as info:
        load(home, environ, **kwargs)
    return [str(p) for p in info.value.problems]


def one_problem(home: Path, environ: Mapping[str, str] | None = None, **kwargs: Any) -> str:
    found = problems(home, environ, **kwargs)
    assert len(found) == 1, found
    return found[0]
