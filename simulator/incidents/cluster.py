"""Firing alerts clustered into incidents: a firing joins the current incident while it starts no later than
`gap` after the incident's alerts last stopped firing; a longer quiet time starts a new incident.

DEFAULT_GAP_MS is 1h: longer than the hysteresis of one alert (`for` plus `keep_firing_for`, 5m + 15m for
the shipped rules; Alertmanager's default group_interval is 5m), so an alert that resolves and fires again
while its cause decays stays one incident; and an hour apart, firings usually have separate causes (an
incident's follow-on alerts, such as a CTR drop 6h after a pipeline break, fire while its first alerts still
fire, so they join through the overlap, not through the gap).
"""

from __future__ import annotations

from simulator.rules.model import AlertTimeline

from .model import Firing

DEFAULT_GAP_MS = 3600 * 1000
SEVERITY_LABEL = "severity"  # the label the compiler writes each alert's severity into


def firings_of(timelines: list[AlertTimeline], ignored: set[str] | frozenset[str] = frozenset()) -> list[Firing]:
    """Every activation that fired, in firing order; alerts in `ignored` (say, unobserved ones) left out."""
    firings = [
        Firing(
            timeline.alertname,
            tuple(sorted(timeline.labels.items())),
            timeline.labels.get(SEVERITY_LABEL, ""),
            interval.pending_at_ms,
            interval.firing_at_ms,
            interval.resolved_at_ms,
        )
        for timeline in timelines
        if timeline.alertname not in ignored
        for interval in timeline.intervals
        if interval.firing_at_ms is not None
    ]
    return sorted(firings, key=lambda f: (f.firing_at_ms, f.alertname, f.labels))


def cluster(firings: list[Firing], gap_ms: int, duration_ms: int) -> list[list[Firing]]:
    """Firings grouped into incidents, in time order (firings must be sorted by firing_at_ms)."""
    clusters: list[list[Firing]] = []
    last_end = 0
    for firing in firings:
        end = firing.resolved_at_ms if firing.resolved_at_ms is not None else duration_ms
        if clusters and firing.firing_at_ms <= last_end + gap_ms:
            clusters[-1].append(firing)
            last_end = max(last_end, end)
        else:
            clusters.append([firing])
            last_end = end
    return clusters
