"""Masking of secrets for every output the package produces (show, check, tui, logs)."""

from __future__ import annotations

from collections.abc import Mapping

MASK = "****"


def mask(value: str | None) -> str:
    """``****5f2a``: at most the last four characters, and none of a short value."""
    if not value:
        return MASK
    if len(value) >= 12:
        return MASK + value[-4:]
    return MASK


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names are kept (they are evidence); every value is masked."""
    return {name: mask(value) for name, value in headers.items()}


def scrub(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Remove any known secret value from a message before it is shown or logged."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
