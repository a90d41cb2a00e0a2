"""ruff and mypy --strict stay clean: run by the test command, so CI enforces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.timeout(300)
def test_ruff_check_and_format() -> None:
    lint = _run("ruff", "check", "src", "tests", "scripts")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "src", "tests", "scripts")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.timeout(300)
def test_mypy_strict(tmp_path: Path) -> None:
    typed = _run("mypy", "--cache-dir", str(tmp_path / "mypy-cache"))
    assert typed.returncode == 0, typed.stdout + typed.stderr
