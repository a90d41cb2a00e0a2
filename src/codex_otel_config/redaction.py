"""Secrets by construction: the :class:`Secret` type and the one redaction boundary.

Masking used to be a convention of each call site; a site that forgot printed a secret.
Here it is a property of the types and of one function:

- :class:`Secret` holds a secret value (a header value, the Statsig key). Its ``repr``,
  ``str`` and ``format`` show a mask, so a settings object is safe in a traceback, a ``%r``
  log line or a test failure; the clear value comes only from :meth:`Secret.reveal`, called
  where the value goes on the wire. Creating a ``Secret`` registers its value.
- :func:`redact` is the value-based boundary every output crosses (logs, reports, findings,
  exception text, exported error messages, the TUI): it masks every registered secret
  wherever it appears — as written, stripped, percent-encoded, escaped as Python or JSON
  would print it, and word by word for ``Bearer <token>`` values — plus URL user
  information in any URL or gRPC target form (``user:pw@host:4317``).
- :func:`install_log_redaction` applies it to every record of the SDK's, urllib3's, grpc's
  and our loggers; :func:`terminal_safe` escapes control characters in text that came from a
  server or a file before it reaches a human's terminal.

Layer 0: imports nothing from the package.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, TextIO
from urllib.parse import quote, quote_plus, unquote

__all__ = [
    "MASK",
    "SECRET_VARIABLES",
    "RedactingFilter",
    "RedactingStream",
    "Secret",
    "clear",
    "forget_secrets",
    "install_log_redaction",
    "mask",
    "mask_headers",
    "mask_url",
    "redact",
    "redact_output_streams",
    "register_environ",
    "register_secret",
    "register_url",
    "scrub",
    "terminal_safe",
]

MASK = "****"
#: The process variables that hold API keys (the application's and Statsig's); their values
#: are registered by :func:`register_environ` (bootstrap, the CLI, the auth-env telemetry).
SECRET_VARIABLES = ("OPENAI_API_KEY", "CODEX_API_KEY", "STATSIG_SERVER_SDK_SECRET")
#: Values shorter than this are masked where they are shown as values, but not searched for
#: inside text: ``abc`` would mask every word containing it.
MIN_SEARCHED = 4
#: Words of a multi-word secret searched on their own (a server echoes the token, not ``Bearer``).
MIN_WORD = 8

# The patterns compile on first use (``functools.cache``), not at import: a cold start pays
# only for those it runs.


#: ``scheme://`` (optional) then everything up to the last ``@``: the user information.
@functools.cache
def _userinfo_re() -> re.Pattern[str]:
    return re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", re.S)


#: User information inside free text: after ``scheme://`` anything without whitespace up to
#: the last ``@`` before the host (a password may hold ``/ ? # @``); without a scheme (a gRPC
#: target, ``user:pw@host:4317``) a ``user:password@`` word.
@functools.cache
def _url_userinfo_re() -> re.Pattern[str]:
    return re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^\s'\"<>]*@)(?=[^\s@]*)")


@functools.cache
def _target_userinfo_re() -> re.Pattern[str]:
    return re.compile(r"(?<![\w.+-])(?P<info>[^\s'\"<>/@:]+:(?!//)[^\s'\"<>]*@)(?=[\w.\[\]-]+)")


#: ``Bearer <token>`` / ``Basic <credentials>`` of a secret nobody registered.
@functools.cache
def _auth_scheme_re() -> re.Pattern[str]:
    return re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})")


def mask(value: str | Secret | None) -> str:
    """``****5f2a``: at most the last four characters, and none of a short value."""
    text = value.reveal() if isinstance(value, Secret) else value
    if not text:
        return MASK
    if len(text) >= 12:
        return MASK + terminal_safe(text[-4:])
    return MASK


class Secret:
    """A secret value: masked in ``repr``/``str``/``format``; equal (and hashed) by value,
    also to the plain string it holds; :meth:`reveal` is the one way to the clear value."""

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str | Secret) -> None:
        text = value.reveal() if isinstance(value, Secret) else str(value)
        object.__setattr__(self, "_value", text)
        register_secret(text)

    def reveal(self) -> str:
        """The clear value: only where it goes on the wire (a request header)."""
        return self._value

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    def __str__(self) -> str:
        return mask(self._value)

    def __format__(self, spec: str) -> str:
        return format(mask(self._value), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        if isinstance(other, str):
            return self._value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))


def clear(value: str | Secret) -> str:
    """The wire form of a value that may be a :class:`Secret`."""
    return value.reveal() if isinstance(value, Secret) else value


def mask_headers(headers: Mapping[str, str | Secret]) -> dict[str, str]:
    """Header names are kept (they are evidence); every value is masked."""
    return {name: mask(value) for name, value in headers.items()}


def mask_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``****@``; works on text that is not a
    valid URL too (``admin:pw@host:4318``), since that is when it shows up in an error."""
    return _userinfo_re().sub(lambda m: (m.group(1) or "") + MASK + "@", url, count=1)


# -- the registry ---------------------------------------------------------------------------


class _Registry:
    """Every secret value this process knows, and one pattern that finds them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        forms = _forms(value)
        with self._lock:
            if forms - self._values:
                self._values |= forms
                self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern


def _forms(value: str) -> set[str]:
    """The ways a secret can show up in text: as written, stripped, percent-encoded or
    decoded, escaped by ``repr``/JSON, and its long words."""
    bases = {value, value.strip(), unquote(value), unquote(value).strip()}
    forms: set[str] = set()
    for base in bases:
        forms |= {base, quote(base, safe=""), quote(base), quote_plus(base)}
        forms |= {
            repr(base)[1:-1],
            json.dumps(base)[1:-1],
            json.dumps(base, ensure_ascii=False)[1:-1],
        }
        forms |= {ascii(base)[1:-1], repr(base.encode("utf-8", "replace"))[2:-1]}
        words = base.split()
        if len(words) > 1:
            forms |= {w for w in words if len(w) >= MIN_WORD}
    return {f for f in forms if len(f) >= MIN_SEARCHED}


_REGISTRY = _Registry()


def register_secret(value: str | Secret | None) -> None:
    """Make :func:`redact` mask ``value`` (and its encoded forms) from now on."""
    if value is None:
        return
    text = clear(value)
    if len(text.strip()) >= MIN_SEARCHED:
        _REGISTRY.add(text)


def register_url(url: str | None) -> None:
    """Register the user information of ``url`` (``user:password``, and the password)."""
    if not url:
        return
    match = _userinfo_re().match(url)
    if match is None:
        return
    info = url[match.end(1) if match.group(1) else 0 : match.end() - 1]
    register_secret(info)
    _user, sep, password = info.partition(":")
    if sep:
        register_secret(password)
        # A parser that splits at the first ``/ ? # @`` quotes a piece of the password
        # ("Port could not be cast to integer value as '<piece>'").
        for piece in re.split(r"[/?#@]", password):
            register_secret(piece)


def register_environ(environ: Mapping[str, str]) -> None:
    """Register the API keys of :data:`SECRET_VARIABLES`, every header value of the
    ``OTEL_EXPORTER_OTLP_*HEADERS`` variables (raw, before any parser sees them), and the user
    information of the ``OTEL_EXPORTER_OTLP_*ENDPOINT`` variables."""
    for name in SECRET_VARIABLES:
        register_secret(environ.get(name))
    for name, value in environ.items():
        if not name.startswith("OTEL_EXPORTER_OTLP_"):
            continue
        if name.endswith("HEADERS"):
            for item in value.split(","):
                _key, sep, header_value = item.partition("=")
                if sep:
                    register_secret(header_value)
        elif name.endswith("ENDPOINT"):
            register_url(value.strip())


def forget_secrets() -> None:
    """Forget every registered secret (tests start from a clean registry)."""
    _REGISTRY.clear()


# -- the boundary ---------------------------------------------------------------------------


def _mask_userinfo(text: str) -> str:
    text = _url_userinfo_re().sub(lambda m: m.group("scheme") + MASK + "@", text)
    return _target_userinfo_re().sub(MASK + "@", text)


def redact(text: str, extra: Iterable[str | Secret] = ()) -> str:
    """``text`` with every known secret masked (the registered ones and ``extra``), URL user
    information replaced by ``****@`` and ``Bearer``/``Basic`` credentials masked."""
    if not text:
        return text
    for value in extra:
        register_secret(value)
    pattern = _REGISTRY.pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "@" in text:  # cheap tests first: most text has no user information, no credentials
        text = _mask_userinfo(text)
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered:
        text = _auth_scheme_re().sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return text


def scrub(text: str, secrets: Iterable[str | Secret] = ()) -> str:
    """The former name of :func:`redact` (kept for callers passing their own secrets)."""
    return redact(text, secrets)


# -- terminals ------------------------------------------------------------------------------


#: C0 and C1 controls, DEL, and the Unicode bidirectional overrides (which reorder what a
#: terminal shows); a newline is kept only where the caller allows it.
@functools.cache
def _control_re() -> re.Pattern[str]:
    return re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@functools.cache
def _control_nl_re() -> re.Pattern[str]:
    return re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    """``\\x1b``, ``\\n``, ``\\u202e``: how Python writes the character in a string."""
    return match.group().encode("unicode_escape").decode("ascii")


def terminal_safe(text: object, *, newlines: bool = False) -> str:
    """Text from a server or a file made safe for a human terminal line: every control
    character (ESC, CR, BEL …, and a newline unless ``newlines``) shown escaped as ``\\x1b``,
    so no sequence can move the cursor, retitle or clear the terminal. Rich markup is not
    interpreted where callers print ``rich.text.Text`` (as the CLI does)."""
    value = str(text)
    return (_control_re() if newlines else _control_nl_re()).sub(_escape, value)


# -- output streams -------------------------------------------------------------------------


class RedactingStream:
    """A text stream whose every ``write`` crosses :func:`redact`: the CLI's last line of
    defence, so no command prints a registered secret even through a path that forgot."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def redact_output_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` in :class:`RedactingStream` (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))


# -- logging --------------------------------------------------------------------------------

#: The loggers whose records cross the boundary: ours, the SDK's, and its transports'.
REDACTED_LOGGERS = ("codex_otel_config", "opentelemetry", "urllib3", "grpc", "requests")


def _covered(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in REDACTED_LOGGERS)


def _redact_arg(value: object) -> object:
    """A log argument with its text redacted; numbers, enums (grpc's ``StatusCode``) and
    ``None`` stay as they are, so ``%d`` formats and later filters still see their types."""
    if value is None or isinstance(value, int | float | Enum):
        return value
    return redact(value if isinstance(value, str) else str(value))


class RedactingFilter(logging.Filter):
    """Redacts a record's message template and each of its arguments (kept apart, so the
    SDK-specific filters that run after it still see the arguments), and replaces its
    traceback by its redacted text. Used by the record factory :func:`install_log_redaction`
    installs, because a logger's filters never see the records of its children."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif record.msg is not None and not isinstance(record.msg, int | float):
            record.msg = redact(str(record.msg))
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in args)
        elif isinstance(args, Mapping):
            record.args = {key: _redact_arg(value) for key, value in args.items()}
        if record.exc_info and record.exc_info[1] is not None:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info, record.exc_text = None, redact(formatted)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_INSTALL_LOCK = threading.Lock()
_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Redact every record of :data:`REDACTED_LOGGERS` (and their children) when it is
    created, before any handler, filter or ``caplog`` sees it. Idempotent."""
    with _INSTALL_LOCK:
        previous = logging.getLogRecordFactory()
        if getattr(previous, "_codex_otel_redacting", False):
            return

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _covered(record.name):
                _FILTER.filter(record)
            return record

        factory._codex_otel_redacting = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)
