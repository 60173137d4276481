"""The 2.42 alert state machine on presence masks (rules/alerting.go semantics)."""

import numpy as np

from simulator.rules.alerting import STATE_FIRING, STATE_PENDING, alert_history
from simulator.rules.model import AlertInterval

MINUTE = 60_000
GRID = np.arange(0, 12) * MINUTE


def mask(*present_minutes):
    present = np.zeros(len(GRID), dtype=bool)
    present[list(present_minutes)] = True
    return present


def test_for_2m_true_from_1m_is_pending_at_1m_and_2m_and_firing_at_3m():
    # notes §7 ✔: 1m evaluations, for: 2m, true from 1m on.
    history = alert_history(mask(*range(1, 12)), GRID, 2 * MINUTE, 0)
    assert list(history.state[:5]) == [0, STATE_PENDING, STATE_PENDING, STATE_FIRING, STATE_FIRING]
    assert history.intervals == [AlertInterval(MINUTE, 3 * MINUTE, None)]


def test_for_zero_fires_in_the_first_evaluation():
    history = alert_history(mask(4, 5), GRID, 0, 0)
    assert history.state[4] == STATE_FIRING
    assert history.intervals == [AlertInterval(4 * MINUTE, 4 * MINUTE, 6 * MINUTE)]


def test_pending_alert_is_deleted_by_one_missing_evaluation_and_restarts():
    history = alert_history(mask(1, 2, 4, 5, 6), GRID, 2 * MINUTE, 0)
    assert history.intervals == [
        AlertInterval(MINUTE, None, 3 * MINUTE),
        AlertInterval(4 * MINUTE, 6 * MINUTE, 7 * MINUTE),
    ]
    assert history.state[3] == 0


def test_keep_firing_for_3m_true_only_at_1m_fires_1m_through_4m():
    # notes §7 ✔: keep_firing_for: 3m, true only at 1m -> firing 1m..4m, gone at 5m.
    history = alert_history(mask(1), GRID, 0, 3 * MINUTE)
    assert list(np.flatnonzero(history.state == STATE_FIRING)) == [1, 2, 3, 4]
    assert history.intervals == [AlertInterval(MINUTE, MINUTE, 5 * MINUTE)]
    # A kept-firing alert shows the value and annotations of its last present evaluation.
    assert list(history.source_step[1:5]) == [1, 1, 1, 1]


def test_returning_while_kept_firing_continues_the_same_alert():
    history = alert_history(mask(1, 3), GRID, 0, 3 * MINUTE)
    # Missing at 2m (kept), back at 3m (KeepFiringSince reset), missing from 4m: kept until 6m.
    assert history.intervals == [AlertInterval(MINUTE, MINUTE, 7 * MINUTE)]
    assert (history.active_at_ms[1:7] == MINUTE).all()


def test_refiring_after_resolution_resets_active_at():
    history = alert_history(mask(1, 2, 5), GRID, MINUTE, 0)
    assert history.intervals == [
        AlertInterval(MINUTE, 2 * MINUTE, 3 * MINUTE),
        AlertInterval(5 * MINUTE, None, 6 * MINUTE),
    ]


def test_keep_firing_for_does_not_keep_pending_alerts():
    history = alert_history(mask(1), GRID, 5 * MINUTE, 10 * MINUTE)
    assert history.intervals == [AlertInterval(MINUTE, None, 2 * MINUTE)]


def prometheus_eval_loop(present, timestamps, for_ms, keep_firing_for_ms):
    """rules/alerting.go Eval (v2.42.0) for one alert, literally one evaluation at a time."""
    alert, states, intervals = None, [], []
    for ts, is_present in zip(timestamps.tolist(), present.tolist()):
        if is_present:
            if alert is None or alert["state"] == 0:
                alert = {"state": STATE_PENDING, "active_at": ts, "keep_since": None}
                intervals.append(AlertInterval(ts, None, None))
            alert["keep_since"] = None
            if alert["state"] == STATE_PENDING and ts - alert["active_at"] >= for_ms:
                alert["state"] = STATE_FIRING
                intervals[-1].firing_at_ms = ts
        elif alert is not None and alert["state"] != 0:
            keep = False
            if alert["state"] == STATE_FIRING and keep_firing_for_ms > 0:
                if alert["keep_since"] is None:
                    alert["keep_since"] = ts
                keep = ts - alert["keep_since"] < keep_firing_for_ms
            if not keep:
                alert["state"] = 0
                intervals[-1].resolved_at_ms = ts
        states.append(alert["state"] if alert else 0)
    return np.array(states), intervals


def test_grid_state_machine_equals_the_one_evaluation_at_a_time_loop():
    rng = np.random.default_rng(42)
    timestamps = np.arange(120, dtype=np.int64) * 15_000
    for _ in range(400):
        present = rng.random(len(timestamps)) < rng.uniform(0.1, 0.95)
        for_ms = int(rng.integers(0, 6)) * 15_000 + int(rng.integers(0, 2)) * 7_000
        keep_ms = int(rng.choice([0, 0, 15_000, 40_000, 90_000]))
        history = alert_history(present, timestamps, for_ms, keep_ms)
        states, intervals = prometheus_eval_loop(present, timestamps, for_ms, keep_ms)
        assert list(history.state) == list(states), (present, for_ms, keep_ms)
        assert history.intervals == intervals
