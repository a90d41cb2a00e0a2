"""The thread-safe record of everything a receiver got, with waiting on a condition.

Server threads append; tests and the ``receive`` command read snapshots or block in
:meth:`ReceiverStore.wait_for` until a predicate holds — woken by each arrival, never by
sleep-polling, so a test waits exactly as long as the data takes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from .records import Item, ReceivedLogRecord, ReceivedMetricPoint, ReceivedRequest, ReceivedSpan

_log = logging.getLogger(__name__)

OnItem = Callable[[Item], None]
T = TypeVar("T")


class ReceiverStore:
    """Requests and decoded items in arrival order; ``on_item`` sees each item as it lands
    (on a server thread, after waiters are woken, one call at a time)."""

    def __init__(self, on_item: OnItem | None = None) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._requests: list[ReceivedRequest] = []
        self._spans: list[ReceivedSpan] = []
        self._logs: list[ReceivedLogRecord] = []
        self._points: list[ReceivedMetricPoint] = []
        self.on_item = on_item
        self._callback_lock = threading.Lock()

    # --- writing (server threads) ---------------------------------------------------------

    def add(self, request: ReceivedRequest, items: Sequence[Item] = ()) -> None:
        """Record one request and its items, wake every waiter, then call ``on_item``."""
        with self._cond:
            self._requests.append(request)
            for item in items:
                if isinstance(item, ReceivedSpan):
                    self._spans.append(item)
                elif isinstance(item, ReceivedLogRecord):
                    self._logs.append(item)
                else:
                    self._points.append(item)
            self._cond.notify_all()
        callback = self.on_item
        if callback is None:
            return
        with self._callback_lock:  # one at a time, so printed lines never interleave
            for item in items:
                try:
                    callback(item)
                except Exception:  # a printing callback must never take the receiver down
                    _log.exception("on_item callback failed")

    def clear(self) -> None:
        with self._cond:
            self._requests.clear()
            self._spans.clear()
            self._logs.clear()
            self._points.clear()

    # --- reading --------------------------------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._cond:
            return list(self._requests)

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._cond:
            return list(self._spans)

    @property
    def log_records(self) -> list[ReceivedLogRecord]:
        with self._cond:
            return list(self._logs)

    @property
    def metric_points(self) -> list[ReceivedMetricPoint]:
        with self._cond:
            return list(self._points)

    def wait_for(self, predicate: Callable[[], object], timeout: float) -> bool:
        """Block until ``predicate()`` holds (checked at each arrival); ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def wait_for_span(self, name: str, timeout: float) -> ReceivedSpan | None:
        """The first span called ``name``, waiting up to ``timeout`` seconds for it."""
        return self._wait_first(lambda: self._spans, lambda s: s.name == name, timeout)

    def wait_for_log(
        self, event: str | Callable[[ReceivedLogRecord], bool], timeout: float
    ) -> ReceivedLogRecord | None:
        """The first log record whose event name is ``event`` (or that ``event`` accepts)."""
        match = event if callable(event) else (lambda r: r.name == event)
        return self._wait_first(lambda: self._logs, match, timeout)

    def wait_for_metric(self, name: str, timeout: float) -> ReceivedMetricPoint | None:
        """The first data point of the metric called ``name``."""
        return self._wait_first(lambda: self._points, lambda p: p.name == name, timeout)

    def _wait_first(
        self, items: Callable[[], list[T]], match: Callable[[T], bool], timeout: float
    ) -> T | None:
        found: list[T] = []

        def seen() -> bool:
            found[:] = [item for item in items() if match(item)][:1]
            return bool(found)

        return found[0] if self.wait_for(seen, timeout) else None
