"""Where ``c`` saves the JSON report, and how, so another local user cannot steer the write.

The report goes to a folder the user chose (``--report-dir``) or to a per-user one
(``$XDG_STATE_HOME/codex-otel-config/reports``, else ``~/.local/state/…``), never to a shared
world-writable folder. The file is created exclusively (``O_CREAT|O_EXCL``) without following
a symlink (``O_NOFOLLOW``) with mode 0600: a name someone planted (a symlink to a file of
theirs or of ours) is skipped for the next free name, never written through.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

APP_DIR = "codex-otel-config"
PREFIX = "codex-otel-report-"
#: Names tried per save (``…-HHMMSS.json``, ``…-HHMMSS-1.json``, …) before giving up.
ATTEMPTS = 100
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0)


def default_report_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user folder for reports (XDG state directory)."""
    source = os.environ if environ is None else environ
    state = source.get("XDG_STATE_HOME") or ""
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / APP_DIR / "reports"


def save_report(text: str, folder: Path, *, stamp: str | None = None) -> Path:
    """Write ``text`` to a new file in ``folder`` (created 0700 if missing) and return its
    path. Raises ``OSError`` when no new file could be created there."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(ATTEMPTS):
        suffix = f"-{attempt}" if attempt else ""
        path = folder / f"{PREFIX}{stamp}{suffix}.json"
        try:
            fd = os.open(path, _FLAGS, 0o600)
        except FileExistsError:
            continue  # taken, perhaps by a planted symlink: never write through it
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path
    raise FileExistsError(f"no free report name in {folder} ({ATTEMPTS} tried)")
