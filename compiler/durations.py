"""Prometheus durations (`5m`, `1h30m`, `1d`, `1w`), parsed and printed as Prometheus does.

Mirrors common/model/time.go (ParseDuration, Duration.String): units y w d h m s ms, each at most
once, largest first; a year is 365 days, no fractions, and "0" alone is allowed.
"""

from __future__ import annotations

import re

UNIT_MILLISECONDS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}

_DURATION_PATTERN = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)


class InvalidDuration(ValueError):
    """A text that is not a Prometheus duration."""


def parse_duration(text: str) -> int:
    """Return the duration in milliseconds; raise InvalidDuration with a readable reason."""
    if text == "0":
        return 0
    match = _DURATION_PATTERN.match(text)
    if not text or match is None:
        raise InvalidDuration(f"invalid duration {text!r}: expected a Prometheus duration like 30s, 5m, 1h30m, 1d")
    amounts = [int(group) if group else 0 for group in match.groups()]
    return sum(amount * UNIT_MILLISECONDS[unit] for amount, unit in zip(amounts, UNIT_MILLISECONDS))


def format_duration(milliseconds: int) -> str:
    """Print a duration the way Prometheus's Duration.String does (`90m` -> `1h30m`, 0 -> `0s`)."""
    if milliseconds == 0:
        return "0s"
    parts = []
    remaining = milliseconds
    for unit, size in UNIT_MILLISECONDS.items():
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
