"""Masking helpers, kept importable here; they live in :mod:`codex_otel_config.redaction`."""

from __future__ import annotations

from codex_otel_config.redaction import MASK, mask, mask_headers, mask_url, redact, scrub

__all__ = ["MASK", "mask", "mask_headers", "mask_url", "redact", "scrub"]
