"""Prometheus-style durations ("15s", "1h30m", "14d") as integer milliseconds."""

from __future__ import annotations

import re

# model/time.go ParseDuration: units from largest to smallest, each at most once.
_UNIT_MS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)


def parse_duration(text: str) -> int:
    """Parse a Prometheus duration into milliseconds; raise ValueError with the accepted form."""
    text = str(text).strip()
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(
            f"invalid duration {text!r}: expected a Prometheus duration such as 15s, 1m, 4d14h or 2w"
        )
    return sum(int(amount) * unit for amount, unit in zip(match.groups(), _UNIT_MS.values()) if amount)


def format_duration(ms: int) -> str:
    """Render milliseconds the way Prometheus prints durations (largest units first, 0s for zero)."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    parts = []
    for unit, size in _UNIT_MS.items():
        if unit == "y" or unit == "w":
            continue
        amount, ms = divmod(ms, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + "".join(parts)
