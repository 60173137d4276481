"""Small helpers on VectorOverGrid shared by functions and the engine."""

from __future__ import annotations

import numpy as np

from .model import METRIC_NAME, Labels, PromQLError, VectorOverGrid, labels_without

# promql/engine.go rangeEval and the UnaryExpr case: a step whose result holds two elements
# with one label set fails the whole query with this message.
SAME_LABELSET_ERROR = "vector cannot contain metrics with the same labelset"


def drop_metric_name(labels: Labels) -> Labels:
    """engine.go dropMetricName."""
    return labels_without(labels, frozenset((METRIC_NAME,)))


def with_labels(vec: VectorOverGrid, labels: list[Labels]) -> VectorOverGrid:
    """The same cells under new row labels, rows that now collide merged (see merge_same_labelsets)."""
    relabelled = VectorOverGrid(labels, vec.values, vec.present, None)
    return merge_same_labelsets(relabelled)


def merge_same_labelsets(vec: VectorOverGrid) -> VectorOverGrid:
    """Merge rows that carry one label set (e.g. after dropping __name__).

    Prometheus builds its result per step, so two rows with the same labels are fine as long
    as they are never present at the same step (they become one output series); present at the
    same step, the query fails (engine.go: ContainsSameLabelset).
    """
    first_row: dict[Labels, int] = {}
    duplicates = False
    for row, labels in enumerate(vec.labels):
        if labels in first_row:
            duplicates = True
        else:
            first_row[labels] = row
    if not duplicates:
        return vec
    order = list(first_row)
    index = {labels: i for i, labels in enumerate(order)}
    steps = vec.values.shape[1]
    values = np.zeros((len(order), steps))
    present = np.zeros((len(order), steps), dtype=bool)
    for row, labels in enumerate(vec.labels):
        target = index[labels]
        row_present = vec.present[row]
        if (present[target] & row_present).any():
            raise PromQLError(SAME_LABELSET_ERROR)
        values[target] = np.where(row_present, vec.values[row], values[target])
        present[target] |= row_present
    return VectorOverGrid(order, values, present, None)


def drop_absent_rows(vec: VectorOverGrid) -> VectorOverGrid:
    """Remove rows that are present at no step (they cannot affect any result)."""
    keep = vec.present.any(axis=1)
    if keep.all():
        return vec
    rows = np.flatnonzero(keep)
    sample_ms = vec.sample_ms[rows] if vec.sample_ms is not None else None
    return VectorOverGrid([vec.labels[i] for i in rows], vec.values[rows], vec.present[rows], sample_ms)


def take_rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """array[rows], without the copy when rows is every row in order (one series per group or per
    matching signature, as in `sum by (feature)` or `a / b` over per-feature series): whole-grid
    arrays are 100 MB at 90 days x 500 series. Callers only read the result."""
    if len(rows) == len(array) and (len(rows) == 0 or (rows[0] == 0 and bool((np.diff(rows) == 1).all()))):
        return array
    return array[rows]
