"""State shared by the HTTP and gRPC servers of one receiver: the store, the current
behaviour, and the means to hold a request (slow or black hole) without outliving ``stop()``."""

from __future__ import annotations

import threading

from .behavior import NORMAL, Behavior
from .store import ReceiverStore


class Runtime:
    def __init__(self, store: ReceiverStore, behavior: Behavior | None) -> None:
        self.store = store
        self.behavior = behavior or NORMAL  # replaced whole, so readers need no lock
        self._lock = threading.Lock()
        self._holds: set[threading.Event] = set()
        self._stopping = False

    def hold(self, seconds: float | None, wake: threading.Event | None = None) -> bool:
        """Wait ``seconds`` (``None``: forever) unless the receiver stops or ``wake`` is set.

        Returns ``True`` when the full time passed, ``False`` when cut short.
        """
        event = wake or threading.Event()
        with self._lock:
            if self._stopping:
                return False
            self._holds.add(event)
        try:
            return not event.wait(seconds)
        finally:
            with self._lock:
                self._holds.discard(event)

    def stop(self) -> None:
        """Release every held request; later holds return at once."""
        with self._lock:
            self._stopping = True
            holds = list(self._holds)
        for event in holds:
            event.set()
