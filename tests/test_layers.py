"""The folder tree is the architecture: a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "codex_otel_config"

# Lowest first; a module may import only from its own layer or a lower one.
LAYERS: dict[str, int] = {
    "errors": 0,
    "outcomes": 0,
    "_version": 0,
    "redaction": 0,
    "_lazy": 0,
    "settings": 1,
    "exporters": 2,
    "metrics": 3,
    "bootstrap": 4,
    "telemetry": 5,
    "receiver": 6,
    "check": 7,
    "scenario": 7,
    "demo": 7,
    "export": 7,
    "cli": 8,
    "tui": 8,
    "__main__": 8,
}


def _layer_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "codex_otel_config":
        return None
    if len(parts) == 1:
        return None  # the package root re-exports lazily; it is not a layer
    return LAYERS.get(parts[1])


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py"
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    top = rel.parts[0].removesuffix(".py")
    own = LAYERS.get(top)
    assert own is not None, f"{rel}: not assigned to a layer in tests/test_layers.py"
    higher = [m for m in _imports(path) if (lay := _layer_of(m)) is not None and lay > own]
    assert not higher, f"{rel} (layer {own}) imports higher layers: {higher}"


def test_every_layer_is_known() -> None:
    tops = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if not p.name.startswith("__")}
    tops.discard("py.typed")
    unknown = tops - set(LAYERS) - {"__pycache__"}
    assert not unknown, f"unassigned top-level modules: {unknown}"
