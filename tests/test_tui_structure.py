"""The TUI's structure (issue 14): the backend takes state, not the app; the state and the
messages hold the library's real types, not ``Any``."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from codex_otel_config.bootstrap import FlushReport, OtelProvider, ShutdownReport
from codex_otel_config.check import CheckReport, Finding
from codex_otel_config.demo import Demo
from codex_otel_config.scenario import ScenarioResult
from codex_otel_config.tui import messages, state

TUI = Path(__file__).resolve().parents[1] / "src" / "codex_otel_config" / "tui"
LIBRARY_TYPES = {
    "FlushReport": FlushReport,
    "ShutdownReport": ShutdownReport,
    "OtelProvider": OtelProvider,
    "CheckReport": CheckReport,
    "Finding": Finding,
    "ScenarioResult": ScenarioResult,
    "Demo": Demo,
}


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, ``if TYPE_CHECKING:`` blocks and functions included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("name", ["backend", "state", "render", "messages", "widgets", "screens"])
def test_only_the_app_module_knows_the_app(name: str) -> None:
    imported = _imported_modules(TUI / f"{name}.py")
    assert "codex_otel_config.tui.app" not in imported, f"tui/{name}.py imports tui/app.py"


def _hints(target: object) -> dict[str, object]:
    namespace = {**vars(state), **LIBRARY_TYPES}
    return typing.get_type_hints(target, globalns=namespace)


def test_state_holds_the_library_types() -> None:
    assert _hints(state.PipelineReportEntry)["report"] == FlushReport | ShutdownReport | None
    assert _hints(state.SendEntry)["result"] == ScenarioResult | None
    assert _hints(state.CheckEntry)["report"] == CheckReport | None
    assert _hints(state.LivePipeline)["provider"] is OtelProvider
    assert _hints(state.ConsoleState)["demo"] == Demo | None


def test_messages_carry_the_library_types() -> None:
    def init(cls: type) -> dict[str, object]:
        namespace = {**vars(messages), **LIBRARY_TYPES}
        return typing.get_type_hints(cls.__init__, globalns=namespace)

    assert init(messages.CheckProgress)["finding"] is Finding
    assert init(messages.CheckDone)["report"] == CheckReport | None
    assert init(messages.ScenarioDone)["result"] == ScenarioResult | None
    assert init(messages.ProviderReport)["report"] == FlushReport | ShutdownReport | None
    assert init(messages.PipelineBuilt)["provider"] == OtelProvider | None
