"""Statistics shared by the benchmarks that compare ours against a baseline, round by round.

Each round measures both sides once (close together, so load hits them alike) and yields one
ratio ours / baseline. Over the rounds: the median of those ratios with a 95 % percentile
bootstrap interval (resampling whole rounds, seeded, so a run's output is repeatable). The
verdict against a target comes from the interval, not from the median alone: "ok" when its
upper end is <= the target, "over" when its lower end is above it, "inconclusive" when it
straddles the target (this run cannot tell). CPU time is the primary figure, wall time a
secondary column; the two scripts differ only in what a sample is (a cold process, or a
block of calls in one process).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: Bootstrap resamples for the interval of a median.
RESAMPLES = 4000


@dataclass(frozen=True)
class Sample:
    """One side of one round, in seconds (or seconds per call)."""

    cpu: float
    wall: float


@dataclass(frozen=True)
class Figure:
    """Median of per-round ratios and its 95 % interval."""

    median: float
    low: float
    high: float

    def markdown(self) -> str:
        return f"{self.median:.3f}x [{self.low:.3f}, {self.high:.3f}]"


def median_interval(values: Sequence[float], rng: random.Random) -> Figure:
    """The median and its 95 % percentile-bootstrap interval."""
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(RESAMPLES)
    )
    return Figure(
        statistics.median(values),
        medians[int(0.025 * RESAMPLES)],
        medians[int(0.975 * RESAMPLES) - 1],
    )


def verdict(figure: Figure, target: float | None) -> str:
    if target is None:
        return "— (informational)"
    if figure.high <= target:
        return "ok"
    if figure.low > target:
        return "over"
    return "inconclusive"


def table_header(first: str, unit: str) -> str:
    """The header of the table whose rows :func:`table_row` writes (``bench_all`` parses it)."""
    return (
        f"| {first} | CPU {unit}, ours / baseline | CPU ratio [95 % CI] | wall {unit}, ours / "
        "baseline | wall ratio [95 % CI] | target | verdict |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
    )


def table_row(
    name: str,
    ours: Sequence[Sample],
    baseline: Sequence[Sample],
    target: float | None,
    rng: random.Random,
    scale: float,
    digits: int,
) -> str:
    """One comparison over paired rounds; ``scale`` and ``digits`` format the median columns.

    The verdict is on CPU time.
    """
    cells = [name]
    figures: list[Figure] = []
    for field in ("cpu", "wall"):
        mine = [getattr(s, field) for s in ours]
        base = [getattr(s, field) for s in baseline]
        figures.append(median_interval([o / b for o, b in zip(mine, base, strict=True)], rng))
        medians = (statistics.median(mine) * scale, statistics.median(base) * scale)
        cells += [f"{medians[0]:.{digits}f} / {medians[1]:.{digits}f}", figures[-1].markdown()]
    cells += ["—" if target is None else f"≤ {target}x", verdict(figures[0], target)]
    return "| " + " | ".join(cells) + " |"
