"""Validate one layer's raw data into the canonical tree the loader merges.

Canonical form: top-level keys of :data:`schema.SETTINGS`; each exporter key holds
``{kind: fields}`` (a bare ``"none"`` becomes ``{"none": {}}``); header names are lower-case;
TLS paths are absolute; ``${VAR}`` references are expanded. Every problem is collected with the
dotted key and the layer, and no message ever contains a secret value.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any

from codex_otel_config.errors import Problem
from codex_otel_config.settings import schema
from codex_otel_config.settings.interpolate import InterpolationError, expand, has_reference
from codex_otel_config.settings.model import expand_user

#: Header names dynaconf would interpret while merging.
_RESERVED = frozenset({"dynaconf_merge", "dynaconf_merge_unique"})


@dataclass
class Context:
    """How to read one layer: where it is, how paths resolve, whether strings are raw text."""

    layer: str
    base_dir: Path
    environ: Mapping[str, str]
    raw_strings: bool = False
    interpolate: bool = True
    codex_config: bool = False
    table_hint: str = "default"
    problems: list[Problem] = field(default_factory=list)

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(key=key, layer=self.layer, message=message))


#: How a message names the type of a value (TOML's words), first match wins (bool is an int).
_TYPE_NAMES: tuple[tuple[type | UnionType, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (Mapping, "a table"),
    (list | tuple, "an array"),
    (datetime.datetime | datetime.date | datetime.time, "a date-time"),
)


def type_name(value: object) -> str:
    return next((name for t, name in _TYPE_NAMES if isinstance(value, t)), type(value).__name__)


def quote(value: object) -> str:
    """A value as it would be written in TOML, shortened; never call it on a secret."""
    text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def normalize(tree: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """The canonical form of one layer's data; problems go to ``ctx.problems``."""
    out: dict[str, Any] = {}
    allowed = (
        schema.CODEX_CONFIG_KEYS
        if ctx.codex_config
        else tuple(k for k in schema.TOP_LEVEL_KEYS if k != "codex_home")
    )
    for raw_key, value in tree.items():
        key = schema.canonical(str(raw_key), allowed)
        if key is None:
            _unknown_top(str(raw_key), allowed, ctx)
            continue
        if key == "processors":
            table = _declared_table(key, value, schema.PROCESSOR_KEYS, key, ctx, takes="expected")
            if table is not None:
                out[key] = table
            continue
        param = schema.SETTINGS_BY_KEY[key]
        if param.type == "exporter":
            exporter = _exporter(key, value, ctx)
            if exporter is not None:
                out[key] = exporter
        elif param.type == "table":
            attrs = _string_table(key, value, ctx, secret=False, lower=False)
            if attrs is not None:
                out[key] = attrs
        else:
            scalar = _scalar(key, value, param, ctx)
            if scalar is not _INVALID:
                out[key] = scalar
    return out


def _unknown_top(raw_key: str, allowed: tuple[str, ...], ctx: Context) -> None:
    known = schema.canonical(raw_key, schema.TOP_LEVEL_KEYS)
    if known == "codex_home":
        ctx.problem(
            raw_key, "is set by the variable CODEX_HOME only (it says where the settings files are)"
        )
    elif ctx.codex_config and known is not None:
        ctx.problem(
            raw_key,
            "is not a key of Codex's [otel] table (Codex would refuse this "
            "file); set it in a settings file such as $CODEX_HOME/otel.toml",
        )
    else:
        ctx.problem(
            raw_key,
            "unknown key"
            + schema.did_you_mean(raw_key, allowed)
            + "; expected one of "
            + ", ".join(allowed),
        )


class _Invalid:
    pass


_INVALID: Any = _Invalid()


def _text(key: str, value: str, ctx: Context, *, secret: bool) -> str | None:
    """Expand ``${VAR}`` references; ``None`` (with a problem) when one cannot be expanded."""
    if not ctx.interpolate or "$" not in value:
        return value
    try:
        return expand(value, ctx.environ)
    except InterpolationError as exc:
        if secret and exc.variable.startswith("$"):
            # An invalid reference quotes the text around it: never part of a secret.
            ctx.problem(
                key,
                "contains an invalid ${…} reference; expected ${NAME} or "
                "${NAME:-default} (write $$ for a literal $)",
            )
        else:
            ctx.problem(key, exc.reason)
        return None


def _scalar(key: str, value: Any, param: schema.Param, ctx: Context) -> Any:
    """One scalar checked against its declared type (strings from variables are parsed)."""
    secret = param.secret
    from_text = ctx.raw_strings
    if isinstance(value, str):
        had_reference = ctx.interpolate and has_reference(value)
        expanded = _text(key, value, ctx, secret=secret)
        if expanded is None:
            return _INVALID
        value = expanded
        from_text = from_text or had_reference
    kind = param.type
    if kind in ("str", "path", "choice"):
        if not isinstance(value, str):
            ctx.problem(key, f"expected a string, found {type_name(value)}")
            return _INVALID
        if from_text:
            value = _unquote(value)
        if kind == "choice":
            return _choice(key, value, param.choices, ctx)
        if kind == "path":
            if not value.strip():
                ctx.problem(key, "expected a file path, found an empty string")
                return _INVALID
            path = expand_user(value)
            return str(path if path.is_absolute() else ctx.base_dir / path)
        if "\n" in value or "\r" in value:
            ctx.problem(key, "must not contain a line break")
            return _INVALID
        if secret and schema.has_control(value):
            ctx.problem(key, "contains a control character (its value is not shown)")
            return _INVALID
        return value
    if kind == "bool":
        if isinstance(value, str) and from_text:
            parsed = _parse_bool(value)
            if parsed is None:
                ctx.problem(key, f"{quote(value)} is not a boolean; expected true or false")
                return _INVALID
            return parsed
        if not isinstance(value, bool):
            ctx.problem(key, f"expected a boolean (true or false), found {type_name(value)}")
            return _INVALID
        return value
    if kind in ("int", "float"):
        number: Any = value
        if isinstance(value, str) and from_text:
            number = parse_number(_unquote(value))
            if number is None:
                ctx.problem(key, f"{quote(value)} is not a number")
                return _INVALID
        if isinstance(number, bool) or not isinstance(number, int | float):
            ctx.problem(key, f"expected a number, found {type_name(number)}")
            return _INVALID
        if isinstance(number, float) and not math.isfinite(number):
            ctx.problem(key, "expected a finite number")
            return _INVALID
        if not param.in_range(number):
            shown = quote(number) if abs(number) < 1e15 else "a larger number"
            ctx.problem(key, f"expected {param.range_text()}, found {shown}")
            return _INVALID
        if kind == "int":
            if isinstance(number, float) and not number.is_integer():
                ctx.problem(key, f"expected a whole number, found {number}")
                return _INVALID
            return int(number)
        return float(number)
    raise AssertionError(kind)  # pragma: no cover - every scalar type is handled above


_CHOICE_HINTS = {
    "http/json": 'use "json" ("http/json" is the OTEL_EXPORTER_OTLP_PROTOCOL spelling)',
    "http/protobuf": 'use "binary" ("http/protobuf" is the OTEL_EXPORTER_OTLP_PROTOCOL spelling)',
    "protobuf": 'use "binary"',
    "grpc": 'gRPC is its own exporter kind: use a table named "otlp-grpc"',
}


def _choice(key: str, value: str, choices: tuple[str, ...], ctx: Context) -> Any:
    if value in choices:
        return value
    lowered = value.strip().lower()
    if lowered in choices:
        return lowered
    listed = ", ".join(f'"{c}"' for c in choices)
    hint = _CHOICE_HINTS.get(lowered)
    extra = f" ({hint})" if hint else schema.did_you_mean(value, choices)
    ctx.problem(key, f"{quote(value)} is not one of {listed}{extra}")
    return _INVALID


def _parse_bool(text: str) -> bool | None:
    lowered = text.strip().strip('"').lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return None


def parse_number(text: str) -> float | int | None:
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        return float(text.strip())
    except ValueError:
        return None


def _unquote(text: str) -> str:
    """A TOML basic or literal string written in a variable or ``--set`` loses its quotes."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        if stripped[0] == "'":
            return stripped[1:-1]
        import tomllib

        try:
            parsed = tomllib.loads(f"v = {stripped}")["v"]
        except tomllib.TOMLDecodeError:
            return text
        return parsed if isinstance(parsed, str) else text
    return text


def parse_inline_table(text: str) -> Any:
    """``{ otlp-http = { endpoint = "…" } }`` written in a variable or ``--set``, else ``None``."""
    import tomllib

    from codex_otel_config.settings._files import too_deep

    if too_deep(text):
        return None  # reported as "not a valid TOML inline table"; never parsed
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return None


def _string_table(
    key: str, value: Any, ctx: Context, *, secret: bool, lower: bool
) -> dict[str, str] | None:
    if isinstance(value, str) and ctx.raw_strings:
        parsed = parse_inline_table(value) if value.strip().startswith("{") else None
        if parsed is None:
            parsed, refused = parse_pairs(value, headers=lower)
            for reason in refused:
                ctx.problem(key, reason)
            if refused:
                return None
        value = parsed
    if not isinstance(value, Mapping):
        ctx.problem(key, f"expected a table, found {type_name(value)}")
        return None
    out: dict[str, str] = {}
    for raw_name, raw in value.items():
        name = str(raw_name).strip()
        child = f"{key}.{name}"
        if lower:
            name = name.lower()
            child = f"{key}.{name}"
            if name in _RESERVED:
                ctx.problem(child, "is a reserved name")
                continue
            if message := schema.header_problem(name, ""):
                ctx.problem(child, message)
                continue
        elif not name:
            ctx.problem(key, "has an empty name")
            continue
        if isinstance(raw, bool | int | float) and not secret:  # attribute values are strings
            raw = str(raw).lower() if isinstance(raw, bool) else str(raw)
        if not isinstance(raw, str):
            ctx.problem(child, f"expected a string, found {type_name(raw)}")
            continue
        text = _text(child, raw, ctx, secret=secret)
        if text is None:
            continue
        if ctx.raw_strings:
            text = _unquote(text)
        if "\n" in text or "\r" in text:
            ctx.problem(child, "must not contain a line break")
            continue
        if secret and schema.header_problem(name, text):
            ctx.problem(child, "contains a control character (its value is not shown)")
            continue
        out[name] = text
    return out


def parse_pairs(text: str, *, headers: bool) -> tuple[dict[str, str], list[str]]:
    """``k=v,k2=v2`` as the specification reads its list variables, for every layer that
    accepts the form: values are percent-decoded; header names are percent-decoded and
    case-insensitive (the last of a repeated name wins); other names (resource attributes) are
    taken as written. Also a message per refused entry, never quoting a value."""
    from urllib.parse import unquote

    pairs: dict[str, str] = {}
    messages: list[str] = []
    for index, item in enumerate(text.split(","), start=1):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = unquote(name.strip()).lower() if headers else name.strip()
        if not sep or not name:
            messages.append(f"entry {index} is not name=value (entries are separated by commas)")
            continue
        decoded = unquote(value.strip())
        if headers and (message := schema.header_problem(name, decoded)):
            messages.append(f"entry {index}: {message}")
            continue
        pairs[name] = decoded
    return pairs, messages


def _known(
    key: str, raw_name: object, vocabulary: tuple[str, ...], takes: str, ctx: Context
) -> str | None:
    """The canonical spelling of ``raw_name``, or ``None`` with an "unknown key" problem."""
    name = schema.canonical(str(raw_name), vocabulary)
    if name is None:
        ctx.problem(
            key,
            "unknown key"
            + schema.did_you_mean(str(raw_name), vocabulary)
            + f"; {takes} "
            + ", ".join(vocabulary),
        )
    return name


def _declared_table(
    key: str,
    value: Any,
    names: tuple[str, ...],
    param_key: str,
    ctx: Context,
    *,
    takes: str,
    expected: str = "a table",
) -> dict[str, Any] | None:
    """A table whose entries are declared keys (``processors``, ``tls``), each checked as the
    schema declares ``<param_key>.<name>``."""
    if not isinstance(value, Mapping):
        ctx.problem(key, f"expected {expected}, found {type_name(value)}")
        return None
    out: dict[str, Any] = {}
    for raw_name, raw in value.items():
        name = _known(f"{key}.{raw_name}", raw_name, names, takes, ctx)
        param = schema.FIELDS_BY_KEY.get(f"{param_key}.{name}") or schema.SETTINGS_BY_KEY.get(
            f"{param_key}.{name}"
        )
        if name is None or param is None:
            continue
        scalar = _scalar(f"{key}.{name}", raw, param, ctx)
        if scalar is not _INVALID:
            out[name] = scalar
    return out


def _exporter(key: str, value: Any, ctx: Context) -> dict[str, Any] | None:
    """``{kind: fields}`` from a string (``"none"``, ``"statsig"``) or a one-key table."""
    if isinstance(value, str):
        if ctx.raw_strings and value.strip().startswith("{"):
            parsed = parse_inline_table(value)
            if parsed is None:
                ctx.problem(key, "is not a valid TOML inline table")
                return None
            value = parsed
        else:
            text = _text(key, value, ctx, secret=False)
            if text is None:
                return None
            return _exporter_string(key, _unquote(text) if ctx.raw_strings else text, ctx)
    if not isinstance(value, Mapping):
        ctx.problem(
            key,
            f"expected a string ({_listed(schema.STRING_KINDS)}) or a table naming the "
            f"exporter kind, found {type_name(value)}",
        )
        return None
    if not value:
        ctx.problem(
            key,
            f"an exporter table needs one key naming its kind: {_listed(schema.EXPORTER_KINDS)}",
        )
        return None
    kinds: list[tuple[str, str]] = []
    for raw_kind in value:
        kind = schema.canonical(str(raw_kind), schema.EXPORTER_KINDS)
        if kind is None:
            ctx.problem(f"{key}.{raw_kind}", _unknown_kind(str(raw_kind)))
        else:
            kinds.append((str(raw_kind), kind))
    if len(value) > 1:
        names = ", ".join(f'"{k}"' for k in value)
        ctx.problem(
            key, f"names {len(value)} exporter kinds ({names}); a signal has exactly one exporter"
        )
        return None
    if not kinds:
        return None
    raw_kind, kind = kinds[0]
    fields = value[raw_kind]
    prefix = f"{key}.{kind}"
    if not isinstance(fields, Mapping):
        ctx.problem(prefix, f"expected a table of {kind} settings, found {type_name(fields)}")
        return None
    if kind in ("none", "console"):
        if fields:
            ctx.problem(prefix, f'"{kind}" takes no settings')
            return None
        return {kind: {}}
    return {kind: _fields(prefix, kind, fields, ctx)}


def _exporter_string(key: str, text: str, ctx: Context) -> dict[str, Any] | None:
    kind = schema.canonical(text, schema.EXPORTER_KINDS)
    if kind in schema.STRING_KINDS:
        return {kind: {}}
    if kind is not None:
        table = f"[otel.{key}.{kind}]" if ctx.codex_config else f"[{ctx.table_hint}.{key}.{kind}]"
        ctx.problem(
            key,
            f'"{kind}" needs a table with an endpoint, not a bare string: write '
            f'{table} with endpoint = "https://…" (or {key} = {{ {kind} = '
            '{ endpoint = "https://…" } })',
        )
        return None
    ctx.problem(key, _unknown_kind(text))
    return None


def _listed(names: tuple[str, ...]) -> str:
    """``"a", "b", "c"``: a declared vocabulary as messages quote it."""
    return ", ".join(f'"{name}"' for name in names)


def _unknown_kind(text: str) -> str:
    kinds = _listed(schema.EXPORTER_KINDS)
    if text.strip().lower() == "otlp":
        return f'"otlp" is not an exporter kind; use "otlp-http" or "otlp-grpc" (one of {kinds})'
    return f"{quote(text)} is not one of {kinds}" + schema.did_you_mean(text, schema.EXPORTER_KINDS)


def _fields(prefix: str, kind: str, fields: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    allowed = schema.kind_fields(kind)
    out: dict[str, Any] = {}
    for raw_name, value in fields.items():
        if str(raw_name).lower() == "protocol" and kind == "otlp-grpc":
            ctx.problem(
                f"{prefix}.{raw_name}",
                "unknown key (gRPC has no protocol setting: its encoding is always protobuf)",
            )
            continue
        name = _known(f"{prefix}.{raw_name}", raw_name, allowed, f"{kind} takes", ctx)
        if name is None:
            continue
        key = f"{prefix}.{name}"
        if name == "headers":
            headers = _string_table(key, value, ctx, secret=True, lower=True)
            if headers is not None:
                out[name] = headers
        elif name == "tls":
            expected = f"a table with {', '.join(schema.TLS_KEYS)}"
            tls = _declared_table(
                key,
                value,
                schema.TLS_KEYS,
                f"{kind}.tls",
                ctx,
                takes="tls takes",
                expected=expected,
            )
            if tls is not None:
                out[name] = tls
        else:
            param = schema.field_param(kind, name)
            assert param is not None
            scalar = _scalar(key, value, param, ctx)
            if scalar is not _INVALID:
                out[name] = scalar
                if name == "endpoint" and kind == "otlp-http":
                    out["signal_path"] = "if-no-path"  # the endpoint rule of this layer
    return out
