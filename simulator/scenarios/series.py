"""Generic declared series: counters, gauges, classic histograms and timestamp gauges.

A declaration (schema.SeriesSpec) fans out into one child per combination of its weighted label
values; each child has its own parameter curves (seasonality, noise, then incidents) and its own
random streams, so an incident on `code="500"` changes only that child, and adding a series never
changes another's samples. Counting reuses the ranker preset's primitives (Poisson increments,
the running total, the classic histogram draw), so both follow the same sampling rules.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from simulator.promql.model import METRIC_NAME, Labels, labels_from_dict

from .generators import _cumulative, _format_le, _poisson, _Streams, classic_histogram
from .incidents import shape_profile
from .model import Scenario
from .schema import MAX_RATE_PER_SECOND, CurveSpec, SeriesSpec

DAY_S = 86400.0
WEEK_S = 7 * DAY_S

# Parameter -> (lower, upper) bound after incidents; latency quantiles stay positive for the log-normal.
PARAMETER_BOUNDS = {
    "rate": (0.0, MAX_RATE_PER_SECOND),
    "value": (-np.inf, np.inf),
    "p50": (1e-6, np.inf),
    "p99": (1e-6, np.inf),
    "success": (0.0, 1.0),
}

# A timestamp job counts as succeeding while its `success` curve is above this.
SUCCESS_THRESHOLD = 0.5


@dataclass(frozen=True)
class Child:
    """One labelled series of a declaration, with its share of the declared rate or value."""

    spec: SeriesSpec
    labels: tuple[tuple[str, str], ...]  # declared labels only (no __name__, no le)
    weight: float

    def matches(self, match) -> bool:
        own = dict(self.labels)
        return all(own.get(name) == value for name, value in match)


def children(spec: SeriesSpec) -> list[Child]:
    """The fan-out: the product of every weighted label's values, weights multiplied."""
    axes = []
    for name, value in sorted(spec.labels.items()):
        options = {value: 1.0} if isinstance(value, str) else value
        axes.append([(name, v, w) for v, w in options.items()])
    out = []
    for combination in itertools.product(*axes):
        weight = float(np.prod([w for _, _, w in combination])) if combination else 1.0
        out.append(Child(spec, tuple((n, v) for n, v, _ in combination), weight))
    return out


def counter_metric_names(spec: SeriesSpec) -> tuple[str, ...]:
    """The metric names a declaration produces that are counters (what counter_reset touches)."""
    if spec.kind == "counter":
        return (spec.name,)
    if spec.kind == "histogram":
        return (f"{spec.name}_bucket", f"{spec.name}_sum", f"{spec.name}_count")
    return ()


def metric_names(spec: SeriesSpec) -> tuple[str, ...]:
    if spec.kind == "histogram":
        return counter_metric_names(spec)
    return (spec.name,)


def series_count(spec: SeriesSpec) -> int:
    """How many series a declaration generates (for the size estimate made before generating)."""
    per_child = len(spec.buckets or ()) + 3 if spec.kind == "histogram" else 1
    fan_out = int(np.prod([1 if isinstance(v, str) else len(v) for v in spec.labels.values()]))
    return per_child * fan_out


def curve_values(curve: CurveSpec, t_s: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """base * (1 + daily cycle + weekly cycle) * (1 + noise * N(0, 1)) at each time."""
    cycle: float | np.ndarray = 1.0
    if curve.daily:
        cycle = cycle + curve.daily * np.cos(2 * np.pi * (t_s - curve.phase / 1000.0) / DAY_S)
    if curve.weekly:
        cycle = cycle + curve.weekly * np.cos(2 * np.pi * (t_s - curve.weekly_phase / 1000.0) / WEEK_S)
    values = curve.base * (np.ones_like(t_s) * cycle)
    if curve.noise and rng is not None:
        values = values * (1.0 + curve.noise * rng.standard_normal(t_s.shape))
    return values


def _parameter(child: Child, name: str, scenario: Scenario, t_s: np.ndarray, streams: _Streams) -> np.ndarray:
    """One parameter of one child: its curve, scaled by the child's weight, with incidents applied."""
    curve = getattr(child.spec, name)
    key = _key(child)
    if curve is None:  # only `success` of a timestamp is optional: the job succeeds throughout
        values = np.ones_like(t_s)
    else:
        values = curve_values(curve, t_s, streams(f"{key}/{name}/noise"))
        if name in ("rate", "value"):
            values = values * child.weight
    changed = False
    # Gauges are sampled at the scenario's last instant too: a change "until the end" includes it.
    end_s = scenario.duration_ms / 1000.0 + 1.0
    for incident in scenario.incidents:
        start_s = incident.start_ms / 1000.0
        for change in incident.changes:
            if change.series != child.spec.name or change.parameter != name or not child.matches(change.match):
                continue
            profile = shape_profile(change, t_s - start_s, end_s - start_s)
            if change.delta is not None:
                values = values + change.delta * profile
            elif change.factor is not None:
                values = values * (1.0 + (change.factor - 1.0) * profile)
            changed = True
    if changed or (curve is not None and curve.noise):
        values = np.clip(values, *PARAMETER_BOUNDS[name])
    return values


def _key(child: Child) -> str:
    return child.spec.name + "{" + ",".join(f"{n}={v}" for n, v in child.labels) + "}"


def _labels(name: str, child: Child, **extra: str) -> Labels:
    return labels_from_dict({METRIC_NAME: name, **dict(child.labels), **extra})


def generate_declared(scenario: Scenario, t_ms: np.ndarray, streams: _Streams) -> dict[Labels, np.ndarray]:
    """Samples of every declared series on the scrape grid t_ms, keyed by labels."""
    interval_s = scenario.scrape_interval_ms / 1000.0
    # As in the ranker preset: increments of (t[k-1], t[k]] follow the parameters at t[k-1].
    since_s = t_ms[:-1] / 1000.0
    at_s = t_ms / 1000.0
    out: dict[Labels, np.ndarray] = {}
    for spec in scenario.series:
        for child in children(spec):
            key = _key(child)
            if spec.kind == "counter":
                rate = _parameter(child, "rate", scenario, since_s, streams)
                out[_labels(spec.name, child)] = _cumulative(_poisson(streams(f"{key}/count"), rate * interval_s))
            elif spec.kind == "gauge":
                out[_labels(spec.name, child)] = _parameter(child, "value", scenario, at_s, streams)
            elif spec.kind == "histogram":
                out.update(_histogram(child, scenario, since_s, interval_s, streams))
            else:
                out[_labels(spec.name, child)] = _last_success(child, scenario, at_s, streams)
    return out


def _histogram(child: Child, scenario: Scenario, since_s, interval_s: float, streams: _Streams):
    spec, key = child.spec, _key(child)
    rate = _parameter(child, "rate", scenario, since_s, streams)
    p50 = _parameter(child, "p50", scenario, since_s, streams)
    # A log-normal needs p99 above p50; an incident that crosses them keeps p99 just above.
    p99 = np.maximum(_parameter(child, "p99", scenario, since_s, streams), p50 * 1.001)
    observations = _poisson(streams(f"{key}/count"), rate * interval_s)
    bounds = list(spec.buckets or ())  # validated present for a histogram
    per_le, mu, sigma = classic_histogram(streams(f"{key}/buckets"), observations, p50, p99, bounds)
    out = {}
    for index, bound in enumerate([*bounds, float("inf")]):
        le = "+Inf" if bound == float("inf") else _format_le(bound)
        out[_labels(f"{spec.name}_bucket", child, le=le)] = _cumulative(per_le[:, index])
    mean = np.exp(mu + sigma**2 / 2)
    stddev = mean * np.sqrt(np.expm1(sigma**2))
    noise = streams(f"{key}/sum").standard_normal(len(observations))
    out[_labels(f"{spec.name}_sum", child)] = _cumulative(
        np.clip(observations * mean + np.sqrt(observations) * stddev * noise, 0.0, None)
    )
    out[_labels(f"{spec.name}_count", child)] = _cumulative(observations)
    return out


def _last_success(child: Child, scenario: Scenario, at_s: np.ndarray, streams: _Streams) -> np.ndarray:
    """The Unix time (seconds; the scenario starts at 0) of the last scheduled run that succeeded.

    Runs are at 0, every, 2*every, ...; a run succeeds while `success` > SUCCESS_THRESHOLD. Before the
    first success the gauge is 0, as client libraries export an unset timestamp."""
    every_s = (child.spec.every or 0) / 1000.0  # validated positive for a timestamp
    runs_s = np.arange(0.0, at_s[-1] + every_s / 2, every_s)
    ok = runs_s[_parameter(child, "success", scenario, runs_s, streams) > SUCCESS_THRESHOLD]
    if not len(ok):
        return np.zeros_like(at_s)
    index = np.searchsorted(ok, at_s, side="right") - 1
    return np.where(index >= 0, ok[np.maximum(index, 0)], 0.0)
