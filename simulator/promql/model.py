"""Values the evaluator works with: stored series and values over an evaluation grid.

The evaluator never answers one timestamp at a time. Every expression is evaluated over the
whole grid of evaluation timestamps at once, so an instant vector is a matrix of
series x steps with a presence mask (a series may be absent at some steps, and NaN is a
legitimate PromQL value, so absence cannot be encoded as NaN).

Times are integer milliseconds, as in Prometheus (model.Time); durations in seconds are
float(ms) / 1000 when a function needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from common.errors import InputError

# A label set: (name, value) pairs sorted by name. Tuples compare the way Prometheus's
# labels.Compare orders label sets (name, then value, pair by pair, then length), so sorting a
# list of Labels gives storage order.
Labels = tuple[tuple[str, str], ...]

METRIC_NAME = "__name__"

# pkg/value/value.go: StaleNaN is a NaN with a specific bit pattern. A plain NaN is an ordinary
# sample value; only this pattern marks a series as stale.
STALE_NAN_BITS = np.uint64(0x7FF0000000000002)
STALE_NAN = np.array([STALE_NAN_BITS], dtype=np.uint64).view(np.float64)[0]

# promql/engine.go: defaultLookbackDelta.
DEFAULT_LOOKBACK_DELTA_MS = 5 * 60 * 1000


def is_stale(values: np.ndarray) -> np.ndarray:
    """Elementwise: is this float the StaleNaN marker (not any other NaN)?"""
    values = np.ascontiguousarray(values, dtype=np.float64)
    return values.view(np.uint64) == STALE_NAN_BITS


def labels_from_dict(mapping: dict[str, str]) -> Labels:
    """Build a Labels tuple; empty values are dropped, as Prometheus drops empty labels."""
    return tuple(sorted((k, v) for k, v in mapping.items() if v != ""))


def labels_get(labels: Labels, name: str) -> str:
    for key, value in labels:
        if key == name:
            return value
    return ""


def labels_without(labels: Labels, names: set[str] | frozenset[str]) -> Labels:
    return tuple(pair for pair in labels if pair[0] not in names)


def labels_only(labels: Labels, names: set[str] | frozenset[str]) -> Labels:
    return tuple(pair for pair in labels if pair[0] in names)


def labels_set(labels: Labels, name: str, value: str) -> Labels:
    """Set (or with an empty value, delete) one label."""
    rest = [pair for pair in labels if pair[0] != name]
    if value != "":
        rest.append((name, value))
    return tuple(sorted(rest))


def format_labels(labels: Labels) -> str:
    """Render like Prometheus's labels.String(): name{a="b"} with __name__ outside the braces."""
    name = labels_get(labels, METRIC_NAME)
    inner = ", ".join(f'{k}="{_escape(v)}"' for k, v in labels if k != METRIC_NAME)
    return f"{name}{{{inner}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class Series:
    """One stored series: raw samples, stale markers included, timestamps strictly increasing."""

    labels: Labels
    t: np.ndarray  # int64 milliseconds
    v: np.ndarray  # float64
    # True for series written by a rule that runs *later* in the same evaluation cycle than the
    # reader (rules/manager.go evaluates rules in order at one timestamp): a sample stamped
    # exactly at the evaluation timestamp does not exist yet for the reader. Selectors then
    # ignore samples with t >= the evaluation timestamp (not the offset-shifted reference time).
    hidden_at_eval_time: bool = False


@dataclass(frozen=True)
class Grid:
    """The evaluation timestamps: start, start+step, ..., end (inclusive), in milliseconds."""

    start_ms: int
    end_ms: int
    step_ms: int

    @property
    def timestamps(self) -> np.ndarray:
        count = (self.end_ms - self.start_ms) // self.step_ms + 1
        return self.start_ms + np.arange(count, dtype=np.int64) * self.step_ms

    @property
    def steps(self) -> int:
        return (self.end_ms - self.start_ms) // self.step_ms + 1

    @classmethod
    def at(cls, t_ms: int) -> Grid:
        """A one-step grid: an instant query at t_ms."""
        return cls(t_ms, t_ms, 1)


@dataclass
class VectorOverGrid:
    """An instant vector at every grid step.

    Row i is one label set; values[i, j] is its value at step j when present[i, j].
    Rows are kept in the order Prometheus would produce them at a step (storage order for
    selectors, LHS order for binary operators), because naive float summation in aggregations
    depends on that order.
    sample_ms, when set, holds the raw sample timestamp behind each cell (for timestamp()).
    """

    labels: list[Labels]
    values: np.ndarray  # (n_series, n_steps) float64
    present: np.ndarray  # (n_series, n_steps) bool
    sample_ms: np.ndarray | None = None  # (n_series, n_steps) int64

    @classmethod
    def empty(cls, steps: int) -> VectorOverGrid:
        return cls([], np.zeros((0, steps)), np.zeros((0, steps), dtype=bool))

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class ScalarOverGrid:
    """A scalar at every grid step (always present)."""

    values: np.ndarray  # (n_steps,) float64


@dataclass
class StringValue:
    value: str


@dataclass
class MatrixOverGrid:
    """A range vector selector evaluated at every grid step, kept lazy.

    Functions over ranges read, for series s and step j, the samples of series[s] with
    window_start[j] <= t <= window_end[j] (closed on both ends in Prometheus 2.42), stale
    markers removed. range_ms and the window ends are what extrapolatedRate needs.
    """

    series: list[Series]  # stale markers already dropped
    range_ms: int
    window_end_ms: np.ndarray  # (n_steps,) int64: step time minus offset (or the @ time)
    extra: dict = field(default_factory=dict)

    @property
    def window_start_ms(self) -> np.ndarray:
        return self.window_end_ms - self.range_ms


Value = VectorOverGrid | ScalarOverGrid | StringValue | MatrixOverGrid


class PromQLError(InputError):
    """An expression that Prometheus would reject at evaluation time (the query fails)."""

    # The earliest grid step at which the query fails, for errors that depend on the data at a step
    # (an instant query at an earlier step still succeeds); None when the expression always fails.
    step_index: int | None = None
