"""The pure pieces of the backtest: OpenMetrics timestamps and values, what the plan fetches, the comparison
of two revisions, and the client's retries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.backtest.client import Credentials, PrometheusAPI, StoreError
from simulator.backtest.openmetrics import ExportedSeries, render_openmetrics, stale_series, timestamp_texts
from simulator.backtest.plan import Fetch, evaluated_by_store, evaluation_grid, fetches, parse_time
from simulator.backtest.report import match_detections
from simulator.promql.model import STALE_NAN, Grid
from simulator.rules.model import AlertInterval, AlertTimeline


@given(st.lists(st.integers(min_value=0, max_value=2**47), min_size=1, max_size=50))
def test_timestamps_survive_promtools_truncating_read(t_ms):
    """openmetricsparse.go keeps int64(ts * 1000): every written text must truncate back to its millisecond."""
    texts = timestamp_texts(np.array(t_ms, dtype=np.int64))
    assert [int(float(text) * 1000) for text in texts] == t_ms


def test_known_truncation_trap_is_avoided():
    # 1.001 * 1000 is 1000.9999999999999 in float64: the naive text loses a millisecond.
    t_ms = 1001
    assert int(float("1.001") * 1000) == t_ms - 1
    (text,) = timestamp_texts(np.array([t_ms]))
    assert int(float(text) * 1000) == t_ms


def test_render_writes_names_values_and_eof_and_leaves_stale_markers_out():
    series = [
        ExportedSeries(
            (("__name__", "x_total"), ("path", 'a"b\\c\nd')),
            np.array([0, 15_000, 30_000, 45_000]),
            np.array([1.0, float("nan"), STALE_NAN, float("inf")]),
        ),
        ExportedSeries((("__name__", "gone"),), np.array([0]), np.array([STALE_NAN])),
    ]
    text = "".join(render_openmetrics(series, origin_ms=1_000))
    assert text == (
        'x_total{path="a\\"b\\\\c\\nd"} 1.0 1\n'
        'x_total{path="a\\"b\\\\c\\nd"} NaN 16\n'
        'x_total{path="a\\"b\\\\c\\nd"} +Inf 46\n'
        "# EOF\n"
    )
    assert stale_series(series) == ['x_total{path="a\\"b\\\\c\\nd"}', "gone{}"]


@pytest.mark.parametrize(
    ("text", "ms"),
    [("1767571200", 1767571200000), ("1767571200.5", 1767571200500), ("2026-01-05T01:00:00+01:00", 1767571200000)],
)
def test_times_are_rfc3339_or_unix_seconds(text, ms):
    assert parse_time(text) == ms


def test_the_plan_fetches_each_selector_over_what_it_reads_and_never_rule_outputs():
    grid = Grid(10_000_000, 20_000_000, 60_000)
    exprs = [
        'rate(a{job="x"}[5m] offset 1h) > 0',
        "max_over_time(rate(b[1m])[10m:1m])",
        "c @ 1000",
        'recorded:ratio > 1 and on() a{job="x"}',
        "d offset -2m",
    ]
    plan = fetches(exprs, grid, frozenset({"recorded:ratio", "ALERTS"}), lookback_ms=300_000)
    assert plan == [
        Fetch('a{job="x"}', 10_000_000 - 3_600_000 - 300_000, 20_000_000),
        Fetch("b", 10_000_000 - 600_000 - 60_000, 20_000_000),
        Fetch("c", 1_000_000 - 300_000, 1_000_000),
        Fetch("d", 10_000_000 + 120_000 - 300_000, 20_000_000 + 120_000),
    ]


def test_remote_eval_keeps_what_the_store_cannot_answer_local():
    outputs = frozenset({"recorded:ratio"})
    assert evaluated_by_store('sum(rate(a{job="x"}[5m])) < 1 or absent(a)', outputs)
    assert not evaluated_by_store("recorded:ratio > 1", outputs)
    assert not evaluated_by_store('{job="x"} > 1', outputs)  # any name: may read rule outputs
    assert not evaluated_by_store("a offset -5m", outputs)
    assert not evaluated_by_store("a @ end()", outputs)


def test_the_grid_is_the_multiples_of_the_interval_inside_the_window():
    grid = evaluation_grid(90_001, 300_000, 60_000)
    assert grid.timestamps.tolist() == [120_000, 180_000, 240_000, 300_000]


def _timeline(labels: dict, *intervals: tuple) -> AlertTimeline:
    return AlertTimeline("A", {"alertname": "A", **labels}, [AlertInterval(*i) for i in intervals])


def test_detections_pair_overlapping_activations_of_one_instance():
    this = [_timeline({"x": "1"}, (100, 160, 400), (1000, 1060, 2000)), _timeline({"x": "2"}, (50, None, 90))]
    other = [_timeline({"x": "1"}, (100, 220, 400), (5000, 5060, 6000))]
    pairs = [(d.labels["x"], d.firing_at_ms, d.other_firing_at_ms) for d in match_detections(this, other)]
    assert pairs == [("1", 160, 220), ("1", 1060, None), ("1", None, 5060)]


def test_credentials_are_never_in_their_repr():
    assert "hunter2" not in repr(Credentials(bearer_token="hunter2"))
    assert "hunter2" not in repr(Credentials(username="u", password="hunter2"))


def test_retries_back_off_exponentially():
    waits: list[float] = []
    api = PrometheusAPI("http://127.0.0.1:9", retries=3, backoff_s=0.25, timeout_s=1, sleep=waits.append)
    with pytest.raises(StoreError, match="after 4 attempts"):
        api.query("up", 0)
    assert waits == [0.25, 0.5, 1.0]
    assert api.requests_made == 4


def test_groups_with_different_intervals_are_named():
    from simulator.backtest.plan import group_interval_ms
    from simulator.rules.model import RuleGroup

    groups = [RuleGroup("fast", "a.yml", [], 30_000), RuleGroup("default", "b.yml", [])]
    with pytest.raises(ValueError, match=r"different evaluation intervals \(fast \(30s\), default \(60s\)\)"):
        group_interval_ms(groups)
    assert group_interval_ms([RuleGroup("only", "a.yml", [], 30_000)]) == 30_000
