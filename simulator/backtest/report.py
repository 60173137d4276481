"""Render a backtest: what would have fired, when and for how long, the pages, and a comparison of revisions.

Text for people; JSON (versioned, times as Unix seconds and RFC 3339) for tools. Deterministic: no wall-clock
figures in either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from common.durations import format_duration
from simulator.rules.model import AlertInterval, AlertTimeline

from .plan import format_time
from .run import BacktestResult, RevisionResult

JSON_SCHEMA_NAME = "alertkit-backtest"  # docs/schemas/backtest.schema.json
JSON_SCHEMA_VERSION = 1


def _labels_text(labels: dict[str, str]) -> str:
    shown = {k: v for k, v in sorted(labels.items()) if k != "alertname"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in shown.items()) + "}"


def _time(t_ms: int | None) -> str:
    return "-" if t_ms is None else format_time(t_ms)


def firing_for_ms(interval: AlertInterval, end_ms: int) -> int | None:
    """How long an activation fired inside the backtest (to its resolution, or to the last evaluation)."""
    if interval.firing_at_ms is None:
        return None
    until = interval.resolved_at_ms if interval.resolved_at_ms is not None else end_ms
    return until - interval.firing_at_ms


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]
    ]


def render_text(result: BacktestResult) -> str:
    grid = result.grid
    mode = "remote evaluation (--remote-eval)" if result.remote_eval else "local evaluation"
    lines = [
        f"backtest of {result.store} from {format_time(grid.start_ms)} to {format_time(grid.end_ms)}: "
        f"{grid.steps} evaluations every {format_duration(grid.step_ms)}, {mode}",
        f"  fetched {result.series} series, {result.samples} samples ({len(result.fetches)} selectors, "
        f"{result.fetch_stats.chunks} chunks, {result.fetch_stats.cache_hits} from the cache)",
    ]
    if result.remote_stats is not None:
        lines.append(
            f"  the store evaluated {result.remote_stats.queries} range queries ({result.remote_stats.points} points)"
        )
    for revision in result.revisions:
        lines += [""] + _revision_text(revision, grid.end_ms)
    if len(result.revisions) == 2:
        lines += [""] + compare_text(result.revisions[0], result.revisions[1])
    return "\n".join(lines) + "\n"


def _revision_text(revision: RevisionResult, end_ms: int) -> list[str]:
    lines = [f"rules: {revision.revision.name}"]
    if revision.remote_rules or revision.local_rules:
        lines.append(f"  {revision.remote_rules} rules evaluated by the store, {revision.local_rules} locally")
    rows = [
        [
            timeline.alertname,
            _labels_text(timeline.labels),
            _time(interval.pending_at_ms),
            _time(interval.firing_at_ms),
            _time(interval.resolved_at_ms) if interval.resolved_at_ms is not None else "(still firing)",
            "-" if (held := firing_for_ms(interval, end_ms)) is None else format_duration(held),
        ]
        for timeline in revision.timelines
        for interval in timeline.intervals
    ]
    fired = [row for row in rows if row[3] != "-"]
    if rows:
        lines += _table(["ALERT", "LABELS", "PENDING AT", "FIRING AT", "RESOLVED AT", "FIRING FOR"], rows)
    times = "time" if len(fired) == 1 else "times"
    lines.append(f"  would have fired {len(fired)} {times} ({len(rows) - len(fired)} more pending only)")
    if revision.notifications is None:
        lines.append("  pages: no Alertmanager configuration to time them with")
        return lines
    notifications = [
        [
            _time(n.at_ms),
            n.receiver,
            n.kind,
            ", ".join(dict(a).get("alertname", "") for a in n.firing) or "-",
            ", ".join(dict(a).get("alertname", "") for a in n.resolved) or "-",
        ]
        for n in revision.notifications
    ]
    if notifications:
        lines.append("  notifications (Alertmanager 0.25 model):")
        lines += _table(["AT", "RECEIVER", "KIND", "FIRING", "RESOLVED"], notifications)
    lines.append(f"  pages: {len(revision.pages)}, notifications: {len(revision.notifications)}")
    return lines


@dataclass(frozen=True)
class Detection:
    """One activation matched across two revisions (None: no overlapping activation fired there)."""

    alertname: str
    labels: dict[str, str]
    firing_at_ms: int | None
    other_firing_at_ms: int | None


def match_detections(this: list[AlertTimeline], other: list[AlertTimeline]) -> list[Detection]:
    """Fired activations of both revisions, paired when the same alert instance was active at overlapping times."""
    others = {(tl.alertname, tuple(sorted(tl.labels.items()))): tl.intervals for tl in other}
    detections = []
    used: set[tuple] = set()
    for timeline in this:
        key = (timeline.alertname, tuple(sorted(timeline.labels.items())))
        for interval in timeline.intervals:
            if interval.firing_at_ms is None:
                continue
            match = next(
                (
                    (index, o)
                    for index, o in enumerate(others.get(key, []))
                    if o.firing_at_ms is not None and (key, index) not in used and _overlap(interval, o)
                ),
                None,
            )
            if match is not None:
                used.add((key, match[0]))
            detections.append(
                Detection(timeline.alertname, timeline.labels, interval.firing_at_ms, match and match[1].firing_at_ms)
            )
    for key, intervals in others.items():
        for index, o in enumerate(intervals):
            if o.firing_at_ms is not None and (key, index) not in used:
                detections.append(Detection(key[0], dict(key[1]), None, o.firing_at_ms))
    return sorted(detections, key=lambda d: min(t for t in (d.firing_at_ms, d.other_firing_at_ms) if t is not None))


def _overlap(a: AlertInterval, b: AlertInterval) -> bool:
    a_end = a.resolved_at_ms if a.resolved_at_ms is not None else float("inf")
    b_end = b.resolved_at_ms if b.resolved_at_ms is not None else float("inf")
    return a.pending_at_ms < b_end and b.pending_at_ms < a_end


def compare_text(this: RevisionResult, other: RevisionResult) -> list[str]:
    name, other_name = this.revision.name, other.revision.name
    rows = []
    for d in match_detections(this.timelines, other.timelines):
        if d.firing_at_ms is None:
            change = f"only in {other_name}"
        elif d.other_firing_at_ms is None:
            change = f"only in {name}"
        elif d.firing_at_ms == d.other_firing_at_ms:
            change = "same time"
        else:
            delta = d.firing_at_ms - d.other_firing_at_ms
            change = f"{format_duration(abs(delta))} {'later' if delta > 0 else 'earlier'}"
        rows.append([d.alertname, _labels_text(d.labels), _time(d.firing_at_ms), _time(d.other_firing_at_ms), change])
    lines = [f"compared with {other_name}:"]
    if rows:
        lines += _table(["ALERT", "LABELS", f"FIRING AT ({name})", f"FIRING AT ({other_name})", "CHANGE"], rows)
    fired = sum(d.firing_at_ms is not None for d in match_detections(this.timelines, other.timelines))
    other_fired = sum(d.other_firing_at_ms is not None for d in match_detections(this.timelines, other.timelines))
    lines.append(f"  firings: {fired} ({name}) vs {other_fired} ({other_name}), {_signed(fired - other_fired)}")
    if this.notifications is not None and other.notifications is not None:
        pages, other_pages = len(this.pages), len(other.pages)
        lines.append(f"  pages: {pages} ({name}) vs {other_pages} ({other_name}), {_signed(pages - other_pages)}")
    return lines


def _signed(delta: int) -> str:
    if delta == 0:
        return "no change"
    return f"{abs(delta)} {'more' if delta > 0 else 'fewer'}"


def _seconds(t_ms: int | None) -> float | int | None:
    if t_ms is None:
        return None
    return t_ms / 1000 if t_ms % 1000 else t_ms // 1000


def to_json_document(result: BacktestResult) -> dict:
    grid = result.grid
    return {
        "schema": JSON_SCHEMA_NAME,
        "version": JSON_SCHEMA_VERSION,
        "store": result.store,
        "from_s": _seconds(grid.start_ms),
        "to_s": _seconds(grid.end_ms),
        "evaluation_interval_s": _seconds(grid.step_ms),
        "remote_eval": result.remote_eval,
        "series": result.series,
        "samples": result.samples,
        "selectors": [f.selector for f in result.fetches],
        "chunks": result.fetch_stats.chunks,
        "chunks_from_cache": result.fetch_stats.cache_hits,
        "revisions": [_revision_json(r, grid.end_ms) for r in result.revisions],
    }


def _revision_json(revision: RevisionResult, end_ms: int) -> dict:
    return {
        "name": revision.revision.name,
        "alerts": [
            {
                "alertname": timeline.alertname,
                "labels": dict(sorted(timeline.labels.items())),
                "intervals": [
                    {
                        "pending_at_s": _seconds(i.pending_at_ms),
                        "firing_at_s": _seconds(i.firing_at_ms),
                        "resolved_at_s": _seconds(i.resolved_at_ms),
                        "firing_for_s": _seconds(firing_for_ms(i, end_ms)),
                    }
                    for i in timeline.intervals
                ],
            }
            for timeline in revision.timelines
        ],
        "pages": None
        if revision.notifications is None
        else [
            {
                "at_s": _seconds(n.at_ms),
                "receiver": n.receiver,
                "firing": [dict(sorted(a)) for a in n.firing],
            }
            for n in revision.pages
        ],
        "notifications": None if revision.notifications is None else len(revision.notifications),
    }


def render_json(result: BacktestResult) -> str:
    return json.dumps(to_json_document(result), indent=2) + "\n"
