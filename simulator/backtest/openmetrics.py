"""A scenario's generated series as OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics`.

What promtool 2.42 reads (model/textparse/openmetricsparse.go, cmd/promtool/backfill.go):
- the text ends with `# EOF`;
- a sample is `name{labels} value timestamp`, the timestamp in (float) seconds; the parser keeps
  `int64(ts * 1000)`, a truncation, so each timestamp is written as the shortest decimal whose float
  times 1000 truncates to the intended millisecond;
- no `# TYPE` lines are written: every family is then of type unknown, whose sample names are taken as
  they are. A `# TYPE x counter` line would make OpenMetrics demand `x_total` sample names and a
  histogram family demand `_bucket`/`_sum`/`_count` under one name, while the scenario's names are the
  exposition names Prometheus stores (ranker_requests_total), which must reach the TSDB unchanged;
- values are written as Python's shortest round-trip repr, which Go's ParseFloat reads back bit for bit
  (NaN, +Inf and -Inf as OpenMetrics spells them).

Stale markers (value.StaleNaN) cannot be written: OpenMetrics has one NaN, which the parser stores as an
ordinary NaN. They are left out, and `stale_series` says which series had some (the backfilled TSDB then
shows those series for up to the lookback delta after their last sample, where the simulator does not).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from simulator.promql.model import METRIC_NAME, Labels, format_labels, is_stale, labels_get

EOF_LINE = "# EOF\n"
MS_PER_SECOND = 1000


@dataclass(frozen=True)
class ExportedSeries:
    """What render_openmetrics needs of a series: its labels and raw samples (ms timestamps)."""

    labels: Labels
    t_ms: np.ndarray
    values: np.ndarray


def render_openmetrics(series: Iterable[ExportedSeries], origin_ms: int = 0) -> Iterator[str]:
    """The OpenMetrics text in pieces (one per series, then `# EOF`), timestamps shifted by origin_ms.

    Each series is written whole, in time order (the order a TSDB appender needs), stale markers left out.
    """
    if origin_ms < 0:
        raise ValueError("the origin must not be before 1970 (OpenMetrics timestamps here are non-negative)")
    for s in series:
        keep = ~is_stale(s.values)
        if not keep.any():
            continue
        prefix = _series_text(s.labels) + " "
        times = timestamp_texts(np.asarray(s.t_ms, dtype=np.int64)[keep] + origin_ms)
        values = [_value_text(v) for v in np.asarray(s.values, dtype=np.float64)[keep].tolist()]
        yield "".join(f"{prefix}{v} {t}\n" for v, t in zip(values, times))
    yield EOF_LINE


def stale_series(series: Iterable[ExportedSeries]) -> list[str]:
    """The series (as Prometheus prints them) that carry stale markers, which OpenMetrics cannot hold."""
    return [format_labels(s.labels) for s in series if is_stale(s.values).any()]


def timestamp_texts(t_ms: np.ndarray) -> list[str]:
    """Seconds texts that promtool's `int64(ts * 1000)` turns back into exactly these milliseconds."""
    t_ms = np.asarray(t_ms, dtype=np.int64)
    seconds = t_ms / MS_PER_SECOND
    # Float division can land just below the millisecond; truncation would then lose one. Step such
    # values up to the next float until the truncated product is right (one step always suffices in
    # practice; the loop keeps it correct regardless).
    wrong = np.trunc(seconds * MS_PER_SECOND).astype(np.int64) != t_ms
    while wrong.any():
        seconds[wrong] = np.nextafter(seconds[wrong], np.inf)
        wrong = np.trunc(seconds * MS_PER_SECOND).astype(np.int64) != t_ms
    whole = t_ms % MS_PER_SECOND == 0
    return [str(ms // MS_PER_SECOND) if w else repr(s) for ms, s, w in zip(t_ms.tolist(), seconds.tolist(), whole)]


def _value_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def _series_text(labels: Labels) -> str:
    name = labels_get(labels, METRIC_NAME)
    pairs = [f'{k}="{_escape(v)}"' for k, v in labels if k != METRIC_NAME]
    return name + ("{" + ",".join(pairs) + "}" if pairs else "")


def _escape(value: str) -> str:
    """OpenMetrics label-value escaping: backslash, double quote and line feed."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
