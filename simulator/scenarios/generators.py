"""Generate the reference service's series for a scenario, Prometheus-native and deterministic.

Counters are cumulative sums of Poisson (or binomial-split) increments, drawn exactly for small
expected counts and with the normal approximation for large ones; the latency histogram is
a classic histogram whose per-interval bucket counts are multinomial draws from a log-normal fitted
to the p50/p99 targets, cumulative over `le` and over time (so buckets are consistent: le-monotone,
time-monotone, and the +Inf bucket equals _count). Everything is vectorized over the scrape grid.

Determinism: each random stream is seeded from (scenario seed, stream name), so adding a series or
a feature never changes the values of the others.
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from simulator.promql.model import METRIC_NAME, STALE_NAN, Labels, Series, labels_from_dict, labels_get
from simulator.promql.storage import Storage

from .catalog import LATENCY_BUCKETS, METRICS, SERVICE_LABEL
from .incidents import parameter_curves
from .model import Fault, Scenario
from .schema import BaselineSpec

# Counts whose expected value (of the rarer outcome) is at least this many use the normal
# approximation to the binomial/Poisson (the textbook np >= 10 rule); rarer counts are drawn
# exactly. Exact draws cost ~200 ns each, which dominates a 90-day, 1,000-series run.
NORMAL_APPROXIMATION_MIN_MEAN = 10.0

# Integers up to 2^53 are exact in float64, so integer and float running sums agree below it.
_EXACT_INTEGER_LIMIT = 2**53

# Independent series are generated on this many threads: numpy's random draws and array passes
# release the GIL, and every series has its own named random stream, so the values do not depend
# on which thread draws them or in which order.
GENERATION_THREADS = min(4, os.cpu_count() or 1)

# z such that Φ(z) = 0.99: the log-normal's sigma is (ln p99 - ln p50) / Z_99.
Z_99 = 2.3263478740408408


@dataclass
class GeneratedSeries:
    """One generated series: its labels and raw samples (stale markers included)."""

    labels: Labels
    t_ms: np.ndarray  # int64
    values: np.ndarray  # float64


def scrape_times_ms(scenario: Scenario) -> np.ndarray:
    """Scrape timestamps 0, s, 2s, ... up to and including the scenario's duration."""
    return np.arange(0, scenario.duration_ms + 1, scenario.scrape_interval_ms, dtype=np.int64)


def generate_series(scenario: Scenario) -> list[GeneratedSeries]:
    """Every preset and declared series for the scenario, faults applied, in storage (label-sorted) order."""
    from .series import counter_metric_names, generate_declared  # series.py builds on this module's primitives

    t_ms = scrape_times_ms(scenario)
    interval_s = scenario.scrape_interval_ms / 1000.0
    streams = _Streams(scenario.seed)
    samples: dict[Labels, np.ndarray] = {}
    counters: set[str] = set()
    baseline = scenario.baseline
    if baseline is not None:
        # Increments of interval (t[k-1], t[k]] follow the parameters at t[k-1], so a change that
        # starts exactly on a scrape shows from the next sample on.
        curves = parameter_curves(scenario, t_ms[:-1] / 1000.0)
        samples.update(_counters(baseline, curves, interval_s, streams))
        counters.update(METRICS)
    samples.update(generate_declared(scenario, t_ms, streams))
    for spec in scenario.series:
        counters.update(counter_metric_names(spec))
    # Every series shares the one timestamp array, and series with equal counts (lookups of every
    # feature, requests and _count) share one value array: generated arrays are never mutated.
    series = [GeneratedSeries(labels, t_ms, values) for labels, values in samples.items()]
    for fault in scenario.faults:
        series = [_apply_fault(fault, s, counters) for s in series]
    return sorted(series, key=lambda s: s.labels)


def populate_storage(series: list[GeneratedSeries], storage: Storage | None = None) -> Storage:
    """Write generated series into a Storage (a new one unless given), sharing their arrays."""
    storage = storage if storage is not None else Storage()
    for s in series:
        storage.add_series(Series(s.labels, s.t_ms, s.values))
    return storage


def map_in_threads(fn: Callable, items: Iterable) -> list:
    """[fn(item) for item in items], on GENERATION_THREADS threads (results in items' order)."""
    items = list(items)
    if GENERATION_THREADS < 2 or len(items) < 2:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(GENERATION_THREADS) as pool:
        return list(pool.map(fn, items))


class _Streams:
    """Independent random generators keyed by name, all derived from one seed."""

    def __init__(self, seed: int) -> None:
        self._seed = seed

    def __call__(self, name: str) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self._seed, zlib.crc32(name.encode())]))


def _service_labels(name: str, **labels: str) -> Labels:
    return labels_from_dict({METRIC_NAME: name, SERVICE_LABEL[0]: SERVICE_LABEL[1], **labels})


def _counters(baseline: BaselineSpec, curves: dict, interval_s: float, streams: _Streams) -> dict[Labels, np.ndarray]:
    """Every counter series of the ranker preset (cumulative), keyed by labels."""
    noise = 1.0 + baseline.request_rate.noise * streams("request_rate_noise").standard_normal(len(curves["ctr"]))
    expected_requests = np.clip(curves["request_rate"] * interval_s * noise, 0.0, None)
    requests = _poisson(streams("requests"), expected_requests)
    requests_total = _cumulative(requests)

    out: dict[Labels, np.ndarray] = {_service_labels("ranker_requests_total"): requests_total}
    out.update(_latency_histogram(requests, requests_total, curves, streams))

    hits = _binomial(streams("cache_hits"), requests, curves["cache_hit_ratio"])
    out[_service_labels("ranker_feature_cache_requests_total", result="hit")] = _cumulative(hits)
    out[_service_labels("ranker_feature_cache_requests_total", result="miss")] = _cumulative(requests - hits)

    # Features share one request count and mostly one null-rate curve: plan each distinct
    # (trials, p) pair once.
    plans = _BinomialPlans()
    planned = [(feature, plans.get(requests, curves[f"null_rate.{feature}"])) for feature in baseline.features]

    for (feature, _), nulls in zip(planned, _null_totals(planned, streams, len(requests_total))):
        out[_service_labels("ranker_feature_lookups_total", feature=feature)] = requests_total
        out[_service_labels("ranker_feature_nulls_total", feature=feature)] = nulls

    score = baseline.model_score
    score_noise = streams("model_score").standard_normal(len(requests))
    out[_service_labels("ranker_model_score_count")] = requests_total
    out[_service_labels("ranker_model_score_sum")] = _cumulative(
        requests * curves["model_score_mean"] + np.sqrt(requests) * score.stddev * score_noise
    )

    impressions = _poisson(streams("impressions"), requests * curves["impressions_per_request"])
    out[_service_labels("ranker_impressions_total")] = _cumulative(impressions)
    out[_service_labels("ranker_clicks_total")] = _cumulative(_binomial(streams("clicks"), impressions, curves["ctr"]))

    for experiment, spec in baseline.experiments.items():
        out.update(_assignments(experiment, list(spec.split), curves, interval_s, streams))
    return out


def _null_totals(planned: list[tuple[str, _BinomialPlan]], streams: _Streams, samples: int) -> np.ndarray:
    """Every feature's ranker_feature_nulls_total, one row each of one matrix.

    One large block instead of hundreds of 1 MB arrays: numpy asks the kernel for huge pages for
    it, which cuts the page faults of writing 500 MB (a third of the generation time at 90 days x
    1,000 series). Blocks of features run on threads, each with its own scratch buffers."""
    totals = np.empty((len(planned), samples))

    def fill(block: range) -> None:
        scratch = _Scratch(samples - 1)
        for i in block:
            feature, plan = planned[i]
            _cumulative(_draw_binomial(streams(f"nulls/{feature}"), plan, scratch), out=totals[i], scratch=scratch)

    map_in_threads(fill, _blocks(len(planned), GENERATION_THREADS))
    return totals


def _blocks(count: int, parts: int) -> list[range]:
    """range(count) cut into at most `parts` contiguous blocks of nearly equal size."""
    parts = max(1, min(parts, count))
    edges = [count * k // parts for k in range(parts + 1)]
    return [range(a, b) for a, b in itertools.pairwise(edges) if b > a]


@dataclass
class _Scratch:
    """Reusable buffers for one thread's draws (one increment per scrape interval)."""

    normal: np.ndarray
    counts: np.ndarray
    totals: np.ndarray

    def __init__(self, intervals: int) -> None:
        self.normal = np.empty(intervals)
        self.counts = np.empty(intervals, dtype=np.int64)
        self.totals = np.empty(intervals, dtype=np.int64)


def _latency_histogram(
    requests: np.ndarray, requests_total: np.ndarray, curves: dict, streams: _Streams
) -> dict[Labels, np.ndarray]:
    """Bucket, _sum and _count samples of ranker_request_duration_seconds."""
    per_le, mu, sigma = classic_histogram(
        streams("latency_buckets"), requests, curves["latency_p50"], curves["latency_p99"], LATENCY_BUCKETS
    )

    out: dict[Labels, np.ndarray] = {}
    for index, bound in enumerate(list(LATENCY_BUCKETS) + [float("inf")]):
        le = "+Inf" if bound == float("inf") else _format_le(bound)
        out[_service_labels("ranker_request_duration_seconds_bucket", le=le)] = _cumulative(per_le[:, index])

    mean = np.exp(mu + sigma**2 / 2)
    stddev = mean * np.sqrt(np.expm1(sigma**2))
    sum_noise = streams("latency_sum").standard_normal(len(requests))
    out[_service_labels("ranker_request_duration_seconds_sum")] = _cumulative(
        np.clip(requests * mean + np.sqrt(requests) * stddev * sum_noise, 0.0, None)
    )
    out[_service_labels("ranker_request_duration_seconds_count")] = requests_total
    return out


def classic_histogram(
    rng: np.random.Generator, observations: np.ndarray, p50: np.ndarray, p99: np.ndarray, bounds
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-interval counts cumulative over `le` (steps, len(bounds) + 1; the last column is +Inf) of
    observations from a log-normal with median p50 and 99th percentile p99, drawn as one multinomial
    per interval; also the log-normal's mu and sigma per interval."""
    mu = np.log(p50)
    sigma = (np.log(p99) - mu) / Z_99
    cdf = _normal_cdf((np.log(np.array(bounds))[None, :] - mu[:, None]) / sigma[:, None])
    cdf = np.maximum.accumulate(np.clip(cdf, 0.0, 1.0), axis=1)
    cells = np.diff(cdf, axis=1, prepend=0.0, append=1.0)  # the last cell is (last bound, +Inf)
    cells = np.clip(cells, 0.0, None)
    cells /= cells.sum(axis=1, keepdims=True)
    counts = rng.multinomial(observations, cells)
    return np.cumsum(counts, axis=1), mu, sigma  # cumulative over le: bucket le=b counts every value <= b


def _assignments(
    experiment: str, variants: list[str], curves: dict, interval_s: float, streams: _Streams
) -> dict[Labels, np.ndarray]:
    """experiment_assignments_total per variant: Poisson total, multinomial split by current weights."""
    total = _poisson(streams(f"assignments/{experiment}"), curves[f"assignment_rate.{experiment}"] * interval_s)
    weights = np.stack([curves[f"split.{experiment}.{v}"] for v in variants], axis=1)
    sums = weights.sum(axis=1, keepdims=True)
    shares = np.divide(weights, sums, out=np.full_like(weights, 1.0 / len(variants)), where=sums > 0)
    counts = streams(f"split/{experiment}").multinomial(total, shares)
    return {
        labels_from_dict(
            {METRIC_NAME: "experiment_assignments_total", "experiment": experiment, "variant": v}
        ): _cumulative(counts[:, i])
        for i, v in enumerate(variants)
    }


def _poisson(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Poisson counts: exact for small means, normal approximation (rounded, >= 0) for large ones."""
    mean = np.asarray(mean, dtype=np.float64)
    z = rng.standard_normal(mean.shape)
    counts = np.maximum(np.rint(mean + np.sqrt(mean) * z), 0.0).astype(np.int64)
    small = mean < NORMAL_APPROXIMATION_MIN_MEAN
    if small.any():
        counts[small] = rng.poisson(mean[small])
    return counts


@dataclass
class _BinomialPlan:
    """What a Binomial(trials, p) draw needs besides its random numbers."""

    trials: np.ndarray  # int64
    trials_float: np.ndarray  # the same counts as float64, the approximation's upper bound
    p: np.ndarray  # float64, broadcast to trials' shape
    mean: np.ndarray  # trials * p
    spread: np.ndarray  # sqrt(mean * (1 - p)): the normal approximation's standard deviation
    exact: np.ndarray | None  # where the rarer outcome is too rare to approximate (None: nowhere)


def _binomial_plan(trials, p) -> _BinomialPlan:
    trials = np.asarray(trials, dtype=np.int64)
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), trials.shape)
    mean = trials * p
    exact = np.minimum(mean, trials - mean) < NORMAL_APPROXIMATION_MIN_MEAN
    spread = np.sqrt(mean * (1.0 - p))
    return _BinomialPlan(trials, trials.astype(np.float64), p, mean, spread, exact if exact.any() else None)


class _BinomialPlans:
    """Plans keyed by the trials array's identity and the probabilities' values, so hundreds of
    features with one null rate over one request count compute mean and spread once."""

    def __init__(self) -> None:
        self._plans: dict[tuple, list[tuple[np.ndarray, np.ndarray, _BinomialPlan]]] = {}

    def get(self, trials: np.ndarray, p: np.ndarray) -> _BinomialPlan:
        p = np.asarray(p, dtype=np.float64)
        key = (id(trials), p.shape, float(p.flat[0]) if p.size else 0.0, float(p.sum()))
        bucket = self._plans.setdefault(key, [])
        for known_trials, known_p, plan in bucket:  # holding the arrays keeps their ids unique
            if known_trials is trials and np.array_equal(known_p, p):
                return plan
        plan = _binomial_plan(trials, p)
        bucket.append((trials, p, plan))
        return plan


def _binomial(
    rng: np.random.Generator, trials: np.ndarray, p: np.ndarray, plans: _BinomialPlans | None = None
) -> np.ndarray:
    """Binomial(trials, p) counts: exact when the rarer outcome is expected fewer than
    NORMAL_APPROXIMATION_MIN_MEAN times, else the normal approximation (rounded, within [0, trials])."""
    return _draw_binomial(rng, plans.get(trials, p) if plans is not None else _binomial_plan(trials, p))


def _draw_binomial(rng: np.random.Generator, plan: _BinomialPlan, scratch: _Scratch | None = None) -> np.ndarray:
    """The planned draw. The approximation is computed in place in the normal draws' buffer; every
    operation is the same (commuted) float operation as mean + spread * z, so the counts do not
    depend on it. With scratch, the draws and counts live in its buffers (same values)."""
    approx = rng.standard_normal(plan.trials.shape) if scratch is None else rng.standard_normal(out=scratch.normal)
    np.multiply(approx, plan.spread, out=approx)
    np.add(approx, plan.mean, out=approx)
    np.rint(approx, out=approx)
    # Clipping to [0, trials] as two passes: np.clip with an integer bound array is ten times slower.
    np.maximum(approx, 0.0, out=approx)
    np.minimum(approx, plan.trials_float, out=approx)
    if scratch is None:
        counts = approx.astype(np.int64)
    else:
        counts = scratch.counts
        np.copyto(counts, approx, casting="unsafe")  # as astype: the values are whole numbers
    if plan.exact is not None:
        counts[plan.exact] = rng.binomial(plan.trials[plan.exact], plan.p[plan.exact])
    return counts


def _format_le(bound: float) -> str:
    # Client libraries expose bucket bounds in their shortest float form ("0.005", "1", "2.5"), and
    # histogram_quantile parses le as a float, so "1" and "1.0" are the same bucket to PromQL.
    text = repr(float(bound))
    return text[:-2] if text.endswith(".0") else text


def _cumulative(increments: np.ndarray, out: np.ndarray | None = None, scratch: _Scratch | None = None) -> np.ndarray:
    """A counter's samples: 0 at the first scrape, then the running total (into `out` if given).

    Integer increments are summed in int64 and converted once (a third of the time of a
    float64 running sum); while the totals stay below 2^53 both are exact, so the values are
    the same."""
    out = np.empty(len(increments) + 1, dtype=np.float64) if out is None else out
    out[0] = 0.0
    if np.issubdtype(increments.dtype, np.integer) and len(increments):
        totals = np.cumsum(increments, dtype=np.int64, out=None if scratch is None else scratch.totals)
        if max(abs(int(totals.max())), abs(int(totals.min()))) <= _EXACT_INTEGER_LIMIT:
            out[1:] = totals
            return out
    np.cumsum(increments, out=out[1:])
    return out


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z) via the Abramowitz–Stegun 7.1.26 erf approximation (|error| < 1.5e-7), vectorized."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def _apply_fault(fault: Fault, series: GeneratedSeries, counters: set[str]) -> GeneratedSeries:
    name = labels_get(series.labels, METRIC_NAME)
    if fault.metrics is not None and name not in fault.metrics:
        return series
    if any(labels_get(series.labels, label) != value for label, value in fault.match):
        return series
    t, v = series.t_ms, series.values
    first = int(np.searchsorted(t, fault.at_ms, side="left"))
    if first >= len(t):
        return series
    if fault.kind == "counter_reset":
        if name not in counters:  # a restart resets counters; gauges report their current value
            return series
        # A process restart: the counter starts again from 0 and keeps counting.
        v = v.copy()
        live = ~np.isnan(v[first:])
        v[first:][live] -= v[first]
        return GeneratedSeries(series.labels, t, v)
    if fault.kind == "stale_marker":
        v = v.copy()
        v[first] = STALE_NAN
        return GeneratedSeries(series.labels, t, v)
    until = fault.at_ms + fault.duration_ms if fault.duration_ms is not None else t[-1] + 1
    end = int(np.searchsorted(t, until, side="left"))
    if fault.kind == "late_scrape":
        # The scrape starts late, so its sample carries a later timestamp (never past the next scrape's).
        t = t.copy()
        shifted = t[first:end] + fault.delay_ms
        limit = t[end] - 1 if end < len(t) else shifted[-1] if len(shifted) else 0
        t[first:end] = np.minimum(shifted, limit)
        return GeneratedSeries(series.labels, t, v)
    # scrape_gap, target_down: the target is unreachable; Prometheus writes a stale marker at the
    # first failed scrape (scrape/scrape.go, staleness on a failed scrape), then nothing until it is back.
    keep = np.ones(len(t), dtype=bool)
    keep[first:end] = False
    if fault.stale_marker:
        keep[first] = True
        v = v.copy()
        v[first] = STALE_NAN
    return GeneratedSeries(series.labels, t[keep], v[keep])
