"""The grid of `alertkit tune`: `--param threshold=A:B:N` (N evenly spaced values from A to B), `--param
for=A:B:N` (durations), or a comma-separated list of values (`threshold=0.01,0.02`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from common.durations import DurationError, format_duration, parse_duration
from common.errors import InputError

PARAMETERS = ("threshold", "for")
MAX_SETTINGS = 10_000
GRID_DIGITS = 12  # significant digits of a range's threshold values  # a grid larger than this is a typo, not a sweep


@dataclass(frozen=True, order=True)
class Setting:
    threshold: float
    for_ms: int

    def describe(self) -> str:
        return f"threshold={self.threshold:.6g} for={format_duration(self.for_ms)}"


def parse_params(texts: tuple[str, ...]) -> dict[str, list[float] | list[int]]:
    """`--param` texts -> parameter name -> its values, in order; InputError says which text is wrong."""
    values: dict[str, list] = {}
    for text in texts:
        name, equals, spec = text.partition("=")
        name = name.strip()
        if not equals:
            raise InputError(f"--param {text!r}: expected NAME=A:B:N or NAME=V1,V2,... (NAME: threshold or for)")
        if name not in PARAMETERS:
            raise InputError(f"--param {text!r}: unknown parameter {name!r} (tune sweeps threshold and for)")
        if name in values:
            raise InputError(f"--param {text!r}: {name} is given twice")
        values[name] = _values(text, name, spec.strip())
    if not values:
        raise InputError("--param: give at least one, e.g. --param threshold=0.005:0.05:10")
    return values


def _values(text: str, name: str, spec: str) -> list:
    read = _read_duration if name == "for" else _read_number
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise InputError(f"--param {text!r}: a range is A:B:N (from A to B in N values)")
        low, high = read(text, parts[0]), read(text, parts[1])
        try:
            count = int(parts[2])
        except ValueError:
            raise InputError(f"--param {text!r}: N must be a whole number, got {parts[2]!r}") from None
        if count < 1 or (count == 1 and low != high):
            raise InputError(f"--param {text!r}: N must be at least 2 (1 only when A equals B), got {count}")
        if count > MAX_SETTINGS:
            raise InputError(f"--param {text!r}: at most {MAX_SETTINGS} values")
        if high < low:
            raise InputError(f"--param {text!r}: A must not be greater than B")
        points = [low + (high - low) * i / (count - 1) for i in range(count)] if count > 1 else [low]
        if name == "for":
            return [round(p) for p in points]
        # 0.005 + 0.005 is 0.010000000000000002: the grid's values are the decimals a person would write.
        return [float(f"{p:.{GRID_DIGITS}g}") for p in points]
    if not spec:
        raise InputError(f"--param {text!r}: no values")
    return [read(text, item.strip()) for item in spec.split(",")]


def _read_number(text: str, item: str) -> float:
    try:
        value = float(item)
    except ValueError:
        raise InputError(f"--param {text!r}: {item!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"--param {text!r}: {item!r} is not a finite number")
    return value


def _read_duration(text: str, item: str) -> int:
    try:
        return parse_duration(item)
    except (DurationError, ValueError) as error:
        raise InputError(f"--param {text!r}: {error}") from None


def settings_grid(values: dict, current: Setting) -> list[Setting]:
    """Every combination (threshold-major), plus the current setting when the grid misses it; sorted, unique."""
    thresholds = values.get("threshold", [current.threshold])
    holds = values.get("for", [current.for_ms])
    grid = {Setting(float(t), int(f)) for t in thresholds for f in holds}
    if len(grid) > MAX_SETTINGS:
        raise InputError(f"--param: {len(grid)} settings; at most {MAX_SETTINGS}")
    grid.add(current)
    return sorted(grid)
