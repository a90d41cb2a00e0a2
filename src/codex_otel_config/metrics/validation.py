"""The crate's validation rules for metric names and tags, and its tag sanitiser.

Names match ``[A-Za-z0-9._-]+``; tag keys and values ``[A-Za-z0-9._/-]+`` (``/`` only in
tags). No length or cardinality limit, as in the crate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from codex_otel_config.metrics.errors import MetricsError

_NAME = re.compile(r"[A-Za-z0-9._-]+")
_TAG = re.compile(r"[A-Za-z0-9._/-]+")
_INVALID_TAG_CHARS = re.compile(r"[^A-Za-z0-9._/-]")
_MAX_SANITIZED = 256
UNSPECIFIED = "unspecified"

TagsInput = Mapping[str, str] | Iterable[tuple[str, str]]


def validate_metric_name(name: str) -> None:
    """Raise :class:`MetricsError` unless ``name`` is a non-empty ``[A-Za-z0-9._-]+``."""
    if not isinstance(name, str) or not name:
        raise MetricsError("empty_metric_name", "metric name is empty")
    if _NAME.fullmatch(name) is None:
        raise MetricsError(
            "invalid_metric_name",
            f"invalid metric name {name!r}: expected characters [A-Za-z0-9._-]",
            value=name,
        )


def _validate_tag_component(label: str, value: str) -> None:
    if not isinstance(value, str):
        raise MetricsError(
            "invalid_tag_component",
            f"invalid {label} {value!r}: expected a string",
            label=label,
            value=repr(value),
        )
    if not value:
        raise MetricsError("empty_tag_component", f"{label} is empty", label=label)
    if _TAG.fullmatch(value) is None:
        raise MetricsError(
            "invalid_tag_component",
            f"invalid {label} {value!r}: expected characters [A-Za-z0-9._/-]",
            label=label,
            value=value,
        )


def validate_tag_key(key: str) -> None:
    """Raise :class:`MetricsError` (label ``tag key``) for an empty or invalid key."""
    _validate_tag_component("tag key", key)


def validate_tag_value(value: str) -> None:
    """Raise :class:`MetricsError` (label ``tag value``) for an empty or invalid value."""
    _validate_tag_component("tag value", value)


def tag_pairs(tags: TagsInput | None) -> tuple[tuple[str, str], ...]:
    """Tags given as a mapping or as ``(key, value)`` pairs, as a tuple of pairs."""
    if not tags:
        return ()
    if tags.__class__ is dict or isinstance(tags, Mapping):  # plain dicts skip the ABC check
        return tuple(tags.items())
    return tuple(tags)


def validate_tags(pairs: Iterable[tuple[str, str]]) -> None:
    """Validate every key and value; the first bad one raises."""
    for key, value in pairs:
        validate_tag_key(key)
        validate_tag_value(value)


def sanitize_metric_tag_value(value: str) -> str:
    """Map invalid characters to ``_``, trim ``_`` at both ends, cap at 256 characters.

    Returns ``"unspecified"`` when nothing alphanumeric remains, as the crate's
    ``sanitize_metric_tag_value`` does for ``originator``, ``os`` and ``os_version``.
    """
    cleaned = _INVALID_TAG_CHARS.sub("_", value.strip()).strip("_")[:_MAX_SANITIZED]
    if not any(ch.isalnum() for ch in cleaned):
        return UNSPECIFIED
    return cleaned
