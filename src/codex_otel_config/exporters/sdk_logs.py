"""Keep the SDK exporters' own log lines quiet and safe in the application's logging.

The OTLP exporters log every failed or retried batch ("Transient error … retrying in 0.98s")
into the application's logging, with the transport's error text: a collector that is down
for an hour writes thousands of lines, and a query string (``?token=…``) in the endpoint would
be printed as is. The classified error is in the flush and shutdown reports, so here each
distinct message of an SDK exporter logger is let through at most once per interval (the next
one says how many were held back), URLs are cut to scheme://host:port and query strings
dropped. Filters only apply on the logger a record is created on, so they are attached to
every existing logger below the SDK's exporter and batch-processor packages, after the
exporter modules have been imported (loggers are created at import).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time

from codex_otel_config.exporters.classify import strip_urls

__all__ = ["QUIET_INTERVAL_S", "QuietSdkFilter", "forget_quieted", "quiet_sdk_loggers"]

#: At most one line per distinct SDK message per this many seconds.
QUIET_INTERVAL_S = 60.0
_PREFIXES = (
    "opentelemetry.exporter.",
    "opentelemetry.sdk._shared_internal",
    "opentelemetry.sdk.metrics._internal.export",
)


@functools.cache
def _query_re() -> re.Pattern[str]:
    return re.compile(r"(/[^\s?'\"()]*)\?[^\s'\"()]*")


class QuietSdkFilter(logging.Filter):
    """Rate-limits and sanitises the records of one SDK logger."""

    def __init__(self, interval: float = QUIET_INTERVAL_S) -> None:
        super().__init__()
        self.interval = interval
        self._lock = threading.Lock()
        self._seen: dict[object, tuple[float, int]] = {}

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last, held = self._seen.get(key, (float("-inf"), 0))
            if now - last < self.interval:
                self._seen[key] = (last, held + 1)
                return False
            self._seen[key] = (now, 0)
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        text = strip_urls(_query_re().sub(r"\1", text))
        if held:
            text += f" ({held} similar messages held back in the last {self.interval:g} s)"
        record.msg, record.args = text, ()
        return True


def quiet_sdk_loggers(interval: float = QUIET_INTERVAL_S) -> None:
    """Attach :class:`QuietSdkFilter` to every SDK exporter / batch processor logger (once)."""
    for name in list(logging.Logger.manager.loggerDict):
        if not name.startswith(_PREFIXES):
            continue
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietSdkFilter) for f in logger.filters):
            logger.addFilter(QuietSdkFilter(interval))


def forget_quieted() -> None:
    """Let every message through again once (tests start each case from a clean slate)."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        for f in getattr(logger, "filters", ()):
            if isinstance(f, QuietSdkFilter):
                f.forget()
