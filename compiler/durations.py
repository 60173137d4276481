"""Prometheus durations (`5m`, `1h30m`, `1d`, `1w`), parsed and printed as Prometheus does.

Mirrors common/model/time.go (ParseDuration, Duration.String): units y w d h m s ms, each at most
once, largest first; a year is 365 days, no fractions, and "0" alone is allowed.
"""

from __future__ import annotations

# The grammar reader and the printer are the simulator's: one model.Duration for the whole project.
from simulator.rules.durations import duration_terms, format_model_duration


class InvalidDuration(ValueError):
    """A text that is not a Prometheus duration."""


def parse_duration(text: str) -> int:
    """Return the duration in milliseconds; raise InvalidDuration with a readable reason."""
    if text == "0":
        return 0
    terms = duration_terms(text)
    if not terms:
        raise InvalidDuration(f"invalid duration {text!r}: expected a Prometheus duration like 30s, 5m, 1h30m, 1d")
    return sum(amount * unit for amount, unit in terms)


def format_duration(milliseconds: int) -> str:
    """Print a duration the way Prometheus's Duration.String does (`90m` -> `1h30m`, 0 -> `0s`)."""
    return format_model_duration(milliseconds)
