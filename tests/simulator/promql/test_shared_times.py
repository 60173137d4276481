"""rate, increase and delta over series sharing timestamp arrays (shared_times.py) give the same
bits as the general per-cell path, which the promtool-backed tests pin to Prometheus 2.42.

Each case builds series that share a few timestamp arrays (and some their value arrays, as the
generator shares one request count across every feature), with counter resets, NaN, stale
markers, counters that start near zero (the zero-point clamp), gaps, and rule outputs hidden at
the evaluation time; then evaluates with the shared-times path on and off.
"""

import numpy as np
import pytest

from simulator.promql import shared_times
from simulator.promql.engine import evaluate
from simulator.promql.model import STALE_NAN, Grid, Series, labels_from_dict
from simulator.promql.selectors import select_range
from simulator.promql.storage import Storage

MINUTE = 60_000

EXPRESSIONS = [
    "rate(x[5m])",
    "increase(x[17m])",
    "delta(x[1h])",
    "rate(x[90s])",  # windows with fewer than two samples
    "increase(x[5m] offset 7m)",
    "rate(x[10m] @ 3600)",
    "delta(x[4m] @ end())",
    "sum by (group) (rate(x[5m]))",
]


def _timestamps(rng: np.random.Generator, kind: str, span_ms: int) -> np.ndarray:
    if kind == "regular":
        return np.arange(0, span_ms + 1, MINUTE, dtype=np.int64)
    if kind == "jittered":
        base = np.arange(0, span_ms + 1, 30_000, dtype=np.int64)
        return base + rng.integers(0, 20_000, len(base))
    keep = rng.random(span_ms // 15_000 + 1) < 0.4  # gappy: irregular spacing
    return np.flatnonzero(keep).astype(np.int64) * 15_000


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    values = np.cumsum(rng.poisson(rng.choice([0.3, 5.0, 400.0]), n)).astype(np.float64)
    values += rng.choice([0.0, 0.5, 1e6])  # near zero: the clamp applies; large: it never does
    for _ in range(rng.integers(0, 4)):  # counter resets
        at = rng.integers(1, n)
        values[at:] -= values[at] - rng.integers(0, 3)
    if rng.random() < 0.3:
        values[rng.integers(0, n, 3)] = np.nan
    if rng.random() < 0.3:
        values[rng.integers(0, n, 2)] = STALE_NAN
    if rng.random() < 0.2:
        values = -values  # a gauge going down (delta)
    return values


def _storage(seed: int, span_ms: int) -> Storage:
    rng = np.random.default_rng(seed)
    storage = Storage()
    row = 0
    for kind in ("regular", "jittered", "gappy", "regular"):
        t = _timestamps(rng, kind, span_ms)
        shared_v = _values(rng, len(t))
        for _ in range(int(rng.integers(1, 9))):
            v = shared_v if rng.random() < 0.4 else _values(rng, len(t))
            hidden = bool(rng.random() < 0.25)
            labels = labels_from_dict({"__name__": "x", "row": str(row), "group": kind})
            storage.add_series(Series(labels, t, v, hidden))
            row += 1
    return storage


def _bits(result) -> tuple[list, np.ndarray, np.ndarray]:
    values = np.where(result.present, result.values, 0.0)
    return result.labels, values.view(np.int64), result.present


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_shared_times_path_equals_general_path(expr, seed, monkeypatch):
    span_ms = 3 * 3_600_000
    storage = _storage(seed, span_ms)
    grid = Grid(0, span_ms, 2 * MINUTE)
    monkeypatch.setattr(shared_times, "MIN_SERIES_PER_TIMESTAMP_ARRAY", 1)
    taken = []
    original = shared_times.extrapolated_rate_over_shared_times

    def recording(*args):
        result = original(*args)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(shared_times, "extrapolated_rate_over_shared_times", recording)
    fast = evaluate(expr, storage, grid)
    monkeypatch.setattr(shared_times, "extrapolated_rate_over_shared_times", lambda *args: None)
    general = evaluate(expr, storage, grid)
    assert taken == [True]
    fast_labels, fast_values, fast_present = _bits(fast)
    general_labels, general_values, general_present = _bits(general)
    assert fast_labels == general_labels
    np.testing.assert_array_equal(fast_present, general_present)
    np.testing.assert_array_equal(fast_values, general_values)  # as int64 bits: -0, NaN payloads


def test_series_with_their_own_timestamps_take_the_general_path():
    series = []
    for row in range(8):
        t = np.arange(row, 3_600_000, MINUTE, dtype=np.int64)  # a timestamp array per series
        series.append(Series(labels_from_dict({"__name__": "x", "row": str(row)}), t, np.arange(len(t)) * 1.0))
    matrix = select_range(series, np.array([3_000_000], dtype=np.int64), 300_000, None)
    assert shared_times.extrapolated_rate_over_shared_times(matrix, True, True) is None
    shared = [Series(s.labels, series[0].t, s.v[: len(series[0].t)]) for s in series]
    matrix = select_range(shared, np.array([3_000_000], dtype=np.int64), 300_000, None)
    assert shared_times.extrapolated_rate_over_shared_times(matrix, True, True) is not None
