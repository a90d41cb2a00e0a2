"""Read each layer into :class:`Fragment` values: files, the Codex ``[otel]`` table,
``CODEX_OTEL_*`` variables and explicit overrides.

A fragment is one layer's canonical data with the :class:`Source` of each key, so the loader
can merge layers in order and record where every resolved value came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from codex_otel_config.errors import Problem
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings._normalize import (
    EXPORTER_FORMS,
    Context,
    normalize,
    parse_inline_table,
)
from codex_otel_config.settings._tree import deep_merge
from codex_otel_config.settings.model import Source, expand_user, nearest

SECRETS_NAME = ".secrets.toml"
#: The names dynaconf reads as TOML (its ``TOML_EXTENSIONS``).
TOML_SUFFIXES = (".toml", ".tml")


@dataclass(frozen=True)
class Fragment:
    """One layer's canonical data; ``sources`` overrides ``source`` for individual keys."""

    data: dict[str, Any]
    source: Source
    sources: dict[str, Source] = field(default_factory=dict)

    def source_for(self, key: str) -> Source:
        """The key's own source, else its nearest parent's, else (an exporter chosen by the
        variables that set its fields) the first of its children's, else the layer's."""
        found = nearest(self.sources, key)
        if found is not None:
            return found
        return next((s for k, s in self.sources.items() if k.startswith(key + ".")), self.source)


# -- TOML files ---------------------------------------------------------------------------


def read_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """Parse a TOML file; a problem (with its line) instead of an exception when it is bad."""
    import tomllib

    label = str(path)

    def refused(key: str, message: str) -> dict[str, Any] | None:
        problems.append(Problem(key=key, layer=label, message=message))
        return None

    try:
        raw = _files.read_capped(path)
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except _files.Refused as exc:
        return refused("file", str(exc))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return refused(f"line {line}", "is not UTF-8 text; settings files are TOML")
    if _files.too_deep(text):  # so the parser's recursion is never reached
        return refused("file", f"nests arrays or tables more than {schema.MAX_DEPTH} levels deep")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return refused(*_toml_problem(str(exc), text))
    except ValueError:  # an integer beyond Python's digit limit
        return refused("file", "holds a number too large to read")


def _toml_problem(message: str, text: str) -> tuple[str, str]:
    """tomllib's message keyed by its line, with a hint for the usual mistakes."""
    reason, _, where = message.partition(" (at line ")  # "(at end of document)": no line
    number, _, column = where.rstrip(")").partition(", column ")
    line = int(number) if number.isdigit() else 0
    lines = text.splitlines()
    mixed = _mixed_exporter(lines, line) if reason.startswith("Cannot overwrite") else None
    if mixed is not None:
        key, first = mixed
        what = f"is a string on line {first} and a table on line {line}; an exporter is"
        return key, f"{what} either {EXPORTER_FORMS}, not both: remove line {first}"
    hint = ""
    recent = (c.split("#")[0] for c in lines[max(0, line - 3) : line])
    if any(c.count("{") > c.count("}") for c in recent):
        hint = "; inline tables { … } must fit on one line in TOML: use a [sub.table] instead"
    col = f" (column {column})" if column else ""
    message = f"invalid TOML: {reason[:1].lower()}{reason[1:]}{col}{hint}"
    return f"line {line}" if line else "file", message


def _mixed_exporter(lines: list[str], line: int) -> tuple[str, int] | None:
    """``trace_exporter = "otlp-http"`` before ``line``, which makes it a table
    (``[otel.trace_exporter.otlp-http]``): the key and the line of the string."""
    words = re.split(r"[\s.\[\]\"'=]+", lines[line - 1]) if 0 < line <= len(lines) else []
    for key in (k for k in schema.EXPORTER_KEYS if k in words):
        for number in range(line - 1, 0, -1):
            name, eq, value = lines[number - 1].partition("=")
            if eq and name.strip() == key and value.strip()[:1] in ('"', "'"):
                return key, number
    return None


# -- settings files -----------------------------------------------------------------------


def settings_files(
    files: Sequence[str | PathLike[str]] | None,
    environ: Mapping[str, str],
    codex_home: Path,
) -> tuple[list[Path], list[Problem]]:
    """The settings files to load, in order; a named file that is missing, or not named
    ``*.toml`` (dynaconf picks its reader by the extension: another name would be skipped
    silently), is a problem."""
    if files is not None:
        named, origin = [Path(f) for f in files], "files="
    elif env_files := environ.get("CODEX_OTEL_SETTINGS_FILES", "").strip():
        named = [expand_user(p.strip()) for p in env_files.split(",") if p.strip()]
        origin = "CODEX_OTEL_SETTINGS_FILES"
    else:
        return [p for p in _files.default_files(codex_home) if _files.exists(p)], []
    missing = f"settings file not found (named by {origin})"
    problems = [Problem("file", str(p), missing) for p in named if not _files.exists(p)]
    named = [p for p in named if _files.exists(p)]
    # (A FIFO or device is left to read_toml, which refuses it as not a regular file.)
    wrong = [p for p in named if p.suffix not in TOML_SUFFIXES and _files.is_regular(p)]
    message = "is not a .toml file: settings files are TOML, named *.toml"
    problems += [Problem("file", str(p), message) for p in wrong]
    return [p for p in named if p not in wrong], problems


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
    environment tables), so every problem names its line and no unsafe file reaches dynaconf;
    dynaconf then loads the tables (:mod:`._dynaconf`) and each (file, table) chunk it records
    becomes one fragment of the values it read, its top-level keys spelled as the file wrote
    them (dynaconf upper-cases them; messages quote the file's spelling).
    """
    checked: list[tuple[Path, str, dict[str, Any], dict[str, tuple[str, dict[str, Any]]]]] = []
    for path in paths:
        for layer, file in (("file", path), ("secrets", secrets_beside(path))):
            if file is not None and (data := read_toml(file, problems)) is not None:
                implicit, tables = _split_top(file, data, problems)
                tables_seen.update(name for name, _ in tables.values())
                checked.append((file, layer, implicit, tables))
    chunks: dict[Path, list[tuple[str, dict[str, Any]]]] = {}
    if any(tables for *_, tables in checked):
        from codex_otel_config.settings._dynaconf import file_chunks

        try:
            for file, env, values in file_chunks(
                [_files.absolute(c[0]) for c in checked], env_name
            ):
                chunks.setdefault(file, []).append((env, values))
        except Exception as exc:  # checked above, so only a dynaconf surprise lands here
            where = ", ".join(str(c[0]) for c in checked)
            problems.append(Problem("file", where, f"dynaconf failed ({type(exc).__name__})"))
            return []
    out: list[Fragment] = []
    for file, layer, implicit, tables in checked:
        parts: list[tuple[str | None, dict[str, Any]]] = [(None, implicit)] if implicit else []
        for env, values in chunks.pop(_files.absolute(file), []):
            if env in tables:
                name, written = tables[env]
                spelled = {key.upper(): key for key in written}
                parts.append((name, {spelled.get(k, k.lower()): v for k, v in values.items()}))
        for table, tree in parts:
            source = Source(layer=layer, file=file, table=table)
            base = _files.absolute(file).parent
            ctx = Context(
                source.describe(), base, environ, table_hint=table or "default", problems=problems
            )
            out.append(Fragment(normalize(tree, ctx), source))
    return out


def _split_top(
    path: Path, data: Mapping[str, Any], problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, tuple[str, dict[str, Any]]]]:
    """Keys outside any table (a settings key written at the top), and the environment
    tables (lower-cased name → name as written, content); anything else is a problem."""
    implicit: dict[str, Any] = {}
    tables: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, value in data.items():
        if schema.canonical(name, schema.TOP_LEVEL_KEYS) is not None:
            implicit[name] = value
        elif isinstance(value, dict):
            tables[name.lower()] = (name, value)
        else:
            message = (
                "is not a settings key; a settings file holds environments as tables "
                "([default], [production]) with the settings inside"
            )
            hint = schema.did_you_mean(name, schema.TOP_LEVEL_KEYS)
            problems.append(Problem(key=name, layer=str(path), message=message + hint))
    return implicit, tables


def secrets_beside(path: Path) -> Path | None:
    """Dynaconf's convention: a ``.secrets.toml`` in the same folder as the settings file."""
    candidate = path.parent / SECRETS_NAME
    return candidate if path.name != SECRETS_NAME and _files.exists(candidate) else None


def codex_fragment(
    codex_home: Path, environ: Mapping[str, str], problems: list[Problem]
) -> Fragment | None:
    """The ``[otel]`` table of ``$CODEX_HOME/config.toml``, read as Codex reads it."""
    path = codex_home / "config.toml"
    if not _files.exists(path):
        return None
    data = read_toml(path, problems)
    if data is None or "otel" not in data:
        return None
    table, source = data["otel"], Source(layer="codex-config", file=path, table="otel")
    if not isinstance(table, dict):
        problems.append(Problem("otel", str(path), "expected a table ([otel]), found a value"))
        return None
    ctx = Context(source.describe(), codex_home, environ, codex_config=True, problems=problems)
    return Fragment(normalize(table, ctx), source)


# -- variables and overrides --------------------------------------------------------------


def codex_env_fragment(environ: Mapping[str, str], problems: list[Problem]) -> Fragment:
    """``CODEX_OTEL_*`` variables: ``__`` nests, ``_`` may stand for ``-``. Each problem
    names the variable that caused it."""
    tree = _Tree(layer="env CODEX_OTEL_*", problems=problems)
    for name in sorted(environ):
        own = name.startswith(schema.CODEX_PREFIX) and name not in schema.CONTROL_VARIABLES
        if own and environ[name].strip():
            segments = name[len(schema.CODEX_PREFIX) :].lower().split("__")
            tree.insert(_path(segments, env=True), environ[name], name)
    ctx = Context(tree.layer, _files.cwd(), environ, raw_strings=True, interpolate=False)
    sources = {k: Source(layer="codex-env", variable=v) for k, v in tree.origins.items()}
    fragment = Fragment(normalize(tree.data, ctx), Source(layer="codex-env"), sources)
    for p in ctx.problems:
        variable = fragment.source_for(p.key).variable
        message = p.message
        if variable and message.startswith("unknown key") and (hint := _suggest(variable)):
            message = "unknown key" + hint  # the variable's name is the mistake, not the key
        problems.append(Problem(p.key, f"env {variable}" if variable else p.layer, message))
    return fragment


def overrides_fragment(
    overrides: Mapping[str, Any], environ: Mapping[str, str], problems: list[Problem]
) -> Fragment:
    """Explicit overrides: dotted keys to values (strings are parsed like ``--set``)."""
    tree = _Tree(layer="override", problems=problems)
    for dotted, value in overrides.items():
        tree.insert(_path(str(dotted).split("."), env=False), value, str(dotted))
    ctx = Context("override", _files.cwd(), environ, raw_strings=True, problems=problems)
    return Fragment(normalize(tree.data, ctx), Source(layer="override"))


#: Every declared key as a path (the fields of each exporter kind under each exporter key).
_PATHS: dict[tuple[str, ...], schema.Param] = {
    **{tuple(p.key.split(".")): p for p in schema.SETTINGS},
    **{(top, *p.key.split(".")): p for top in schema.EXPORTER_KEYS for p in schema.EXPORTER_FIELDS},
}


def _path(segments: list[str], *, env: bool) -> list[str]:
    """The key path as the schema spells it (``otlp_http`` → ``otlp-http``), so provenance is
    recorded under the canonical key; an unknown part stays as written for normalize() to
    report. A table (``resource_attributes``, ``headers``) takes the rest as one name, in which
    a variable's ``_`` stands for a header name's ``-``."""
    path: list[str] = []
    for depth, segment in enumerate(segments):
        param = _PATHS.get(tuple(path))
        if param is not None and param.type == "table":
            name = ".".join(segments[depth:])
            return [*path, name.replace("_", "-") if env and path[-1] == "headers" else name]
        names = tuple(p[depth] for p in _PATHS if len(p) > depth and list(p[:depth]) == path)
        path.append(schema.canonical(segment, names) or segment)
    return path


@dataclass
class _Tree:
    """Nested data built from key paths, remembering which variable or key set each path."""

    layer: str
    problems: list[Problem]
    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    mixed: set[str] = field(default_factory=set)

    def insert(self, path: list[str], value: Any, origin: str) -> None:
        if path[0] in self.mixed:
            return  # already reported
        param = _PATHS.get(tuple(path))
        if isinstance(value, str) and param and param.type in ("exporter", "table"):
            # A TOML inline table is a table: it merges with dotted keys of the same layer.
            parsed = parse_inline_table(value) if value.strip().startswith("{") else None
            value = parsed if isinstance(parsed, dict) else value
        node = self.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                return self._mixed(path[0], origin)
        if isinstance(node.get(path[-1]), dict) and not isinstance(value, Mapping):
            return self._mixed(path[0], origin)
        node[path[-1]] = deep_merge(node.get(path[-1]), value)
        self.origins[".".join(path)] = origin

    def _mixed(self, key: str, origin: str) -> None:
        """A string and a table for the same key in one layer: report it, use neither."""
        self.data.pop(key, None)
        self.mixed.add(key)
        others = sorted({o for d, o in self.origins.items() if d == key or d.startswith(key + ".")})
        message = (
            "is given both as a string and as a table in the same layer "
            f"({', '.join([*others, origin])}); an exporter is either {EXPORTER_FORMS}"
        )
        self.problems.append(Problem(key=key, layer=self.layer, message=message))


def _suggest(variable: str) -> str:
    """`` (did you mean CODEX_OTEL_X?)`` for a variable name that is not known."""
    import difflib

    known = [v for v in schema.every_variable() if v.startswith(schema.CODEX_PREFIX)]
    match = difflib.get_close_matches(variable, known, n=1, cutoff=0.75)
    return f" (did you mean {match[0]}?)" if match and variable not in known else ""
