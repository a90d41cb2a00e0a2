"""Read each layer into :class:`Fragment` values: files, the Codex ``[otel]`` table,
``CODEX_OTEL_*`` variables and explicit overrides.

A fragment is one layer's canonical data with the :class:`Source` of each key, so the loader
can merge layers in order and record where every resolved value came from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from codex_otel_config.errors import Problem
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._normalize import Context, normalize, parse_inline_table
from codex_otel_config.settings._tree import deep_merge
from codex_otel_config.settings.model import Source, expand_user, nearest, source_in

SECRETS_NAME = ".secrets.toml"


@dataclass
class Fragment:
    """One layer's canonical data; ``sources`` overrides ``source`` for individual keys."""

    data: dict[str, Any]
    source: Source
    sources: dict[str, Source] = field(default_factory=dict)

    def source_for(self, key: str) -> Source:
        return source_in(self.sources, key, self.source)


# -- TOML files ---------------------------------------------------------------------------


@functools.cache
def _at_line_re() -> re.Pattern[str]:
    return re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_toml(path: Path, *, label: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse a TOML file; a problem (with its line) instead of an exception when it is bad."""
    import tomllib

    try:
        raw = _files.read_capped(path)
    except _files.Refused as exc:
        return None, [Problem(key="file", layer=label, message=exc.reason)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            Problem(
                key=f"line {line}",
                layer=label,
                message="is not UTF-8 text; settings files are TOML",
            )
        ]
    text = text.removeprefix("\ufeff")
    deep = Problem(
        key="file",
        layer=label,
        message=f"nests arrays or tables more than {schema.MAX_DEPTH} levels deep",
    )
    if _files.too_deep(text):
        return None, [deep]
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_problem(str(exc), text, label, path)]
    except RecursionError:  # pragma: no cover - too_deep() refuses such text first
        return None, [deep]
    except ValueError:  # an integer beyond Python's digit limit
        return None, [Problem(key="file", layer=label, message="holds a number too large to read")]


def _toml_problem(message: str, text: str, label: str, path: Path) -> Problem:
    match = _at_line_re().search(message)
    line = int(match.group(1)) if match else 0
    column = int(match.group(2)) if match else 0
    reason = _at_line_re().sub("", message)
    reason = reason[:1].lower() + reason[1:]
    mixed = _mixed_exporter(text)
    if mixed is not None and "overwrite" in reason.lower():
        key, first, second = mixed
        return Problem(
            key=key,
            layer=label,
            message=f"is a string on line {first} and a table on line {second}; an exporter is "
            'either a string ("none", "statsig") or a table naming its kind, not both: remove '
            f"line {first}",
        )
    hint = ""
    if _unclosed_inline_table(text, line):
        hint = "; inline tables { … } must fit on one line in TOML: use a [sub.table] instead"
    elif path.suffix.lower() not in (".toml", ""):
        hint = f"; settings files are TOML ({path.suffix} is not supported)"
    where = f"line {line}" if line else "file"
    col = f" (column {column})" if column else ""
    return Problem(key=where, layer=label, message=f"invalid TOML: {reason}{col}{hint}")


@functools.cache
def _string_assign_re() -> re.Pattern[str]:
    return re.compile(r'^\s*(exporter|trace_exporter|metrics_exporter)\s*=\s*["\']', re.M)


def _mixed_exporter(text: str) -> tuple[str, int, int] | None:
    """``trace_exporter = "otlp-http"`` followed by ``[otel.trace_exporter.otlp-http]``."""
    lines = text.splitlines()
    for match in _string_assign_re().finditer(text):
        key = match.group(1)
        first = text.count("\n", 0, match.start()) + 1
        table = re.compile(r"^\s*(\[\[?[^\]]*\b" + key + r"\.|" + key + r"\.)")
        for number, line in enumerate(lines[first:], start=first + 1):
            if table.search(line):
                return key, first, number
    return None


def _unclosed_inline_table(text: str, line: int) -> bool:
    lines = text.splitlines()
    for candidate in lines[max(0, line - 3) : line]:
        code = candidate.split("#", 1)[0]
        if code.count("{") > code.count("}"):
            return True
    return False


# -- settings files -----------------------------------------------------------------------


def settings_files(
    files: Sequence[str | PathLike[str]] | None,
    environ: Mapping[str, str],
    codex_home: Path,
) -> tuple[list[Path], list[Problem]]:
    """The settings files to load, in order; a named file that is missing is a problem."""
    problems: list[Problem] = []
    if files is not None:
        named, origin = [Path(f) for f in files], "files="
    elif env_files := environ.get("CODEX_OTEL_SETTINGS_FILES", "").strip():
        named = [expand_user(p.strip()) for p in env_files.split(",") if p.strip()]
        origin = "CODEX_OTEL_SETTINGS_FILES"
    else:
        return [p for p in _files.default_files(codex_home) if _files.exists(p)], problems
    found: list[Path] = []
    for path in named:
        if _files.exists(path):
            found.append(path)
        else:
            problems.append(
                Problem(
                    key="file",
                    layer=str(path),
                    message=f"settings file not found (named by {origin})",
                )
            )
    return found, problems


def file_fragments(
    paths: Sequence[Path],
    *,
    env_name: str | None,
    environ: Mapping[str, str],
    problems: list[Problem],
    tables_seen: set[str],
) -> list[Fragment]:
    """The fragments of the settings files and the ``.secrets.toml`` beside each, in load
    order: per file, its keys outside any table, then ``[default]`` and ``[<env>]``.

    Each file is first checked here (a small regular file of valid TOML whose top level holds
    environment tables), so every problem names its line; dynaconf then loads the tables
    (:mod:`._dynaconf`) and its record of each (file, table) chunk becomes one fragment.
    """
    checked: list[tuple[Path, str, dict[str, Any], dict[str, tuple[str, Any]]]] = []
    for path in paths:
        for layer, file in (("file", path), ("secrets", secrets_beside(path))):
            if file is None:
                continue
            data, read_problems = read_toml(file, label=str(file))
            problems += read_problems
            if data is not None:
                implicit, tables = _split_top(file, data, problems)
                tables_seen.update(name for name, _ in tables.values())
                checked.append((file, layer, implicit, tables))
    chunks: dict[Path, list[str]] = {}
    if any(tables for *_, tables in checked):
        from codex_otel_config.settings._dynaconf import file_chunks

        try:
            loaded_chunks = file_chunks([_absolute(c[0]) for c in checked], env_name)
        except Exception as exc:  # checked above, so only a dynaconf surprise lands here
            where = ", ".join(str(c[0]) for c in checked)
            problems.append(
                Problem(key="file", layer=where, message=f"dynaconf failed ({type(exc).__name__})")
            )
            return []
        for file, env in loaded_chunks:
            chunks.setdefault(file, []).append(env)
    out: list[Fragment] = []
    for file, layer, implicit, tables in checked:
        order: list[tuple[str | None, dict[str, Any]]] = [(None, implicit)] if implicit else []
        for env_table in chunks.pop(_absolute(file), []):
            # dynaconf chose and ordered the table; its values are taken as the file wrote
            # them (dynaconf would cast "@int …"-style strings if AUTO_CAST_FOR_DYNACONF is
            # set in os.environ: a header value must stay the text of the file).
            written_name, written = tables.get(env_table, (env_table, {}))
            order.append((written_name, dict(written) if isinstance(written, dict) else {}))
        base_dir = _absolute(file).parent
        for table, tree in order:
            source = Source(layer=layer, file=file, table=table)
            ctx = Context(
                layer=source.describe(),
                base_dir=base_dir,
                environ=environ,
                table_hint=table or "default",
            )
            out.append(Fragment(normalize(tree, ctx), source))
            problems += ctx.problems
    return out


def _absolute(path: Path) -> Path:
    return path if path.is_absolute() else _files.cwd() / path


def _split_top(
    path: Path, data: Mapping[str, Any], problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, tuple[str, Any]]]:
    """Keys outside any table (a settings key written at the top), and the environment
    tables (lower-cased name → name as written, content); anything else is a problem."""
    implicit: dict[str, Any] = {}
    tables: dict[str, tuple[str, Any]] = {}
    for name, value in data.items():
        if schema.canonical(name, schema.TOP_LEVEL_KEYS) is not None:
            implicit[name] = value
        elif isinstance(value, dict):
            tables[name.lower()] = (name, value)
        else:
            problems.append(
                Problem(
                    key=name,
                    layer=str(path),
                    message="is not a settings key; a settings file holds environments as tables "
                    "([default], [production]) with the settings inside"
                    + schema.did_you_mean(name, schema.TOP_LEVEL_KEYS),
                )
            )
    return implicit, tables


def secrets_beside(path: Path) -> Path | None:
    """Dynaconf's convention: a ``.secrets.toml`` in the same folder as the settings file."""
    if path.name == SECRETS_NAME:
        return None
    candidate = path.parent / SECRETS_NAME
    return candidate if _files.exists(candidate) else None


def codex_fragment(
    codex_home: Path, environ: Mapping[str, str], problems: list[Problem]
) -> Fragment | None:
    """The ``[otel]`` table of ``$CODEX_HOME/config.toml``, read as Codex reads it."""
    path = codex_home / "config.toml"
    if not _files.exists(path):
        return None
    source = Source(layer="codex-config", file=path, table="otel")
    data, read_problems = read_toml(path, label=str(path))
    problems += read_problems
    if data is None or "otel" not in data:
        return None
    table = data["otel"]
    if not isinstance(table, dict):
        problems.append(
            Problem(key="otel", layer=str(path), message="expected a table ([otel]), found a value")
        )
        return None
    ctx = Context(layer=source.describe(), base_dir=codex_home, environ=environ, codex_config=True)
    fragment = normalize(table, ctx)
    problems += ctx.problems
    return Fragment(fragment, source)


# -- variables and overrides --------------------------------------------------------------


def codex_env_fragment(environ: Mapping[str, str], problems: list[Problem]) -> Fragment | None:
    """``CODEX_OTEL_*`` variables: ``__`` nests, ``_`` may stand for ``-``."""
    tree = _Tree(layer="env CODEX_OTEL_*", problems=problems)
    names = sorted(
        k
        for k in environ
        if k.startswith(schema.CODEX_PREFIX) and k not in schema.CONTROL_VARIABLES
    )
    for name in names:
        raw = environ[name]
        if not raw.strip():
            continue
        segments = name[len(schema.CODEX_PREFIX) :].split("__")
        path = _canonical_path(segments, env_style=True)
        if isinstance(path, str):
            problems.append(
                Problem(
                    key=".".join(s.lower() for s in segments),
                    layer=f"env {name}",
                    message=path + _suggest_variable(name),
                )
            )
            continue
        tree.insert(path, raw, name, Source(layer="codex-env", variable=name))
    if not tree.data:
        return None
    ctx = Context(
        layer="env CODEX_OTEL_*",
        base_dir=_files.cwd(),
        environ=environ,
        raw_strings=True,
        interpolate=False,
    )
    data = normalize(tree.data, ctx)
    for p in ctx.problems:
        variable = _variable_of(p.key, tree.origins)
        problems.append(
            Problem(key=p.key, layer=f"env {variable}" if variable else p.layer, message=p.message)
        )
    return Fragment(data, Source(layer="codex-env"), tree.sources)


def overrides_fragment(
    overrides: Mapping[str, Any], environ: Mapping[str, str], problems: list[Problem]
) -> Fragment | None:
    """Explicit overrides: dotted keys to values (strings are parsed like ``--set``)."""
    source = Source(layer="override")
    tree = _Tree(layer="override", problems=problems)
    for dotted, value in overrides.items():
        path = _canonical_path(str(dotted).split("."), env_style=False)
        if isinstance(path, str):
            problems.append(Problem(key=str(dotted), layer="override", message=path))
            continue
        tree.insert(path, value, str(dotted), source)
    if not tree.data:
        return None
    ctx = Context(layer="override", base_dir=_files.cwd(), environ=environ, raw_strings=True)
    data = normalize(tree.data, ctx)
    problems += ctx.problems
    return Fragment(data, source, tree.sources)


@dataclass
class _Tree:
    """Nested data built from dotted paths, remembering which variable or key set each part."""

    layer: str
    problems: list[Problem]
    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    mixed: set[str] = field(default_factory=set)

    def insert(self, path: list[str], value: Any, origin: str, source: Source) -> None:
        if path[0] in self.mixed:
            return  # already reported
        if isinstance(value, str) and _takes_table(path) and value.strip().startswith("{"):
            # A TOML inline table is a table: it merges with dotted keys of the same layer.
            parsed = parse_inline_table(value)
            value = parsed if isinstance(parsed, dict) else value
        node = self.data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                self._mixed(path[0], origin)
                return
            node = child
        if isinstance(node.get(path[-1]), dict) and not isinstance(value, Mapping):
            self._mixed(path[0], origin)
            return
        node[path[-1]] = deep_merge(node.get(path[-1]), value)
        dotted = ".".join(path)
        self.origins[dotted] = origin
        self.sources[dotted] = source

    def _mixed(self, key: str, origin: str) -> None:
        """A string and a table for the same key in one layer: report it, use neither."""
        self.data.pop(key, None)
        self.mixed.add(key)
        others = sorted({o for d, o in self.origins.items() if d == key or d.startswith(key + ".")})
        both = ", ".join([*others, origin])
        self.problems.append(
            Problem(
                key=key,
                layer=self.layer,
                message=f"is given both as a string and as a table in the same layer ({both}); an "
                'exporter is either a string ("none", "statsig") or a table naming its kind',
            )
        )


def _takes_table(path: list[str]) -> bool:
    """An exporter or a table (``resource_attributes``, an exporter's ``headers``): keys whose
    value may be written as a TOML inline table."""
    param = _PATHS.get(tuple(path))
    return param is not None and param.type in ("exporter", "table")


def _variable_of(key: str, origins: Mapping[str, str]) -> str | None:
    """The variable that set ``key`` (or its nearest parent, else any of its children)."""
    found = nearest(origins, key)
    if found is not None:
        return found
    return next((o for dotted, o in origins.items() if dotted.startswith(key + ".")), None)


#: Every declared key as a path (the fields of each exporter kind under each exporter key).
_PATHS: dict[tuple[str, ...], schema.Param] = {
    **{tuple(p.key.split(".")): p for p in schema.SETTINGS},
    **{(top, *p.key.split(".")): p for top in schema.EXPORTER_KEYS for p in schema.EXPORTER_FIELDS},
}


def _canonical_path(segments: list[str], *, env_style: bool) -> list[str] | str:
    """Canonical key path, or a message saying which part is unknown; the schema's keys are
    the vocabulary at every level, and a table (headers, resource attributes) takes any name."""
    if not segments or any(not s.strip() for s in segments):
        return "is not a settings key (empty part)"
    allowed = tuple(k for k in schema.TOP_LEVEL_KEYS if k != "codex_home")
    top = schema.canonical(segments[0], allowed)
    if top is None:
        return "unknown key" + schema.did_you_mean(segments[0], allowed)
    path, rest = [top], segments[1:]
    if top in schema.EXPORTER_KEYS and rest:
        kind = schema.canonical(rest[0], schema.EXPORTER_KINDS)
        if kind is None:
            return f'"{rest[0].lower()}" is not an exporter kind' + schema.did_you_mean(
                rest[0], schema.EXPORTER_KINDS
            )
        path, rest = [top, kind], rest[1:]
    while rest:
        param = _PATHS.get(tuple(path))
        if param is not None and param.type == "table":
            name = ".".join(rest)
            if path[-1] == "headers":  # case-insensitive; a variable name cannot hold "-"
                return [*path, (name.lower().replace("_", "-") if env_style else name).lower()]
            return [*path, name.lower() if env_style else name]
        if param is not None:
            return ".".join(path[1:] if top in schema.EXPORTER_KEYS else path) + " has no sub-keys"
        depth = len(path)
        names = tuple(
            dict.fromkeys(p[depth] for p in _PATHS if len(p) > depth and list(p[:depth]) == path)
        )
        known = schema.canonical(rest[0], names)
        if known is None:
            return f'"{rest[0].lower()}" is not a {path[-1]} setting' + schema.did_you_mean(
                rest[0], names
            )
        path, rest = [*path, known], rest[1:]
    return path


def _suggest_variable(name: str) -> str:
    import difflib

    known = [v for v in schema.every_variable() if v.startswith(schema.CODEX_PREFIX)]
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f" (did you mean {match[0]}?)" if match else ""
