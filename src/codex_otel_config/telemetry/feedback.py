"""Feedback tags: the string map a bug report carries, and the two 401 emitters.

A last-write-wins store, capped at 64 keys, that refuses the keys the report uploader
sets itself. Emitters write every key they own on every call — missing values as ``""`` —
so a fact from an earlier request can never be mistaken for one from the latest. The
``auth_401_*`` keys are written only by the 401 emitter: a later successful request keeps
that evidence, a later 401 replaces all of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from codex_otel_config.redaction import redact
from codex_otel_config.telemetry.auth_env import AuthEnvTelemetry

MAX_FEEDBACK_TAGS = 64
RESERVED_FEEDBACK_TAGS = frozenset(
    {"thread_id", "classification", "cli_version", "session_source", "reason"}
)

_log = logging.getLogger("codex_otel_config.telemetry")


class FeedbackTagStore:
    """A thread-safe, capped, last-write-wins map of string tags."""

    def __init__(self, max_tags: int = MAX_FEEDBACK_TAGS) -> None:
        self.max_tags = max_tags
        self._lock = threading.Lock()
        self._tags: dict[str, str] = {}
        self._dropped: set[str] = set()

    def update(self, tags: Mapping[str, str]) -> None:
        """Write ``tags`` at once. Reserved keys are ignored; new keys past the cap dropped."""
        with self._lock:
            for key, value in tags.items():
                if key in RESERVED_FEEDBACK_TAGS:
                    _log.debug("feedback tag %r is reserved for the report uploader", key)
                    continue
                if key not in self._tags and len(self._tags) >= self.max_tags:
                    if key not in self._dropped:
                        self._dropped.add(key)
                        _log.warning(
                            "feedback tags are capped at %d keys; dropping %r", self.max_tags, key
                        )
                    continue
                # A tag leaves with a bug report: the server's words it may carry (an
                # authorization error echoing the key) cross the redaction boundary.
                self._tags[key] = "" if value is None else redact(str(value))

    def set(self, key: str, value: str) -> None:
        self.update({key: value})

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._tags.get(key)

    def snapshot(self) -> dict[str, str]:
        """A copy of every tag, for a bug report."""
        with self._lock:
            return dict(self._tags)

    def clear(self) -> None:
        with self._lock:
            self._tags.clear()
            self._dropped.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tags)


_default_store = FeedbackTagStore()


def default_feedback_store() -> FeedbackTagStore:
    """The process-wide store the emitters write to unless given another."""
    return _default_store


def _store(store: FeedbackTagStore | None) -> FeedbackTagStore:
    # Not ``store or ...``: an empty store is falsy (it has ``__len__``).
    return store if store is not None else _default_store


def feedback_tags(store: FeedbackTagStore | None = None) -> dict[str, str]:
    """The current feedback tags (a copy): what an application attaches to a bug report."""
    return _store(store).snapshot()


def _opt(value: object) -> str:
    """Missing → ``""`` (clears a stale value); bools lower-case; others ``str``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class FeedbackRequestTags:
    """The auth facts of the latest request attempt (the crate's ``FeedbackRequestTags``)."""

    endpoint: str
    auth_header_attached: bool
    auth_header_name: str | None = None
    auth_mode: str | None = None
    auth_retry_after_unauthorized: bool | None = None
    auth_recovery_mode: str | None = None
    auth_recovery_phase: str | None = None
    auth_connection_reused: bool | None = None
    auth_request_id: str | None = None
    auth_cf_ray: str | None = None
    auth_error: str | None = None
    auth_error_code: str | None = None
    auth_recovery_followup_success: bool | None = None
    auth_recovery_followup_status: int | None = None

    def tags(self) -> dict[str, str]:
        return {
            "endpoint": self.endpoint,
            "auth_header_attached": _opt(self.auth_header_attached),
            "auth_header_name": _opt(self.auth_header_name),
            "auth_mode": _opt(self.auth_mode),
            "auth_retry_after_unauthorized": _opt(self.auth_retry_after_unauthorized),
            "auth_recovery_mode": _opt(self.auth_recovery_mode),
            "auth_recovery_phase": _opt(self.auth_recovery_phase),
            "auth_connection_reused": _opt(self.auth_connection_reused),
            "auth_request_id": _opt(self.auth_request_id),
            "auth_cf_ray": _opt(self.auth_cf_ray),
            "auth_error": _opt(self.auth_error),
            "auth_error_code": _opt(self.auth_error_code),
            "auth_recovery_followup_success": _opt(self.auth_recovery_followup_success),
            "auth_recovery_followup_status": _opt(self.auth_recovery_followup_status),
        }


def recovery_followup(
    retry_after_unauthorized: bool, error: object | None, status: int | None
) -> tuple[bool | None, int | None]:
    """``(followup_success, followup_status)`` for a request: set only on a retry after a 401."""
    if not retry_after_unauthorized:
        return None, None
    return error is None, status


def emit_feedback_request_tags(
    tags: FeedbackRequestTags,
    *,
    auth_env: AuthEnvTelemetry | None = None,
    store: FeedbackTagStore | None = None,
) -> dict[str, str]:
    """Record the latest request's auth facts (and ``auth_env_*`` when given); returns them.

    Leaves the ``auth_401_*`` and ``auth_recovery_outcome`` keys alone.
    """
    written = tags.tags()
    if auth_env is not None:
        written.update(auth_env.feedback_tags())
    _store(store).update(written)
    return written


def emit_feedback_auth_recovery_tags(
    auth_recovery_mode: str,
    auth_recovery_phase: str,
    auth_recovery_outcome: str,
    auth_request_id: str | None = None,
    auth_cf_ray: str | None = None,
    auth_error: str | None = None,
    auth_error_code: str | None = None,
    *,
    store: FeedbackTagStore | None = None,
) -> dict[str, str]:
    """Record one 401 and its recovery; replaces every ``auth_401_*`` key. Returns the tags."""
    written = {
        "auth_recovery_mode": _opt(auth_recovery_mode),
        "auth_recovery_phase": _opt(auth_recovery_phase),
        "auth_recovery_outcome": _opt(auth_recovery_outcome),
        "auth_401_request_id": _opt(auth_request_id),
        "auth_401_cf_ray": _opt(auth_cf_ray),
        "auth_401_error": _opt(auth_error),
        "auth_401_error_code": _opt(auth_error_code),
    }
    _store(store).update(written)
    return written
