"""histogram_quantile over classic (le-labelled) buckets, at every grid step at once.

Source: promql/functions.go funcHistogramQuantile and promql/quantile.go bucketQuantile,
coalesceBuckets, ensureMonotonic at v2.42.0. Native histograms are not part of this simulator.

For each histogram (the bucket series sharing all labels but le), the bucket rows are sorted by
bound into a (buckets, steps) array. Buckets come and go per step, so each column is compacted
(present buckets first, in bound order) and bucketQuantile runs on all columns together.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .binops import SAME_LABELSET_MESSAGE, FirstError, ResultRows
from .model import METRIC_NAME, Labels, ScalarOverGrid, VectorOverGrid, labels_get, labels_without

# model.BucketLabel
BUCKET_LABEL = "le"

# strconv.ParseFloat's syntax (no spaces, no underscores without a base prefix, hex floats need
# a p exponent; a sign is allowed before "inf" but not before "nan").
_GO_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GO_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+")
_GO_INFINITY = re.compile(r"[+-]?(?:inf|infinity)", re.IGNORECASE)
_GO_NAN = re.compile(r"nan", re.IGNORECASE)


def parse_go_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64), or None where Go returns an error.

    Trap: a bound out of range ("1e400") is an error in Go (ErrRange), so that bucket is
    skipped, where Python's float() would give inf.
    """
    if _GO_NAN.fullmatch(text):
        return math.nan
    if _GO_INFINITY.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    try:
        if _GO_DECIMAL.fullmatch(text):
            value = float(text)
        elif _GO_HEX.fullmatch(text):
            value = float.fromhex(text)
        else:
            return None
    except (OverflowError, ValueError):
        return None
    return None if math.isinf(value) else value


def histogram_quantile(q: ScalarOverGrid, vec: VectorOverGrid) -> VectorOverGrid:
    """funcHistogramQuantile on classic buckets at every step.

    Buckets are grouped by every label except le (so __name__ is part of the key); the output
    drops le and __name__. A series whose le is missing or not a float is skipped. Two
    histograms that differ only in __name__ collide in the output: the error Prometheus gives.
    """
    steps = vec.values.shape[1]
    histograms: dict[Labels, list[tuple[int, float]]] = {}
    for row, labels in enumerate(vec.labels):
        bound = parse_go_float(labels_get(labels, BUCKET_LABEL))
        if bound is None:
            continue
        histograms.setdefault(labels_without(labels, {BUCKET_LABEL}), []).append((row, bound))
    prepared = []
    for key, buckets in histograms.items():
        bucket_rows = [row for row, _ in buckets]
        bounds = np.array([bound for _, bound in buckets])
        prepared.append((key, *coalesce_buckets(bounds, vec.values[bucket_rows], vec.present[bucket_rows])))
    values = _quantiles_in_batches(q.values, [(bounds, counts, present) for _, bounds, counts, present in prepared])
    rows = ResultRows(steps)
    for (key, _, _, present), value in zip(prepared, values):
        rows.add(labels_without(key, {METRIC_NAME}), value, present.any(axis=0))
    errors = FirstError()
    errors.add(rows.collisions, 2, SAME_LABELSET_MESSAGE)
    errors.raise_if_any()
    return rows.finish(check_collisions=False)


def _quantiles_in_batches(
    q: np.ndarray, histograms: list[tuple[np.ndarray, np.ndarray, np.ndarray]], cell_budget: int = 4_000_000
) -> list[np.ndarray]:
    """bucketQuantile for coalesced histograms (bounds, counts, present), returning (steps,)
    per histogram. Histograms with the same number of buckets are computed together: every
    (histogram, step) pair is one column of a (buckets, columns) array, in batches that keep
    those arrays near cell_budget cells."""
    steps = len(q)
    values: list[np.ndarray] = [np.empty(0)] * len(histograms)
    by_size: dict[int, list[int]] = {}
    for index, (bounds, _, _) in enumerate(histograms):
        by_size.setdefault(len(bounds), []).append(index)
    for size, same_size in by_size.items():
        per_batch = max(1, cell_budget // max(1, size * steps))
        for start in range(0, len(same_size), per_batch):
            members = same_size[start : start + per_batch]
            bounds = np.hstack([np.repeat(histograms[m][0][:, None], steps, axis=1) for m in members])
            counts = np.hstack([histograms[m][1] for m in members])
            present = np.hstack([histograms[m][2] for m in members])
            columns = _bucket_quantile_columns(np.tile(q, len(members)), bounds, counts, present)
            for position, m in enumerate(members):
                values[m] = columns[position * steps : (position + 1) * steps]
    return values


def bucket_quantile(q: np.ndarray, bounds: np.ndarray, counts: np.ndarray, present: np.ndarray) -> np.ndarray:
    """quantile.go bucketQuantile for one histogram at every step.

    q: (steps,); bounds: (buckets,) upper bounds; counts and present: (buckets, steps).
    Returns (steps,) values (meaningless where no bucket is present).
    """
    bounds, counts, present = coalesce_buckets(bounds, counts, present)
    columns_bounds = np.repeat(bounds[:, None], counts.shape[1], axis=1)
    return _bucket_quantile_columns(q, columns_bounds, counts, present)


def _bucket_quantile_columns(q: np.ndarray, bounds: np.ndarray, counts: np.ndarray, present: np.ndarray) -> np.ndarray:
    """bucketQuantile for every column of coalesced, bound-sorted (buckets, columns) arrays."""
    bounds, counts, n = _compact_present(bounds, counts, present)
    counts = ensure_monotonic(counts, n)
    buckets, steps = counts.shape
    columns = np.arange(steps)

    def at(array: np.ndarray, index: np.ndarray) -> np.ndarray:
        return array[np.clip(index, 0, buckets - 1), columns]

    with np.errstate(all="ignore"):
        observations = at(counts, n - 1)
        rank = q * observations
        b = _search_first_reaching(counts, rank, n - 1)
        previous_bound = np.where(b > 0, at(bounds, b - 1), 0.0)
        previous_count = at(counts, b - 1)
        bucket_end = at(bounds, b)
        count = np.where(b > 0, at(counts, b) - previous_count, at(counts, b))
        rank_inside = np.where(b > 0, rank - previous_count, rank)
        interpolated = previous_bound + (bucket_end - previous_bound) * (rank_inside / count)
        result = np.select(
            [
                np.isnan(q),
                q < 0,
                q > 1,
                at(bounds, n - 1) != np.inf,  # the highest bound must be +Inf
                n < 2,
                observations == 0,
                # No bucket reaches the rank: the rank is in the +Inf bucket, answer the
                # second-highest bound.
                b == n - 1,
                # The rank is in the first bucket and its bound is not positive: that bound.
                (b == 0) & (at(bounds, 0) <= 0),
            ],
            [np.nan, -np.inf, np.inf, np.nan, np.nan, np.nan, at(bounds, n - 2), at(bounds, 0)],
            interpolated,
        )
    return result


def coalesce_buckets(bounds: np.ndarray, counts: np.ndarray, present: np.ndarray):
    """quantile.go coalesceBuckets: sort by bound and add up buckets with equal bounds.

    Buckets are sorted once for all steps (a stable sort keeps input order among equal bounds);
    a merged bucket is present where any of its parts is, with the present parts added in order.
    """
    order = np.argsort(bounds, kind="stable")
    bounds, counts, present = bounds[order], counts[order], present[order]
    unique_bounds = np.unique(bounds)
    if len(unique_bounds) == len(bounds):
        return bounds, counts, present
    merged_counts = np.zeros((len(unique_bounds), counts.shape[1]))
    merged_present = np.zeros((len(unique_bounds), counts.shape[1]), dtype=bool)
    slot_of = np.searchsorted(unique_bounds, bounds)
    for row, slot in enumerate(slot_of):
        started = merged_present[slot]
        merged_counts[slot] = np.where(
            present[row], np.where(started, merged_counts[slot] + counts[row], counts[row]), merged_counts[slot]
        )
        merged_present[slot] |= present[row]
    return unique_bounds, merged_counts, merged_present


def _compact_present(bounds: np.ndarray, counts: np.ndarray, present: np.ndarray):
    """Per column, move the present buckets to the front (still in bound order).

    Returns bounds and counts as (buckets, columns) arrays and n, the number present per column.
    """
    n = present.sum(axis=0)
    partial = np.flatnonzero(n < present.shape[0])
    if partial.size == 0:
        return bounds, counts, n
    bounds, counts = bounds.copy(), counts.copy()
    order = np.argsort(~present[:, partial], axis=0, kind="stable")
    bounds[:, partial] = np.take_along_axis(bounds[:, partial], order, axis=0)
    counts[:, partial] = np.take_along_axis(counts[:, partial], order, axis=0)
    return bounds, counts, n


def ensure_monotonic(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """quantile.go ensureMonotonic: raise each count to the running maximum.

    Trap: the running maximum starts at the first count even if it is NaN, and NaN compares
    false either way, so a NaN neither raises nor is raised (not numpy's maximum.accumulate).
    """
    counts = counts.copy()
    if counts.shape[0] == 0:
        return counts
    running = counts[0].copy()
    for position in range(1, counts.shape[0]):
        valid = position < n
        current = counts[position]
        raise_to_max = valid & (current < running)
        new_max = valid & (current > running)
        counts[position] = np.where(raise_to_max, running, current)
        running = np.where(new_max, current, running)
    return counts


def _search_first_reaching(counts: np.ndarray, rank: np.ndarray, length: np.ndarray) -> np.ndarray:
    """sort.Search(length, counts[i] >= rank) per column: Go's binary search, replayed exactly
    (it differs from a linear scan when NaN counts break monotonicity)."""
    steps = counts.shape[1]
    columns = np.arange(steps)
    low = np.zeros(steps, dtype=np.int64)
    high = np.maximum(length, 0).astype(np.int64)
    while (searching := low < high).any():
        middle = (low + high) // 2
        reaches = counts[np.clip(middle, 0, counts.shape[0] - 1), columns] >= rank
        low = np.where(searching & ~reaches, middle + 1, low)
        high = np.where(searching & reaches, middle, high)
    return low
