"""Touching the file system safely: a settings file is read only when it is a regular file no
larger than :data:`~codex_otel_config.settings.schema.MAX_FILE_BYTES`, so a FIFO, a device
(``/dev/zero``) or a huge file is refused with a message instead of hanging or filling memory;
a path the kernel refuses (too long, a deleted current folder) is "not there", never a crash.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from codex_otel_config.settings.schema import MAX_DEPTH, MAX_FILE_BYTES

#: Settings files read when none is named (DESIGN §1.2).
DEFAULT_FILE_NAMES = ("otel.toml",)  # in $CODEX_HOME
PROJECT_FILE = "codex-otel.toml"  # in the current folder


class Refused(Exception):
    """A file that is not read; its message completes "<path> …"."""


def default_files(codex_home: Path) -> list[Path]:
    """The settings files read when none is named, whether or not they exist."""
    return [codex_home / name for name in DEFAULT_FILE_NAMES] + [Path(PROJECT_FILE)]


def _stat(path: Path) -> os.stat_result | int:
    """``path``'s status, or the error number the kernel refused it with (0: not a path)."""
    try:
        return path.stat()
    except OSError as exc:
        return exc.errno or 0
    except ValueError:  # a NUL in the path
        return 0


def is_regular(path: Path) -> bool:
    """A regular file (following symlinks); ``False`` for anything the kernel refuses."""
    status = _stat(path)
    return not isinstance(status, int) and stat.S_ISREG(status.st_mode)


def exists(path: Path) -> bool:
    """Something is at ``path``; ``False`` for anything the kernel refuses."""
    return not isinstance(_stat(path), int)


def name_too_long(path: Path) -> bool:
    """The kernel refuses ``path`` as too long (a component over 255 bytes, or the whole)."""
    return _stat(path) == errno.ENAMETOOLONG


def absolute(path: Path) -> Path:
    """``path`` from the current folder (see :func:`cwd`) unless it is absolute already."""
    return path if path.is_absolute() else cwd() / path


def cwd() -> Path:
    """The current folder, or ``.`` when it was deleted (relative paths then resolve to
    nothing and are reported missing)."""
    try:
        return Path.cwd()
    except OSError:
        return Path(".")


def read_capped(path: Path) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``; :class:`Refused` otherwise.

    Opened non-blocking, so a FIFO without a writer is seen (and refused) instead of waited on.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise Refused("is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise Refused("is not a regular file (a FIFO, device or socket is never read)")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"is larger than {MAX_FILE_BYTES // 1024} KiB (settings files are small)")
    return data


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """TOML ``text`` nests arrays or inline tables more than ``limit`` deep (checked before
    parsing, so a hostile file never reaches the parser's recursion). Strings and comments
    are skipped; a table header ``[a.b]`` opens and closes on its line."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case: no need to scan
    depth = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return False
