"""The metrics client's one error type, a :class:`CodexOtelError` like every other."""

from __future__ import annotations

from codex_otel_config.errors import CodexOtelError


class MetricsError(CodexOtelError):
    """A metric call or configuration was rejected.

    ``kind`` names the rule that failed, mirroring the crate's ``MetricsError`` variants
    (``empty_metric_name``, ``invalid_metric_name``, ``empty_tag_component``,
    ``invalid_tag_component``, ``negative_counter_increment``, ``invalid_value``,
    ``invalid_config``, ``exporter_disabled``, ``provider_shutdown``,
    ``runtime_snapshot_unavailable``, ``runtime_snapshot_collect``). ``label`` is
    ``"tag key"`` or ``"tag value"`` for tag errors, ``value`` the offending text.
    """

    def __init__(
        self, kind: str, message: str, *, label: str | None = None, value: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.label = label
        self.value = value
