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
    events:                       # changes made to the system, for `alertkit incidents` to rank as causes
      - {type: deploy, at: 4d14h, version: v2.3.1, labels: {service: ranker}}
      - {type: feature_flag, at: 6d, flag: new_embeddings, description: enabled for 10 %}

Declared series of any service (counter, gauge, histogram, timestamp; see SeriesSpec and
docs/scenarios.md) go under `series:`; `baseline:` is then `ranker`, a mapping as above, or `none`.

Unknown keys are errors (typos must not be ignored). The mapping to the internal model
(simulator.scenarios.model) is one explicit step in simulator.scenarios.loader.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from common.durations import DURATION_OUT_OF_RANGE, DurationError, parse_duration


def _duration_ms(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: write it with a unit, such as 15s, 1m, 4d14h")
    try:
        return parse_duration(value)
    except DurationError as error:  # Prometheus's wording, then (for a misspelling) what a duration looks like
        hint = (
            "" if str(error) == DURATION_OUT_OF_RANGE else "; write a Prometheus duration such as 15s, 1m, 4d14h or 2w"
        )
        raise ValueError(f"{error}{hint}") from None


# A Prometheus duration string, validated into integer milliseconds.
Duration = Annotated[int, BeforeValidator(_duration_ms)]


# Highest events per second a generated counter may have: above it the running totals of a long
# scenario leave the range where float64 counts whole numbers exactly (2^53).
MAX_RATE_PER_SECOND = 1e9

# Largest seed: numpy's SeedSequence takes non-negative integers; 2^63 - 1 keeps it an int64.
MAX_SEED = 2**63 - 1


class _Strict(BaseModel):
    # NaN and infinities are refused in every number: a NaN baseline mean would compare false with
    # every threshold and silently keep every alert quiet.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RequestRateSpec(_Strict):
    """Requests per second: base * (1 + amplitude * cos(2π (t - phase) / 1d)), times noise.

    The daily peak is at `phase` after midnight (t=0 is midnight).
    """

    base: float = Field(200.0, ge=0, le=MAX_RATE_PER_SECOND)
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
    return {"ranker_v2": ExperimentSpec.model_validate({})}


class BaselineSpec(_Strict):
    """The reference service's normal behaviour, from which every catalog series is generated."""

    request_rate: RequestRateSpec = RequestRateSpec.model_validate({})
    cache_hit_ratio: float = Field(0.92, ge=0, le=1)
    latency: LatencySpec = LatencySpec.model_validate({})
    features: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=_default_features)
    model_score: ModelScoreSpec = ModelScoreSpec.model_validate({})
    ctr: float = Field(0.051, ge=0, le=1)
    impressions_per_request: float = Field(4.0, ge=0)
    experiments: dict[str, ExperimentSpec] = Field(default_factory=_default_experiments)


Shape = Literal["step", "ramp", "exp_decay", "spike"]


class CurveSpec(_Strict):
    """A value over time: base * (1 + daily * cos(2π (t - phase) / 1d) + weekly * cos(2π (t - weekly_phase) / 1w)),
    times (1 + noise * N(0, 1)) per scrape. t=0 is midnight; the daily peak is `phase` after midnight, the weekly peak `weekly_phase` after t=0."""

    base: float = 0.0
    daily: float = Field(0.0, ge=0, le=1)
    phase: Duration = 14 * 3600 * 1000
    weekly: float = Field(0.0, ge=0, le=1)
    weekly_phase: Duration = 2 * 86400 * 1000 + 14 * 3600 * 1000
    noise: float = Field(0.0, ge=0, le=1)


def _curve(value: object) -> object:
    # A bare number is a constant curve; like pydantic's floats, a numeric string counts as a number
    # (YAML 1.1 reads `1e18`, without a dot, as text).
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"base": value}
    if isinstance(value, str):
        try:
            return {"base": float(value)}
        except ValueError:
            raise ValueError(
                f"{value!r} is neither a number nor a curve (a mapping of {', '.join(CurveSpec.model_fields)})"
            ) from None
    return value


Curve = Annotated[CurveSpec, BeforeValidator(_curve)]

# model/labels/labels.go: a label name is [a-zA-Z_][a-zA-Z0-9_]*; __-prefixed names are reserved.
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

SeriesKind = Literal["counter", "gauge", "histogram", "timestamp"]

# The parameters an incident may change, per kind of series.
KIND_PARAMETERS: dict[str, tuple[str, ...]] = {
    "counter": ("rate",),
    "gauge": ("value",),
    "histogram": ("rate", "p50", "p99"),
    "timestamp": ("success",),
}

# Label value -> weight: the series is split into one child per value, sharing the rate by weight.
FanOut = dict[str, Annotated[float, Field(ge=0)]]


class SeriesSpec(_Strict):
    """One declared metric, possibly fanned out over label values (see docs/scenarios.md).

    counter: `rate` events per second; gauge: `value`; histogram: `rate` observations per second whose
    log-normal distribution has median `p50` and 99th percentile `p99` (seconds), counted into
    `buckets` (+Inf added); timestamp: the Unix time of the last success, advancing every `every`
    while `success` is above 0.5 (an incident taking it to 0 stops the job).
    """

    name: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")  # pydantic-core (Rust) `$` is the end of text
    kind: SeriesKind
    help: str = ""
    labels: dict[str, str | FanOut] = Field(default_factory=dict)
    rate: Curve | None = None
    value: Curve | None = None
    p50: Curve | None = None
    p99: Curve | None = None
    buckets: list[Annotated[float, Field(gt=0)]] | None = None
    every: Duration | None = None
    success: Curve | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> SeriesSpec:
        needed = {
            "counter": ("rate",),
            "gauge": ("value",),
            "histogram": ("rate", "p50", "p99", "buckets"),
            "timestamp": ("every",),
        }[self.kind]
        allowed = set(needed) | ({"success"} if self.kind == "timestamp" else set())
        missing = [key for key in needed if getattr(self, key) is None]
        if missing:
            raise ValueError(f"a {self.kind} needs {', '.join(missing)}")
        extra = [
            key
            for key in ("rate", "value", "p50", "p99", "buckets", "every", "success")
            if getattr(self, key) is not None and key not in allowed
        ]
        if extra:
            raise ValueError(
                f"{', '.join(extra)} do not apply to a {self.kind} (it takes {', '.join(sorted(allowed))})"
            )
        if self.rate is not None and not 0 <= self.rate.base <= MAX_RATE_PER_SECOND:
            raise ValueError(f"rate base must be within [0, {MAX_RATE_PER_SECOND:g}] per second")
        if self.buckets is not None and (not self.buckets or self.buckets != sorted(set(self.buckets))):
            raise ValueError("buckets must be a non-empty list of increasing upper bounds")
        if self.p50 is not None and self.p99 is not None and not 0 < self.p50.base < self.p99.base:
            raise ValueError("p50 and p99 must satisfy 0 < p50 < p99")
        if self.every is not None and self.every <= 0:
            raise ValueError("every must be positive")
        for name in self.labels:
            if not LABEL_NAME.fullmatch(name):
                raise ValueError(f"invalid label name {name!r} (Prometheus label names match [a-zA-Z_][a-zA-Z0-9_]*)")
        for name in ("__name__", "le"):
            if name in self.labels:
                raise ValueError(f"label {name!r} is generated, not declared")
        return self


class ChangeSpec(_Strict):
    """One baseline parameter changed over time with a shape.

    The shape gives a profile p(t) in [0, 1] from the incident's start; the parameter becomes
    value + delta * p(t), or value * (1 + (factor - 1) * p(t)).
    step: p = 1 for `duration` (default: to the end); ramp: p rises linearly to 1 over `rise`, then
    holds for the rest of `duration`; exp_decay: p = exp(-t / tau) for `duration`; spike: p = 1 for
    `duration` (default 5m).
    """

    parameter: str
    series: str | None = None  # a declared series' metric name; absent: a ranker preset parameter
    match: dict[str, str] = Field(default_factory=dict)  # label equalities selecting children of `series`
    delta: float | None = None
    factor: float | None = Field(None, ge=0)
    shape: Shape = "step"
    duration: Duration | None = None
    tau: Duration | None = None
    rise: Duration | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ChangeSpec:
        if self.match and self.series is None:
            raise ValueError("match applies only with series")
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


FaultKind = Literal["counter_reset", "scrape_gap", "stale_marker", "target_down", "late_scrape"]


class FaultSpec(_Strict):
    """A data fault to test robustness.

    counter_reset: counters restart from 0 at `at` (a process restart);
    scrape_gap: no samples for `duration` from `at`, a stale marker at the first missed scrape
    (as Prometheus writes when a target disappears) unless stale_marker is false;
    stale_marker: one stale marker at `at` instead of the sample;
    target_down: the target stops answering at `at` for `duration` (default: to the end): its
    series disappear behind one stale marker;
    late_scrape: scrapes in [at, at + duration) happen `delay` late (timestamps shifted).
    `metrics` limits the fault to those metric names and `match` to series with those labels
    (default: every generated series). counter_reset touches counters only.
    """

    kind: FaultKind
    at: Duration
    duration: Duration | None = None
    delay: Duration | None = None
    metrics: list[str] | None = None
    match: dict[str, str] = Field(default_factory=dict)
    stale_marker: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> FaultSpec:
        if self.kind in ("scrape_gap", "late_scrape") and (self.duration is None or self.duration <= 0):
            raise ValueError(f"{self.kind} needs a positive duration")
        if self.kind in ("counter_reset", "stale_marker") and self.duration is not None:
            raise ValueError("duration applies only to scrape_gap, target_down and late_scrape")
        if self.duration is not None and self.duration <= 0:
            raise ValueError("duration must be positive")
        if (self.kind == "late_scrape") != (self.delay is not None):
            raise ValueError("delay applies to late_scrape, and late_scrape needs it")
        if self.delay is not None and self.delay <= 0:
            raise ValueError("delay must be positive")
        return self


EventType = Literal["deploy", "config_change", "feature_flag", "schema_change"]


class EventSpec(_Strict):
    """A change made to the system at `at` (a deploy, a configuration change, a feature-flag flip, a schema
    change): the candidates `alertkit incidents` ranks as an incident's probable cause. It changes no series.

    `labels` scopes it (e.g. service: ranker): an alert whose labels disagree with them does not support it.
    """

    type: EventType
    at: Duration
    description: str = ""
    version: str | None = None  # the release, configuration or schema version it introduced
    flag: str | None = None  # feature_flag only: the flag flipped
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> EventSpec:
        if (self.type == "feature_flag") != (self.flag is not None):
            raise ValueError("flag applies to feature_flag events, and a feature_flag event needs it")
        for name in self.labels:
            if not LABEL_NAME.fullmatch(name):
                raise ValueError(f"invalid label name {name!r} (Prometheus label names match [a-zA-Z_][a-zA-Z0-9_]*)")
        return self


PRESETS = ("ranker", "none")


def _preset(value: object) -> object:
    if isinstance(value, str):
        if value not in PRESETS:
            raise ValueError(
                f"unknown preset {value!r}; known: {', '.join(PRESETS)} (or a mapping of ranker parameters)"
            )
        return {} if value == "ranker" else None
    if value is None:
        raise ValueError("write `baseline: none` for no preset")
    return value


class ScenarioSpec(_Strict):
    """A scenario file, version 1."""

    version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    duration: Duration
    scrape_interval: Duration = 15 * 1000
    evaluation_interval: Duration = 60 * 1000
    seed: int = Field(0, ge=0, le=MAX_SEED)
    settle: Duration = 2 * 3600 * 1000
    max_false_positives: int | None = Field(None, ge=0)
    # The ranker preset: `ranker` (its defaults) or a mapping overriding them; `none`: no preset.
    # Absent: the ranker preset, unless the file declares `series:` (then none); see loader.
    baseline: Annotated[BaselineSpec | None, BeforeValidator(_preset)] = None
    series: list[SeriesSpec] = Field(default_factory=list)
    incidents: list[IncidentSpec] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list)
    events: list[EventSpec] = Field(default_factory=list)
