"""An in-memory TSDB: series by label set, samples as numpy arrays.

Series are returned in storage order (sorted label sets), as Prometheus's querier returns them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from common.regex import GoRegexpError, compile_anchored

from .model import METRIC_NAME, Labels, PromQLError, Series, labels_get


@dataclass(frozen=True)
class Matcher:
    """A label matcher: op is one of '=', '!=', '=~', '!~'."""

    name: str
    op: str
    value: str

    def matches(self, label_value: str) -> bool:
        if self.op == "=":
            return label_value == self.value
        if self.op == "!=":
            return label_value != self.value
        matched = _anchored(self.value).fullmatch(label_value) is not None
        return matched if self.op == "=~" else not matched


def _anchored(pattern: str) -> re.Pattern:
    """The matcher's regex for fullmatch: model/labels/regexp.go anchors it as ^(?:re)$.

    Trap: the pattern is Go's RE2, not Python's: (?i) in mid-pattern, \\pL, ASCII-only \\d, ...
    common/regex.py translates it. A pattern Go rejects is a query error, as Prometheus's
    parser reports it.
    """
    try:
        return compile_anchored(pattern)
    except GoRegexpError as error:
        raise PromQLError(f"parse error: {error}") from None


class Storage:
    """Series keyed by label set. add() appends samples after any already stored."""

    def __init__(self) -> None:
        self._series: dict[Labels, Series] = {}
        self._sorted: list[Series] | None = None
        self._by_name: dict[str, list[Series]] | None = None

    def add(self, labels: Labels, t_ms, values) -> None:
        t_ms = np.asarray(t_ms, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        existing = self._series.get(labels)
        if existing is None:
            self._series[labels] = series = Series(labels, t_ms.copy(), values.copy())
            self._index_new(series)
        else:
            if len(existing.t) and len(t_ms) and t_ms[0] <= existing.t[-1]:
                # Out-of-order append: merge, later writes win on equal timestamps.
                t_all = np.concatenate([existing.t, t_ms])
                v_all = np.concatenate([existing.v, values])
                order = np.argsort(t_all, kind="stable")
                t_all, v_all = t_all[order], v_all[order]
                keep = np.append(t_all[1:] != t_all[:-1], True)
                existing.t, existing.v = t_all[keep], v_all[keep]
            else:
                existing.t = np.concatenate([existing.t, t_ms])
                existing.v = np.concatenate([existing.v, values])

    def add_series(self, series: Series) -> None:
        """Store a whole Series without copying its arrays (a new label set; else like add()).

        For bulk loads (scenario generators): arrays may be shared between series, e.g. one
        timestamp array for a whole scrape grid, so callers must not mutate them afterwards.
        """
        if series.labels in self._series:
            self.add(series.labels, series.t, series.v)
            return
        self._series[series.labels] = series
        self._index_new(series)

    def _index_new(self, series: Series) -> None:
        """Insert a new label set into the name index in storage order rather than rebuilding the
        index: rule groups add output series one rule at a time, and a rebuild per rule made a
        group's evaluation quadratic in its rules. Appending samples changes no index."""
        self._sorted = None
        if self._by_name is not None:
            same_name = self._by_name.setdefault(labels_get(series.labels, METRIC_NAME), [])
            bisect.insort(same_name, series, key=_series_labels)

    def all_series(self) -> list[Series]:
        if self._sorted is None:
            self._sorted = [self._series[k] for k in sorted(self._series)]
        return self._sorted

    def select(self, matchers: list[Matcher]) -> list[Series]:
        """Series whose labels satisfy every matcher (a missing label matches as "")."""
        if self._by_name is None:
            self._by_name = {}
            for series in self.all_series():
                self._by_name.setdefault(labels_get(series.labels, METRIC_NAME), []).append(series)
        names = [m.value for m in matchers if m.name == METRIC_NAME and m.op == "="]
        candidates = self._by_name.get(names[0], []) if names else self.all_series()
        return [s for s in candidates if all(m.matches(labels_get(s.labels, m.name)) for m in matchers)]

    def __len__(self) -> int:
        return len(self._series)


def _series_labels(series: Series) -> Labels:
    return series.labels
