"""The scenario file format, version 1: the public, validated input type.

A full example (every key optional except name and duration; defaults shown)::

    version: 1
    name: oncall-exercise
    description: deploy regression, then an upstream pipeline break
    duration: 14d                 # span simulated, from t=0 (midnight, for the daily cycle)
    scrape_interval: 15s          # spacing of generated samples
    evaluation_interval: 1m       # rule evaluation step
    seed: 7                       # same seed, same series, bit for bit
    settle: 2h                    # margin after an incident's end still counted as that incident
    max_false_positives: 0        # optional: more alerts firing outside incidents fail the run
    baseline:
      request_rate: {base: 200, amplitude: 0.3, phase: 8h, noise: 0.03}   # req/s, daily sine
      cache_hit_ratio: 0.92
      latency: {p50: 0.045, p50_amplitude: 0.003, p99: 0.095, p99_amplitude: 0.012, phase: 8h}
      features: {user_history: 0.002, item_embedding: 0.002}            # null rate per feature
      model_score: {mean: 0.42, stddev: 0.12}
      ctr: 0.051
      impressions_per_request: 4
      experiments:
        ranker_v2: {assignment_rate: 20, split: {control: 0.5, treatment: 0.5}}
    incidents:
      - name: deploy
        start: 4d14h              # offset from the scenario start
        changes:
          - {parameter: cache_hit_ratio, delta: -0.25, shape: exp_decay, tau: 12h, duration: 30h}
        expect: {FeatureCacheHitRatioLow: 10m}   # alert name: detection budget
        silent: [RankerNoTraffic]                # must not fire during the incident
      - name: ctr-sag
        after: deploy             # starts `lag` after another incident
        lag: 6h
        changes: [{parameter: ctr, delta: -0.004}]
    faults:
      - {kind: counter_reset, at: 2d, metrics: [ranker_requests_total]}
      - {kind: scrape_gap, at: 3d, duration: 10m}
      - {kind: stale_marker, at: 5d, metrics: [ranker_clicks_total]}

Unknown keys are errors (typos must not be ignored). The mapping to the internal model
(simulator.scenarios.model) is one explicit step in simulator.scenarios.loader.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .durations import parse_duration


def _duration_ms(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: write it with a unit, such as 15s, 1m, 4d14h")
    return parse_duration(value)


# A Prometheus duration string, validated into integer milliseconds.
Duration = Annotated[int, BeforeValidator(_duration_ms)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequestRateSpec(_Strict):
    """Requests per second: base * (1 + amplitude * cos(2π (t - phase) / 1d)), times noise.

    The daily peak is at `phase` after midnight (t=0 is midnight).
    """

    base: float = Field(200.0, ge=0)
    amplitude: float = Field(0.3, ge=0, le=1)
    phase: Duration = 14 * 3600 * 1000
    noise: float = Field(0.03, ge=0, le=1)  # relative sd of the per-scrape rate


class LatencySpec(_Strict):
    """Request latency (seconds): a log-normal whose median and 99th percentile follow these targets."""

    p50: float = Field(0.045, gt=0)
    p50_amplitude: float = Field(0.003, ge=0)
    p99: float = Field(0.095, gt=0)
    p99_amplitude: float = Field(0.012, ge=0)
    phase: Duration = 14 * 3600 * 1000

    @model_validator(mode="after")
    def _p99_above_p50(self) -> LatencySpec:
        if self.p50 - self.p50_amplitude <= 0:
            raise ValueError("p50 must stay positive across the daily cycle (p50 - p50_amplitude > 0)")
        if self.p99 - self.p99_amplitude <= self.p50 + self.p50_amplitude:
            raise ValueError(
                "p99 must stay above p50 across the daily cycle (p99 - p99_amplitude > p50 + p50_amplitude)"
            )
        return self


class ModelScoreSpec(_Strict):
    """The ranker's model score per request: mean and standard deviation."""

    mean: float = 0.42
    stddev: float = Field(0.12, ge=0)


class ExperimentSpec(_Strict):
    """An A/B experiment: assignments per second and the intended split between variants."""

    assignment_rate: float = Field(20.0, ge=0)
    split: dict[str, float] = Field(default_factory=lambda: {"control": 0.5, "treatment": 0.5})

    @model_validator(mode="after")
    def _valid_split(self) -> ExperimentSpec:
        if len(self.split) < 2:
            raise ValueError("split needs at least two variants")
        if any(w < 0 for w in self.split.values()) or sum(self.split.values()) <= 0:
            raise ValueError("split weights must be non-negative with a positive sum")
        return self


def _default_features() -> dict[str, float]:
    return {
        "user_history": 0.002,
        "item_embedding": 0.002,
        "item_price": 0.002,
        "user_geo": 0.002,
        "session_context": 0.002,
    }


def _default_experiments() -> dict[str, ExperimentSpec]:
    return {"ranker_v2": ExperimentSpec()}


class BaselineSpec(_Strict):
    """The reference service's normal behaviour, from which every catalog series is generated."""

    request_rate: RequestRateSpec = RequestRateSpec()
    cache_hit_ratio: float = Field(0.92, ge=0, le=1)
    latency: LatencySpec = LatencySpec()
    features: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=_default_features)
    model_score: ModelScoreSpec = ModelScoreSpec()
    ctr: float = Field(0.051, ge=0, le=1)
    impressions_per_request: float = Field(4.0, ge=0)
    experiments: dict[str, ExperimentSpec] = Field(default_factory=_default_experiments)


Shape = Literal["step", "ramp", "exp_decay", "spike"]


class ChangeSpec(_Strict):
    """One baseline parameter changed over time with a shape.

    The shape gives a profile p(t) in [0, 1] from the incident's start; the parameter becomes
    value + delta * p(t), or value * (1 + (factor - 1) * p(t)).
    step: p = 1 for `duration` (default: to the end); ramp: p rises linearly to 1 over `rise`, then
    holds for the rest of `duration`; exp_decay: p = exp(-t / tau) for `duration`; spike: p = 1 for
    `duration` (default 5m).
    """

    parameter: str
    delta: float | None = None
    factor: float | None = Field(None, ge=0)
    shape: Shape = "step"
    duration: Duration | None = None
    tau: Duration | None = None
    rise: Duration | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ChangeSpec:
        if (self.delta is None) == (self.factor is None):
            raise ValueError("give exactly one of delta (added) or factor (multiplied)")
        if self.shape == "exp_decay" and (self.tau is None or self.duration is None):
            raise ValueError("exp_decay needs tau and duration")
        if self.shape != "exp_decay" and self.tau is not None:
            raise ValueError("tau applies only to shape exp_decay")
        if self.shape == "ramp" and self.rise is None:
            raise ValueError("ramp needs rise (the time to reach the full change)")
        if self.shape != "ramp" and self.rise is not None:
            raise ValueError("rise applies only to shape ramp")
        for name in ("duration", "tau", "rise"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive")
        return self


class IncidentSpec(_Strict):
    """A named incident: when it starts, what it changes, which alerts must (and must not) fire."""

    name: str = Field(min_length=1)
    start: Duration | None = None
    after: str | None = None
    lag: Duration | None = None
    settle: Duration | None = None
    changes: list[ChangeSpec] = Field(min_length=1)
    expect: dict[str, Duration] = Field(default_factory=dict)
    silent: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_start(self) -> IncidentSpec:
        if (self.start is None) == (self.after is None):
            raise ValueError("give exactly one of start (offset from the scenario start) or after (another incident)")
        if self.lag is not None and self.after is None:
            raise ValueError("lag applies only with after")
        return self


FaultKind = Literal["counter_reset", "scrape_gap", "stale_marker"]


class FaultSpec(_Strict):
    """A data fault to test robustness.

    counter_reset: counters restart from 0 at `at` (a process restart);
    scrape_gap: no samples for `duration` from `at`, a stale marker at the first missed scrape
    (as Prometheus writes when a target disappears) unless stale_marker is false;
    stale_marker: one stale marker at `at` instead of the sample.
    `metrics` limits the fault to those metric names (default: every generated series).
    """

    kind: FaultKind
    at: Duration
    duration: Duration | None = None
    metrics: list[str] | None = None
    stale_marker: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> FaultSpec:
        if self.kind == "scrape_gap" and (self.duration is None or self.duration <= 0):
            raise ValueError("scrape_gap needs a positive duration")
        if self.kind != "scrape_gap" and self.duration is not None:
            raise ValueError("duration applies only to scrape_gap")
        return self


class ScenarioSpec(_Strict):
    """A scenario file, version 1."""

    version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    duration: Duration
    scrape_interval: Duration = 15 * 1000
    evaluation_interval: Duration = 60 * 1000
    seed: int = 0
    settle: Duration = 2 * 3600 * 1000
    max_false_positives: int | None = Field(None, ge=0)
    baseline: BaselineSpec = BaselineSpec()
    incidents: list[IncidentSpec] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list)
