"""Text promtool 2.42 prints, reproduced: Go quoting, labels.String, FormatFloat('E', -1)."""

from __future__ import annotations

import math

# strconv.Quote, with Go's notion of printable characters.
from common.gotemplate.goquote import go_quote


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
    from decimal import Decimal  # only failure messages print floats: not loaded at start-up

    # repr() gives the shortest digits that round-trip, as Go's precision -1 does.
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)  # finite here: NaN and Inf returned above
    all_digits = "".join(map(str, digit_tuple))
    digits = all_digits.rstrip("0") or "0"
    power = 0 if value == 0 else len(all_digits) - 1 + exponent
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}E{'-' if power < 0 else '+'}{abs(power):02d}"
