"""Aggregation operators over the evaluation grid, as Prometheus 2.42 evaluates them.

Source: promql/engine.go at v2.42.0 (aggregation, generateGroupingKey), promql/quantile.go
(quantile) and the vectorByValueHeap types in promql/functions.go.

Prometheus folds the input vector of one step element by element, in input order; float results
depend on that order (sum is a naive +=). Here sum and count take one sequential
np.add.accumulate per group, and the other folds run over the "wavefront" of positions inside
the groups: pass p processes the p-th row of every group at once, numpy over groups and steps.
No Python loop runs over the steps of the grid.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .model import (
    METRIC_NAME,
    Labels,
    PromQLError,
    ScalarOverGrid,
    StringValue,
    VectorOverGrid,
    labels_only,
    labels_set,
    labels_without,
)
from .vectors import take_rows

AGGREGATION_OPS = frozenset(
    {
        "sum",
        "avg",
        "min",
        "max",
        "count",
        "group",
        "stddev",
        "stdvar",
        "quantile",
        "topk",
        "bottomk",
        "count_values",
    }
)

# engine.go convertibleToInt64 compares with float64(math.MaxInt64), which rounds up to 2**63.
_MAX_INT64_AS_FLOAT = float(2**63)
_MIN_INT64_AS_FLOAT = -float(2**63)

# model.LabelName.IsValid in prometheus/common.
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def aggregate(
    op: str,
    vec: VectorOverGrid,
    grouping: list[str],
    without: bool,
    param: ScalarOverGrid | StringValue | None,
) -> VectorOverGrid:
    """engine.go aggregation at every step of the grid.

    op is one of AGGREGATION_OPS; grouping with without=False is by(...), with without=True
    without(...). param is k for topk/bottomk, φ for quantile (both may change per step) and
    the label name for count_values. Output rows are the groups in order of first appearance
    among the input rows (topk/bottomk: the selected input rows, full labels kept).
    """
    if op not in AGGREGATION_OPS:
        raise PromQLError(f"unsupported: aggregation operator {op!r} is not part of Prometheus 2.42")
    if op == "count_values":
        if not isinstance(param, StringValue):
            raise PromQLError("count_values needs a string parameter: the label name for the values")
        return _count_values(vec, grouping, without, param.value)
    groups = group_rows(vec.labels, grouping, without)
    steps = vec.values.shape[1]
    if op in ("topk", "bottomk", "quantile"):
        if not isinstance(param, ScalarOverGrid):
            raise PromQLError(f"{op} needs a scalar parameter")
        if op == "quantile":
            return _quantile(vec, groups, param.values)
        return _top_or_bottom(vec, groups, _k_per_step(param.values), largest=op == "topk")
    if not groups:
        return VectorOverGrid.empty(steps)
    values, present = _fold(op, vec, groups)
    return _present_rows(VectorOverGrid([group.labels for group in groups], values, present))


def _present_rows(result: VectorOverGrid) -> VectorOverGrid:
    """Drop groups whose series are never present on the grid."""
    keep = result.present.any(axis=1)
    if keep.all():
        return result
    rows = np.flatnonzero(keep)
    return VectorOverGrid([result.labels[r] for r in rows], result.values[rows], result.present[rows])


@dataclass
class Group:
    """One aggregation group: its output labels and its input rows in input order."""

    labels: Labels
    rows: list[int]


def group_labels(labels: Labels, grouping: list[str], without: bool) -> Labels:
    """The labels of the group a series falls in (engine.go aggregation, generateGroupingKey).

    by(...) keeps only the listed labels; without(...) removes them and always __name__.
    """
    if without:
        return labels_without(labels, frozenset(grouping) | {METRIC_NAME})
    return labels_only(labels, frozenset(grouping))


def group_rows(rows: list[Labels], grouping: list[str], without: bool) -> list[Group]:
    """Groups in order of first appearance, as Prometheus appends them to orderedResult."""
    by_labels: dict[Labels, Group] = {}
    for i, labels in enumerate(rows):
        key = group_labels(labels, grouping, without)
        group = by_labels.get(key)
        if group is None:
            by_labels[key] = Group(key, [i])
        else:
            group.rows.append(i)
    return list(by_labels.values())


# ---------------------------------------------------------------------------------------------
# sum avg min max count group stddev stdvar: sequential folds.
# ---------------------------------------------------------------------------------------------


def _wavefront(groups: list[Group]):
    """Yield (group indices, row indices) for the p-th row of every group long enough."""
    longest = max(len(group.rows) for group in groups)
    for position in range(longest):
        members = [(g, group.rows[position]) for g, group in enumerate(groups) if len(group.rows) > position]
        yield np.array([g for g, _ in members]), np.array([r for _, r in members])


def _fold(op: str, vec: VectorOverGrid, groups: list[Group]) -> tuple[np.ndarray, np.ndarray]:
    if op in ("sum", "count", "group"):
        return _sum_or_count(op, vec, groups)
    steps = vec.values.shape[1]
    shape = (len(groups), steps)
    value = np.zeros(shape)  # groupedAggregation.value
    mean = np.zeros(shape)  # groupedAggregation.mean
    count = np.zeros(shape)  # groupedAggregation.groupCount
    seen = np.zeros(shape, dtype=bool)
    with np.errstate(all="ignore"):
        for g, r in _wavefront(groups):
            v = vec.values[r]
            present = vec.present[r]
            first = present & ~seen[g]
            later = present & seen[g]
            value[g], mean[g], count[g] = _fold_step(op, v, first, later, value[g], mean[g], count[g])
            seen[g] |= present
        result = _finish_fold(op, value, mean, count)
    return result, seen


def _seed_sums(values: np.ndarray, present: np.ndarray, rows: np.ndarray, final: bool) -> np.ndarray:
    """Each group's first row, -0.0 where absent. When every group has one row (final: no pass
    adds to it in place) and every cell is present, that is the rows themselves: no copy of a
    whole-grid matrix (`sum by (feature)` over per-feature series)."""
    if final and present.all():
        return take_rows(values, rows)
    return np.where(present, take_rows(values, rows), -0.0)


def _sum_or_count(op: str, vec: VectorOverGrid, groups: list[Group]) -> tuple[np.ndarray, np.ndarray]:
    """sum, count and group over every group at once, one pass per position in the groups.

    Trap: sum is a naive += in input order (Kahan summation only arrives in 2.54), so
    sum(0.1, 0.2, 0.3) = 0.6000000000000001: pass p adds the p-th row of each group, which keeps
    that order (np.sum is pairwise and reorders). The first row seeds the sum (engine.go copies it),
    and absent cells are -0.0, the one float that leaves every value unchanged under +, so a lone
    -0 sums to -0. Passes go over the rows of all groups together: `sum by` over series that are
    each their own group (the per-feature rules) is one pass over the matrix, not one per group.
    """
    steps = vec.values.shape[1]
    if not groups:
        return np.zeros((0, steps)), np.zeros((0, steps), dtype=bool)
    sums = counts = seen = np.zeros((0, steps))
    with np.errstate(all="ignore"):
        for position, (g, r) in enumerate(_wavefront(groups)):
            present = take_rows(vec.present, r)
            if position == 0:  # every group has a first row, in group order: it seeds the group
                seen = present.copy()
                counts = present.astype(np.float64) if op == "count" else counts
                if op == "sum":
                    sums = _seed_sums(vec.values, present, r, len(groups) == len(vec.labels))
                continue
            seen[g] |= present
            if op == "count":
                counts[g] += present
            elif op == "sum":
                sums[g] += np.where(present, vec.values[r], -0.0)
    if op == "count":
        return counts, seen
    if op == "group":
        return np.ones(seen.shape), seen
    return sums, seen


def _fold_step(op, v, first, later, value, mean, count):
    """One element of engine.go aggregation for every group at once: the new group seeds
    (first), or the element is folded into the group (later)."""
    count = np.where(first, 1.0, np.where(later, count + 1, count))
    if op == "sum":
        # A naive += in input order (Kahan summation only arrives in 2.54); the first element
        # seeds the sum, so sum of a lone -0 stays -0.
        value = np.where(first, v, np.where(later, value + v, value))
    elif op == "avg":
        mean = np.where(first, v, np.where(later, _avg_update(mean, v, count), mean))
    elif op == "max":
        # Trap: a held NaN is replaced by the next value, a later NaN never wins.
        replace = later & ((value < v) | np.isnan(value))
        value = np.where(first | replace, v, value)
    elif op == "min":
        replace = later & ((value > v) | np.isnan(value))
        value = np.where(first | replace, v, value)
    elif op in ("stddev", "stdvar"):
        # Welford's online algorithm, population variance, in the exact order of engine.go.
        delta = v - mean
        new_mean = mean + delta / count
        value = np.where(first, 0.0, np.where(later, value + delta * (v - new_mean), value))
        mean = np.where(first, v, np.where(later, new_mean, mean))
    return value, mean, count


def _avg_update(mean: np.ndarray, v: np.ndarray, count: np.ndarray) -> np.ndarray:
    """engine.go avg: the incremental mean, mean += v/n - mean/n.

    Trap: once the mean is ±Inf it is kept when v is the same infinity or any finite number
    (Inf - Inf would turn it into NaN); a NaN, or the opposite infinity, still goes through.
    """
    mean_is_inf = np.isinf(mean)
    same_infinity = np.isinf(v) & ((mean > 0) == (v > 0))
    finite = ~np.isinf(v) & ~np.isnan(v)
    keep = mean_is_inf & (same_infinity | finite)
    return np.where(keep, mean, mean + (v / count - mean / count))


def _finish_fold(op, value, mean, count):
    if op == "avg":
        return mean
    if op == "count":
        return count
    if op == "group":
        return np.ones_like(value)
    if op == "stdvar":
        return value / count
    if op == "stddev":
        return np.sqrt(value / count)
    return value


# ---------------------------------------------------------------------------------------------
# quantile
# ---------------------------------------------------------------------------------------------


def _quantile(vec: VectorOverGrid, groups: list[Group], phi: np.ndarray) -> VectorOverGrid:
    """quantile.go quantile: rank φ·(n−1), linear interpolation between sorted neighbours.

    Trap: vectorByValueHeap orders NaN before every number, so NaNs take the lowest ranks, and
    a neighbour with weight 0 still contributes (Inf·0 = NaN).
    """
    steps = vec.values.shape[1]
    out_values, out_present = [], []
    for group in groups:
        values = vec.values[group.rows]
        present = vec.present[group.rows]
        out_values.append(_quantile_of_columns(values, present, phi))
        out_present.append(present.any(axis=0))
    if not groups:
        return VectorOverGrid.empty(steps)
    return _present_rows(
        VectorOverGrid([group.labels for group in groups], np.vstack(out_values), np.vstack(out_present))
    )


def _quantile_of_columns(values: np.ndarray, present: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The quantile of the present cells of every column; values is (rows, steps)."""
    # Sort each column: NaN first, then numbers ascending, absent cells last.
    category = np.where(~present, 2, np.where(np.isnan(values), 0, 1))
    sort_key = np.where(category == 1, values, 0.0)
    order = np.lexsort((sort_key, category), axis=0)
    ordered = np.take_along_axis(values, order, axis=0)
    n = present.sum(axis=0).astype(np.float64)
    with np.errstate(all="ignore"):
        inside = np.where(np.isnan(phi), 0.0, np.clip(phi, 0.0, 1.0))
        rank = inside * (n - 1)
        lower = np.maximum(0.0, np.floor(rank))
        upper = np.minimum(n - 1, lower + 1)
        weight = rank - np.floor(rank)
        last = values.shape[0] - 1
        low_value = np.take_along_axis(ordered, np.clip(lower, 0, last).astype(np.int64)[None, :], axis=0)[0]
        high_value = np.take_along_axis(ordered, np.clip(upper, 0, last).astype(np.int64)[None, :], axis=0)[0]
        result = low_value * (1 - weight) + high_value * weight
    result = np.where(phi < 0, -np.inf, np.where(phi > 1, np.inf, result))
    return np.where(np.isnan(phi), np.nan, result)


# ---------------------------------------------------------------------------------------------
# topk / bottomk
# ---------------------------------------------------------------------------------------------


def _k_per_step(k_values: np.ndarray) -> np.ndarray:
    """engine.go aggregation: k must fit an int64 and is truncated; k < 1 selects nothing.

    The check runs at every step, even when the vector is empty there, so a NaN k fails.
    """
    fits = (k_values <= _MAX_INT64_AS_FLOAT) & (k_values >= _MIN_INT64_AS_FLOAT)
    if not fits.all():
        step = int(np.argmax(~fits))
        error = PromQLError(f"Scalar value {go_format_float(float(k_values[step]))} overflows int64")
        error.step_index = step
        raise error
    # Trap: float64(MaxInt64) is 2**63, which passes the check and converts to MinInt64 in Go
    # (amd64), so k = 2**63 selects nothing.
    k = np.trunc(np.where(k_values >= _MAX_INT64_AS_FLOAT, -1.0, k_values))
    return np.clip(k, -1, 2**62).astype(np.int64)


def _top_or_bottom(vec: VectorOverGrid, groups: list[Group], k: np.ndarray, largest: bool) -> VectorOverGrid:
    """topk/bottomk: the heap Prometheus keeps per group, simulated for all steps at once.

    Which of several equal values is kept depends on the heap's layout, so the heap operations
    of Go's container/heap are replayed exactly (vectorByValueHeap / vectorByReverseValueHeap).
    Every (group, step) pair is one column of the heap arrays, and the p-th row of every group
    is offered at once. Output rows are the selected input rows with their full labels, in input
    order per group.
    """
    steps = vec.values.shape[1]
    selected = np.zeros(vec.values.shape, dtype=bool)
    for chunk in _group_chunks(groups, steps, int(k.max(initial=1))):
        _select_in_chunk(vec, chunk, k, largest, selected)
    rows = [r for group in groups for r in group.rows if selected[r].any()]
    if not rows:
        return VectorOverGrid.empty(steps)
    return VectorOverGrid([vec.labels[r] for r in rows], vec.values[rows], selected[rows])


def _group_chunks(groups: list[Group], steps: int, k_max: int, cell_budget: int = 4_000_000):
    """Split groups so that a chunk's heap arrays (capacity x groups x steps) stay small."""
    chunk: list[Group] = []
    longest = 0
    for group in groups:
        capacity = max(1, min(k_max, max(longest, len(group.rows))))
        if chunk and capacity * (len(chunk) + 1) * steps > cell_budget:
            yield chunk
            chunk, longest = [], 0
        chunk.append(group)
        longest = max(longest, len(group.rows))
    if chunk:
        yield chunk


def _select_in_chunk(
    vec: VectorOverGrid, groups: list[Group], k: np.ndarray, largest: bool, selected: np.ndarray
) -> None:
    steps = vec.values.shape[1]
    longest = max(len(group.rows) for group in groups)
    heap = _GroupHeap(min(longest, int(k.max(initial=1))), np.tile(k, len(groups)), len(groups) * steps, largest)
    k_allows = np.tile(k >= 1, len(groups))
    for position in range(longest):
        rows_at = np.array([group.rows[position] if len(group.rows) > position else -1 for group in groups])
        offered = rows_at >= 0
        values = np.zeros((len(groups), steps))
        present = np.zeros((len(groups), steps), dtype=bool)
        values[offered] = vec.values[rows_at[offered]]
        present[offered] = vec.present[rows_at[offered]]
        heap.offer(np.repeat(rows_at, steps), values.ravel(), present.ravel() & k_allows)
    for slot in range(heap.capacity):
        in_heap = np.flatnonzero(slot < heap.length)
        selected[heap.rows[slot, in_heap], in_heap % steps] = True


class _GroupHeap:
    """Go container/heaps side by side: slots (capacity, columns) of row ids and values, and the
    heap length per column. A column is one (group, step) pair."""

    def __init__(self, capacity: int, k: np.ndarray, columns: int, largest: bool) -> None:
        self.capacity = max(1, capacity)
        self.k = k
        self.largest = largest
        self.rows = np.full((self.capacity, columns), -1, dtype=np.int64)
        self.values = np.zeros((self.capacity, columns))
        self.length = np.zeros(columns, dtype=np.int64)
        self.columns = np.arange(columns)

    def less(self, i: np.ndarray, j: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """vectorByValueHeap.Less (topk) / vectorByReverseValueHeap.Less (bottomk): NaN is least."""
        vi = self.values[i, columns]
        vj = self.values[j, columns]
        return np.isnan(vi) | ((vi < vj) if self.largest else (vi > vj))

    def offer(self, rows: np.ndarray, v: np.ndarray, present: np.ndarray) -> None:
        """One input element per column (engine.go aggregation, case TOPK/BOTTOMK)."""
        if not present.any():
            return
        seed = present & (self.length == 0)
        if seed.any():
            self._put(seed, 0, rows, v)
            self.length[seed] = 1
        top = self.values[0]
        with np.errstate(invalid="ignore"):
            beats_top = (top < v) if self.largest else (top > v)
        enters = present & ~seed & ((self.length < self.k) | beats_top | np.isnan(top))
        if not enters.any():
            return
        full = enters & (self.length == self.k)
        replace_in_place = full & (self.k == 1)  # "For k==1 we can replace in-situ."
        if replace_in_place.any():
            self._put(replace_in_place, 0, rows, v)
        pop = full & (self.k > 1)
        if pop.any():
            self._pop(pop)
        push = enters & ~replace_in_place
        if push.any():
            self._push(push, rows, v)

    def _put(self, mask: np.ndarray, slot, rows: np.ndarray, v: np.ndarray) -> None:
        cols = self.columns[mask]
        slots = slot[mask] if isinstance(slot, np.ndarray) else slot
        self.rows[slots, cols] = rows[mask]
        self.values[slots, cols] = v[mask]

    def _swap(self, i: np.ndarray, j: np.ndarray, cols: np.ndarray) -> None:
        for array in (self.rows, self.values):
            held = array[i, cols].copy()
            array[i, cols] = array[j, cols]
            array[j, cols] = held

    def _push(self, mask: np.ndarray, rows: np.ndarray, v: np.ndarray) -> None:
        """heap.Push: append, then up()."""
        self._put(mask, self.length, rows, v)
        self.length[mask] += 1
        cols = self.columns[mask]
        j = self.length[mask] - 1
        while cols.size:
            parent = np.where(j > 0, (j - 1) // 2, 0)  # Go: (0-1)/2 == 0
            moving = (parent != j) & self.less(j, parent, cols)
            cols, j, parent = cols[moving], j[moving], parent[moving]
            self._swap(parent, j, cols)
            j = parent

    def _pop(self, mask: np.ndarray) -> None:
        """heap.Pop: swap the root with the last element, down() over the rest, drop the last."""
        cols = self.columns[mask]
        n = self.length[mask] - 1
        self._swap(np.zeros_like(n), n, cols)
        i = np.zeros_like(n)
        while cols.size:
            left = 2 * i + 1
            has_child = left < n
            cols, i, n, left = cols[has_child], i[has_child], n[has_child], left[has_child]
            right = left + 1
            child = left.copy()
            use_right = right < n
            if use_right.any():
                use_right[use_right] = self.less(right[use_right], left[use_right], cols[use_right])
            child[use_right] = right[use_right]
            moving = self.less(child, i, cols)
            cols, i, n, child = cols[moving], i[moving], n[moving], child[moving]
            self._swap(i, child, cols)
            i = child
        self.length[mask] -= 1


# ---------------------------------------------------------------------------------------------
# count_values
# ---------------------------------------------------------------------------------------------


def _count_values(vec: VectorOverGrid, grouping: list[str], without: bool, label: str) -> VectorOverGrid:
    """count_values: one group per distinct (grouping labels, formatted value).

    The value is written into `label` on each series before grouping; with by(...) the label
    joins the grouping labels, with without(...) it stays unless listed.
    """
    if not _LABEL_NAME.fullmatch(label):
        raise PromQLError(f"invalid label name {_go_quote(label)}")
    steps = vec.values.shape[1]
    keep = list(grouping) if without else [*grouping, label]
    rows_at, steps_at = np.nonzero(vec.present)
    if rows_at.size == 0:
        return VectorOverGrid.empty(steps)
    cell_values = vec.values[rows_at, steps_at]
    distinct, value_ids = _distinct_values(cell_values)
    formatted = [format_float_f(float(v)) for v in distinct]
    pairs, pair_of_cell = np.unique(rows_at.astype(np.int64) * len(distinct) + value_ids, return_inverse=True)
    out_index: dict[Labels, int] = {}
    pair_to_out = np.empty(len(pairs), dtype=np.int64)
    for p, pair in enumerate(pairs):
        row, value_id = divmod(int(pair), len(distinct))
        labelled = labels_set(vec.labels[row], label, formatted[value_id])
        key = group_labels(labelled, keep, without)
        pair_to_out[p] = out_index.setdefault(key, len(out_index))
    counts = np.zeros((len(out_index), steps))
    np.add.at(counts, (pair_to_out[pair_of_cell.ravel()], steps_at), 1.0)
    return VectorOverGrid(list(out_index), counts, counts > 0)


def _distinct_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct floats by bit pattern (so -0 and 0 differ) with every NaN folded into one."""
    bits = np.where(np.isnan(values), np.float64(np.nan), values).view(np.uint64)
    distinct_bits, ids = np.unique(bits, return_inverse=True)
    return distinct_bits.view(np.float64), ids.ravel()


def format_float_f(value: float) -> str:
    """Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return np.format_float_positional(value, unique=True, trim="-")


def go_format_float(value: float) -> str:
    """Go's fmt %v for a float64, as Prometheus prints numbers in error messages.

    %v is strconv's 'g' with the shortest digits, and for the shortest form strconv uses an
    exponent when the decimal exponent is below -4 or at least 6 (not Python's 16):
    1e+19, 1.234567e+06, 123456, 0.0001, 1e-05 (checked with promtool).
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)  # a finite value has a numeric exponent
    digits = list(digit_tuple)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    decimal_exponent = len(digits) + exponent - 1
    prefix = "-" if sign else ""
    if decimal_exponent < -4 or decimal_exponent >= 6:
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if decimal_exponent < 0 else '+'}{abs(decimal_exponent):02d}"
    return format_float_f(value)


def _go_quote(value: str) -> str:
    """strconv.Quote for the printable strings label names are."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
