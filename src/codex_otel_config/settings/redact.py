"""Masking of secrets for every output the package produces (show, check, tui, logs)."""

from __future__ import annotations

import re
from collections.abc import Mapping

MASK = "****"
#: ``scheme://`` (optional) then everything up to the last ``@``: the user information.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", re.S)


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
    """Remove any known secret value from a message before it is shown or logged. A value
    made of several words (``Bearer <token>``) is also masked word by word, for its long
    words (>= 8 characters): a server echoes the token, not the scheme."""
    candidates = {s for s in secrets if s and len(s) >= 4}
    candidates |= {w for s in candidates if " " in s.strip() for w in s.split() if len(w) >= 8}
    for secret in sorted(candidates, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def mask_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``****@``; works on text that is not a
    valid URL too (``admin:pw@host:4318``), since that is when it shows up in an error."""
    return _USERINFO.sub(lambda m: (m.group(1) or "") + MASK + "@", url, count=1)
