"""Go's strconv number parsing (ParseInt with base 0, ParseFloat), which decides both which
template number constants are legal and what humanize & co accept as a string.

Python's int()/float() accept other spellings (spaces, "infinity" with a sign on NaN, misplaced
underscores), so the syntax is checked here first, Go's way.
"""

from __future__ import annotations

import re


class StrconvError(ValueError):
    """strconv.ErrSyntax ("invalid syntax") or strconv.ErrRange ("value out of range")."""


INVALID_SYNTAX = "invalid syntax"
OUT_OF_RANGE = "value out of range"


def underscore_ok(text: str) -> bool:
    """strconv.underscoreOK: underscores only between digits (a base prefix counts as a digit)."""
    saw = "^"  # ^ start, 0 digit or prefix, _ underscore, ! anything else
    body = text[1:] if text[:1] in ("+", "-") else text
    hex_digits = False
    i = 0
    if len(body) >= 2 and body[0] == "0" and body[1] in "bBoOxX":
        i, saw = 2, "0"
        hex_digits = body[1] in "xX"
    for ch in body[i:]:
        if (ch.isdigit() and ch.isascii()) or (hex_digits and ch in "abcdefABCDEF"):
            saw = "0"
        elif ch == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


_PREFIX_BASES = {"b": 2, "o": 8, "x": 16}


def parse_uint_base0(text: str) -> int:
    """strconv.ParseUint(text, 0, 64) without the range check: 0x/0o/0b prefixes, a leading 0
    meaning octal, underscores between digits."""
    if not text:
        raise StrconvError(INVALID_SYNTAX)
    base, digits = 10, text
    if text[0] == "0":
        if len(text) >= 3 and text[1].lower() in _PREFIX_BASES:
            base, digits = _PREFIX_BASES[text[1].lower()], text[2:]
        else:
            base, digits = 8, text[1:]
    if "_" in digits and not underscore_ok(text):
        raise StrconvError(INVALID_SYNTAX)
    digits = digits.replace("_", "")
    if digits == "":
        if base == 8 and text.startswith("0") and len(text.replace("_", "")) == 1:
            return 0  # "0" itself
        raise StrconvError(INVALID_SYNTAX)
    try:
        return int(digits, base)
    except ValueError:
        raise StrconvError(INVALID_SYNTAX) from None


def parse_int_base0(text: str) -> int:
    """strconv.ParseInt(text, 0, 64) syntax (a sign, then ParseUint's); no range check."""
    sign = 1
    body = text
    if text[:1] in ("+", "-"):
        sign, body = (-1 if text[0] == "-" else 1), text[1:]
    return sign * parse_uint_base0(body)


_SPECIAL = re.compile(r"[+-]?(?:inf|infinity)|nan", re.IGNORECASE)
_DECIMAL = re.compile(r"[+-]?([0-9_]*\.?[0-9_]*)(?:[eE][+-]?[0-9][0-9_]*)?")
_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F_]*\.?[0-9a-fA-F_]*)[pP][+-]?[0-9][0-9_]*")


def parse_float(text: str) -> float:
    """strconv.ParseFloat(text, 64): decimal and hexadecimal (p exponent) floats, underscores
    between digits, Inf/Infinity/NaN in any case. Raises StrconvError."""
    if _SPECIAL.fullmatch(text):
        return float(text.lower().replace("infinity", "inf"))
    decimal = _DECIMAL.fullmatch(text)
    hexadecimal = _HEX.fullmatch(text)
    match = decimal or hexadecimal
    if match is None or not any(ch.isdigit() or (hexadecimal and ch in "abcdefABCDEF") for ch in match.group(1)):
        raise StrconvError(INVALID_SYNTAX)
    if "_" in text and not underscore_ok(text):
        raise StrconvError(INVALID_SYNTAX)
    cleaned = text.replace("_", "")
    try:
        value = float.fromhex(cleaned) if hexadecimal else float(cleaned)
    except (ValueError, OverflowError):
        raise StrconvError(OUT_OF_RANGE if hexadecimal else INVALID_SYNTAX) from None
    if value in (float("inf"), float("-inf")):
        raise StrconvError(OUT_OF_RANGE)
    return value
