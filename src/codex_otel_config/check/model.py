"""What ``check`` produces: one :class:`Finding` per stage, gathered in a :class:`CheckReport`.

Pure values with ``to_dict()`` for ``--json``; every string in them has already been scrubbed
of secrets by the engine, so printing them is always safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal

from codex_otel_config.outcomes import Code
from codex_otel_config.redaction import redact

Stage = Literal["settings", "files", "certificates", "endpoint", "dns", "tcp", "tls", "otlp"]
Status = Literal["ok", "warn", "fail"]

#: Stages in the order they run; reports are sorted by it.
STAGES: tuple[Stage, ...] = (
    "settings",
    "files",
    "certificates",
    "endpoint",
    "dns",
    "tcp",
    "tls",
    "otlp",
)
OFFLINE_STAGES: frozenset[Stage] = frozenset({"settings", "files", "certificates", "endpoint"})
_STATUS_RANK: Mapping[Status, int] = {"ok": 0, "warn": 1, "fail": 2}

#: Exit status of ``check`` (DESIGN §4.2).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SETTINGS = 2


def worst(statuses: Sequence[Status]) -> Status:
    """The most severe of ``statuses`` (``ok`` when empty)."""
    result: Status = "ok"
    for status in statuses:
        if _STATUS_RANK[status] > _STATUS_RANK[result]:
            result = status
    return result


@dataclass(frozen=True)
class Finding:
    """The outcome of one stage for one signal (or for the settings as a whole).

    ``signal`` and ``endpoint`` are ``None`` for findings about the settings as a whole;
    ``environment`` names the settings environment the finding belongs to (``--all-envs``).
    The ``cert_*`` fields describe the server certificate (``tls`` stage) or the checked file
    (``certificates`` stage); ``hostname_matches`` is set by the ``tls`` stage only.
    """

    code: Code
    stage: Stage
    status: Status
    message: str
    signal: str | None = None
    endpoint: str | None = None
    environment: str | None = None
    hint: str | None = None
    elapsed_ms: float | None = None
    http_status: int | None = None
    grpc_status: str | None = None
    request_id: str | None = None
    cf_ray: str | None = None
    auth_error: str | None = None
    auth_error_code: str | None = None
    setting: str | None = None
    file: str | None = None
    cert_subject: str | None = None
    cert_issuer: str | None = None
    cert_not_after: str | None = None
    hostname_matches: bool | None = None

    def __post_init__(self) -> None:
        # Safe by construction: every text (messages, the server's ids, certificate
        # subjects, endpoints) crosses the redaction boundary, whoever built the finding.
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, str) and item.name not in ("code", "stage", "status"):
                object.__setattr__(self, item.name, redact(value))

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_dict(self) -> dict[str, object]:
        return {
            "environment": self.environment,
            "signal": self.signal,
            "endpoint": self.endpoint,
            "stage": self.stage,
            "status": self.status,
            "code": self.code.value,
            "elapsed_ms": None if self.elapsed_ms is None else round(self.elapsed_ms, 1),
            "http_status": self.http_status,
            "grpc_status": self.grpc_status,
            "request_id": self.request_id,
            "cf_ray": self.cf_ray,
            "auth_error": self.auth_error,
            "auth_error_code": self.auth_error_code,
            "setting": self.setting,
            "file": self.file,
            "cert_subject": self.cert_subject,
            "cert_issuer": self.cert_issuer,
            "cert_not_after": self.cert_not_after,
            "hostname_matches": self.hostname_matches,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class SignalSummary:
    """One line per (environment, signal): where it goes and the verdict."""

    environment: str | None
    signal: str
    endpoint: str | None
    protocol: str
    status: Status
    code: Code
    elapsed_ms: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "environment": self.environment,
            "signal": self.signal,
            "endpoint": self.endpoint,
            "protocol": self.protocol,
            "status": self.status,
            "code": self.code.value,
            "elapsed_ms": None if self.elapsed_ms is None else round(self.elapsed_ms, 1),
        }


def _sort_key(finding: Finding, env_order: Mapping[str | None, int]) -> tuple[int, int, int]:
    signal_rank = {None: 0, "logs": 1, "traces": 2, "metrics": 3}.get(finding.signal, 4)
    return (env_order.get(finding.environment, 99), signal_rank, STAGES.index(finding.stage))


@dataclass(frozen=True)
class CheckReport:
    """Everything one ``check`` run found, in a stable order (environment, signal, stage)."""

    findings: tuple[Finding, ...]
    environments: tuple[str, ...]
    summaries: tuple[SignalSummary, ...] = ()
    offline: bool = False
    timeout: float = 5.0
    settings_loaded: bool = True
    elapsed_ms: float = 0.0
    extra: Mapping[str, object] = field(default_factory=dict)

    @staticmethod
    def build(
        findings: Sequence[Finding],
        environments: Sequence[str],
        summaries: Sequence[SignalSummary],
        *,
        offline: bool = False,
        timeout: float = 5.0,
        settings_loaded: bool = True,
        elapsed_ms: float = 0.0,
    ) -> CheckReport:
        """Sort findings and summaries into their stable order."""
        order: dict[str | None, int] = {name: i for i, name in enumerate(environments)}
        ordered = sorted(findings, key=lambda f: _sort_key(f, order))
        signal_rank = {"logs": 0, "traces": 1, "metrics": 2}
        ordered_summaries = sorted(
            summaries,
            key=lambda s: (order.get(s.environment, 99), signal_rank.get(s.signal, 3)),
        )
        return CheckReport(
            findings=tuple(ordered),
            environments=tuple(environments),
            summaries=tuple(ordered_summaries),
            offline=offline,
            timeout=timeout,
            settings_loaded=settings_loaded,
            elapsed_ms=elapsed_ms,
        )

    @property
    def status(self) -> Status:
        return worst([f.status for f in self.findings])

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.failed)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status == "warn")

    @property
    def exit_code(self) -> int:
        """0 nothing failed (warnings allowed), 1 something failed, 2 settings not loadable."""
        if not self.settings_loaded:
            return EXIT_SETTINGS
        return EXIT_FAILED if self.failures else EXIT_OK

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "environments": list(self.environments),
            "offline": self.offline,
            "timeout": self.timeout,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "counts": {
                "ok": sum(1 for f in self.findings if f.status == "ok"),
                "warn": len(self.warnings),
                "fail": len(self.failures),
            },
            "signals": [s.to_dict() for s in self.summaries],
            "findings": [f.to_dict() for f in self.findings],
            **dict(self.extra),
        }
