"""The promtool input notation written by export-promtool, read back by promtool's notation rules."""

import numpy as np

from simulator.promql.model import STALE_NAN, is_stale
from simulator.promtool.notation import parse_values
from simulator.scenarios.generators import GeneratedSeries
from simulator.scenarios.promtool_export import format_values, series_selector, window_series


def series(t_s, values):
    labels = (("__name__", "m_total"), ("service", "ranker"))
    return GeneratedSeries(labels, np.array(t_s, dtype=np.int64) * 1000, np.array(values, dtype=np.float64))


def test_values_runs_gaps_and_stale_markers_round_trip():
    s = series([0, 15, 30, 45, 75, 90, 105, 120], [5, 5, 5, 7.25, STALE_NAN, 1e20, 0.1, 0.1])
    text = format_values(s, 15_000, 120_000)
    assert text == "5x2 7.25 _ stale 1e+20 0.1x1"
    slots = parse_values(text)
    assert len(slots) == 9
    assert slots[4] is None and is_stale(np.array([slots[5]]))[0]
    assert [slots[i] for i in (0, 1, 2, 3, 6, 7, 8)] == [5, 5, 5, 7.25, 1e20, 0.1, 0.1]


def test_trailing_gap_is_not_written_and_leading_gap_is():
    s = series([30, 45], [1, 2])
    assert format_values(s, 15_000, 90_000) == "_x2 1 2"


def test_window_shifts_to_zero():
    s = series([0, 15, 30, 45, 60], [0, 1, 2, 3, 4])
    [shifted] = window_series([s], 15_000, 30_000)
    assert shifted.t_ms.tolist() == [0, 15_000, 30_000] and shifted.values.tolist() == [1, 2, 3]


def test_series_selector():
    assert series_selector(series([0], [0])) == 'm_total{service="ranker"}'
