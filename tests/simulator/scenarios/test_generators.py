"""Generated series: Prometheus-native counters and histograms, deterministic, following the parameters."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.promql.model import is_stale, labels_get
from simulator.scenarios import generate_series, parse_scenario
from simulator.scenarios.catalog import METRICS
from simulator.scenarios.incidents import parameter_curves, shape_profile
from simulator.scenarios.model import Change

BASE = """
name: g
duration: 1d
scrape_interval: 15s
seed: 5
"""


def by_labels(series):
    return {s.labels: s for s in series}


def find(series, name, **labels):
    [match] = [
        s
        for s in series
        if labels_get(s.labels, "__name__") == name and all(labels_get(s.labels, k) == v for k, v in labels.items())
    ]
    return match


@pytest.fixture(scope="module")
def one_day():
    return generate_series(parse_scenario(BASE))


def test_every_catalog_metric_is_generated_on_the_scrape_grid(one_day):
    names = {labels_get(s.labels, "__name__") for s in one_day}
    assert names == set(METRICS)
    for s in one_day:
        assert len(s.t_ms) == 86400 // 15 + 1
        assert s.t_ms[0] == 0 and s.t_ms[-1] == 86_400_000
    assert [s.labels for s in one_day] == sorted(s.labels for s in one_day)


def test_counters_are_cumulative_and_monotone(one_day):
    for s in one_day:
        if labels_get(s.labels, "__name__") == "ranker_model_score_sum":
            continue  # a sum of scores is monotone only while scores are positive
        assert s.values[0] == 0
        assert np.all(np.diff(s.values) >= 0), s.labels


def test_histogram_buckets_are_consistent(one_day):
    buckets = sorted(
        (s for s in one_day if labels_get(s.labels, "__name__") == "ranker_request_duration_seconds_bucket"),
        key=lambda s: float(labels_get(s.labels, "le")),
    )
    assert len(buckets) == 16
    assert labels_get(buckets[-1].labels, "le") == "+Inf"
    assert [labels_get(b.labels, "le") for b in buckets[:3]] == ["0.005", "0.01", "0.025"]
    stacked = np.stack([b.values for b in buckets])
    assert np.all(np.diff(stacked, axis=0) >= 0)  # cumulative over le
    count = find(one_day, "ranker_request_duration_seconds_count")
    requests = find(one_day, "ranker_requests_total")
    np.testing.assert_array_equal(buckets[-1].values, count.values)
    np.testing.assert_array_equal(count.values, requests.values)


def test_rates_and_ratios_follow_the_baseline(one_day):
    requests = find(one_day, "ranker_requests_total").values[-1]
    assert requests / 86400 == pytest.approx(200, rel=0.01)  # the daily cosine averages out
    hits = find(one_day, "ranker_feature_cache_requests_total", result="hit").values[-1]
    assert hits / requests == pytest.approx(0.92, abs=0.001)
    clicks = find(one_day, "ranker_clicks_total").values[-1]
    impressions = find(one_day, "ranker_impressions_total").values[-1]
    assert impressions / requests == pytest.approx(4, rel=0.001)
    assert clicks / impressions == pytest.approx(0.051, rel=0.005)
    nulls = find(one_day, "ranker_feature_nulls_total", feature="user_geo").values[-1]
    assert nulls / requests == pytest.approx(0.002, rel=0.02)
    score = find(one_day, "ranker_model_score_sum").values[-1] / find(one_day, "ranker_model_score_count").values[-1]
    assert score == pytest.approx(0.42, abs=0.001)
    control = find(one_day, "experiment_assignments_total", variant="control").values[-1]
    treatment = find(one_day, "experiment_assignments_total", variant="treatment").values[-1]
    assert control / (control + treatment) == pytest.approx(0.5, abs=0.005)


def test_latency_buckets_match_the_quantile_targets():
    series = generate_series(
        parse_scenario(
            BASE
            + """
baseline:
  latency: {p50: 0.05, p50_amplitude: 0, p99: 0.25, p99_amplitude: 0}
"""
        )
    )
    total = find(series, "ranker_request_duration_seconds_bucket", le="+Inf").values[-1]
    at_p50 = find(series, "ranker_request_duration_seconds_bucket", le="0.05").values[-1]
    at_p99 = find(series, "ranker_request_duration_seconds_bucket", le="0.25").values[-1]
    assert at_p50 / total == pytest.approx(0.5, abs=0.002)
    assert at_p99 / total == pytest.approx(0.99, abs=0.0005)


def test_same_seed_same_series_and_other_seeds_differ(one_day):
    again = generate_series(parse_scenario(BASE))
    for a, b in zip(one_day, again):
        assert a.labels == b.labels
        np.testing.assert_array_equal(a.values, b.values)
    other = generate_series(parse_scenario(BASE.replace("seed: 5", "seed: 6")))
    assert not np.array_equal(
        find(other, "ranker_requests_total").values, find(one_day, "ranker_requests_total").values
    )


def test_adding_a_feature_does_not_change_other_series(one_day):
    more = generate_series(
        parse_scenario(
            BASE
            + """
baseline:
  features: {user_history: 0.002, item_embedding: 0.002, item_price: 0.002, user_geo: 0.002,
             session_context: 0.002, brand_new: 0.01}
"""
        )
    )
    before = by_labels(one_day)
    after = by_labels(more)
    assert len(after) == len(before) + 2
    for labels, s in before.items():
        np.testing.assert_array_equal(after[labels].values, s.values)


def test_shapes():
    t = np.array([-60.0, 0.0, 1800.0, 3600.0, 7200.0, 10800.0])
    step = Change("ctr", "step", 1.0, None, 7200_000, None, None)
    np.testing.assert_array_equal(shape_profile(step, t, 1e9), [0, 1, 1, 1, 0, 0])
    ramp = Change("ctr", "ramp", 1.0, None, None, None, 3600_000)
    np.testing.assert_array_equal(shape_profile(ramp, t, 1e9), [0, 0, 0.5, 1, 1, 1])
    decay = Change("ctr", "exp_decay", 1.0, None, 10800_000, 3600_000, None)
    np.testing.assert_allclose(shape_profile(decay, t, 1e9), [0, 1, np.exp(-0.5), np.exp(-1), np.exp(-2), 0])
    # No duration: active until the scenario's end (remaining seconds).
    np.testing.assert_array_equal(shape_profile(ramp, t, 3600.0), [0, 0, 0.5, 0, 0, 0])


def test_incident_changes_the_parameter_with_its_shape():
    scenario = parse_scenario(
        BASE
        + """
incidents:
  - name: deploy
    start: 10h
    changes:
      - {parameter: cache_hit_ratio, delta: -0.25, shape: exp_decay, tau: 12h, duration: 30h}
      - {parameter: request_rate, factor: 0, duration: 30m}
"""
    )
    t_s = np.array([0.0, 36000.0, 36000.0 + 12 * 3600, 36000.0 + 1800])
    curves = parameter_curves(scenario, t_s)
    np.testing.assert_allclose(curves["cache_hit_ratio"][:3], [0.92, 0.67, 0.92 - 0.25 * np.exp(-1)])
    assert curves["request_rate"][1] == 0 and curves["request_rate"][3] > 0
    series = generate_series(scenario)
    requests = find(series, "ranker_requests_total")
    start, end = 36000 // 15, (36000 + 1800) // 15
    assert requests.values[end] == requests.values[start]  # no traffic for 30 minutes
    assert requests.values[end + 1] > requests.values[end]


def test_faults():
    series = generate_series(
        parse_scenario(
            BASE
            + """
faults:
  - {kind: counter_reset, at: 6h, metrics: [ranker_requests_total]}
  - {kind: scrape_gap, at: 12h, duration: 10m, metrics: [ranker_clicks_total]}
  - {kind: stale_marker, at: 18h, metrics: [ranker_impressions_total]}
"""
        )
    )
    requests = find(series, "ranker_requests_total")
    reset = 6 * 3600 // 15
    assert requests.values[reset] == 0 and requests.values[reset - 1] > 0
    assert np.all(np.diff(requests.values[reset:]) >= 0)
    clicks = find(series, "ranker_clicks_total")
    assert len(clicks.t_ms) == 86400 // 15 + 1 - 40 + 1  # 40 scrapes missed, one stale marker kept
    gap = clicks.t_ms[(clicks.t_ms >= 12 * 3600_000) & (clicks.t_ms < 12 * 3600_000 + 600_000)]
    assert list(gap) == [12 * 3600_000]
    assert is_stale(clicks.values[clicks.t_ms == 12 * 3600_000]).all()
    impressions = find(series, "ranker_impressions_total")
    stale = is_stale(impressions.values)
    assert list(impressions.t_ms[stale]) == [18 * 3600_000]
    untouched = find(series, "ranker_model_score_count")
    assert not is_stale(untouched.values).any() and len(untouched.t_ms) == 86400 // 15 + 1


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate=st.floats(0, 2000),
    hit=st.floats(0, 1),
    null=st.floats(0, 1),
    p50=st.floats(0.002, 0.5),
    spread=st.floats(1.5, 20),
    ctr=st.floats(0, 1),
)
def test_any_baseline_gives_prometheus_native_counters(seed, rate, hit, null, p50, spread, ctr):
    scenario = parse_scenario(f"""
name: h
duration: 2h
seed: {seed}
baseline:
  request_rate: {{base: {rate}}}
  cache_hit_ratio: {hit}
  features: {{f: {null}}}
  latency: {{p50: {p50}, p50_amplitude: 0, p99: {p50 * spread}, p99_amplitude: 0}}
  ctr: {ctr}
""")
    series = generate_series(scenario)
    for s in series:
        if labels_get(s.labels, "__name__") != "ranker_model_score_sum":
            assert np.all(np.diff(s.values) >= 0), s.labels
    buckets = sorted(
        (s for s in series if labels_get(s.labels, "__name__") == "ranker_request_duration_seconds_bucket"),
        key=lambda s: float(labels_get(s.labels, "le")),
    )
    assert np.all(np.diff(np.stack([b.values for b in buckets]), axis=0) >= 0)
    requests = find(series, "ranker_requests_total").values
    np.testing.assert_array_equal(buckets[-1].values, requests)
    nulls = find(series, "ranker_feature_nulls_total").values
    hits = find(series, "ranker_feature_cache_requests_total", result="hit").values
    clicks, impressions = find(series, "ranker_clicks_total").values, find(series, "ranker_impressions_total").values
    assert np.all(np.diff(nulls) <= np.diff(requests)) and np.all(np.diff(hits) <= np.diff(requests))
    assert np.all(np.diff(clicks) <= np.diff(impressions))
