"""The check engine (layer 7): offline checks and live probes, stage by stage.

``run_check()`` is what ``codex-otel-config check`` and the TUI call; findings stream through
``on_finding`` as each stage completes.
"""

from codex_otel_config.check.engine import discover_environments, run_check
from codex_otel_config.check.model import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SETTINGS,
    STAGES,
    CheckReport,
    Finding,
    SignalSummary,
    Stage,
    Status,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_SETTINGS",
    "STAGES",
    "CheckReport",
    "Finding",
    "SignalSummary",
    "Stage",
    "Status",
    "discover_environments",
    "run_check",
]
