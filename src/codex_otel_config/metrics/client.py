"""``MetricsClient``: the crate's metrics client on the OpenTelemetry SDK.

It owns its ``MeterProvider`` (meter ``codex``, delta temporality, a periodic reader),
validates names and tags like the crate, merges default tags under per-call tags, and
caches instruments and validated tag sets so a repeated call costs little more than the
SDK's own ``Counter.add``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    InMemoryMetricReader,
    MetricReader,
    MetricsData,
    PeriodicExportingMetricReader,
)

from codex_otel_config._version import __version__
from codex_otel_config.metrics.config import MetricsConfig
from codex_otel_config.metrics.errors import MetricsError
from codex_otel_config.metrics.in_memory import (
    DELTA_TEMPORALITY,
    DeltaTemporalityExporter,
    prefers_delta,
)
from codex_otel_config.metrics.names import METER_NAME
from codex_otel_config.metrics.resource import metrics_resource
from codex_otel_config.metrics.timer import Timer
from codex_otel_config.metrics.validation import (
    TagsInput,
    tag_pairs,
    validate_metric_name,
    validate_tags,
)

_log = logging.getLogger("codex_otel_config.metrics")

_DURATION_UNIT = "ms"
_DURATION_DESCRIPTION = "Duration in milliseconds."
_TAG_CACHE_SIZE = 1024
_I = TypeVar("_I", Counter, Histogram)

Attributes = dict[str, str]


class MetricsClient:
    """Counters, histograms, durations and timers with the crate's names and rules.

    Thread-safe. Validation failures raise :class:`MetricsError`; export problems never
    raise here (the periodic reader runs on its own thread).
    """

    def __init__(self, config: MetricsConfig) -> None:
        validate_tags(config.default_tags.items())
        self.config = config
        exporter = config.exporter
        if config.kind == "otlp" and not prefers_delta(exporter):
            exporter = DeltaTemporalityExporter(exporter)
        if config.export_interval is not None:
            interval_ms: float | None = config.export_interval * 1000.0
        elif config.kind == "in_memory":
            interval_ms = math.inf  # exported on force_flush / shutdown only
        else:
            interval_ms = None  # SDK default, honours OTEL_METRIC_EXPORT_INTERVAL
        self.reader = PeriodicExportingMetricReader(exporter, export_interval_millis=interval_ms)
        readers: list[MetricReader] = [self.reader]
        # The crate's runtime reader: a manual reader with its own delta state, so a
        # snapshot neither sees nor resets what the periodic exporter has yet to send.
        self.runtime_reader: InMemoryMetricReader | None = None
        if config.runtime_reader:
            self.runtime_reader = InMemoryMetricReader(preferred_temporality=DELTA_TEMPORALITY)
            readers.append(self.runtime_reader)
        self.meter_provider = MeterProvider(
            metric_readers=readers,
            resource=metrics_resource(
                config.environment,
                config.service_name,
                config.service_version,
                config.resource_attributes,
            ),
            shutdown_on_exit=config.kind == "otlp",
        )
        self._meter: Meter = self.meter_provider.get_meter(METER_NAME, __version__)
        self._default_attributes: Attributes = dict(config.default_tags)
        self._lock = threading.Lock()
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._durations: dict[str, Histogram] = {}
        self._tag_cache: dict[tuple[tuple[str, str], ...], Attributes] = {}
        self._shut_down = False

    # -- attributes -----------------------------------------------------------------------

    def attributes(self, tags: TagsInput | None = None) -> Attributes:
        """Default tags overridden by ``tags``, validated; cached per distinct tag set.

        The returned dict is shared: callers must not mutate it.
        """
        if not tags:
            return self._default_attributes
        key = tags if isinstance(tags, tuple) else tag_pairs(tags)
        cached = self._tag_cache.get(key)
        if cached is not None:
            return cached
        validate_tags(key)
        merged = {**self._default_attributes, **dict(key)}
        if len(self._tag_cache) >= _TAG_CACHE_SIZE:
            self._tag_cache.clear()  # unbounded tag sets: keep memory bounded, stay correct
        self._tag_cache[key] = merged
        return merged

    # -- instruments ----------------------------------------------------------------------

    def _counter(self, name: str) -> Counter:
        return self._instrument(self._counters, name, self._meter.create_counter)

    def _histogram(self, name: str) -> Histogram:
        return self._instrument(self._histograms, name, self._meter.create_histogram)

    def _duration(self, name: str) -> Histogram:
        return self._instrument(
            self._durations,
            name,
            lambda n: self._meter.create_histogram(
                n, unit=_DURATION_UNIT, description=_DURATION_DESCRIPTION
            ),
        )

    def _instrument(self, cache: dict[str, _I], name: str, create: Callable[[str], _I]) -> _I:
        """Validated and created once per name; the lock-free read keeps the hot path cheap."""
        instrument = cache.get(name)
        if instrument is None:
            validate_metric_name(name)
            with self._lock:
                instrument = cache.get(name)
                if instrument is None:
                    instrument = create(name)
                    cache[name] = instrument
        return instrument

    # -- recording ------------------------------------------------------------------------

    def counter(self, name: str, inc: int = 1, tags: TagsInput | None = None) -> None:
        """Add ``inc`` (an integer ≥ 0) to the counter ``name``."""
        if inc.__class__ is not int and (isinstance(inc, bool) or not isinstance(inc, int)):
            raise MetricsError(
                "invalid_value", f"counter [{name}] increment must be an integer, got {inc!r}"
            )
        if inc < 0:
            raise MetricsError(
                "negative_counter_increment",
                f"counter [{name}] increment must be >= 0, got {inc}",
                value=str(inc),
            )
        self._counter(name).add(inc, self.attributes(tags))

    def histogram(self, name: str, value: float, tags: TagsInput | None = None) -> None:
        """Record ``value`` in the histogram ``name`` (no unit)."""
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise MetricsError(
                "invalid_value", f"histogram [{name}] value must be a finite number, got {value!r}"
            )
        self._histogram(name).record(value, self.attributes(tags))

    def record_duration(
        self, name: str, duration: float | timedelta, tags: TagsInput | None = None
    ) -> None:
        """Record ``duration`` (seconds or a ``timedelta``) in ms in the histogram ``name``."""
        cls = duration.__class__
        if cls is float or cls is int:  # the common case, without the slower checks below
            seconds: float = duration  # type: ignore[assignment]
        elif isinstance(duration, timedelta):
            seconds = duration.total_seconds()
        elif isinstance(duration, int | float) and not isinstance(duration, bool):
            seconds = duration
        else:
            seconds = math.nan
        if not 0 <= seconds < math.inf:
            raise MetricsError(
                "invalid_value",
                f"duration [{name}] must be a finite, non-negative number of seconds, "
                f"got {duration!r}",
            )
        self._duration(name).record(seconds * 1000.0, self.attributes(tags))

    def start_timer(self, name: str, tags: TagsInput | None = None) -> Timer:
        """A :class:`Timer` recording into ``name`` when its ``with`` block ends."""
        validate_metric_name(name)
        validate_tags(tag_pairs(tags))
        return Timer(self, name, tags)

    # -- the runtime reader ---------------------------------------------------------------

    def snapshot(self) -> MetricsData:
        """What was recorded since the previous snapshot (delta), collected now.

        Needs the runtime reader (``MetricsConfig.with_runtime_reader()``): without it,
        :class:`MetricsError` ``runtime_snapshot_unavailable``; a failed collection (or a
        shut-down client) is ``runtime_snapshot_collect``. The periodic exporter is not
        affected: it still sends everything on its own schedule.
        """
        reader = self.runtime_reader
        if reader is None:
            raise MetricsError(
                "runtime_snapshot_unavailable",
                "runtime metrics snapshot unavailable: the runtime reader is not enabled "
                "(set runtime_metrics = true)",
            )
        if self._shut_down:
            raise MetricsError(
                "runtime_snapshot_collect", "runtime metrics snapshot failed: client is shut down"
            )
        try:
            data = reader.get_metrics_data()
        except Exception as error:
            raise MetricsError(
                "runtime_snapshot_collect", f"runtime metrics snapshot failed: {error}"
            ) from error
        return data if data is not None else MetricsData(resource_metrics=[])

    # -- lifecycle ------------------------------------------------------------------------

    def force_flush(self, timeout: float = 5.0) -> bool:
        """Collect and export now; ``False`` (and a warning) if that failed or timed out."""
        if self._shut_down:
            return False
        try:
            return bool(self.meter_provider.force_flush(timeout_millis=timeout * 1000.0))
        except Exception as error:
            _log.warning("metrics force_flush failed: %s", error)
            return False

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush what is pending, then shut the provider down; idempotent.

        Returns ``False`` (after a warning) when the final export failed; never raises.
        """
        with self._lock:
            if self._shut_down:
                return True
        deadline = time.monotonic() + timeout
        flushed = self.force_flush(timeout)
        with self._lock:
            self._shut_down = True
        try:
            remaining = max(deadline - time.monotonic(), 0.001)
            self.meter_provider.shutdown(timeout_millis=remaining * 1000.0)
        except Exception as error:
            _log.warning("metrics shutdown failed: %s", error)
            return False
        return flushed

    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    def __repr__(self) -> str:
        c = self.config
        return (
            f"MetricsClient(kind={c.kind!r}, service_name={c.service_name!r}, "
            f"env={c.environment!r})"
        )


# -- the process-wide client (the crate's ``OnceLock``) ------------------------------------

_global_lock = threading.Lock()
_global_client: MetricsClient | None = None


def install_global(client: MetricsClient) -> bool:
    """Make ``client`` the process-wide client; the first install wins (returns ``False`` after)."""
    global _global_client
    with _global_lock:
        if _global_client is not None:
            return _global_client is client
        _global_client = client
        return True


def global_metrics() -> MetricsClient | None:
    """The client installed by :func:`install_global`, or ``None``."""
    return _global_client


def start_global_timer(name: str, tags: TagsInput | None = None) -> Timer:
    """A timer on the global client; :class:`MetricsError` (``exporter_disabled``) if none."""
    client = _global_client
    if client is None:
        raise MetricsError("exporter_disabled", "no global metrics client is installed")
    return client.start_timer(name, tags)


def _reset_global_for_tests() -> Any:
    """Forget the global client (tests only: production installs once per process)."""
    global _global_client
    with _global_lock:
        previous, _global_client = _global_client, None
    return previous
