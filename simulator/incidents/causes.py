"""Probable causes of an incident, ranked: the change events declared in the scenario near its start.

    score = PRIOR[type] × proximity × support

- PRIOR: how often a change of that type triggers an outage. Google's analysis of thousands of postmortems
  (The Site Reliability Workbook, appendix C, table C-1, triggers 2010-2017): binary push 37 %,
  configuration push 31 %, processing pipeline 6 %. A deploy is a binary push; a feature-flag flip is a
  configuration push, as a configuration change is; a schema change acts through the processing pipeline.
- proximity = 0.5 ** (Δ / PROXIMITY_HALF_LIFE), Δ = how long before the incident's start the event happened
  (0 for an event up to one evaluation step after it: the start is known to a step). Half-life 30m: a bad
  change shows in 5m-rate alerts within minutes of reaching traffic and a progressive rollout reaches all of it
  in tens of minutes, so an event 30m before the start is half as likely, 2h before 1/16. Events more than
  LOOKBACK before the start, or later than a step after it, are not candidates.
- support: the severity-weighted share of the incident's alerts that agree with the event: an alert agrees when
  it went pending no earlier than a step before the event, and carries the event's `labels` (a scope such as
  service: ranker) with the same values, or does not carry them. SEVERITY_WEIGHT: a page counts 1, a ticket
  0.3, any other severity 0.1; a page is what someone judged worth waking up for, its signal is trusted most.

The product keeps each factor's meaning (a certain, distant change scores like a likely, near one) and is 0
when no alert agrees.
"""

from __future__ import annotations

from common.durations import format_duration
from simulator.scenarios.model import Event

from .model import Cause, Firing, SeriesChange

PRIOR = {"deploy": 0.37, "config_change": 0.31, "feature_flag": 0.31, "schema_change": 0.06}
PRIOR_SOURCE = {
    "deploy": "binary pushes trigger 37 % of outages",
    "config_change": "configuration pushes trigger 31 % of outages",
    "feature_flag": "a flag flip is a configuration push, 31 % of outage triggers",
    "schema_change": "processing-pipeline changes trigger 6 % of outages",
}
PROXIMITY_HALF_LIFE_MS = 30 * 60 * 1000
LOOKBACK_MS = 24 * 3600 * 1000
SEVERITY_WEIGHT = {"page": 1.0, "ticket": 0.3}
OTHER_SEVERITY_WEIGHT = 0.1


def rank_causes(
    events: tuple[Event, ...] | list[Event],
    start_ms: int,
    firings: list[Firing],
    change: SeriesChange | None,
    interval_ms: int,
) -> list[Cause]:
    """The candidate events of an incident starting at start_ms, best first (ties: the later event first)."""
    first = _first_pending(firings)
    causes = [
        _cause(event, start_ms, first, change, interval_ms)
        for event in events
        if start_ms - LOOKBACK_MS <= event.at_ms <= start_ms + interval_ms
    ]
    return sorted(causes, key=lambda c: (-c.score, -c.at_ms, c.title))


def _first_pending(firings: list[Firing]) -> dict[str, Firing]:
    first: dict[str, Firing] = {}
    for firing in sorted(firings, key=lambda f: (f.pending_at_ms, f.labels)):
        first.setdefault(firing.alertname, firing)
    return first


def _weight(severity: str) -> float:
    return SEVERITY_WEIGHT.get(severity, OTHER_SEVERITY_WEIGHT)


def _agrees(event: Event, firing: Firing, interval_ms: int) -> bool:
    labels = dict(firing.labels)
    in_scope = all(labels.get(name, value) == value for name, value in event.labels)
    return in_scope and firing.pending_at_ms >= event.at_ms - interval_ms


def _cause(event: Event, start_ms: int, first: dict[str, Firing], change, interval_ms: int) -> Cause:
    before_ms = max(0, start_ms - event.at_ms)
    proximity = 0.5 ** (before_ms / PROXIMITY_HALF_LIFE_MS)
    prior = PRIOR[event.type]
    agreeing = [f for f in first.values() if _agrees(event, f, interval_ms)]
    total = sum(_weight(f.severity) for f in first.values())
    support = sum(_weight(f.severity) for f in agreeing) / total if total else 0.0
    evidence = []
    if change is not None:
        evidence.append(change_sentence(change, event))
    evidence.append(
        f"{event.title} at {_at(event.at_ms)}, {_relative(event.at_ms - start_ms)} the incident's start "
        f"({_at(start_ms)}): proximity {proximity:.2f} (half-life {format_duration(PROXIMITY_HALF_LIFE_MS)}); "
        f"prior {prior:.2f} ({PRIOR_SOURCE[event.type]})"
    )
    evidence.append(_support_sentence(event, first, agreeing, support, interval_ms))
    return Cause(
        event.type,
        event.title,
        event.at_ms,
        event.description,
        prior * proximity * support,
        prior,
        proximity,
        support,
        tuple(f.alertname for f in agreeing),
        tuple(evidence),
    )


def _support_sentence(event: Event, first: dict[str, Firing], agreeing: list[Firing], support, interval_ms) -> str:
    shown = ", ".join(f"{f.alertname} ({f.severity or 'no severity'}) pending {_at(f.pending_at_ms)}" for f in agreeing)
    sentence = f"{len(agreeing)} of {len(first)} alerts agree (severity-weighted {support * 100:.0f} %)"
    sentence += f": {shown}" if shown else ""
    others = [f for f in first.values() if f not in agreeing]
    for firing in others:
        if firing.pending_at_ms < event.at_ms - interval_ms:
            sentence += f"; {firing.alertname} was pending before it ({_at(firing.pending_at_ms)})"
        else:
            scope = ", ".join(f"{k}={v}" for k, v in event.labels)
            sentence += f"; {firing.alertname} is outside its scope ({scope})"
    return sentence


def change_sentence(change: SeriesChange, event: Event | None = None) -> str:
    """e.g. `x 0.92 -> 0.682 (-26 %) from 4d14h1m, 1m after deploy v2.3.1`."""
    labels = ", ".join(f'{k}="{v}"' for k, v in change.labels)
    name = f"{change.expr}{{{labels}}}" if labels else change.expr
    relative = change.relative_change
    percent = f" ({relative:+.0%})".replace("%", " %") if relative is not None else ""
    sentence = f"{name} {change.before:.3g} -> {change.after:.3g}{percent} from {_at(change.onset_ms)}"
    if event is not None:
        sentence += f", {_relative(change.onset_ms - event.at_ms)} {event.title}"
    return sentence


def _at(ms: int) -> str:
    return format_duration(ms) if ms else "0s"


def _relative(delta_ms: int) -> str:
    """`2m after` (delta > 0), `3m before` (delta < 0), `at` (0), for an event relative to a moment."""
    if delta_ms == 0:
        return "at"
    return f"{format_duration(abs(delta_ms))} {'after' if delta_ms > 0 else 'before'}"
