"""The console's state as plain typed values: the app owns one :class:`ConsoleState`, the
workers post results as messages, and the renderers and the JSON report read it.

No Textual here: the board is fed the same :class:`~codex_otel_config.check.model.Finding`
values ``check`` prints, one at a time, and says for each signal which stage is running, which
passed, warned or failed, and which never ran. The results are a log of typed entries (the
library's own report types), newest first. Keeping it pure lets the tests (and the JSON
report) read the state without a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from codex_otel_config.errors import SettingsError
from codex_otel_config.redaction import mask_url
from codex_otel_config.settings.model import (
    SIGNALS,
    Console,
    NoExporter,
    OtelSettings,
    OtlpGrpc,
    Signal,
)

if TYPE_CHECKING:
    from codex_otel_config.bootstrap import FlushReport, OtelProvider, ShutdownReport
    from codex_otel_config.check import CheckReport, Finding
    from codex_otel_config.demo import Demo
    from codex_otel_config.scenario import ScenarioResult

#: The live stages shown as columns, in the order the check engine runs them.
LIVE_STAGES: tuple[str, ...] = ("dns", "tcp", "tls", "otlp")

CellState = Literal["idle", "pending", "running", "ok", "warn", "fail", "skipped"]
_RANK: dict[str, int] = {"ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class StageResult:
    """One finding as the table needs it (a subset of ``Finding``, already secret-free)."""

    stage: str
    status: str
    code: str
    message: str
    elapsed_ms: float | None = None
    request_id: str | None = None
    cf_ray: str | None = None
    http_status: int | None = None
    grpc_status: str | None = None
    hint: str | None = None

    @classmethod
    def from_finding(cls, finding: Finding) -> StageResult:
        """Copy the fields the TUI shows from a check ``Finding``."""
        return cls(
            stage=finding.stage,
            status=finding.status,
            code=finding.code.value,
            message=finding.message,
            elapsed_ms=finding.elapsed_ms,
            request_id=finding.request_id,
            cf_ray=finding.cf_ray,
            http_status=finding.http_status,
            grpc_status=finding.grpc_status,
            hint=finding.hint,
        )


@dataclass(frozen=True)
class EndpointRow:
    """One signal's exporter and how far its check has got."""

    signal: Signal
    kind: str
    endpoint: str | None
    protocol: str
    cells: tuple[tuple[str, CellState], ...]
    results: tuple[StageResult, ...] = ()
    received: str | None = None

    @property
    def exported(self) -> bool:
        return self.endpoint is not None

    def cell(self, stage: str) -> CellState:
        return dict(self.cells)[stage]

    def with_cell(self, stage: str, state: CellState) -> EndpointRow:
        return replace(self, cells=tuple((s, state if s == stage else c) for s, c in self.cells))

    @property
    def running(self) -> bool:
        return any(state in ("running", "pending") for _, state in self.cells)

    @property
    def verdict(self) -> StageResult | None:
        """The finding that sums up the row: the first failure, else the first warning, else
        the last stage reached."""
        if not self.results:
            return None
        for wanted in ("fail", "warn"):
            for result in self.results:
                if result.status == wanted:
                    return result
        return self.results[-1]

    @property
    def status(self) -> str | None:
        if not self.results:
            return None
        return max((r.status for r in self.results), key=lambda s: _RANK.get(s, 0))

    @property
    def elapsed_ms(self) -> float | None:
        """Time spent on the live stages so far (what a user waits for per endpoint)."""
        times = [r.elapsed_ms for r in self.results if r.stage in LIVE_STAGES and r.elapsed_ms]
        return sum(times) if times else None

    @property
    def request_id(self) -> str | None:
        for result in reversed(self.results):
            if result.request_id:
                return result.request_id
        return None


def _uses_tls(endpoint: str | None) -> bool | None:
    if endpoint is None:
        return None
    if endpoint.startswith("https://"):
        return True
    if endpoint.startswith("http://"):
        return False
    return None  # a scheme-less gRPC target: the engine decides


def _protocol(exporter: object) -> str:
    if isinstance(exporter, OtlpGrpc):
        return "grpc"
    protocol = getattr(exporter, "protocol", None)
    return f"http/{'protobuf' if protocol == 'binary' else protocol}" if protocol else "none"


def rows_for(settings: OtelSettings) -> tuple[EndpointRow, ...]:
    """One idle row per signal, from the exporter each signal will really be built with."""
    rows = []
    for signal in SIGNALS:
        exporter = settings.exporter_for(signal)
        # Shown on screen and in the report: any ``user:password@`` masked (as ``show`` does).
        endpoint = (
            None if isinstance(exporter, NoExporter | Console) else mask_url(exporter.endpoint)
        )
        idle: CellState = "idle" if endpoint is not None else "skipped"
        rows.append(
            EndpointRow(
                signal=signal,
                kind=exporter.kind,
                endpoint=endpoint,
                protocol=_protocol(exporter),
                cells=tuple((stage, idle) for stage in LIVE_STAGES),
            )
        )
    return tuple(rows)


@dataclass
class EndpointBoard:
    """The endpoints table's state: rows keyed by signal, fed findings as they arrive."""

    rows: dict[str, EndpointRow] = field(default_factory=dict)
    general: list[StageResult] = field(default_factory=list)
    running: bool = False

    @classmethod
    def from_settings(cls, settings: OtelSettings | None) -> EndpointBoard:
        board = cls()
        if settings is not None:
            board.rows = {row.signal: row for row in rows_for(settings)}
        return board

    def start(self, signals: Iterable[str] | None = None) -> None:
        """Reset the rows about to be checked: first stage running, the rest pending."""
        wanted = set(signals) if signals is not None else set(self.rows)
        self.general.clear()
        self.running = True
        for name, row in list(self.rows.items()):
            if name not in wanted or not row.exported:
                continue
            tls = _uses_tls(row.endpoint)
            cells: list[tuple[str, CellState]] = []
            for stage in LIVE_STAGES:
                state: CellState = "pending"
                if stage == "tls" and tls is False:
                    state = "skipped"
                cells.append((stage, state))
            cells[0] = (cells[0][0], "running")
            self.rows[name] = replace(row, cells=tuple(cells), results=())

    def apply(self, finding: Finding) -> str | None:
        """Record one finding; returns the signal whose row changed (``None``: general)."""
        result = StageResult.from_finding(finding)
        signal = finding.signal
        row = self.rows.get(signal) if signal is not None else None
        if row is None:
            self.general.append(result)
            return None
        row = replace(row, results=(*row.results, result))
        if result.stage in LIVE_STAGES:
            index = LIVE_STAGES.index(result.stage)
            state: CellState = result.status  # type: ignore[assignment]
            row = row.with_cell(result.stage, state)
            # Stages before this one that never reported did not apply (e.g. TLS on http://).
            for earlier in LIVE_STAGES[:index]:
                if row.cell(earlier) in ("pending", "running"):
                    row = row.with_cell(earlier, "skipped")
            if result.status == "fail":
                for later in LIVE_STAGES[index + 1 :]:
                    row = row.with_cell(later, "skipped")
            else:
                for later in LIVE_STAGES[index + 1 :]:
                    if row.cell(later) == "pending":
                        row = row.with_cell(later, "running")
                        break
        elif result.status == "fail":
            # An offline failure (bad certificate, impossible endpoint): live stages won't run.
            for stage in LIVE_STAGES:
                if row.cell(stage) in ("pending", "running"):
                    row = row.with_cell(stage, "skipped")
        self.rows[row.signal] = row
        return row.signal

    def finish(self) -> None:
        """The check is over: whatever still spins never ran."""
        self.running = False
        for name, row in list(self.rows.items()):
            for stage in LIVE_STAGES:
                if row.cell(stage) in ("pending", "running"):
                    row = row.with_cell(stage, "skipped")
            self.rows[name] = row

    def set_received(self, signal: str, text: str | None) -> bool:
        """Record what the demo receiver got for ``signal``; ``True`` if it changed."""
        row = self.rows.get(signal)
        if row is None or row.received == text:
            return False
        self.rows[signal] = replace(row, received=text)
        return True


# --- the pipeline and the results log -------------------------------------------------------


@dataclass(frozen=True)
class LivePipeline:
    """The console's one pipeline: built once from the settings, numbered so every report
    says which pipeline it is about."""

    number: int
    provider: OtelProvider
    environment: str


@dataclass(frozen=True)
class CheckEntry:
    """A check run: running (no report yet), finished, or failed to run."""

    run: int
    report: CheckReport | None = None
    error: str | None = None


@dataclass(frozen=True)
class SendEntry:
    """The test auth-401 send through pipeline ``pipeline`` (emitted, then force-flushed)."""

    pipeline: int
    result: ScenarioResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class PipelineReportEntry:
    """A force-flush or shutdown of pipeline ``pipeline``; ``why`` says who asked."""

    pipeline: int
    kind: Literal["flush", "shutdown"]
    report: FlushReport | ShutdownReport | None = None
    error: str | None = None
    why: str = ""


@dataclass(frozen=True)
class NoteEntry:
    """A line worth keeping in the log: a pipeline was built, could not be built, …"""

    text: str
    error: bool = False


ResultEntry = CheckEntry | SendEntry | PipelineReportEntry | NoteEntry

#: How many results the pane keeps (older ones scroll away for good).
RESULTS_KEPT = 12

PipelineActivity = Literal["building", "sending", "flushing", "shutting down"]


@dataclass
class ConsoleState:
    """Everything the console knows, changed only on the UI thread (workers post messages)."""

    settings: OtelSettings | None = None
    settings_error: SettingsError | None = None
    board: EndpointBoard = field(default_factory=EndpointBoard)
    check_run: int = 0
    pipeline: LivePipeline | None = None
    pipelines_built: int = 0
    #: What the current pipeline (or the one being built) is doing; ``None`` when idle.
    activity: PipelineActivity | None = None
    scenario_steps: list[str] = field(default_factory=list)
    #: Newest first.
    results: list[ResultEntry] = field(default_factory=list)
    demo: Demo | None = None

    def push(self, entry: ResultEntry) -> None:
        """Put ``entry`` on top of the results; a check entry replaces its own run's."""
        if isinstance(entry, CheckEntry):
            self.results = [
                e for e in self.results if not (isinstance(e, CheckEntry) and e.run == entry.run)
            ]
        self.results.insert(0, entry)
        del self.results[RESULTS_KEPT:]

    def next_pipeline_number(self) -> int:
        self.pipelines_built += 1
        return self.pipelines_built

    @property
    def check(self) -> CheckEntry | None:
        return next((e for e in self.results if isinstance(e, CheckEntry)), None)

    @property
    def check_report(self) -> CheckReport | None:
        entry = self.check
        return entry.report if entry is not None else None

    @property
    def test(self) -> SendEntry | None:
        return next((e for e in self.results if isinstance(e, SendEntry)), None)

    @property
    def scenario(self) -> ScenarioResult | None:
        entry = self.test
        return entry.result if entry is not None else None

    def last_report(self, kind: Literal["flush", "shutdown"]) -> PipelineReportEntry | None:
        return next(
            (e for e in self.results if isinstance(e, PipelineReportEntry) and e.kind == kind),
            None,
        )
