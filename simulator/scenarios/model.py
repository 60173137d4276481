"""The internal scenario model: times resolved to milliseconds, lagged incidents placed, lines kept.

Built from the validated file format (schema.ScenarioSpec) by loader.build_scenario; the
generators and the simulation read only these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .schema import BaselineSpec, SeriesSpec


@dataclass(frozen=True)
class Change:
    """One parameter changed with a shape from its incident's start (see schema.ChangeSpec)."""

    parameter: str
    shape: str
    delta: float | None
    factor: float | None
    duration_ms: int | None  # None: until the scenario ends
    tau_ms: int | None
    rise_ms: int | None
    series: str | None = None  # a declared metric name; None: a ranker preset parameter
    match: tuple[tuple[str, str], ...] = ()  # label equalities selecting children of `series`

    def end_offset_ms(self, remaining_ms: int) -> int:
        """How long after the incident's start this change lasts (capped at the scenario end)."""
        if self.duration_ms is None:
            return remaining_ms
        return min(self.duration_ms, remaining_ms)


@dataclass(frozen=True)
class Expectation:
    """An alert that must fire within `budget_ms` of its incident's start."""

    alertname: str
    budget_ms: int
    line: int | None


@dataclass(frozen=True)
class Incident:
    """A placed incident. Its window, for judging alerts, is [start_ms, end_ms + settle_ms]."""

    name: str
    start_ms: int
    end_ms: int
    settle_ms: int
    changes: tuple[Change, ...]
    expect: tuple[Expectation, ...]
    silent: tuple[tuple[str, int | None], ...]  # (alertname, line)
    line: int | None

    @property
    def window_end_ms(self) -> int:
        return self.end_ms + self.settle_ms


@dataclass(frozen=True)
class Fault:
    """A data fault applied to generated series (see schema.FaultSpec)."""

    kind: str
    at_ms: int
    duration_ms: int | None
    metrics: tuple[str, ...] | None  # None: every series
    stale_marker: bool
    match: tuple[tuple[str, str], ...] = ()  # label equalities a series must have
    delay_ms: int | None = None  # late_scrape only


@dataclass(frozen=True)
class Event:
    """A change made to the system (see schema.EventSpec): a candidate cause of incidents."""

    type: str  # "deploy", "config_change", "feature_flag" or "schema_change"
    at_ms: int
    description: str = ""
    version: str | None = None
    flag: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    line: int | None = None

    @property
    def title(self) -> str:
        """A short name: `deploy v2.3.1`, `feature_flag new_embeddings`, else the type and description."""
        detail = self.version or self.flag or self.description
        return f"{self.type} {detail}" if detail else self.type


@dataclass
class Scenario:
    """A scenario ready to generate and simulate."""

    name: str
    description: str
    source: str  # the file it came from ("<memory>" when built in code)
    duration_ms: int
    scrape_interval_ms: int
    evaluation_interval_ms: int
    seed: int
    baseline: BaselineSpec | None  # the ranker preset's parameters; None: no preset
    incidents: list[Incident] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    max_false_positives: int | None = None  # None: false positives are reported, not judged
    series: tuple[SeriesSpec, ...] = ()  # declared (generic) series, generated next to the preset
    events: tuple[Event, ...] = ()  # changes made to the system, in time order (candidate causes)
