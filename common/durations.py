"""Prometheus durations, read and written as prometheus/common model.Duration does, in integer milliseconds.

The one duration reader and formatter of the project: rule files, promtool test files, definitions,
alertkit.yaml, Go templates' parseDuration and the CLI all use it.

- `parse_duration` is model.ParseDuration (model/time.go, prometheus/common v0.39 as vendored by
  Prometheus 2.42): units y w d h m s ms, each at most once, largest first; whole numbers only; "0"
  alone is allowed; a year is 365 days. A duration is a Go time.Duration underneath (int64
  nanoseconds), so anything past about 292 years is refused with Prometheus's "duration out of range"
  (promtool and amtool refuse `for: 300y` and `group_wait: 100000y` that way).
- `format_duration` is Duration.String(): years and weeks only when they divide the duration exactly
  (8d, 7d1h, 14d -> 2w, 366d), then d h m s ms.
- `format_go_duration` is Go's time.Duration.String() ("5m0s", "1.5s"), which promtool prints for
  rule-evaluation times.
"""

from __future__ import annotations

import re

# model/time.go unit table, in milliseconds, largest first (the order ParseDuration requires).
UNIT_MS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}
# Duration.String() writes these units only when they divide the duration exactly ("90d", not "12w6d").
_EXACT_ONLY_UNITS = ("y", "w")

# model.Duration converts to time.Duration: int64 nanoseconds (time.go: "overflows time.Duration").
MAX_DURATION_NS = 2**63 - 1
_NS_PER_MS = 1_000_000

# model/time.go durationRE; [0-9] not \d (which takes any Unicode digit), matched with fullmatch (a
# trailing newline is not a unit).
_DURATION_RE = re.compile(
    r"(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?"
)


# model/time.go's error for a duration past MAX_DURATION_NS.
DURATION_OUT_OF_RANGE = "duration out of range"


class DurationError(ValueError):
    """A text that is not a Prometheus duration; the message is Prometheus's own wording."""


def duration_terms(text: str) -> list[tuple[int, int]] | None:
    """The (amount, unit in ms) of each unit `text` spells, largest first; None when it is not in the
    model.Duration syntax. "0" and "" are the caller's (Prometheus accepts "0", refuses "")."""
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        return None
    return [(int(amount), unit) for amount, unit in zip(match.groups(), UNIT_MS.values()) if amount is not None]


def parse_duration(text: str) -> int:
    """model.ParseDuration, in milliseconds; raise DurationError with Prometheus's message."""
    if text == "0":
        return 0
    if text == "":
        raise DurationError("empty duration string")
    terms = duration_terms(text)
    if not terms:
        raise DurationError(f"not a valid duration string: {_go_quote(text)}")
    total_ms = sum(amount * unit for amount, unit in terms)
    if total_ms * _NS_PER_MS > MAX_DURATION_NS:
        raise DurationError(DURATION_OUT_OF_RANGE)
    return total_ms


def _go_quote(text: str) -> str:
    # Imported here: common.gotemplate imports this module (its parseDuration).
    from common.gotemplate.goquote import go_quote

    return go_quote(text)


def format_duration(ms: int) -> str:
    """model.Duration.String(): "0s", "5m", "1h30m", "8d", "2w", "366d", "1y"."""
    if ms == 0:
        return "0s"
    if ms < 0:  # Go's truncating division gives every unit 0: Duration.String prints nothing
        return ""
    parts = []
    for unit, size in UNIT_MS.items():
        if unit in _EXACT_ONLY_UNITS and ms % size:
            continue
        amount, ms = divmod(ms, size)
        if amount > 0:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def format_go_duration(ms: int) -> str:
    """time.Duration.String() for whole milliseconds: "0s", "1.5s", "5m0s", "1h0m0s", "-2s"."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = _go_seconds(rest)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    if rest < 1000:
        return f"{sign}{rest}ms"
    return f"{sign}{seconds}s"


def _go_seconds(ms: int) -> str:
    whole, frac = divmod(ms, 1000)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:03d}".rstrip("0")
