"""Turning a rule's query result over the grid into the series the rule writes.

rules/recording.go and rules/alerting.go produce samples at the evaluation timestamp;
rules/manager.go Group.Eval appends them and, for every series a rule wrote at the previous
evaluation but not at this one, a stale marker at this timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.durations import format_duration
from common.errors import InputError
from simulator.promql.model import (
    METRIC_NAME,
    STALE_NAN,
    Labels,
    ScalarOverGrid,
    VectorOverGrid,
    labels_set,
)


class RuleEvaluationError(InputError):
    """A rule's evaluation failed at one timestamp (Prometheus's rule.LastError()).

    `message` is the query's error as Prometheus words it; str() also names the rule file,
    group, rule and evaluation time, as Prometheus logs a failed evaluation
    ("Evaluating rule failed" with file, group, rule and err)."""

    def __init__(self, rule_name: str, t_ms: int, message: str, file: str = "", group: str = ""):
        self.rule_name = rule_name
        self.t_ms = t_ms
        self.message = message
        self.file = file
        self.group = group
        super().__init__(self.located())

    def located(self) -> str:
        where = (
            f'{self.file}: group "{self.group}", ' if self.file else (f'group "{self.group}", ' if self.group else "")
        )
        time = format_duration(self.t_ms) if self.t_ms >= 0 else f"{self.t_ms}ms"
        return f'{where}rule "{self.rule_name}": evaluation at {time} failed: {self.message}'

    def __str__(self) -> str:
        return self.located()


@dataclass
class SeriesOverGrid:
    """One output series: its value at each grid step where present."""

    labels: Labels
    values: np.ndarray
    present: np.ndarray


def as_vector(result, steps: int) -> VectorOverGrid:
    """A rule result as a vector: a scalar becomes one unlabeled sample at every step.

    rules/manager.go EngineQueryFunc: a Scalar result is turned into a one-sample Vector with
    no labels; any other value type is an error.
    """
    if isinstance(result, VectorOverGrid):
        return result
    if isinstance(result, ScalarOverGrid):
        values = np.asarray(result.values, dtype=np.float64).reshape(1, steps)
        return VectorOverGrid([()], values, np.ones((1, steps), dtype=bool))
    raise TypeError("rule result is not a vector or scalar")


def recording_outputs(
    record: str, rule_labels: dict[str, str], vector: VectorOverGrid, timestamps: np.ndarray
) -> list[SeriesOverGrid]:
    """The series a recording rule writes (rules/recording.go RecordingRule.Eval).

    __name__ becomes the record name and each rule label is set (an empty value deletes it).
    Two samples with the same resulting labels at one timestamp fail the rule.
    """

    def relabel(labels: Labels) -> Labels:
        labels = labels_set(labels, METRIC_NAME, record)
        for name, value in rule_labels.items():
            labels = labels_set(labels, name, value)
        return labels

    return merge_rows(
        [relabel(labels) for labels in vector.labels],
        vector.values,
        vector.present,
        timestamps,
        "vector contains metrics with the same labelset after applying rule labels",
    )


def merge_rows(
    row_labels: list[Labels], values: np.ndarray, present: np.ndarray, timestamps: np.ndarray, duplicate_message: str
) -> list[SeriesOverGrid]:
    """Merge rows that ended up with the same labels; overlapping presence is an error."""
    merged: dict[Labels, SeriesOverGrid] = {}
    for row, labels in enumerate(row_labels):
        existing = merged.get(labels)
        if existing is None:
            # Views, not copies: merging below builds new arrays, and nothing writes in place.
            merged[labels] = SeriesOverGrid(labels, values[row], present[row])
            continue
        clash = existing.present & present[row]
        if clash.any():
            step = int(np.argmax(clash))
            raise RuleEvaluationError("", int(timestamps[step]), duplicate_message)
        existing.values = np.where(present[row], values[row], existing.values)
        existing.present = existing.present | present[row]
    return list(merged.values())


def samples_with_staleness(
    series: SeriesOverGrid, timestamps: np.ndarray, tails: GridTails | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sample times and values to append: the present cells plus a StaleNaN at each vanishing.

    rules/manager.go Group.Eval: a series in the rule's previous output but not in this one
    gets a stale marker at this evaluation (trap: rule outputs vanish at once, not after 5m).
    """
    present = series.present
    first = int(np.argmax(present)) if len(present) else 0
    if tails is not None and len(present) and present[first:].all():
        # Present from its first step to the end (no stale marker): views, with one timestamp
        # array per first step shared by every such output, which the selectors' lookups rely on.
        return tails.since(first), series.values[first:]
    vanished = np.zeros_like(present)
    vanished[1:] = present[:-1] & ~present[1:]
    keep = present | vanished
    values = np.where(present, series.values, STALE_NAN)
    return timestamps[keep], values[keep]


class GridTails:
    """timestamps[k:] views of one evaluation grid, one object per k (shared, never written)."""

    def __init__(self, timestamps: np.ndarray) -> None:
        self._timestamps = timestamps
        self._tails: dict[int, np.ndarray] = {}

    def since(self, first: int) -> np.ndarray:
        tail = self._tails.get(first)
        if tail is None:
            tail = self._tails[first] = self._timestamps[first:]
        return tail
