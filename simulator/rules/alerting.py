"""The alert state machine of rules/alerting.go, vectorized over the evaluation grid.

Prometheus walks every alert through inactive -> pending -> firing one evaluation at a time.
Here one alert instance (one final label set) is described by its presence mask over the grid
(did the rule's query return it at step j?), and its whole history is derived from the runs of
consecutive present steps: a Python loop over runs, never over steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import AlertInterval

# rules/alerting.go AlertState.
STATE_INACTIVE = 0
STATE_PENDING = 1
STATE_FIRING = 2
STATE_NAMES = {STATE_PENDING: "pending", STATE_FIRING: "firing"}


@dataclass
class AlertHistory:
    """What the state machine derived for one alert instance.

    state[j]: STATE_INACTIVE, STATE_PENDING or STATE_FIRING after the evaluation at step j;
    active_at_ms[j]: the ActiveAt of the alert at step j (meaningful where state[j] != inactive);
    source_step[j]: the last step <= j where the query returned the alert: its value and
    annotations are the ones shown at j (a kept-firing alert keeps its old ones);
    intervals: one per activation.
    """

    state: np.ndarray
    active_at_ms: np.ndarray
    source_step: np.ndarray
    intervals: list[AlertInterval]


def alert_history(present: np.ndarray, timestamps: np.ndarray, for_ms: int, keep_firing_for_ms: int) -> AlertHistory:
    """Run the 2.42 state machine for one alert instance over the grid.

    Semantics (rules/alerting.go AlertingRule.Eval at v2.42.0):
    - a new alert is Pending with ActiveAt = the first evaluation that returned it;
    - it fires at the first evaluation with ts - ActiveAt >= for (for: 0 fires at once);
    - one evaluation without it deletes a Pending alert at once (trap: no grace for pending);
    - a Firing alert that is missing becomes Inactive (ResolvedAt = ts), unless keep_firing_for
      > 0: KeepFiringSince = the first missing ts, and it stays Firing while
      ts - KeepFiringSince < keep_firing_for; being returned again resets KeepFiringSince;
    - an alert returned again after it was deleted or resolved is new: ActiveAt resets.
    """
    present = np.asarray(present, dtype=bool)
    if keep_firing_for_ms <= 0:
        return _history_without_keep_firing(present, timestamps, for_ms)
    steps = len(present)
    state = np.zeros(steps, dtype=np.int8)
    active_at = np.zeros(steps, dtype=np.int64)
    starts, ends = _runs(present)
    intervals: list[AlertInterval] = []
    run = 0
    while run < len(starts):
        first, last = starts[run], ends[run]
        activated = int(timestamps[first])
        fire = int(np.searchsorted(timestamps, activated + for_ms, side="left"))
        if fire > last:
            # Never reached the hold duration: deleted at the first missing evaluation.
            state[first : last + 1] = STATE_PENDING
            active_at[first : last + 1] = activated
            intervals.append(AlertInterval(activated, None, _time_at(timestamps, last + 1)))
            run += 1
            continue
        state[first:fire] = STATE_PENDING
        end = last + 1
        while keep_firing_for_ms > 0 and end < steps:
            # Kept firing from the first miss until keep_firing_for has elapsed.
            expiry = int(np.searchsorted(timestamps, timestamps[end] + keep_firing_for_ms, side="left"))
            # Returned again while still kept firing, or at the very evaluation where it would
            # have resolved (Eval handles present alerts before missing ones): same alert.
            if run + 1 < len(starts) and starts[run + 1] <= expiry:
                run += 1
                end = ends[run] + 1
                continue
            end = min(expiry, steps)
            break
        state[fire:end] = STATE_FIRING
        active_at[first:end] = activated
        intervals.append(AlertInterval(activated, int(timestamps[fire]), _time_at(timestamps, end)))
        run += 1
    return AlertHistory(state, active_at, _last_present_step(present), intervals)


def _history_without_keep_firing(present: np.ndarray, timestamps: np.ndarray, for_ms: int) -> AlertHistory:
    """alert_history for keep_firing_for = 0, with no loop at all: every run is one activation
    (pending from its first step, firing from the first step with ts - ActiveAt >= for,
    gone at the first missing step)."""
    steps = len(present)
    starts, ends = _runs(present)
    activated = timestamps[starts]
    fire = np.searchsorted(timestamps, activated + for_ms, side="left")
    fired = fire <= ends
    pending_end = np.minimum(fire, ends + 1)
    state = (
        _fill(steps, starts, pending_end) * STATE_PENDING + _fill(steps, fire[fired], ends[fired] + 1) * STATE_FIRING
    ).astype(np.int8)
    run_of_step = np.cumsum(np.isin(np.arange(steps), starts)) - 1
    active_at = np.where(present, activated[np.maximum(run_of_step, 0)] if len(starts) else 0, 0)
    resolved = [int(timestamps[e + 1]) if e + 1 < steps else None for e in ends.tolist()]
    firing = [int(timestamps[f]) if ok else None for f, ok in zip(fire.tolist(), fired.tolist())]
    intervals = [AlertInterval(a, f, r) for a, f, r in zip(activated.tolist(), firing, resolved)]
    return AlertHistory(state, active_at.astype(np.int64), _last_present_step(present), intervals)


def _fill(steps: int, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """1 on every step of the half-open ranges [begin, end), else 0 (ranges do not overlap)."""
    marks = np.zeros(steps + 1, dtype=np.int64)
    np.add.at(marks, begin, 1)
    np.add.at(marks, end, -1)
    return np.cumsum(marks[:-1])


def _runs(present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (inclusive) indices of each run of consecutive True values."""
    edges = np.diff(np.concatenate(([0], present.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1


def _time_at(timestamps: np.ndarray, index: int) -> int | None:
    return int(timestamps[index]) if index < len(timestamps) else None


def _last_present_step(present: np.ndarray) -> np.ndarray:
    indices = np.where(present, np.arange(len(present)), -1)
    return np.maximum.accumulate(indices) if len(indices) else indices
