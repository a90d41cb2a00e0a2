"""Shut providers down at interpreter exit when the application did not, within a bound.

The SDK providers register their own ``atexit`` shutdown, which waits up to 30 s per batch
processor and, with an unreachable collector, retries with back-off: an exiting process can
hang for a minute. Bootstrap builds providers with ``shutdown_on_exit=False`` and registers
this one hook instead; it shuts each live provider down with its ``exit_timeout`` (2 s by
default), which :meth:`OtelProvider.shutdown` guarantees however the collector behaves.
Daemon worker threads left behind by a cut-off export do not hold the exit.
"""

from __future__ import annotations

import atexit as _atexit
import logging
import threading
from typing import Any, Protocol

__all__ = ["live_providers", "register", "unregister"]


class _ExitShutdown(Protocol):
    exit_timeout: float

    def shutdown(self, timeout: float = ...) -> Any: ...


_lock = threading.Lock()
_live: list[_ExitShutdown] = []
_hooked = False


def register(provider: _ExitShutdown) -> None:
    """Shut ``provider`` down at exit unless :func:`unregister` is called first."""
    global _hooked
    with _lock:
        if not any(p is provider for p in _live):
            _live.append(provider)
        if not _hooked:
            _atexit.register(_shutdown_all)
            _hooked = True


def unregister(provider: _ExitShutdown) -> None:
    with _lock:
        _live[:] = [p for p in _live if p is not provider]


def live_providers() -> list[_ExitShutdown]:
    with _lock:
        return list(_live)


def _shutdown_all() -> None:
    # Newest first, like atexit itself; each call is bounded by its own exit_timeout.
    for provider in reversed(live_providers()):
        try:
            report = provider.shutdown(timeout=provider.exit_timeout)
            if not getattr(report, "ok", True):
                logging.getLogger("codex_otel_config").warning(
                    "OpenTelemetry shutdown at exit: %s", report.summary()
                )
        except Exception:  # never turn an exit into a traceback
            continue
