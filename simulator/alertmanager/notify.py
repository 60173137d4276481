"""The notification pipeline of Alertmanager 0.25 for one flush (notify/notify.go, inhibit/inhibit.go, timeinterval/).

Stage order (notify.go BuildPipeline): gossip settle (nothing without a cluster) → InhibitStage → TimeActiveStage →
TimeMuteStage → SilenceStage (no silences in a simulation) → per integration: WaitStage (HA position 0: no wait)
→ DedupStage → RetryStage → SetNotifiesStage. A stage that leaves no alert ends the pipeline (MultiStage), so
the notification log is untouched then.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any

from simulator.alertmanager.config import InhibitRule, matches_all

from .sender import Labels

# notify/notify.go DedupStage.needsUpdate: which row decided a send (shown as the notification's reason).
REASON_FIRST = "first"  # no log entry and something fires
REASON_NEW_FIRING = "new-firing"  # a firing alert not in the last notification
REASON_ALL_RESOLVED = "all-resolved"  # nothing fires any more, the last notification had firing alerts
REASON_RESOLVED = "resolved"  # send_resolved and a newly resolved alert
REASON_REPEAT = "repeat"  # nothing changed and repeat_interval has passed

# The simulator's t = 0 is the Unix epoch (as promtool's series start), so time intervals see 1970-01-01 UTC.
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class FlushAlert:
    """An alert of a group's snapshot at a flush (aggrGroup.flush: EndsAt kept only when already passed)."""

    labels: Labels
    starts_at_ms: int
    resolved: bool


@dataclass(frozen=True)
class LogEntry:
    """nflog entry of one (group key, receiver, integration): the last notification's alert sets and time."""

    firing: frozenset[Labels]
    resolved: frozenset[Labels]
    timestamp_ms: int


def needs_update(
    entry: LogEntry | None,
    firing: frozenset[Labels],
    resolved: frozenset[Labels],
    send_resolved: bool,
    repeat_interval_ms: int,
    now_ms: int,
) -> str | None:
    """DedupStage.needsUpdate: the reason to send, or None.

    The entry's timestamp is taken after the integration returned, so it is a little after its tick; the repeat
    test `timestamp < now − repeat_interval` is therefore strict on tick times (notes §5, verified by the drill).
    """
    if entry is None:
        return REASON_FIRST if firing else None
    if not firing <= entry.firing:
        return REASON_NEW_FIRING
    if not firing:
        return REASON_ALL_RESOLVED if entry.firing else None
    if send_resolved and not resolved <= entry.resolved:
        return REASON_RESOLVED
    return REASON_REPEAT if entry.timestamp_ms < now_ms - repeat_interval_ms else None


# --- inhibition (inhibit/inhibit.go) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Inhibition:
    """A target muted at a flush, and the source that muted it."""

    at_ms: int
    target: Labels
    source: Labels


class Inhibitor:
    """inhibit.Inhibitor: every received alert matching a rule's source side is cached (scache), whatever its
    route; a target is muted while a cached source is unresolved with equal `equal` labels."""

    def __init__(self, rules: list[InhibitRule]) -> None:
        self.rules = rules
        self.caches: list[dict[Labels, tuple[dict[str, str], int]]] = [{} for _ in rules]

    def received(self, labels: Labels, ends_at_ms: int) -> None:
        as_dict = dict(labels)
        for rule, cache in zip(self.rules, self.caches):
            if matches_all(rule.source_matchers, as_dict):
                cache[labels] = (as_dict, ends_at_ms)

    def muted_by(self, labels: Labels, now_ms: int) -> Labels | None:
        """Inhibitor.Mutes: the first unresolved source (rules in order) that mutes the alert, else None."""
        target = dict(labels)
        for rule, cache in zip(self.rules, self.caches):
            if not matches_all(rule.target_matchers, target):
                continue
            exclude_two_sided = matches_all(rule.source_matchers, target)
            for source_key, (source, ends_at) in cache.items():
                if ends_at <= now_ms:  # "The cache might be stale and contain resolved alerts."
                    continue
                if any(source.get(name, "") != target.get(name, "") for name in rule.equal):
                    continue
                if exclude_two_sided and matches_all(rule.target_matchers, source):
                    continue
                return source_key
        return None


# --- time intervals (timeinterval/timeinterval.go) ---------------------------------------------------------------

_WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


class TimeIntervalError(ValueError):
    """A time interval the model cannot evaluate."""


def _ranges(items: list[Any], names: list[str] | None, offset: int) -> list[tuple[int, int]]:
    """`a:b` or `a` entries, by name (case-insensitive) or number, as inclusive (begin, end) pairs."""
    found = []
    for item in items:
        parts = str(item).split(":")
        values = []
        for part in parts:
            part = part.strip().lower()
            if names is not None and part in names:
                values.append(names.index(part) + offset)
            else:
                try:
                    values.append(int(part))
                except ValueError:
                    raise TimeIntervalError(f"bad time interval range {item!r}") from None
        found.append((values[0], values[-1]))
    return found


def _minutes(text: str) -> int:
    hours, minutes = str(text).split(":")
    return int(hours) * 60 + int(minutes)


@functools.cache
def _location(name: str | None) -> datetime.tzinfo:
    """time.LoadLocation: "" and "UTC" are UTC, "Local" is refused (it would make a simulation depend on the
    machine it runs on), anything else comes from the IANA time zone database, as Alertmanager's does."""
    if name in (None, "", "UTC"):
        return datetime.UTC
    if name == "Local":
        raise TimeIntervalError(
            "time interval location 'Local': name a zone (the simulation must not depend on the machine)"
        )
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise TimeIntervalError(f"time interval location {name!r}: unknown time zone") from error


def _day_in(day: int, days_in_month: int, ranges: list[tuple[int, int]]) -> bool:
    """days_of_month: negative days count from the month's end (-1 is the last day)."""
    for begin, end in ranges:
        begin = begin if begin > 0 else days_in_month + begin + 1
        end = end if end > 0 else days_in_month + end + 1
        if begin <= day <= end:
            return True
    return False


def interval_contains(spec: dict[str, Any], t_ms: int) -> bool:
    """timeinterval.TimeInterval.ContainsTime: the instant is read in the interval's `location` (UTC when
    none), as Go's t.In(location) does, so weekdays and times of day follow that zone's offsets and DST."""
    moment = (EPOCH + datetime.timedelta(milliseconds=t_ms)).astimezone(_location(spec.get("location")))
    if spec.get("times"):
        minute = moment.hour * 60 + moment.minute
        if not any(_minutes(r["start_time"]) <= minute < _minutes(r["end_time"]) for r in spec["times"]):
            return False
    if spec.get("weekdays"):
        weekday = (moment.weekday() + 1) % 7  # Go's time.Weekday: Sunday = 0
        if not any(b <= weekday <= e for b, e in _ranges(spec["weekdays"], _WEEKDAYS, 0)):
            return False
    if spec.get("days_of_month"):
        next_month = (moment.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        days_in_month = (next_month - datetime.timedelta(days=1)).day
        if not _day_in(moment.day, days_in_month, _ranges(spec["days_of_month"], None, 0)):
            return False
    if spec.get("months") and not any(b <= moment.month <= e for b, e in _ranges(spec["months"], _MONTHS, 1)):
        return False
    return not (spec.get("years") and not any(b <= moment.year <= e for b, e in _ranges(spec["years"], None, 0)))


def in_time_intervals(names: tuple[str, ...], intervals: dict[str, list[dict[str, Any]]], t_ms: int) -> bool:
    """Whether t falls in any time interval of any named entry (timeinterval.go, TimeMuteStage/TimeActiveStage)."""
    return any(interval_contains(spec, t_ms) for name in names for spec in intervals.get(name, []))
