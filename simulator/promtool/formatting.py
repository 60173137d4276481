"""Text promtool 2.42 prints, reproduced: Go quoting, labels.String, FormatFloat('E', -1)."""

from __future__ import annotations

import math
from decimal import Decimal

from simulator.promql.model import Labels


def go_quote(text: str) -> str:
    """strconv.Quote for the characters that occur in labels and expressions."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def labels_string(labels) -> str:
    """labels.Labels.String(): {a="b", c="d"}, every label inside the braces, sorted by name."""
    pairs = sorted(labels.items()) if isinstance(labels, dict) else sorted(labels)
    return "{" + ", ".join(f"{name}={go_quote(value)}" for name, value in pairs) + "}"


def format_float_e(value: float) -> str:
    """strconv.FormatFloat(v, 'E', -1, 64): shortest round-trip digits, 1E+00, 1.5E-05."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digits)).rstrip("0") or "0"
    power = len("".join(map(str, Decimal(repr(value)).as_tuple().digits))) - 1 + exponent
    if value == 0:
        power = 0
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}E{'-' if power < 0 else '+'}{abs(power):02d}"


def labels_of(pairs: Labels) -> dict[str, str]:
    return dict(pairs)
