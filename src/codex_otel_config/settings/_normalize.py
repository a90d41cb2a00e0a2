"""Validate one layer's raw data into the canonical tree the loader merges.

Canonical form: top-level keys of :data:`schema.SETTINGS`; each exporter key holds
``{kind: fields}`` (a bare ``"none"`` becomes ``{"none": {}}``); header names are lower-case;
TLS paths are absolute; ``${VAR}`` references are expanded. Every problem is collected with the
dotted key and the layer, and no message ever contains a secret value.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any

from codex_otel_config.errors import Problem
from codex_otel_config.settings import _files, schema
from codex_otel_config.settings.interpolate import SYNTAX, InterpolationError, expand, has_reference
from codex_otel_config.settings.model import expand_user

#: Every declared key (``processors.bsp_max_queue_size``, ``otlp-http.tls.ca-certificate``).
_PARAMS: dict[str, schema.Param] = {p.key: p for p in schema.ALL_PARAMS}
#: Header names dynaconf would interpret while merging.
_RESERVED = frozenset({"dynaconf_merge", "dynaconf_merge_unique"})


@dataclass
class Context:
    """How to read one layer: where it is, how paths resolve, how its values are written.

    ``raw_strings``: values are text typed in a variable or ``--set`` (TOML quoting and inline
    tables allowed). ``otel``: values are text as the OpenTelemetry specification writes its
    ``OTEL_*`` variables (the schema's ``otel_unit`` and ``otel_choices``; booleans are
    ``true``/``false``; lists are ``k=v,…``; no TOML quoting)."""

    layer: str
    base_dir: Path
    environ: Mapping[str, str]
    raw_strings: bool = False
    interpolate: bool = True
    codex_config: bool = False
    table_hint: str = "default"
    otel: bool = False
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
    """A value as TOML would write it (control characters escaped), shortened; never call it
    on a secret."""
    text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(f"\\u{ord(c):04x}" if schema.has_control(c) else c for c in text) + '"'


#: What an exporter key holds, for every message that refuses something else.
EXPORTER_FORMS = f"a string ({schema.listed(schema.STRING_KINDS)}) or a table naming its kind"
#: The top-level keys a layer may set (``codex_home`` comes from ``CODEX_HOME`` only).
_LAYER_KEYS = tuple(k for k in schema.TOP_LEVEL_KEYS if k != "codex_home")
#: Why a declared top-level key is refused: ``codex_home`` in any layer, another in Codex's table.
_CODEX_HOME_ONLY = "is set by the variable CODEX_HOME only (it says where the settings files are)"
_NOT_FOR_CODEX = (
    "is not a key of Codex's [otel] table (Codex would refuse this file); set it in a settings "
    "file such as $CODEX_HOME/otel.toml"
)


def normalize(tree: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """The canonical form of one layer's data; problems go to ``ctx.problems``."""
    out: dict[str, Any] = {}
    allowed = schema.CODEX_CONFIG_KEYS if ctx.codex_config else _LAYER_KEYS
    for raw_key, value in tree.items():
        known = schema.canonical(str(raw_key), schema.TOP_LEVEL_KEYS)
        if known is not None and known not in allowed:
            ctx.problem(str(raw_key), _CODEX_HOME_ONLY if known == "codex_home" else _NOT_FOR_CODEX)
            continue
        key = _known(str(raw_key), raw_key, allowed, "expected one of", ctx)
        if key is None:
            continue
        if key in _PARAMS:
            parsed = parse_value(key, value, _PARAMS[key], ctx)
        else:  # a group of declared keys: processors
            parsed = _declared_table(key, value, key, ctx)
        if parsed is not None:
            out[key] = parsed
    return out


def parse_value(key: str, value: Any, param: schema.Param, ctx: Context) -> Any:
    """``value`` checked as the schema declares ``param`` (and parsed, when the layer writes
    text): the one value parser of every layer. ``None`` when refused (the problems, naming
    ``key``, go to ``ctx``)."""
    if param.type == "exporter":
        return _exporter(key, value, ctx)
    if param.type == "table":
        return _string_table(key, value, ctx, headers=param.secret)
    return _scalar(key, value, param, ctx)


def _text(key: str, value: str, ctx: Context, *, secret: bool) -> str | None:
    """Expand ``${VAR}`` references; ``None`` (with a problem) when one cannot be expanded."""
    if not ctx.interpolate or "$" not in value:
        return value
    try:
        return expand(value, ctx.environ)
    except InterpolationError as exc:
        # An invalid reference quotes the text around it: never part of a secret.
        hide = secret and exc.variable.startswith("$")
        ctx.problem(key, f"contains an invalid ${{…}} reference; {SYNTAX}" if hide else str(exc))
        return None


def _scalar(key: str, value: Any, param: schema.Param, ctx: Context) -> Any:
    """One scalar checked against its declared type; text (a variable, ``--set``, a ``${…}``
    reference) is parsed."""
    from_text = ctx.raw_strings or ctx.otel
    if isinstance(value, str):
        from_text = from_text or (ctx.interpolate and has_reference(value))
        value = _text(key, value, ctx, secret=param.secret)
        if value is None:
            return None
        if from_text and not ctx.otel:
            value = _unquote(value)
    kind = param.type
    text = value if from_text and isinstance(value, str) else None
    if kind == "bool":
        if text is not None:
            value = (_OTEL_BOOLS if ctx.otel else _BOOLS).get(text.strip().lower(), text)
        if isinstance(value, bool):
            return value
        found = type_name(value) if text is None else quote(text)
        ctx.problem(key, f"expected a boolean (true or false), found {found}")
        return None
    if kind in ("int", "float"):
        return _number(key, value, text, param, ctx)
    if not isinstance(value, str):
        ctx.problem(key, f"expected a string, found {type_name(value)}")
        return None
    if kind == "choice":
        return _choice(key, value, (ctx.otel and param.otel_choices) or param.choices, ctx)
    if kind == "path":
        if not value.strip():
            ctx.problem(key, "expected a file path, found an empty string")
            return None
        path = expand_user(value)
        return str(path if path.is_absolute() else ctx.base_dir / path)
    if message := _bad_text(value, secret=param.secret):
        ctx.problem(key, message)
        return None
    return value


def _bad_text(text: str, *, secret: bool) -> str | None:
    """Why a string cannot be used: a line break, or any control character in a secret (which
    is sent in a header)."""
    if secret and schema.has_control(text):
        return "contains a control character (its value is not shown)"
    return "must not contain a line break" if "\n" in text or "\r" in text else None


#: Booleans written as text; the specification's variables know only ``true`` and ``false``.
_OTEL_BOOLS = {"true": True, "false": False}
_BOOLS = {**_OTEL_BOOLS, "1": True, "yes": True, "on": True, "0": False, "no": False, "off": False}


def _number(key: str, value: Any, text: str | None, param: schema.Param, ctx: Context) -> Any:
    """A number within its declared range, from a native value or ``text`` (an ``OTEL_*``
    variable counts in its declared unit)."""
    expected, scale = param.range_text(), 1
    if ctx.otel and param.otel_unit == "ms":  # the variable counts milliseconds, files seconds
        low, high = ((bound or 0) * 1000 for bound in (param.low, param.high))
        expected, scale = f"a number of milliseconds from {low:.0f} to {high:.0f}", 1000
    number = value
    if text is not None:
        with contextlib.suppress(ValueError):  # not a number: the text is refused below
            number = float(text)  # nan and inf too: the range refuses them
    if isinstance(number, int | float) and not isinstance(number, bool):
        number = number / scale if scale != 1 else number
        if param.in_range(number) and (param.type == "float" or float(number).is_integer()):
            return int(number) if param.type == "int" else float(number)
    if text is not None:
        found = quote(text)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        found = type_name(value)
    else:
        found = "a larger number" if isinstance(value, int) and abs(value) >= 1e15 else quote(value)
    ctx.problem(key, f"expected {expected}, found {found}")
    return None


_CHOICE_HINTS = {
    **{
        spec: f'use "{ours}" ("{spec}" is the OTEL_EXPORTER_OTLP_PROTOCOL spelling)'
        for ours, spec in schema.HTTP_PROTOCOL_SPELLINGS.items()
    },
    "protobuf": 'use "binary"',
    "grpc": 'gRPC is its own exporter kind: use a table named "otlp-grpc"',
}


def _choice(key: str, value: str, choices: tuple[str, ...], ctx: Context) -> Any:
    if (lowered := value.strip().lower()) in choices:
        return lowered
    hint = _CHOICE_HINTS.get(lowered)
    extra = f" ({hint})" if hint else schema.did_you_mean(value, choices)
    ctx.problem(key, f"{quote(value)} is not one of {schema.listed(choices)}{extra}")
    return None


def _unquote(text: str) -> str:
    """A TOML string written in a variable or ``--set`` loses its quotes."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        parsed = _toml_value(stripped)
        return parsed if isinstance(parsed, str) else text
    return text


def parse_inline_table(text: str) -> Any:
    """``{ otlp-http = { endpoint = "…" } }`` written in a variable or ``--set``, else ``None``."""
    # Too deep: reported as "not a valid TOML inline table"; never parsed.
    return None if _files.too_deep(text) else _toml_value(text)


def _toml_value(text: str) -> Any:
    """One TOML value written as text, else ``None``."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return None


def _string_table(key: str, value: Any, ctx: Context, *, headers: bool) -> dict[str, str] | None:
    """``resource_attributes`` or an exporter's ``headers`` (names case-insensitive, values
    secret); text is a TOML inline table or ``k=v,…`` pairs (``OTEL_*``: pairs only)."""
    if isinstance(value, str) and (ctx.raw_strings or ctx.otel):
        inline = ctx.raw_strings and value.strip().startswith("{")
        parsed = parse_inline_table(value) if inline else None
        if inline and parsed is None:  # never read as pairs: "{ team" is not an attribute name
            ctx.problem(key, "is not a valid TOML inline table")
            return None
        if parsed is None:
            parsed, refused = parse_pairs(value, headers=headers)
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
        name = str(raw_name).strip().lower() if headers else str(raw_name).strip()
        child = f"{key}.{name}"
        bad_name = "is a reserved name" if name in _RESERVED else schema.header_problem(name, "")
        if headers and bad_name:
            ctx.problem(child, bad_name)
            continue
        if not name:
            ctx.problem(key, "has an empty name")
            continue
        if isinstance(raw, bool | int | float) and not headers:  # attribute values are strings
            raw = str(raw).lower() if isinstance(raw, bool) else str(raw)
        if not isinstance(raw, str):
            ctx.problem(child, f"expected a string, found {type_name(raw)}")
            continue
        text = _text(child, raw, ctx, secret=headers)
        if text is None:
            continue
        if ctx.raw_strings:
            text = _unquote(text)
        if message := _bad_text(text, secret=headers):
            ctx.problem(child, message)
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
        hint = schema.did_you_mean(str(raw_name), vocabulary)
        ctx.problem(key, f"unknown key{hint}; {takes} {', '.join(vocabulary)}")
    return name


def _declared_table(key: str, value: Any, param_key: str, ctx: Context) -> dict[str, Any] | None:
    """A table whose entries are declared keys (``processors``, an exporter kind's fields,
    ``tls``), each checked as the schema declares ``<param_key>.<name>``; a group of declared
    keys (``tls``) is a table of its own."""
    label = param_key.rpartition(".")[2]
    if not isinstance(value, Mapping):
        ctx.problem(key, f"expected a table of {label} settings, found {type_name(value)}")
        return None
    out: dict[str, Any] = {}
    for raw_name, raw in value.items():
        if param_key == "otlp-grpc" and str(raw_name).lower() == "protocol":
            ctx.problem(
                f"{key}.{raw_name}",
                "unknown key (gRPC has no protocol setting: its encoding is always protobuf)",
            )
            continue
        name = _known(f"{key}.{raw_name}", raw_name, _names(param_key), f"{label} takes", ctx)
        if name is None:
            continue
        child, group = f"{key}.{name}", f"{param_key}.{name}"
        if group in _PARAMS:
            parsed = parse_value(child, raw, _PARAMS[group], ctx)
        else:
            parsed = _declared_table(child, raw, group, ctx)
        if parsed is not None:
            out[name] = parsed
    if param_key == "otlp-http" and "endpoint" in out:
        out["signal_path"] = "if-no-path"  # the endpoint rule of this layer
    return out


def _names(param_key: str) -> tuple[str, ...]:
    """The names declared under ``param_key`` (``otlp-http`` → ``endpoint``, …, ``tls``, …)."""
    prefix = param_key + "."
    return tuple(
        dict.fromkeys(k[len(prefix) :].split(".")[0] for k in _PARAMS if k.startswith(prefix))
    )


def _exporter(key: str, value: Any, ctx: Context) -> dict[str, Any] | None:
    """``{kind: fields}`` from a bare kind (one of ``schema.STRING_KINDS``) or a one-key table."""
    if isinstance(value, str) and ctx.raw_strings and value.strip().startswith("{"):
        value = parse_inline_table(value)
        if value is None:
            ctx.problem(key, "is not a valid TOML inline table")
            return None
    if isinstance(value, str):
        text = _text(key, value, ctx, secret=False)
        if text is None:
            return None
        text = _unquote(text) if ctx.raw_strings else text
        kind = schema.canonical(text, schema.EXPORTER_KINDS)
        if kind in schema.STRING_KINDS:
            return {kind: {}}
        if kind is None:
            ctx.problem(key, _unknown_kind(text))
            return None
        table = f"[otel.{key}.{kind}]" if ctx.codex_config else f"[{ctx.table_hint}.{key}.{kind}]"
        ctx.problem(
            key,
            f'"{kind}" needs a table with an endpoint, not a bare string: write '
            f'{table} with endpoint = "https://…" (or {key} = {{ {kind} = '
            '{ endpoint = "https://…" } })',
        )
        return None
    if not isinstance(value, Mapping):
        ctx.problem(key, f"expected {EXPORTER_FORMS}, found {type_name(value)}")
        return None
    for raw_kind in value:
        if schema.canonical(str(raw_kind), schema.EXPORTER_KINDS) is None:
            ctx.problem(f"{key}.{raw_kind}", _unknown_kind(str(raw_kind)))
    if len(value) != 1:
        named, kinds = schema.listed(tuple(map(str, value))), schema.listed(schema.EXPORTER_KINDS)
        ctx.problem(
            key,
            f"names {len(value)} exporter kinds ({named}); a signal has exactly one exporter"
            if value
            else f"an exporter table needs one key naming its kind: {kinds}",
        )
        return None
    ((raw_kind, fields),) = value.items()
    kind = schema.canonical(str(raw_kind), schema.EXPORTER_KINDS)
    if kind is None:
        return None
    if fields and isinstance(fields, Mapping) and not _names(kind):  # none, console
        ctx.problem(f"{key}.{kind}", f'"{kind}" takes no settings')
        return None
    parsed = _declared_table(f"{key}.{kind}", fields, kind, ctx)
    return None if parsed is None else {kind: parsed}


def _unknown_kind(text: str) -> str:
    kinds = schema.listed(schema.EXPORTER_KINDS)
    if text.strip().lower() == "otlp":
        return f'"otlp" is not an exporter kind; use "otlp-http" or "otlp-grpc" (one of {kinds})'
    return f"{quote(text)} is not one of {kinds}" + schema.did_you_mean(text, schema.EXPORTER_KINDS)
