"""One error hierarchy for the whole package, rooted in :class:`CodexOtelError`.

Lives below every other module (it imports nothing from the package) so each layer can
raise these without importing a higher one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codex_otel_config.redaction import redact


class CodexOtelError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings, located precisely enough to fix it.

    ``key`` is the dotted settings key (``trace_exporter.otlp-http.protocol``), ``layer``
    says where the value came from (``settings.toml [production]``,
    ``env OTEL_EXPORTER_OTLP_PROTOCOL``), ``message``
    says what was found and what was expected. Messages never contain secret values.
    """

    key: str
    layer: str
    message: str

    def __post_init__(self) -> None:
        # Safe by construction: a message quoting a parser's error text crosses the boundary.
        object.__setattr__(self, "message", redact(self.message))

    def __str__(self) -> str:
        where = f"{self.layer} " if self.layer else ""
        return f"{where}{self.key}: {self.message}"


class SettingsError(CodexOtelError):
    """The settings could not be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("SettingsError needs at least one problem")
        super().__init__(self._render(self.problems))

    @property
    def key(self) -> str:
        """The dotted key of the first problem."""
        return self.problems[0].key

    @property
    def layer(self) -> str:
        """The layer of the first problem."""
        return self.problems[0].layer

    @staticmethod
    def _render(problems: Sequence[Problem]) -> str:
        if len(problems) == 1:
            return f"invalid OpenTelemetry settings: {problems[0]}"
        lines = [f"invalid OpenTelemetry settings ({len(problems)} problems):"]
        lines += [f"  - {p}" for p in problems]
        return "\n".join(lines)


class ExporterBuildError(CodexOtelError):
    """An exporter could not be built from valid settings (e.g. an unreadable certificate)."""
