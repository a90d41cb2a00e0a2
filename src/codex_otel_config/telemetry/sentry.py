"""Optional: put the feedback tags on Sentry events (needs ``sentry-sdk``, imported lazily).

Sentry indexes tags with limits — keys at most 32 characters of ``[A-Za-z0-9_.:-]``,
values at most 200 characters without newlines, no empty values — and its ingestion drops
tags that break them. So tags are fitted before they are set: a long key gets a readable
alias (or a stable hashed short form), a long value is cut, and a ``""`` (a cleared fact)
removes the tag instead of sending it. The full, unfitted map also goes into the event's
``codex_feedback`` context, which has no such limits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from codex_otel_config.telemetry.feedback import FeedbackTagStore, feedback_tags

MAX_TAG_KEY_LENGTH = 32
MAX_TAG_VALUE_LENGTH = 200
CONTEXT_NAME = "codex_feedback"

_INVALID_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")

# Readable short forms of the fixed feedback keys longer than Sentry allows.
KEY_ALIASES = {
    "auth_env_refresh_token_url_override_present": "auth_env_refresh_url_override",
}


def sentry_tag_key(key: str) -> str:
    """``key`` as a valid Sentry tag key (≤ 32 characters, allowed characters only)."""
    key = KEY_ALIASES.get(key, key)
    cleaned = _INVALID_KEY_CHARS.sub("_", key)
    if len(cleaned) <= MAX_TAG_KEY_LENGTH and cleaned == key:
        return key
    if len(cleaned) <= MAX_TAG_KEY_LENGTH:
        return cleaned
    # Too long and no alias: a readable prefix and a stable digest of the whole key (32).
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned[: MAX_TAG_KEY_LENGTH - 9]}_{digest}"


def sentry_tag_value(value: str) -> str:
    """``value`` on one line, cut to 200 characters."""
    one_line = " ".join(value.splitlines()) if ("\n" in value or "\r" in value) else value
    return one_line[:MAX_TAG_VALUE_LENGTH]


def sentry_tags(tags: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """``(tags to set, keys to remove)`` after fitting ``tags`` to Sentry's limits."""
    to_set: dict[str, str] = {}
    to_remove: set[str] = set()
    for key, value in tags.items():
        fitted = sentry_tag_key(key)
        if value == "":
            to_remove.add(fitted)
        else:
            to_set[fitted] = sentry_tag_value(value)
    return to_set, to_remove - set(to_set)


def set_sentry_tags(scope: Any = None, store: FeedbackTagStore | None = None) -> dict[str, str]:
    """Copy the feedback tags onto a Sentry scope now (default: the current scope).

    Returns the tags set. Cleared (``""``) tags are removed from the scope.
    """
    import sentry_sdk

    target = scope if scope is not None else sentry_sdk.get_current_scope()
    current = feedback_tags(store)
    to_set, to_remove = sentry_tags(current)
    for key in to_remove:
        target.remove_tag(key)
    for key, value in to_set.items():
        target.set_tag(key, value)
    target.set_context(CONTEXT_NAME, current)
    return to_set


def install_sentry_integration(store: FeedbackTagStore | None = None) -> Callable[[], None]:
    """Add the latest feedback tags to every Sentry event, at capture time.

    Registers a global Sentry event processor, so events carry the tags of the moment they
    are captured, whatever scope or thread captures them: feedback keys always show the
    latest value, and a cleared (``""``) one is removed from the event. Installing twice
    for the same store is a no-op. Returns a function that uninstalls it.
    """
    from sentry_sdk.scope import add_global_event_processor, global_event_processors

    key = id(store) if store is not None else 0
    existing = _installed.get(key)
    if existing is not None:
        return existing

    def processor(event: dict[str, Any], hint: Any) -> dict[str, Any]:
        current = feedback_tags(store)
        if not current:
            return event
        to_set, to_remove = sentry_tags(current)
        event_tags = event.setdefault("tags", {})
        if isinstance(event_tags, dict):
            for tag_key in to_remove:
                event_tags.pop(tag_key, None)
            event_tags.update(to_set)
        contexts = event.setdefault("contexts", {})
        if isinstance(contexts, dict):
            contexts[CONTEXT_NAME] = current
        return event

    def uninstall() -> None:
        if processor in global_event_processors:
            global_event_processors.remove(processor)  # type: ignore[arg-type]
        _installed.pop(key, None)

    add_global_event_processor(processor)  # type: ignore[arg-type]
    _installed[key] = uninstall
    return uninstall


_installed: dict[int, Callable[[], None]] = {}
