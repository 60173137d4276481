"""promql/parser's verdict on the values part of a series description, worded as Go words it.

promtool 2.42 (promql/test.go) parses `<series> <values>` as one series description
(parser.ParseSeriesDesc), so errors carry a column counted from the start of that combined
string: `1:9: parse error: unexpected "x"`. This module re-lexes the values the way
promql/parser/lex.go's lexValueSequence does and walks the `series_values` / `series_item`
rules of generated_parser.y, reporting the first error as the Go parser would.

Only the wording of errors is decided here; the values themselves are expanded by
notation.parse_values once this check has passed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .formatting import go_quote
from .notation import BARE_METRIC_NAME, starts_with_bare_metric_name

# lex.go's key map, as far as the value sequence can meet it. Trap: `inf` and `nan` are keys
# mapping to NUMBER, so "Inf" is a number but "Infx2" is one identifier (lex.go).
_OPERATOR_WORDS = {"and", "or", "unless", "atan2"}
_AGGREGATOR_WORDS = {
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
}
_KEYWORD_WORDS = {"offset", "by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
_NUMBER_WORDS = {"inf", "nan"}
# Preprocessor keys (`@ start()`): their token has a plain name, so it prints quoted.
_PREPROCESSOR_WORDS = {"start", "end"}
_SPACES = " \t\n\r"
_MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True)
class _Token:
    kind: str  # SPACE ADD SUB TIMES BLANK NUMBER IDENTIFIER METRIC_IDENTIFIER WORD ERROR EOF
    text: str
    position: int  # 0-based offset in the combined "<series> <values>" string
    description: str = ""


class _SeriesSyntaxError(Exception):
    def __init__(self, position: int, message: str):
        super().__init__(message)
        self.position, self.message = position, message


def series_values_error(series: str, values: str) -> str | None:
    """promtool's error for a malformed values string, or None when Go's parser accepts it.

    The values follow `series` and one space, as in promql/test.go's loadCmd line. For a
    series with braces, call this only once its labels parsed: the value sequence starts
    after the closing brace.
    """
    line = f"{series} {values}"
    bare_name = BARE_METRIC_NAME.match(series)
    if bare_name is not None and starts_with_bare_metric_name(series):
        start = bare_name.end()
    else:
        start = len(series.rstrip())
    tokens = _lex_value_sequence(line[start:], start)
    try:
        _parse_series_values(iter(tokens))
    except _SeriesSyntaxError as error:
        # Single-line input: the line is always 1; the column is 1-based (parser.ParseErr).
        return f"1:{error.position + 1}: parse error: {error.message}"
    return None


def _lex_value_sequence(values: str, offset: int) -> list[_Token]:
    """lexValueSequence: tokens up to and including the first lexer error, then EOF."""
    tokens: list[_Token] = []
    index = 0
    while index < len(values):
        char, start = values[index], index
        if char in _SPACES:
            while index < len(values) and values[index] in _SPACES:
                index += 1
            tokens.append(_Token("SPACE", char, offset + start))
            continue
        if char in "+-x_":
            kind = {"+": "ADD", "-": "SUB", "x": "TIMES", "_": "BLANK"}[char]
            tokens.append(_Token(kind, char, offset + start))
            index += 1
            continue
        if char.isascii() and (char.isdigit() or (char == "." and values[index + 1 : index + 2].isdigit())):
            index, ok = _scan_number(values, index)
            if not ok:
                message = f"bad number syntax: {go_quote(values[start:index])}"
                return tokens + [_Token("ERROR", message, offset + start)]
            tokens.append(_Token("NUMBER", values[start:index], offset + start))
            continue
        if char.isascii() and char.isalpha():
            while index < len(values) and (_is_alphanumeric(values[index]) or values[index] == ":"):
                index += 1
            tokens.append(_word_token(values[start:index], offset + start))
            continue
        message = f"unexpected character in series sequence: {_go_quote_rune(char)}"
        return tokens + [_Token("ERROR", message, offset + start)]
    return tokens + [_Token("EOF", "", offset + len(values))]


def _scan_number(text: str, index: int) -> tuple[int, bool]:
    """Lexer.scanNumber in series-description mode: no hexadecimal (the x is the repetition
    mark), and the number may be followed by `x` but by no other alphanumeric (lex.go)."""
    index = _accept_digits(text, index)
    if text[index : index + 1] == ".":
        index = _accept_digits(text, index + 1)
    if text[index : index + 1] in ("e", "E"):
        index += 1
        if text[index : index + 1] in ("+", "-"):
            index += 1
        index = _accept_digits(text, index)
    following = text[index : index + 1]
    return index, following == "x" or not (following and _is_alphanumeric(following))


def _accept_digits(text: str, index: int) -> int:
    while index < len(text) and text[index] in "0123456789":
        index += 1
    return index


def _is_alphanumeric(char: str) -> bool:
    return char == "_" or (char.isascii() and char.isalnum())


def _word_token(word: str, position: int) -> _Token:
    """lexKeywordOrIdentifier: keys are matched case-insensitively, the text keeps its case."""
    lowered = word.lower()
    if lowered in _NUMBER_WORDS:
        return _Token("NUMBER", word, position)
    if lowered in _OPERATOR_WORDS:
        return _Token("WORD", word, position, f"<op:{word}>")
    if lowered in _AGGREGATOR_WORDS:
        return _Token("WORD", word, position, f"<aggr:{word}>")
    if lowered in _KEYWORD_WORDS:
        return _Token("WORD", word, position, f"<{word}>")
    if lowered in _PREPROCESSOR_WORDS:
        return _Token("WORD", word, position, go_quote(word))
    if ":" in word:
        return _Token("METRIC_IDENTIFIER", word, position)
    return _Token("IDENTIFIER", word, position)


def _go_quote_rune(char: str) -> str:
    """%q of a rune, for the characters a values string realistically holds."""
    escaped = {"'": "\\'", "\\": "\\\\"}.get(char, char)
    return f"'{escaped}'"


def _describe(token: _Token) -> str:
    """Item.desc() of lex.go: how `unexpected ...` names a token."""
    if token.kind == "EOF":
        return "end of input"
    if token.kind in ("SPACE", "TIMES", "BLANK"):
        return go_quote(token.text)
    if token.kind in ("ADD", "SUB"):
        return f"<op:{token.text}>"
    if token.kind == "WORD":
        return token.description
    if token.kind == "NUMBER":
        quoted = go_quote(token.text[:10]) + ("..." if len(token.text) > 10 else "")
        return f"number {quoted}"
    if token.kind == "METRIC_IDENTIFIER":
        return f"metric identifier {go_quote(token.text)}"
    return f"identifier {go_quote(token.text)}"


def _next(tokens) -> _Token:
    token = next(tokens)
    if token.kind == "ERROR":
        # parser.Lex reports a lexer error at the start of the bad token; the syntax error it
        # then causes is not reported twice (parser.go unexpected).
        raise _SeriesSyntaxError(token.position, token.text)
    return token


def _unexpected(token: _Token, in_series_values: bool) -> _SeriesSyntaxError:
    """Trap: which message a syntax error gets depends on yacc's recovery. Where a series
    description could already be complete (after a whole item or a space), default reductions
    leave only the `start: error` rule, with no context; inside an item (after +, -, x) the
    `series_values: error` rule adds " in series values" (generated_parser.y)."""
    context = " in series values" if in_series_values else ""
    return _SeriesSyntaxError(token.position, f"unexpected {_describe(token)}{context}")


def _parse_series_values(tokens) -> None:
    """series_values: (SPACE series_item?)*, one item after each run of spaces."""
    token = _next(tokens)
    while token.kind != "EOF":
        if token.kind != "SPACE":
            raise _unexpected(token, in_series_values=False)
        token = _next(tokens)
        if token.kind in ("SPACE", "EOF"):
            continue
        token = _parse_series_item(token, tokens)


def _parse_series_item(token: _Token, tokens) -> _Token:
    """series_item: BLANK [TIMES uint] | series_value [[signed_number] TIMES uint].

    Returns the token after the item."""
    if token.kind == "BLANK":
        token = _next(tokens)
        if token.kind == "TIMES":
            _parse_uint(_next(tokens))
            return _next(tokens)
        return token
    _parse_series_value(token, tokens)
    token = _next(tokens)
    if token.kind in ("ADD", "SUB"):
        _parse_number(_next(tokens))
        token = _next(tokens)
        if token.kind != "TIMES":
            raise _unexpected(token, in_series_values=True)
    if token.kind == "TIMES":
        _parse_uint(_next(tokens))
        return _next(tokens)
    return token


def _parse_series_value(token: _Token, tokens) -> None:
    """series_value: IDENTIFIER (only `stale`) | number | signed_number."""
    if token.kind == "IDENTIFIER":
        if token.text != "stale":
            raise _SeriesSyntaxError(
                token.position, f'unexpected {_describe(token)} in series values, expected number or "stale"'
            )
        return
    if token.kind in ("ADD", "SUB"):
        _parse_number(_next(tokens))
        return
    if token.kind == "NUMBER":
        _parse_number(token)
        return
    raise _unexpected(token, in_series_values=False)


def _parse_number(token: _Token) -> None:
    """number: NUMBER, converted with strconv.ParseFloat (parser.number)."""
    if token.kind != "NUMBER":
        raise _unexpected(token, in_series_values=True)
    try:
        value = float(token.text)
    except ValueError:
        raise _number_error(token, "invalid syntax") from None
    if value in (float("inf"), float("-inf")) and token.text.lower() != "inf":
        raise _number_error(token, "value out of range")


def _number_error(token: _Token, reason: str) -> _SeriesSyntaxError:
    return _SeriesSyntaxError(
        token.position, f"error parsing number: strconv.ParseFloat: parsing {go_quote(token.text)}: {reason}"
    )


def _parse_uint(token: _Token) -> None:
    """uint: NUMBER, converted with strconv.ParseUint(val, 10, 64) (generated_parser.y)."""
    if token.kind != "NUMBER":
        raise _unexpected(token, in_series_values=True)
    reason = None
    if not token.text.isdigit():
        reason = "invalid syntax"
    elif int(token.text) > _MAX_UINT64:
        reason = "value out of range"
    if reason:
        raise _SeriesSyntaxError(
            token.position,
            f"invalid repetition in series values: strconv.ParseUint: parsing {go_quote(token.text)}: {reason}",
        )
