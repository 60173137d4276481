"""Instant and range selectors: lookback, staleness, offset, @, hidden rule outputs.

Expected values follow promql/engine.go at v2.42.0 (see the notes' section 1); the ones marked
✔ there were confirmed with promtool 2.42.
"""

import numpy as np
from helpers import as_dict, column, make_storage

from simulator.promql.engine import evaluate, instant_query
from simulator.promql.model import Grid, Series, labels_from_dict
from simulator.promql.selectors import select_instant
from simulator.promql.storage import Storage

MINUTE = 60_000


def test_lookback_window_is_closed_in_2_42():
    # A sample at 0 is still visible at exactly 5m (ref - 5m <= T), gone one ms later. ✔
    storage = make_storage({"x": "7"})
    assert as_dict(instant_query("x", storage, 5 * MINUTE)) == {"x{}": 7.0}
    assert as_dict(instant_query("x", storage, 5 * MINUTE + 1)) == {}
    assert as_dict(instant_query("x", storage, 6 * MINUTE)) == {}


def test_selector_result_keeps_metric_name_and_uses_newest_sample():
    storage = make_storage({'x{job="a"}': "1 2 3", 'y{job="a"}': "9"})
    assert as_dict(instant_query("x", storage, 90_000)) == {'x{job="a"}': 2.0}


def test_stale_newest_sample_hides_older_samples_in_the_window():
    # Trap 2: 1 2 stale → absent at 2m although 1 and 2 lie inside the lookback window. ✔
    storage = make_storage({"x": "1 2 stale"})
    result = evaluate("x", storage, Grid(0, 3 * MINUTE, MINUTE))
    assert column(result) == [1.0, 2.0, None, None]


def test_plain_nan_is_an_ordinary_value():
    storage = make_storage({"x": "NaN"})
    result = instant_query("x", storage, 0)
    assert result.present[0, 0] and np.isnan(result.values[0, 0])


def test_offset_shifts_the_reference_time_and_negative_offset_looks_ahead():
    storage = make_storage({"x": "0 1 2 3 4 5"})
    assert as_dict(instant_query("x offset 2m", storage, 4 * MINUTE)) == {"x{}": 2.0}
    assert as_dict(instant_query("x offset -2m", storage, 1 * MINUTE)) == {"x{}": 3.0}


def test_at_modifier_fixes_the_reference_time_for_every_step():
    storage = make_storage({"x": "0 1 2 3 4 5"})
    result = evaluate("x @ 120", storage, Grid(0, 5 * MINUTE, MINUTE))
    assert column(result) == [2.0] * 6
    result = evaluate("x @ 180 offset 1m", storage, Grid(0, 2 * MINUTE, MINUTE))
    assert column(result) == [2.0] * 3


def test_at_start_and_end_mean_the_step_time_in_rule_evaluation():
    storage = make_storage({"x": "0 1 2 3 4 5"})
    grid = Grid(MINUTE, 4 * MINUTE, MINUTE)
    assert column(evaluate("x @ start()", storage, grid)) == [1.0, 2.0, 3.0, 4.0]
    # As a Prometheus range query they are the grid's start and end.
    assert column(evaluate("x @ start()", storage, grid, range_query=True)) == [1.0] * 4
    assert column(evaluate("x @ end()", storage, grid, range_query=True)) == [4.0] * 4


def test_timestamp_of_a_selector_is_the_raw_sample_time():
    storage = make_storage({"x": "1 _ _ 4"})
    result = evaluate("timestamp(x)", storage, Grid(0, 3 * MINUTE, MINUTE))
    assert column(result) == [0.0, 0.0, 0.0, 180.0]
    # offset and @ change which sample is read, not how its time is reported.
    assert as_dict(instant_query("timestamp(x offset 1m)", storage, 4 * MINUTE)) == {"{}": 180.0}
    assert as_dict(instant_query("timestamp(x @ 100)", storage, 4 * MINUTE)) == {"{}": 0.0}


def test_label_matchers_equality_regex_and_negations():
    storage = make_storage({'x{job="api", env="prod"}': "1", 'x{job="web", env="dev"}': "2", 'x{job="db"}': "3"})
    assert set(as_dict(instant_query('x{job=~"a.*|w.*"}', storage, 0))) == {
        'x{env="prod", job="api"}',
        'x{env="dev", job="web"}',
    }
    # Regexes are anchored: "ap" does not match "api".
    assert as_dict(instant_query('x{job=~"ap"}', storage, 0)) == {}
    # A missing label matches as the empty string.
    assert as_dict(instant_query('x{env=""}', storage, 0)) == {'x{job="db"}': 3.0}
    assert set(as_dict(instant_query('{__name__="x", env!="prod"}', storage, 0))) == {
        'x{env="dev", job="web"}',
        'x{job="db"}',
    }


def test_lookback_delta_is_configurable():
    storage = make_storage({"x": "7"})
    assert as_dict(evaluate("x", storage, Grid.at(2 * MINUTE), lookback_delta_ms=MINUTE)) == {}
    assert as_dict(evaluate("x", storage, Grid.at(MINUTE), lookback_delta_ms=MINUTE)) == {"x{}": 7.0}


def test_hidden_series_hide_samples_at_the_evaluation_time_only():
    # A rule later in the group has not written its sample for ts yet: the reader sees the
    # previous one (still within lookback); earlier samples are visible as usual.
    series = Series(labels_from_dict({"__name__": "r"}), np.array([0, MINUTE, 2 * MINUTE]), np.array([1.0, 2.0, 3.0]))
    series.hidden_at_eval_time = True
    steps = np.array([0, MINUTE, 2 * MINUTE, 3 * MINUTE], dtype=np.int64)
    result = select_instant([series], steps, 5 * MINUTE, hidden_cutoff_ms=steps)
    assert column(result) == [None, 1.0, 2.0, 3.0]
    # Without a cutoff (e.g. a different evaluation context) every sample is visible.
    result = select_instant([series], steps, 5 * MINUTE, hidden_cutoff_ms=None)
    assert column(result) == [1.0, 2.0, 3.0, 3.0]


def test_hidden_series_through_the_engine_and_in_ranges():
    storage = Storage()
    storage.add(labels_from_dict({"__name__": "r"}), [0, MINUTE, 2 * MINUTE], [1.0, 2.0, 4.0])
    storage.all_series()[0].hidden_at_eval_time = True
    grid = Grid(0, 2 * MINUTE, MINUTE)
    assert column(evaluate("r", storage, grid)) == [None, 1.0, 2.0]
    assert column(evaluate("count_over_time(r[5m])", storage, grid)) == [None, 1.0, 2.0]


def test_range_window_is_closed_on_both_ends():
    # count_over_time(x[5m]) at 5m over 1m data counts the samples at 0..5m: 6 in 2.42. ✔
    storage = make_storage({"x": "0+1x10"})
    assert as_dict(instant_query("count_over_time(x[5m])", storage, 5 * MINUTE)) == {"{}": 6.0}
    assert as_dict(instant_query("count_over_time(x[5m])", storage, 5 * MINUTE + 1)) == {"{}": 5.0}


def test_stale_markers_are_dropped_from_ranges():
    storage = make_storage({"x": "1 stale 3"})
    assert as_dict(instant_query("count_over_time(x[5m])", storage, 2 * MINUTE)) == {"{}": 2.0}
    assert as_dict(instant_query("sum_over_time(x[5m])", storage, 2 * MINUTE)) == {"{}": 4.0}


def test_no_sample_in_range_means_no_output():
    storage = make_storage({"x": "1 _x10 2"})
    result = evaluate("count_over_time(x[2m])", storage, Grid(0, 11 * MINUTE, MINUTE))
    assert column(result) == [1.0, 1.0, 1.0] + [None] * 8 + [1.0]


def test_offset_on_ranges_and_at_on_ranges():
    storage = make_storage({"x": "0+1x10"})
    assert as_dict(instant_query("sum_over_time(x[2m] offset 3m)", storage, 10 * MINUTE)) == {"{}": 18.0}
    assert as_dict(instant_query("sum_over_time(x[2m] @ 120)", storage, 10 * MINUTE)) == {"{}": 3.0}


def test_negative_at_keeps_its_sign():
    # promql_parser alone reads `@ -100` as `@ 0`; the front door keeps the time (-100 s).
    storage = make_storage({"x": "1 2 3"})
    assert as_dict(instant_query("x @ -100", storage, 120_000)) == {}
    assert as_dict(instant_query("x @ 0", storage, 120_000)) == {"x{}": 1.0}
    # (@ -100) - (offset -3m) = 80 s: the sample at 1m.
    assert as_dict(instant_query("x @ -100 offset -3m", storage, 0)) == {"x{}": 2.0}
    assert as_dict(instant_query("x @ -30 offset -90s", storage, 0)) == {"x{}": 2.0}


def test_windows_over_extreme_time_spans_fall_back_to_per_series_search():
    # Samples 200 million years apart would overflow the combined (series, time) search key.
    storage = Storage()
    far = 6 * 10**18
    for k in range(3):
        storage.add(labels_from_dict({"__name__": "x", "k": str(k)}), [0, far], [1.0, 2.0])
    assert as_dict(instant_query("count_over_time(x[5m])", storage, far)) == {
        '{k="0"}': 1.0,
        '{k="1"}': 1.0,
        '{k="2"}': 1.0,
    }
    assert as_dict(instant_query("count_over_time(x[5m])", storage, 0)) == {
        '{k="0"}': 1.0,
        '{k="1"}': 1.0,
        '{k="2"}': 1.0,
    }


def test_hidden_series_in_step_blocks_match_whole_grid(monkeypatch):
    import simulator.promql.functions as functions

    storage = Storage()
    storage.add(labels_from_dict({"__name__": "r", "k": "1"}), np.arange(12) * MINUTE, np.arange(12) * 1.5)
    storage.add(labels_from_dict({"__name__": "r", "k": "2"}), np.arange(12) * MINUTE, np.arange(12) * 2.5)
    storage.all_series()[1].hidden_at_eval_time = True
    grid = Grid(0, 11 * MINUTE, MINUTE)
    exprs = ["rate(r[3m])", "sum_over_time(r[2m])", "count_over_time(r[1m])", "max_over_time(r[4m])"]
    whole = [evaluate(expr, storage, grid) for expr in exprs]
    monkeypatch.setattr(functions, "_RANGE_CHUNK_CELLS", 2)
    monkeypatch.setattr(functions, "_RATE_CHUNK_CELLS", 2)
    for expr, expected in zip(exprs, whole):
        blocked = evaluate(expr, storage, grid)
        assert (blocked.present == expected.present).all(), expr
        assert blocked.values[blocked.present].tobytes() == expected.values[expected.present].tobytes(), expr
    # The hidden series (k=2) never shows the sample at the evaluation time itself.
    assert column(evaluate('count_over_time(r{k="2"}[1m])', storage, grid)) == [None] + [1.0] * 11
    assert column(evaluate('count_over_time(r{k="1"}[1m])', storage, grid)) == [1.0] + [2.0] * 11
