"""Read ``OTEL_CONFIG_FILE`` (or ``--otel-config``) with ``opentelemetry-configuration``'s own
loader — its YAML/JSON parsing, ``${VAR}`` substitution, ``schema.json`` validation and
``file_format`` rule — and turn what it says into one layer :class:`Fragment`.

Imported only when the file is named, so ``opentelemetry.configuration``, ``yaml`` and
``jsonschema`` cost nothing otherwise. The package substitutes ``${VAR}`` from the process
environment (``os.environ``), as every SDK does; a reference to an unset variable without a
default (which the package silently turns into null) is reported here with its location.
Every failure of the package becomes a :class:`Problem` naming the file and the location.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from codex_otel_config.errors import Problem
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._normalize import Context, normalize
from codex_otel_config.settings._sources import Fragment
from codex_otel_config.settings.declarative import Mapped, map_config
from codex_otel_config.settings.model import Source, nearest

CONFIG_VARIABLE = "OTEL_CONFIG_FILE"
LAYER = "otel-config"
#: The substitution grammar of the specification: ``$$`` or ``${NAME}`` / ``${NAME:-default}``.
_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")


def layer(
    explicit: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    problems: list[Problem],
    warnings: list[str],
) -> Fragment | None:
    """Layer 4: ``--otel-config`` / ``otel_config=`` first, else the variable (empty counts as
    unset, as for every ``OTEL_*`` variable); ``None`` when neither names a file. Each key's
    source points into the file; the ``OTEL_*`` variables it replaces are named in a warning."""
    if explicit is not None and str(explicit).strip():
        path = _files.absolute(Path(explicit))
    elif value := (environ.get(CONFIG_VARIABLE) or "").strip():
        path = _files.absolute(Path(value).expanduser())
    else:
        return None
    mapped = _read(path, problems, warnings)
    variables = (v for v in schema.every_variable() if v.startswith("OTEL_"))
    if ignored := [v for v in variables if (environ.get(v) or "").strip()]:
        warnings.append(
            f"{', '.join(ignored)} ignored: the declarative configuration {path} is "
            "authoritative (OpenTelemetry specification)"
        )
    if mapped is None:
        return Fragment({}, Source(layer=LAYER, file=path))
    ctx = Context(layer=str(path), base_dir=_files.cwd(), environ=environ, interpolate=False)
    data = normalize(mapped.values, ctx)
    for p in ctx.problems:
        where = nearest(mapped.locations, p.key) or p.key
        problems.append(Problem(where, str(path), f"{p.message} (the setting {p.key})"))
    for key in schema.EXPORTER_KEYS:
        fields = (data.get(key) or {}).get("otlp-http")
        if isinstance(fields, dict) and "endpoint" in fields:
            fields["signal_path"] = "verbatim"  # the file's endpoint is the full URL
    sources = {
        key: Source(layer=LAYER, file=path, note=f"at {where}")
        for key, where in mapped.locations.items()
    }
    return Fragment(data, Source(layer=LAYER, file=path), sources)


def _read(path: Path, problems: list[Problem], warnings: list[str]) -> Mapped | None:
    """Load and validate ``path`` with the package and map it; ``None`` when it is refused."""
    from opentelemetry.configuration import ConfigurationError, load_config_file

    label = str(path)
    try:  # the settings-file rules first: a regular file, at most MAX_FILE_BYTES
        text = _files.read_capped(path).decode("utf-8", errors="replace")
    except _files.Refused as exc:
        problems.append(Problem("file", label, str(exc)))
        return None
    unset = _unset_references(text)
    with _captured(warnings, f"{label}: "):
        try:
            config = load_config_file(path)
        except ConfigurationError as exc:
            problems.append(_problem(exc, label))
            return None
    mapped = map_config(config, skip=frozenset(where for where, _ in unset))
    problems += [
        Problem(where, label, f"${{{name}}} is not set and has no default (write ${{{name}:-…}})")
        for where, name in unset
    ]
    warnings += [f"{label}: {w}" for w in mapped.warnings]
    return mapped


def _problem(exc: Exception, label: str) -> Problem:
    """The package's error text, with the location it knows (line, schema path)."""
    cause, text = exc.__cause__, str(exc)
    mark = getattr(cause, "problem_mark", None) or getattr(cause, "lineno", None)
    if (path := getattr(cause, "json_path", None)) is not None:  # jsonschema's: $.a.b[0]
        where = path.removeprefix("$").removeprefix(".") or "file"
        reason = getattr(cause, "message", text)
        if "header" in where or "value" in where:  # never echo a value that may be secret
            reason = f"fails the schema's {getattr(cause, 'validator', 'schema')!r} rule"
        return Problem(
            where, label, f"does not match the declarative configuration schema: {reason}"
        )
    if mark is not None:
        line, kind = (mark, "JSON") if isinstance(mark, int) else (mark.line + 1, "YAML")
        detail = getattr(cause, "problem", None) or getattr(cause, "msg", None) or text
        return Problem(f"line {line}", label, f"invalid {kind}: {detail}")
    return Problem("file_format" if "file_format" in text else "file", label, text)


@contextlib.contextmanager
def _captured(warnings: list[str], prefix: str) -> Iterator[None]:
    """The package logs (with tracebacks) what it also raises: keep its messages as warnings
    instead of letting Python's last-resort handler print them."""

    def keep(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and not record.exc_info:
            warnings.append(prefix + record.getMessage())
        return False

    logger = logging.getLogger("opentelemetry.configuration.file._loader")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _unset_references(text: str) -> list[tuple[str, str]]:
    """``(location, NAME)`` of each ``${NAME}`` without a default whose variable is unset.

    The file is composed (not constructed) with the YAML library the package uses, so only
    values are looked at, never keys or comments, exactly where the package substitutes.
    """
    try:
        import yaml

        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:  # the package reports unreadable or malformed files itself
        return []
    found: list[tuple[str, str]] = []
    seen: set[int] = set()

    def walk(node: Any, where: str) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            for match in _REFERENCE.finditer(node.value):
                if match[1] and match[2] is None and match[1] not in os.environ:
                    found.append((where or "file", match[1]))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{where}[{index}]")
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, f"{where}.{key.value}" if where else key.value)

    walk(root, "")
    return found
