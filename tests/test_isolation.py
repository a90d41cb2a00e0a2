"""The suite never sees the developer's or CI's own OpenTelemetry environment."""

from __future__ import annotations

import os
from pathlib import Path


def test_each_test_gets_its_own_codex_home(codex_home: Path) -> None:
    assert os.environ["CODEX_HOME"] == str(codex_home)
    assert codex_home != Path.home() / ".codex"
    assert not any(name.startswith(("OTEL_", "STATSIG_")) for name in os.environ)
