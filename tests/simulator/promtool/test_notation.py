"""promtool's input-series notation (promql/parser series descriptions, 2.42)."""

import math

import numpy as np
import pytest

from simulator.promql.model import is_stale
from simulator.promtool.notation import NotationError, parse_series_labels, parse_values, samples_from_slots


def test_expanding_notation_gives_n_plus_one_values_by_repeated_addition():
    values = parse_values("0.1+0.1x9")
    assert len(values) == 10
    assert values[-1] == 0.9999999999999999  # notes §8 ✔, not 1.0


def test_copies_negative_steps_and_specials():
    assert parse_values("0x10") == [0.0] * 11
    assert parse_values("5-2x2 -1+1x1") == [5.0, 3.0, 1.0, -1.0, 0.0]
    assert parse_values("inf -Inf 1e3") == [math.inf, -math.inf, 1000.0]
    assert math.isnan(parse_values("nan")[0])


def test_blanks_and_stale_markers():
    slots = parse_values("1 _ _x3 stale")
    assert slots[:5] == [1.0, None, None, None, None]
    assert is_stale(np.array([slots[5]]))[0]
    t, v = samples_from_slots(slots, 60_000)
    assert list(t) == [0, 300_000] and is_stale(v)[1]


def test_zero_interval_keeps_the_first_sample_at_zero():
    t, v = samples_from_slots(parse_values("1 2 3"), 0)
    assert list(t) == [0] and list(v) == [1.0]


def test_bad_values_and_native_histograms_are_errors():
    with pytest.raises(NotationError, match='bad value "1x"'):
        parse_values("1x")
    with pytest.raises(NotationError, match="unsupported"):
        parse_values("{{schema:0 sum:1 count:1}}")


def test_series_labels():
    assert parse_series_labels('up{job="a", instance="b"}') == (("__name__", "up"), ("instance", "b"), ("job", "a"))
    assert parse_series_labels("{}") == ()
    with pytest.raises(NotationError):
        parse_series_labels('up{job=~"a"}')
    with pytest.raises(NotationError):
        parse_series_labels('up{job="a"')
