"""``${VAR}`` expansion with the OpenTelemetry declarative-configuration grammar.

``${VAR}`` and ``${env:VAR}`` are replaced by the variable's value, ``${VAR:-default}`` by the
default when the variable is unset or empty, and ``$$`` is a literal ``$``. A ``$`` followed by
anything else is kept as written. Unlike the OTel Python SDK (which substitutes an empty string),
an unset variable without a default is an error: an empty auth header only shows up later as a
401, far from its cause. Variables are read from the mapping the caller passes, never from
``os.environ`` directly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: How a reference is written, for the messages that refuse one.
SYNTAX = "expected ${NAME} or ${NAME:-default} (write $$ for a literal $)"


@functools.cache
def _token_re() -> re.Pattern[str]:
    return re.compile(r"\$\$|\$\{(?:env:)?(" + _NAME + r")(?::-([^}]*))?\}|\$\{[^}]*\}?")


class InterpolationError(ValueError):
    """A reference that cannot be expanded; ``variable`` names it (never its value)."""

    def __init__(self, variable: str, reason: str) -> None:
        self.variable = variable
        super().__init__(reason)


def has_reference(text: str) -> bool:
    """True when ``text`` contains anything :func:`expand` would change."""
    return "$" in text and _token_re().search(text) is not None


def expand(text: str, environ: Mapping[str, str]) -> str:
    """Expand every reference in ``text``; :class:`InterpolationError` on the first bad one."""
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name is None:
            shown = whole if len(whole) <= 40 else whole[:37] + "..."
            raise InterpolationError(shown, f"{shown!s} is not a valid reference; {SYNTAX}")
        value = environ.get(name)
        if default is not None and not value:
            return default
        if value is not None:
            return value
        raise InterpolationError(
            name, f"${{{name}}} is not set (write ${{{name}:-default}} to give a default)"
        )

    return _token_re().sub(replace, text)
