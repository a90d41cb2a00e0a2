"""Installing a provider as the process-wide OpenTelemetry globals.

The API lets each global provider be set once per process; a second ``set_*_provider``
is ignored with a warning. We check first, install only into empty slots, and say once, on
our own logger, which signals stayed with an earlier provider. The propagator is the W3C
pair (trace context + baggage) unless ``OTEL_PROPAGATORS`` chose otherwise.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codex_otel_config.bootstrap.provider import OtelProvider

__all__ = ["install_globals"]

_log = logging.getLogger("codex_otel_config")


def _is_proxy(provider: object) -> bool:
    """The API hands out a proxy until a real provider is installed."""
    return "Proxy" in type(provider).__name__


def install_globals(provider: OtelProvider) -> bool:
    """Install ``provider``'s providers as the globals; ``True`` if all of them were."""
    kept: list[str] = []
    if provider.tracer_provider is not None:
        from opentelemetry import trace

        if _is_proxy(trace.get_tracer_provider()):
            trace.set_tracer_provider(provider.tracer_provider)
        if trace.get_tracer_provider() is not provider.tracer_provider:
            kept.append("tracer")
    if provider.logger_provider is not None:
        from opentelemetry import _logs

        if _is_proxy(_logs.get_logger_provider()):
            _logs.set_logger_provider(provider.logger_provider)
        if _logs.get_logger_provider() is not provider.logger_provider:
            kept.append("logger")
    if provider.metrics is not None:
        from opentelemetry import metrics as otel_metrics

        from codex_otel_config.metrics import install_global

        if _is_proxy(otel_metrics.get_meter_provider()):
            otel_metrics.set_meter_provider(provider.metrics.meter_provider)
        if otel_metrics.get_meter_provider() is not provider.metrics.meter_provider:
            kept.append("meter")
        install_global(provider.metrics)
    if provider.tracer_provider is not None and not os.environ.get("OTEL_PROPAGATORS"):
        from opentelemetry import propagate
        from opentelemetry.baggage.propagation import W3CBaggagePropagator
        from opentelemetry.propagators.composite import CompositePropagator
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        propagate.set_global_textmap(
            CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
        )
    if kept:
        _log.warning(
            "OpenTelemetry global %s provider(s) were already set in this process and were "
            "kept; use the OtelProvider's own providers for this pipeline",
            "/".join(kept),
        )
    return not kept
