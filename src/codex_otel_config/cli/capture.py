"""Hold the SDK's and grpc's own stderr lines during a command, for its report.

While ``send-test-events`` runs, the OTLP exporters log retries ("Transient error
HTTPConnectionPool(…) … retrying") through Python's last-resort handler, and grpc's C core
writes ``E0000 …`` lines straight to file descriptor 2. Both would land raw on the terminal
ahead of the report. :func:`captured_stderr` points descriptor 2 at a temporary file for the
duration (so it holds Python and C writers alike), then restores it; the lines are kept
counted and redacted (URLs cut, known secrets masked, one line, bounded; a traceback an SDK
logs with ``exc_info`` is kept as its exception's line), never printed raw.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from codex_otel_config.exporters.classify import safe_text

__all__ = ["CapturedLines", "captured_stderr"]

#: The most of the captured output read back, and the most distinct lines kept.
_READ_LIMIT = 256 * 1024
_KEEP = 20


@dataclass
class CapturedLines:
    """What was written to stderr: ``count`` lines, the first distinct ones redacted."""

    count: int = 0
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"count": self.count, "lines": list(self.lines)}


#: The lines of a Python traceback other than its last (the exception itself).
_TRACEBACK_HEADS = (
    "Traceback (most recent call last)",
    "During handling of the above exception",
    "The above exception was the direct cause",
)


def _is_traceback_line(line: str) -> bool:
    """A frame, source or marker line of a traceback (indented), or its headings: an SDK
    logging with ``exc_info`` keeps only its message and the exception's own line."""
    return line[:1].isspace() or line.startswith(_TRACEBACK_HEADS)


@contextlib.contextmanager
def captured_stderr(secrets: Sequence[str] = ()) -> Iterator[CapturedLines]:
    """Capture file descriptor 2 (Python's ``sys.stderr`` and C libraries alike)."""
    captured = CapturedLines()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to redirect: nothing would be printed anyway
        yield captured
        return
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read(_READ_LIMIT).decode("utf-8", errors="replace")
            seen: set[str] = set()
            for raw in text.splitlines():
                if not raw.strip() or _is_traceback_line(raw):
                    continue
                captured.count += 1
                line = safe_text(raw, secrets)
                if line not in seen and len(captured.lines) < _KEEP:
                    seen.add(line)
                    captured.lines.append(line)
