"""Prometheus-style durations ("15s", "1h30m", "14d") as integer milliseconds."""

from __future__ import annotations

from common.durations import UNIT_MS, duration_terms


def parse_duration(text: str) -> int:
    """Parse a Prometheus duration into milliseconds; raise ValueError with the accepted form."""
    text = str(text).strip()
    terms = duration_terms(text)
    if not terms:
        raise ValueError(f"invalid duration {text!r}: expected a Prometheus duration such as 15s, 1m, 4d14h or 2w")
    return sum(amount * unit for amount, unit in terms)


def format_duration(ms: int) -> str:
    """Render milliseconds the way Prometheus prints durations (largest units first, 0s for zero)."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    parts = []
    for unit, size in UNIT_MS.items():
        if unit == "y" or unit == "w":
            continue
        amount, ms = divmod(ms, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + "".join(parts)
