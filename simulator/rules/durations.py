"""Durations as Prometheus spells them, in integer milliseconds.

Two spellings matter: model.Duration (rule files, test files: "1h30m", "2d") and Go's
time.Duration.String() (promtool prints rule-error times as "5m0s").
"""

from __future__ import annotations

import re

# prometheus/common model/time.go ParseDuration: units from largest to smallest, each at most once.
UNIT_MS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


def duration_terms(text: str) -> list[tuple[int, int]] | None:
    """The (amount, unit in ms) of each unit a model.Duration spells, largest first; None when the text
    is not in that syntax. "0" and "" are left to the caller (Prometheus accepts "0", rejects "")."""
    match = _DURATION.match(text)
    if match is None:
        return None
    return [(int(amount), unit) for amount, unit in zip(match.groups(), UNIT_MS.values()) if amount is not None]


class DurationError(ValueError):
    """A string that is not a Prometheus duration."""


def parse_duration(text: str) -> int:
    """Parse a model.Duration ("0", "90s", "1h30m") into milliseconds."""
    text = str(text)
    if text == "0":
        return 0
    terms = duration_terms(text)
    if not terms:
        raise DurationError(f'not a valid duration string: "{text}"')
    return sum(amount * unit for amount, unit in terms)


def format_model_duration(ms: int) -> str:
    """model.Duration.String(): "0s", "5m", "1h30m", "1d", "1w" (largest units first)."""
    if ms == 0:
        return "0s"
    parts = []
    for unit, size in UNIT_MS.items():
        amount, ms = divmod(ms, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def format_go_duration(ms: int) -> str:
    """time.Duration.String() for whole milliseconds: "0s", "1.5s", "5m0s", "1h0m0s"."""
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
