"""Go's fmt package for the values templates handle: Sprint, Sprintln, Sprintf and %v printing.

Mirrors Go 1.19 fmt/print.go (doPrintf, printArg, badVerb) and fmt/format.go (fmtFloat,
fmtInteger, padding). Float digits come from Python: repr() gives the same shortest round-trip
digits as Go's strconv, and Python's %e/%f/%g round the exact binary value half-to-even as Go
does. What differs is handled here: Go's %v of a float64 is the shortest form switching to
exponent notation when the exponent is < -4 or >= 6 (strconv/ftoa.go: "if precision was the
shortest possible, use precision 6 for this decision"; Python's repr switches at 1e16), exponents
have a sign and at least two digits, and non-finite values are spelled NaN, +Inf, -Inf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from .goquote import go_quote
from .values import GoMap, GoStruct, GoTime, QueryResult, Sample, go_type_name


@dataclass
class _Flags:
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    space: bool = False
    zero: bool = False
    width: int | None = None
    precision: int | None = None
    plus_v: bool = False
    sharp_v: bool = False


# --- floats -------------------------------------------------------------------------------


def _shortest_digits(value: float) -> tuple[str, int]:
    """(digits, decimal point position) of the shortest round-trip form of a finite |value|."""
    if value == 0:
        return "0", 1
    _sign, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    assert isinstance(exponent, int)  # a finite value has a numeric exponent
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    trailing = len(digit_tuple) - len(digits)
    point = len(digits) + exponent + trailing
    return digits, point


def _exponent_form(digits: str, point: int, upper: bool) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1 if digits != "0" else 0
    sign = "-" if exponent < 0 else "+"
    return f"{mantissa}{'E' if upper else 'e'}{sign}{abs(exponent):02d}"


def _fixed_form(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * (-point) + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_float_unsigned(value: float, verb: str, precision: int | None) -> str:
    """strconv.FormatFloat of a finite non-negative value for verbs e E f F g G."""
    if verb in "gG" and precision is None:
        digits, point = _shortest_digits(value)
        exponent = point - 1 if digits != "0" else 0
        if exponent < -4 or exponent >= 6:
            return _exponent_form(digits, point, verb == "G")
        return _fixed_form(digits, point)
    if precision is None:
        precision = 6
    if verb in "fF":
        return f"{value:.{precision}f}"
    if verb in "eE":
        text = f"{value:.{precision}e}"
        return text.upper() if verb == "E" else text
    text = f"{value:.{precision}g}"
    return text.upper() if verb == "G" else text


def format_float(value: float, verb: str, flags: _Flags) -> str:
    """Go's fmt.fmtFloat: sign handling, NaN/Inf spelling, zero padding after the sign."""
    if verb == "v":
        verb = "g"
    if math.isnan(value):
        body, sign = "NaN", ("+" if flags.plus else " " if flags.space else "")
        return _pad(sign + body, flags, allow_zero=False)
    negative = math.copysign(1.0, value) < 0
    if math.isinf(value):
        # Go keeps the sign of an infinity: "+Inf", "-Inf".
        text = ("-" if negative else "+") + "Inf"
        if not negative and flags.space and not flags.plus:
            text = " Inf"
        return _pad(text, flags, allow_zero=False)
    body = format_float_unsigned(abs(value), verb, flags.precision)
    if flags.sharp and verb in "gG" and "." not in body:
        body = _sharp_float(body, verb)
    sign = "-" if negative else "+" if flags.plus else " " if flags.space else ""
    return _pad_number(sign, body, flags)


def _sharp_float(body: str, verb: str) -> str:
    """%#g keeps a decimal point (a rarely used corner; trailing zeros are not restored)."""
    mark = "E" if verb == "G" else "e"
    if mark in body:
        mantissa, exponent = body.split(mark)
        return mantissa + "." + mark + exponent
    return body + "."


# --- integers ------------------------------------------------------------------------------


def format_integer(value: int, verb: str, flags: _Flags) -> str:
    """Go's fmt.fmtInteger for verbs d v b o O x X c q U."""
    if verb == "c":
        return _pad(chr(value) if 0 <= value <= 0x10FFFF else "\ufffd", flags)
    if verb == "q":
        return _pad(_quote_rune(value), flags)
    if verb == "U":
        text = f"U+{value:04X}"
        if flags.sharp and 0 <= value <= 0x10FFFF and chr(value).isprintable():
            text += f" '{chr(value)}'"
        return _pad(text, flags)
    base = {"d": 10, "v": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}[verb]
    digits = _digits(abs(value), base, upper=verb == "X")
    if flags.precision is not None:
        if flags.precision == 0 and value == 0:
            digits = ""
        digits = digits.rjust(flags.precision, "0")
    prefix = ""
    if flags.sharp or verb == "O":
        prefix = {2: "0b", 8: "0", 16: "0X" if verb == "X" else "0x"}.get(base, "")
        if base == 8 and (verb == "O" or not digits.startswith("0")):
            prefix = "0o" if verb == "O" else "0"
        elif base == 8:
            prefix = ""
    sign = "-" if value < 0 else "+" if flags.plus else " " if flags.space else ""
    if flags.precision is not None:
        return _pad(sign + prefix + digits, flags, allow_zero=False)
    return _pad_number(sign + prefix, digits, flags)


def _digits(value: int, base: int, upper: bool) -> str:
    if base == 10:
        return str(value)
    text = {2: format(value, "b"), 8: format(value, "o"), 16: format(value, "x")}[base]
    return text.upper() if upper else text


def _quote_rune(value: int) -> str:
    if not 0 <= value <= 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        value = 0xFFFD
    return go_quote(chr(value), quote="'")


# --- padding -------------------------------------------------------------------------------


def _pad(text: str, flags: _Flags, allow_zero: bool = True) -> str:
    """Go's fmt.pad: width counts runes; '-' pads right; '0' pads left with zeros."""
    if flags.width is None or len(text) >= flags.width:
        return text
    fill = flags.width - len(text)
    if flags.minus:
        return text + " " * fill
    return ("0" if flags.zero and allow_zero else " ") * fill + text


def _pad_number(sign: str, body: str, flags: _Flags) -> str:
    """Zero padding goes between the sign and the digits (-0003)."""
    if flags.zero and not flags.minus and flags.width is not None and len(sign) + len(body) < flags.width:
        return sign + "0" * (flags.width - len(sign) - len(body)) + body
    return _pad(sign + body, flags, allow_zero=False)


# --- strings -------------------------------------------------------------------------------


def format_string(value: str, verb: str, flags: _Flags) -> str:
    """Go's fmt.fmtString for verbs v s q x X."""
    if flags.precision is not None and verb in "vsq":
        value = value[: flags.precision]
    if verb in "vs":
        return _pad(value, flags)
    if verb == "q":
        if flags.sharp and "`" not in value and all(c.isprintable() or c == "\t" for c in value):
            return _pad("`" + value + "`", flags)
        return _pad(go_quote(value, ascii_only=flags.plus), flags)
    data = value.encode("utf-8", "surrogateescape")
    if flags.precision is not None:
        data = data[: flags.precision]
    hex_text = data.hex()
    if flags.sharp:
        separator = " " if flags.space else ""
        hex_text = separator.join("0x" + hex_text[i : i + 2] for i in range(0, len(hex_text), 2))
    elif flags.space:
        hex_text = " ".join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2))
    return _pad(hex_text.upper() if verb == "X" else hex_text, flags)


# --- generic printing ----------------------------------------------------------------------


def bad_verb(value, verb: str, flags: _Flags) -> str:
    """%!verb(type=value), printed with the current flags like Go's badVerb."""
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type_name(value)}={format_value(value, 'v', flags)})"


def format_value(value, verb: str, flags: _Flags | None = None, depth: int = 0) -> str:
    """Go's printArg/printValue for one operand."""
    flags = flags or _Flags()
    if verb == "T":
        return _pad(go_type_name(value), flags)
    if value is None:
        return _pad("<nil>", flags) if verb == "v" else bad_verb(None, verb, flags)
    if isinstance(value, bool):
        if verb in "tv":
            return _pad("true" if value else "false", flags)
        return bad_verb(value, verb, flags)
    if isinstance(value, int):
        if verb in "dvboOxXcqU":
            return format_integer(value, verb, flags)
        return bad_verb(value, verb, flags)
    if isinstance(value, float):
        if verb in "veEfFgG":
            return format_float(value, verb, flags)
        if verb in "xX":
            return _pad(_hex_float(value, verb == "X"), flags)
        return bad_verb(value, verb, flags)
    if isinstance(value, complex):
        if verb in "vbgGxXfFeE":
            # Go's fmtComplex: (real imag i), the imaginary part always signed.
            imaginary_flags = _Flags(**{**flags.__dict__, "plus": True})
            real_text = format_value(value.real, verb, flags)
            return f"({real_text}{format_value(value.imag, verb, imaginary_flags)}i)"
        return bad_verb(value, verb, flags)
    if isinstance(value, str):
        if verb == "v" and flags.sharp_v:
            return _pad(go_quote(value), flags)  # %#v: Go syntax
        if verb in "vsqxX":
            return format_string(value, verb, flags)
        return bad_verb(value, verb, flags)
    if isinstance(value, GoTime):
        # Time implements Stringer: v s q x X print its String().
        if verb in "vsqxX":
            return format_string(str(value), verb, flags)
        return bad_verb(value, verb, flags)
    if isinstance(value, GoMap):
        keys = sorted(value.items)
        inner = " ".join(
            f"{format_value(k, verb, flags, depth + 1)}:{format_value(value.items[k], verb, flags, depth + 1)}"
            for k in keys
        )
        return "map[" + inner + "]"
    if isinstance(value, GoStruct):
        parts = []
        for name, field_value in value.fields.items():
            text = format_value(field_value, verb, flags, depth + 1)
            parts.append(f"{name}:{text}" if flags.plus_v else text)
        return "{" + " ".join(parts) + "}"
    if isinstance(value, Sample):
        if depth > 0:
            return _pointer_text(value)
        return "&" + format_value(value.as_struct(), verb, flags, depth + 1)
    if isinstance(value, (QueryResult, list)):
        return "[" + " ".join(format_value(item, verb, flags, depth + 1) for item in value) + "]"
    return bad_verb(value, verb, flags)


def _pointer_text(value) -> str:
    """Go prints a pointer nested in a slice as its address, which differs on every run; we print
    a fixed stand-in of the same shape because no stable answer exists to mirror."""
    return "0xc000010000"


def _hex_float(value: float, upper: bool) -> str:
    """%x of a float64: Go's hexadecimal mantissa and binary exponent (-1p-02 style)."""
    if math.isnan(value) or math.isinf(value):
        return format_float(value, "g", _Flags())
    text = value.hex()  # e.g. '0x1.8000000000000p+1'
    sign = "-" if text.startswith("-") else ""
    mantissa, exponent = text.lstrip("-")[2:].split("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    exp_value = int(exponent)
    result = f"{sign}0x{mantissa}p{'-' if exp_value < 0 else '+'}{abs(exp_value):02d}"
    return result.upper() if upper else result


# --- Sprintf -------------------------------------------------------------------------------


def _parse_number(fmt: str, i: int) -> tuple[int | None, int]:
    start = i
    while i < len(fmt) and fmt[i].isdigit():
        i += 1
    if i == start:
        return None, i
    return int(fmt[start:i]), i


class _Printf:
    """One fmt.Sprintf call: Go's doPrintf loop with its argument cursor and error states."""

    def __init__(self, fmt: str, args: list) -> None:
        self.fmt = fmt
        self.args = args
        self.arg_num = 0
        self.reordered = False  # an explicit [n] index was used: no EXTRA check
        self.good_arg_num = True
        self.out: list[str] = []

    def arg_number(self, i: int) -> tuple[int, bool]:
        """An explicit argument index "[n]" at fmt[i] (print.go argNumber); returns (i, found)."""
        fmt = self.fmt
        if i >= len(fmt) or fmt[i] != "[":
            return i, False
        self.reordered = True
        close = fmt.find("]", i + 1)
        if close < 0:
            self.good_arg_num = False
            return i + 1, False
        number, after = _parse_number(fmt, i + 1)
        if number is None or after != close:
            self.good_arg_num = False
            return close + 1, False
        if 1 <= number <= len(self.args):
            self.arg_num = number - 1
            return close + 1, True
        self.good_arg_num = False
        return close + 1, True

    def star_argument(self) -> int | None:
        value, self.arg_num = _int_from_arg(self.args, self.arg_num)
        return value

    def run(self) -> str:
        fmt, end = self.fmt, len(self.fmt)
        i = 0
        while i < end:
            next_percent = fmt.find("%", i)
            if next_percent < 0:
                self.out.append(fmt[i:])
                break
            self.out.append(fmt[i:next_percent])
            i = self.one_verb(next_percent + 1)
            if i < 0:
                break
        if not self.reordered and self.arg_num < len(self.args):
            extras = [
                "<nil>" if extra is None else f"{go_type_name(extra)}={format_value(extra, 'v')}"
                for extra in self.args[self.arg_num :]
            ]
            self.out.append("%!(EXTRA " + ", ".join(extras) + ")")
        return "".join(self.out)

    def one_verb(self, i: int) -> int:
        """Format one %-directive starting after the '%'; return where to continue (-1: stop)."""
        fmt, end = self.fmt, len(self.fmt)
        self.good_arg_num = True
        flags = _Flags()
        while i < end and fmt[i] in "#0+- ":
            flag = fmt[i]
            if flag == "#":
                flags.sharp = True
            elif flag == "0":
                flags.zero = not flags.minus  # only pad with zeros on the left
            elif flag == "+":
                flags.plus = True
            elif flag == "-":
                flags.minus, flags.zero = True, False
            else:
                flags.space = True
            i += 1
        i, after_index = self.arg_number(i)
        if i < end and fmt[i] == "*":
            i += 1
            width = self.star_argument()
            if width is None:
                self.out.append("%!(BADWIDTH)")
            elif width < 0:
                flags.width, flags.minus, flags.zero = -width, True, False
            else:
                flags.width = width
            after_index = False
        else:
            flags.width, i = _parse_number(fmt, i)
            if after_index and flags.width is not None:  # "%[3]2d"
                self.good_arg_num = False
        if i + 1 < end and fmt[i] == ".":
            i += 1
            if after_index:  # "%[3].2d"
                self.good_arg_num = False
            i, after_index = self.arg_number(i)
            if i < end and fmt[i] == "*":
                i += 1
                precision = self.star_argument()
                if precision is None or precision < 0:
                    self.out.append("%!(BADPREC)")
                else:
                    flags.precision = precision
                after_index = False
            else:
                precision, i = _parse_number(fmt, i)
                flags.precision = precision if precision is not None else 0
        if not after_index:
            i, after_index = self.arg_number(i)
        if i >= end:
            self.out.append("%!(NOVERB)")
            return -1
        verb = fmt[i]
        i += 1
        if verb == "%":  # does not use an argument, ignores width and precision
            self.out.append("%")
        elif not self.good_arg_num:
            self.out.append(f"%!{verb}(BADINDEX)")
        elif self.arg_num >= len(self.args):
            self.out.append(f"%!{verb}(MISSING)")
        else:
            if verb == "v":
                flags.sharp_v, flags.sharp = flags.sharp, False
                flags.plus_v, flags.plus = flags.plus, False
            self.out.append(format_value(self.args[self.arg_num], verb, flags))
            self.arg_num += 1
        return i


def sprintf(fmt: str, args: list) -> str:
    """fmt.Sprintf: verbs, flags, width, precision, '*', [n] indexes, %% and Go's error
    spellings (%!d(MISSING), %!(EXTRA ...), %!(NOVERB), %!(BADWIDTH), %!(BADPREC), BADINDEX)."""
    return _Printf(fmt, args).run()


def _int_from_arg(args: list, index: int) -> tuple[int | None, int]:
    if index >= len(args):
        return None, index
    value = args[index]
    if isinstance(value, int) and not isinstance(value, bool) and -1_000_000 <= value <= 1_000_000:
        return value, index + 1
    return None, index + 1


def sprint(args: list) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out = []
    previous_is_string = False
    for index, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if index > 0 and not is_string and not previous_is_string:
            out.append(" ")
        out.append(format_value(arg, "v"))
        previous_is_string = is_string
    return "".join(out)


def sprintln(args: list) -> str:
    """fmt.Sprintln: operands always separated by spaces, then a newline."""
    return " ".join(format_value(arg, "v") for arg in args) + "\n"


__all__ = ["format_value", "sprint", "sprintf", "sprintln"]
