"""``Timer``: records the time a block took as a duration histogram, once.

The crate's timer records on ``Drop``; the Python equivalent is a context manager that
records on exit (also when the block raised). Errors are logged, never raised, so timing
can never break the code it measures.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import TYPE_CHECKING

from codex_otel_config.metrics.validation import TagsInput, tag_pairs

if TYPE_CHECKING:
    from codex_otel_config.metrics.client import MetricsClient

_log = logging.getLogger("codex_otel_config.metrics")


class Timer:
    """Started by :meth:`MetricsClient.start_timer`; use as ``with client.start_timer(...):``."""

    __slots__ = ("_client", "_name", "_recorded", "_start", "_tags")

    def __init__(self, client: MetricsClient, name: str, tags: TagsInput | None) -> None:
        self._client = client
        self._name = name
        self._tags = tag_pairs(tags)
        self._start = time.perf_counter()
        self._recorded = False

    @property
    def elapsed(self) -> float:
        """Seconds since the timer started."""
        return time.perf_counter() - self._start

    def record(self, additional_tags: TagsInput | None = None) -> None:
        """Record now, with ``additional_tags`` on top of the timer's tags; only once.

        Raises :class:`MetricsError` like :meth:`MetricsClient.record_duration`.
        """
        if self._recorded:
            return
        self._recorded = True
        self._client.record_duration(
            self._name, self.elapsed, self._tags + tag_pairs(additional_tags)
        )

    def __enter__(self) -> Timer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.record()
        except Exception as error:  # never let timing break the timed code
            _log.error("metrics timer [%s] failed to record: %s", self._name, error)
