"""promtool's input-series notation: series selectors and expanding value sequences.

Source: promql/parser (lex.go series descriptions, generated_parser.y series_item) and
promql/test.go loadCmd, at v2.42.0.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass

import numpy as np
import promql_parser

from common.promql.lexer import T, line_column, tokenize
from simulator.promql.model import METRIC_NAME, STALE_NAN, Labels


class NotationError(ValueError):
    """An input series or expected-sample string promtool would reject."""


@dataclass
class ValueSlot:
    """One position of the value sequence: a value, a stale marker, or empty (None)."""

    value: float | None


_NUMBER = r"[+-]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"
_UNSIGNED = r"(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"
_EXPANDING = re.compile(
    rf"^(?P<start>{_NUMBER}|stale)(?:(?P<sign>[+-])(?P<step>{_UNSIGNED}))?x(?P<times>\d+)$", re.IGNORECASE
)
_SINGLE = re.compile(rf"^{_NUMBER}$", re.IGNORECASE)
_BLANKS = re.compile(r"^_(?:x(?P<times>[0-9]+))?\Z")


def parse_values(text: str, max_slots: int | None = None) -> list[float | None]:
    """Expand a values string into one entry per slot: float (StaleNaN for `stale`) or None.

    Trap 6 (expansion counts): `a+bxN` and `axN` give N+1 values, computed by repeated float
    addition (0.1+0.1x9 ends at 0.9999999999999999); `_` is one empty slot and `_xN` N slots.
    With `max_slots`, slots past it are checked but not built: a test reads no sample after its
    last eval_time, and `0x100000000` would otherwise take 4 billion slots.
    """
    limit = math.inf if max_slots is None else max_slots
    slots: list[float | None] = []
    for token in text.split():
        if token.startswith("{{"):
            raise NotationError(
                "native histogram samples ({{...}}) are unsupported: promtool 2.42 and this "
                "simulator only know classic float samples"
            )
        blanks = _BLANKS.match(token)
        if blanks:
            count = int(blanks["times"]) if blanks["times"] else 1
            slots.extend([None] * int(min(count, max(limit - len(slots), 0))))
            continue
        if token == "stale":
            slots.append(float(STALE_NAN))
            continue
        if _SINGLE.match(token):
            slots.append(_go_float(token))
            continue
        expanding = _EXPANDING.match(token)
        if not expanding:
            raise NotationError(f'bad value "{token}" in series values "{text}"')
        slots.extend(_expand(expanding, max(limit - len(slots), 0)))
    if len(slots) > limit:
        del slots[int(limit) :]
    return slots


def _expand(match: re.Match, at_most: float = math.inf) -> list[float]:
    value = _go_float(match["start"])
    count = int(min(int(match["times"]) + 1, at_most))
    if not match["step"]:
        # generated_parser.y `series_value TIMES uint` appends the value itself: no addition,
        # so `-0x2` stays -0 (adding 0.0 would turn it into +0).
        return [value] * count
    step = _go_float(match["step"])
    if match["sign"] == "-":
        step = -step
    values = []
    for _ in range(count):
        values.append(value)
        value += step
    return values


def _go_float(token: str) -> float:
    # `stale+1x2` is valid Go grammar (series_value may be `stale`): StaleNaN plus a step is an
    # ordinary NaN, no longer a stale marker (value.IsStaleNaN compares bits).
    if token == "stale":
        return float(STALE_NAN)
    # No hexadecimal: "0x10" is eleven zeros (the lexer reads x as the repetition mark).
    lowered = token.lower().lstrip("+")
    if lowered in ("inf", "-inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered in ("nan", "-nan"):
        return math.nan
    return float(lowered)


def parse_series_labels(text: str) -> Labels:
    """Labels of a series string such as 'up{job="a"}' (parser.ParseMetric)."""
    _refuse_brackets(text)
    if re.fullmatch(r"\s*(\{\s*\})?\s*", text):
        # ParseMetric accepts an empty string or {} as the empty label set (a scalar result
        # compares as {}); as a
        # query, promql-parser rightly rejects it.
        return ()
    try:
        node = promql_parser.parse(text)
    except ValueError as error:
        raise NotationError(f"parse error in series {text!r}: {error}") from None
    if not isinstance(node, promql_parser.VectorSelector):
        raise NotationError(f'expected a series like metric{{label="value"}}, got {text!r}')
    pairs = {}
    if node.name:
        pairs[METRIC_NAME] = node.name
    for matcher in node.matchers.matchers:
        if str(matcher.op) != "MatchOp.Equal":
            raise NotationError(f"series {text!r} may only use = label matchers")
        pairs[matcher.name] = matcher.value
    return tuple(sorted((k, v) for k, v in pairs.items() if v != ""))


def _refuse_brackets(text: str) -> None:
    """A series description has no ( or [ (parser.ParseMetric); refuse them as promtool does
    before promql-parser reads the text as an expression (deep nesting crashes it)."""
    for token in tokenize(text):
        if token.type in (T.LEFT_PAREN, T.LEFT_BRACKET):
            line, column = line_column(text, token.pos)
            raise NotationError(f"{line}:{column}: parse error: unexpected {token.desc()} in series values")
        if token.type in (T.EOF, T.ERROR):
            return


BARE_METRIC_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def starts_with_bare_metric_name(series: str) -> bool:
    """Is the series a metric name not followed by `{`? Then everything after the name is
    already lexed as the value sequence (lex.go lexKeywordOrIdentifier: in a series
    description, an identifier not followed by a brace switches to lexValueSequence), so
    `up offset 5m` fails at `offset`, whatever promql-parser thinks of it as a query."""
    name = BARE_METRIC_NAME.match(series)
    return name is not None and series[name.end() : name.end() + 1] != "{"


def _series_remainder(series: str) -> str:
    """What Go lexes as the start of the value sequence, before the values: the rest of the series
    after a bare metric name, or the spaces after its closing brace (series_syntax words errors there)."""
    bare_name = BARE_METRIC_NAME.match(series)
    if bare_name is not None and starts_with_bare_metric_name(series):
        return series[bare_name.end() :]
    return series[len(series.rstrip()) :]


# The fast path. It accepts a value sequence only where Go's parser (lex.go lexValueSequence, generated_parser.y
# series_values) certainly accepts it too, and defers everything else to the exact lexer and parser in
# series_syntax, which word promtool's error. The characters: digits, `.`, exponents, signs, `x`, `_`, the letters
# of `stale`, `Inf` and `NaN` (lex.go keys: any case), and lex.go's spaces " \t\n\r" (str.split would also
# split at other spaces: refused here).
_FOREIGN_CHARACTER = re.compile(r"[^0-9.eE+\-x_staliInNfFA \t\n\r]")
# `1_0`: Python's float() reads 10, Go's lexer refuses the number (an alphanumeric follows its digits).
_GLUED_UNDERSCORE = re.compile(r"[0-9]_")
_DIGITS = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
# A repetition count: at most 18 digits, so ParseUint(val, 10, 64) cannot overflow.
_FAST_BLANKS = re.compile(r"_(?:x([0-9]{1,18}))?")
_FAST_EXPANSION = re.compile(rf"([+-]?{_DIGITS})(?:([+-])({_DIGITS}))?x([0-9]{{1,18}})")
# Tokens converted per call in the common case (a run of plain numbers).
_CHUNK = 512


def input_series_samples(
    series: str, values: str, interval_ms: int, max_slots: int | None = None
) -> tuple[Labels, np.ndarray, np.ndarray]:
    """Labels, sample times and values of one input series, parsing its values once.

    Valid values take the fast path (a scan for foreign characters, then conversion in runs); only an
    input the fast path does not vouch for goes through the Go-exact lexer and parser, which also word
    the error promtool would print. Both paths give the same samples (tests/simulator/promtool/test_fast_path.py).
    """
    slots = None
    if not _series_remainder(series).strip(" \t\n\r"):
        slots = _fast_slots(values, max_slots)
    if slots is None:
        labels = parse_input_series(series, values)
        t, v = samples_from_slots(parse_values(values, max_slots), interval_ms)
        return labels, t, v
    labels = parse_input_series(series, values, values_checked=True)
    present, slot_values = slots
    indices = np.flatnonzero(present)
    if interval_ms <= 0:
        indices = indices[:1]  # every slot at t=0: the head keeps the first (samples_from_slots)
    return labels, indices.astype(np.int64) * interval_ms, slot_values[indices]


def _fast_slots(values: str, max_slots: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(present, value) per slot of a values string, or None when the exact path must decide.

    Over these characters, a token Python's float() reads is one Go's lexer and ParseFloat read
    alike (both round correctly), except for an overflow to infinity (checked); `_`, `stale` and
    `a[+-b]xN` items must match their grammar exactly. Items past `max_slots` are still checked,
    as Go's parser checks them, but build no slots.
    """
    if _FOREIGN_CHARACTER.search(values) or _GLUED_UNDERSCORE.search(values):
        return None
    tokens = values.split()
    limit = sys.maxsize if max_slots is None else max_slots
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    filled = 0
    for chunk_start in range(0, len(tokens), _CHUNK):
        chunk = tokens[chunk_start : chunk_start + _CHUNK]
        try:
            chunk_pieces = [_plain_numbers(chunk)]
        except ValueError:  # a `_`, `stale` or `axN` item (or a bad token) among them: item by item
            chunk_pieces = _mixed_items(chunk, limit - filled)
        for piece in chunk_pieces:
            if piece is None:
                return None
            if filled < limit:
                piece = (piece[0][: limit - filled], piece[1][: limit - filled])
                pieces.append(piece)
                filled += len(piece[1])
    if not pieces:
        return np.zeros(0, dtype=bool), np.zeros(0)
    return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])


def _mixed_items(tokens: list[str], at_most: int) -> list[tuple[np.ndarray, np.ndarray] | None]:
    pieces: list[tuple[np.ndarray, np.ndarray] | None] = []
    plain: list[str] = []
    for token in tokens:
        if token == "stale" or "x" in token or token.startswith("_"):
            if plain:
                pieces.append(_plain_or_none(plain))
                plain = []
            pieces.append(_special_item(token, max(at_most, 0)))
            at_most -= len(pieces[-1][1]) if pieces[-1] is not None else 0
        else:
            plain.append(token)
    if plain:
        pieces.append(_plain_or_none(plain))
    return pieces


def _plain_or_none(tokens: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        return _plain_numbers(tokens)
    except ValueError:
        return None


def _plain_numbers(tokens: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """(present, value) of number tokens; ValueError for a token float() refuses, None for a digit
    literal that overflows (Go's parser reports it)."""
    run = np.array(list(map(float, tokens)), dtype=np.float64)
    infinite = np.flatnonzero(np.isinf(run))
    if any(tokens[i].lower().lstrip("+-") != "inf" for i in infinite):
        return None
    run[np.isnan(run)] = math.nan  # `-nan` reads as NaN, as _go_float reads it
    return np.ones(len(run), dtype=bool), run


def _special_item(token: str, at_most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(present, value) of `_`, `_xN`, `stale` or `a[+-b]xN`, at most `at_most` slots; None for any
    other token."""
    if token == "stale":
        return np.ones(1, dtype=bool), np.array([STALE_NAN], dtype=np.float64)
    blanks = _FAST_BLANKS.fullmatch(token)
    if blanks:
        count = min(int(blanks[1]) if blanks[1] else 1, at_most)
        return np.zeros(count, dtype=bool), np.zeros(count)
    match = _FAST_EXPANSION.fullmatch(token)
    if match is None:
        return None
    start = float(match[1])
    step = float(match[3]) if match[3] else 0.0
    if math.isinf(start) or math.isinf(step):
        return None  # a literal out of float64's range: Go's parser reports it
    count = min(int(match[4]) + 1, at_most)
    if not match[3]:
        return np.ones(count, dtype=bool), np.full(count, start)  # the value itself, repeated (no addition)
    if match[2] == "-":
        step = -step
    # Trap: Go adds the step once per slot (generated_parser.y `$1 += $2`); the values must be that
    # sequence of float additions, not start + i * step (0.1+0.1x9 ends at 0.9999999999999999).
    expanded = []
    value = start
    for _ in range(count):
        expanded.append(value)
        value += step
    return np.ones(count, dtype=bool), np.array(expanded, dtype=np.float64)


def parse_input_series(series: str, values: str, values_checked: bool = False) -> Labels:
    """Labels of an input series, with promtool's error text for a malformed one.

    promql/test.go parses "<series> <values>" as one series description, so an unclosed brace
    is reported at the first character of the values: "1:48: parse error: unexpected
    character inside braces: '0'". With `values_checked`, the values are known to be valid
    (the fast path matched them) and only the labels are read.
    """
    if not values_checked and starts_with_bare_metric_name(series):
        _raise_values_error(series, values)
    try:
        labels = parse_series_labels(series)
    except NotationError:
        line = f"{series} {values}"
        try:
            promql_parser.parse(line)
        except ValueError as error:
            message = str(error)
            quoted = re.search(r"'(.)'$", message)
            column = line.find(quoted.group(1), len(series)) + 1 if quoted else 0
            if column > 0:
                raise NotationError(f"1:{column}: parse error: {message}") from None
        raise
    if not values_checked:
        _raise_values_error(series, values)
    if not labels and re.fullmatch(r"\s*\{\s*\}\s*", series):
        # promql/test.go appends the series: storage rejects a series without labels.
        raise NotationError("empty labelset: invalid sample")
    return labels


def _raise_values_error(series: str, values: str) -> None:
    if "{{" in values:
        # Native-histogram values stay with parse_values, which names them unsupported.
        return
    # The Go-exact lexer and parser are only needed to word an error: imported on the slow path.
    from .series_syntax import series_values_error

    message = series_values_error(series, values)
    if message:
        raise NotationError(message)


def samples_from_slots(slots: list[float | None], interval_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample times and values: slot k at k * interval.

    With interval 0 (2.42: no default) every slot lands at t=0; the head keeps the first
    sample appended for a timestamp and drops the rest as out of order (tsdb/head_append.go).
    """
    times: list[int] = []
    values: list[float] = []
    for index, value in enumerate(slots):
        if value is None:
            continue
        t_ms = index * interval_ms
        if times and t_ms <= times[-1]:
            continue
        times.append(t_ms)
        values.append(value)
    return np.asarray(times, dtype=np.int64), np.asarray(values, dtype=np.float64)
