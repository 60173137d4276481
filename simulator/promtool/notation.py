"""promtool's input-series notation: series selectors and expanding value sequences.

Source: promql/parser (lex.go series descriptions, generated_parser.y series_item) and
promql/test.go loadCmd, at v2.42.0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import promql_parser

from common.promql.lexer import T, line_column, tokenize
from simulator.promql.model import METRIC_NAME, STALE_NAN, Labels

from .series_syntax import series_values_error, starts_with_bare_metric_name


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
    step = _go_float(match["step"]) if match["step"] else 0.0
    if match["sign"] == "-":
        step = -step
    values = []
    for _ in range(int(min(int(match["times"]) + 1, at_most))):
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


def parse_input_series(series: str, values: str) -> Labels:
    """Labels of an input series, with promtool's error text for a malformed one.

    promql/test.go parses "<series> <values>" as one series description, so an unclosed brace
    is reported at the first character of the values: "1:48: parse error: unexpected
    character inside braces: '0'".
    """
    if starts_with_bare_metric_name(series):
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
    _raise_values_error(series, values)
    if not labels and re.fullmatch(r"\s*\{\s*\}\s*", series):
        # promql/test.go appends the series: storage rejects a series without labels.
        raise NotationError("empty labelset: invalid sample")
    return labels


def _raise_values_error(series: str, values: str) -> None:
    if "{{" in values:
        # Native-histogram values stay with parse_values, which names them unsupported.
        return
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
