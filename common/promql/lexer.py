"""PromQL tokens with positions, as Prometheus 2.42's lexer makes them (promql/parser/lex.go).

The lexer is a state machine that knows whether it is inside braces (label matchers: every word
is an identifier), inside brackets (a duration, then maybe ':' and another) or in a statement
(keywords, case-insensitive, and metric identifiers with colons). A lexing error ends the token
stream: the parser reports it when it reaches the ERROR token, as Go's parser does.

Positions are indices into the Python string; `line_column` turns one into Go's
"line:column" (the column counts UTF-8 bytes, as ParseErr.Error does).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple


class T(Enum):
    """Token types (lex.go ItemType); the value is how Go's Item.desc() names a fixed token."""

    EOF = "end of input"
    ERROR = "error"
    COMMENT = "comment"
    IDENTIFIER = "identifier"
    METRIC_IDENTIFIER = "metric identifier"
    STRING = "string"
    NUMBER = "number"
    DURATION = "duration"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"
    LEFT_BRACE = "{"
    RIGHT_BRACE = "}"
    LEFT_BRACKET = "["
    RIGHT_BRACKET = "]"
    COMMA = ","
    EQL = "="
    COLON = ":"
    AT = "@"
    # operators
    SUB = "-"
    ADD = "+"
    MUL = "*"
    MOD = "%"
    DIV = "/"
    EQLC = "=="
    NEQ = "!="
    LTE = "<="
    LSS = "<"
    GTE = ">="
    GTR = ">"
    EQL_REGEX = "=~"
    NEQ_REGEX = "!~"
    POW = "^"
    LAND = "and"
    LOR = "or"
    LUNLESS = "unless"
    ATAN2 = "atan2"
    # aggregators
    SUM = "sum"
    AVG = "avg"
    COUNT = "count"
    MIN = "min"
    MAX = "max"
    GROUP = "group"
    STDDEV = "stddev"
    STDVAR = "stdvar"
    TOPK = "topk"
    BOTTOMK = "bottomk"
    COUNT_VALUES = "count_values"
    QUANTILE = "quantile"
    # keywords
    OFFSET = "offset"
    BY = "by"
    WITHOUT = "without"
    ON = "on"
    IGNORING = "ignoring"
    GROUP_LEFT = "group_left"
    GROUP_RIGHT = "group_right"
    BOOL = "bool"
    START = "start"
    END = "end"


# lex.go `key`: words that are not identifiers (matched lower-cased); inf and nan are numbers.
KEYWORDS: dict[str, T] = {
    t.value: t
    for t in T
    if t.value.isidentifier() and t not in (T.EOF, T.ERROR, T.COMMENT, T.IDENTIFIER, T.STRING, T.NUMBER, T.DURATION)
}
KEYWORDS.pop("metric identifier", None)
KEYWORDS["inf"] = T.NUMBER
KEYWORDS["nan"] = T.NUMBER

OPERATORS = frozenset(
    {
        T.SUB,
        T.ADD,
        T.MUL,
        T.MOD,
        T.DIV,
        T.EQLC,
        T.NEQ,
        T.LTE,
        T.LSS,
        T.GTE,
        T.GTR,
        T.POW,
        T.LAND,
        T.LOR,
        T.LUNLESS,
        T.ATAN2,
    }
)
AGGREGATORS = frozenset(
    {T.SUM, T.AVG, T.COUNT, T.MIN, T.MAX, T.GROUP, T.STDDEV, T.STDVAR, T.TOPK, T.BOTTOMK, T.COUNT_VALUES, T.QUANTILE}
)
_WORD_KEYWORDS = frozenset(
    {T.OFFSET, T.BY, T.WITHOUT, T.ON, T.IGNORING, T.GROUP_LEFT, T.GROUP_RIGHT, T.BOOL, T.START, T.END}
)


class Token(NamedTuple):
    """One token. A NamedTuple, not a frozen dataclass: the lexer makes one per token, and a tuple is built
    several times faster (and defined faster at import)."""

    type: T
    text: str  # the source text (for ERROR: the message)
    pos: int  # index of the first character in the expression

    @property
    def end(self) -> int:
        return self.pos + len(self.text)

    def desc(self) -> str:
        """Go's Item.desc(): how a syntax error names this token.

        Types with a fixed spelling (ItemTypeStr) are named by Item.String() alone, others by
        their kind and then Item.String(). `@` has no entry in ItemTypeStr, so Go names its kind
        by the token number (57385 in the 2.42 parser)."""
        if self.type is T.EOF:
            return "end of input"
        if self.type is T.AT:
            return '"<Item 57385>" <op:@>'
        if self.type in _NAMED_BY_KIND:
            return f"{self.type.value} {self.string()}"
        return self.string()

    def string(self) -> str:
        """Go's Item.String()."""
        if self.type in (T.IDENTIFIER, T.METRIC_IDENTIFIER):
            return go_quote(self.text)
        if self.type in _KEYWORD_TYPES:
            return f"<{self.text}>"
        if self.type in OPERATORS or self.type in (T.EQL_REGEX, T.NEQ_REGEX, T.AT):
            return f"<op:{self.text}>"
        if self.type in AGGREGATORS:
            return f"<aggr:{self.text}>"
        if len(self.text) > 10:
            return go_quote(self.text[:10]) + "..."
        return go_quote(self.text)


_NAMED_BY_KIND = frozenset({T.IDENTIFIER, T.METRIC_IDENTIFIER, T.STRING, T.NUMBER, T.DURATION})
# lex.go IsKeyword: the range keywordsStart..keywordsEnd (start and end are not in it).
_KEYWORD_TYPES = frozenset({T.BOOL, T.BY, T.GROUP_LEFT, T.GROUP_RIGHT, T.IGNORING, T.OFFSET, T.ON, T.WITHOUT})


def go_quote(text: str) -> str:
    """Go's %q of a string (strconv.Quote) for the characters PromQL text can hold."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif not char.isprintable():
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_quote_rune(char: str) -> str:
    """Go's %q of a rune: 'x'."""
    if char == "'":
        return "'\\''"
    inner = go_quote(char)[1:-1]
    return f"'{inner}'" if char != '"' else "'\"'"


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def line_column(text: str, pos: int) -> tuple[int, int]:
    """ParseErr.Error's line and column of `pos` (column in UTF-8 bytes, 1-based)."""
    prefix = text[:pos]
    line_start = prefix.rfind("\n") + 1
    return prefix.count("\n") + 1, len(prefix[line_start:].encode("utf-8")) + 1


def _is_alpha(char: str) -> bool:
    return char == "_" or ("a" <= char <= "z") or ("A" <= char <= "Z")


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _is_alnum(char: str) -> bool:
    return _is_alpha(char) or _is_digit(char)


_SPACE = " \t\n\r"
# Runs the lexer can take at once (the same characters its loops accept one by one).
_SPACE_RUN = re.compile(r"[ \t\n\r]*")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9_]*")
_WORD_RUN = re.compile(r"[A-Za-z0-9_:]*")
_PLAIN_STRING_RUN = re.compile(r"[^\\\n\"'`]*")


def _run_end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    match = pattern.match(text, pos)
    return match.end() if match else pos


_SIMPLE_ESCAPES = "abfnrtv\\"
_ONE_CHARACTER_TOKENS = {
    ",": T.COMMA,
    "*": T.MUL,
    "/": T.DIV,
    "%": T.MOD,
    "+": T.ADD,
    "-": T.SUB,
    "^": T.POW,
    "@": T.AT,
}


class _LexError(Exception):
    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


class Lexer:
    """lex.go's Lexer over one expression; tokens() runs it to the end (or the first error)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.brace_open = False
        self.bracket_open = False
        self.got_colon = False
        self.width = 0
        self.out: list[Token] = []

    # --- helpers mirroring lex.go

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def next(self) -> str:
        char = self.peek()
        self.width = 1 if char else 0
        self.pos += self.width
        return char

    def accept(self, valid: str) -> bool:
        char = self.peek()
        if char and char in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def emit(self, type_: T) -> None:
        self.out.append(Token(type_, self.text[self.start : self.pos], self.start))
        self.start = self.pos

    def error(self, message: str) -> _LexError:
        return _LexError(message, self.start)

    # --- states

    def tokens(self) -> list[Token]:
        try:
            while self.statement():
                pass
        except _LexError as error:
            self.out.append(Token(T.ERROR, error.message, error.pos))
        return self.out

    def statement(self) -> bool:
        """One step of lexStatements / lexInsideBraces; False at the end of input."""
        if self.brace_open:
            return self.inside_braces()
        if self.text.startswith("#", self.pos):
            self.line_comment()
            return True
        char = self.next()
        if char == "":
            if self.paren_depth != 0:
                raise self.error("unclosed left parenthesis")
            if self.bracket_open:
                raise self.error("unclosed left bracket")
            self.emit(T.EOF)
            return False
        if char in _SPACE:
            self.skip_space()
        elif char in _ONE_CHARACTER_TOKENS:
            self.emit(_ONE_CHARACTER_TOKENS[char])
        elif char == "=":
            following = self.peek()
            if following == "=":
                self.next()
                self.emit(T.EQLC)
            elif following == "~":
                raise self.error(f"unexpected character after '=': {go_quote_rune(following)}")
            else:
                self.emit(T.EQL)
        elif char == "!":
            following = self.next()
            if following != "=":
                raise self.error(f"unexpected character after '!': {go_quote_rune(following or chr(0xFFFD))}")
            self.emit(T.NEQ)
        elif char in "<>":
            if self.accept("="):
                self.emit(T.LTE if char == "<" else T.GTE)
            else:
                self.emit(T.LSS if char == "<" else T.GTR)
        elif _is_digit(char) or (char == "." and _is_digit(self.peek())):
            self.pos -= 1
            self.number_or_duration()
        elif char in "\"'":
            self.string(char)
        elif char == "`":
            self.raw_string()
        elif _is_alpha(char) or char == ":":
            if not self.bracket_open:
                self.pos -= 1
                self.keyword_or_identifier()
            elif self.got_colon:
                raise self.error(f"unexpected colon {go_quote_rune(char)}")
            else:
                self.emit(T.COLON)
                self.got_colon = True
        elif char == "(":
            self.emit(T.LEFT_PAREN)
            self.paren_depth += 1
        elif char == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                # Go emits the ')' and then overwrites it with the error, positioned after it.
                raise _LexError("unexpected right parenthesis ')'", self.pos)
            self.emit(T.RIGHT_PAREN)
        elif char == "{":
            self.emit(T.LEFT_BRACE)
            self.brace_open = True
        elif char == "[":
            if self.bracket_open:
                raise self.error("unexpected left bracket '['")
            self.got_colon = False
            self.emit(T.LEFT_BRACKET)
            while self.peek() and self.peek() in _SPACE:
                self.next()
            self.start = self.pos
            self.bracket_open = True
            self.duration()
        elif char == "]":
            if not self.bracket_open:
                raise self.error("unexpected right bracket ']'")
            self.emit(T.RIGHT_BRACKET)
            self.bracket_open = False
        else:
            raise self.error(f"unexpected character: {go_quote_rune(char)}")
        return True

    def inside_braces(self) -> bool:
        if self.text.startswith("#", self.pos):
            self.line_comment()
            return True
        char = self.next()
        if char == "":
            raise self.error("unexpected end of input inside braces")
        if char in _SPACE:
            self.skip_space()
        elif _is_alpha(char):
            self.pos = _run_end(_ALNUM_RUN, self.text, self.pos)
            self.emit(T.IDENTIFIER)
        elif char == ",":
            self.emit(T.COMMA)
        elif char in "\"'":
            self.string(char)
        elif char == "`":
            self.raw_string()
        elif char == "=":
            self.emit(T.EQL_REGEX if self.accept("~") else T.EQL)
        elif char == "!":
            following = self.next()
            if following == "~":
                self.emit(T.NEQ_REGEX)
            elif following == "=":
                self.emit(T.NEQ)
            else:
                raise self.error(
                    f"unexpected character after '!' inside braces: {go_quote_rune(following or chr(0xFFFD))}"
                )
        elif char == "{":
            raise self.error("unexpected left brace '{'")
        elif char == "}":
            self.emit(T.RIGHT_BRACE)
            self.brace_open = False
        else:
            raise self.error(f"unexpected character inside braces: {go_quote_rune(char)}")
        return True

    def skip_space(self) -> None:
        self.pos = _run_end(_SPACE_RUN, self.text, self.pos)
        self.start = self.pos

    def line_comment(self) -> None:
        while self.peek() and self.peek() not in "\r\n":
            self.next()
        self.emit(T.COMMENT)

    def string(self, quote: str) -> None:
        """lexString: escapes are checked here; unquoting happens in the parser."""
        while True:
            self.pos = _run_end(_PLAIN_STRING_RUN, self.text, self.pos)  # nothing to check in these
            char = self.next()
            if char == "\\":
                self.escape(quote)
            elif char in ("", "\n"):
                raise self.error("unterminated quoted string")
            elif char == quote:
                break
        self.emit(T.STRING)

    def escape(self, quote: str) -> None:
        char = self.next()
        if char in _SIMPLE_ESCAPES or (char and char == quote):
            return
        if char == "":
            raise self.error("escape sequence not terminated")
        if char in "01234567":
            count, base, maximum = 3, 8, 255
        elif char in "xuU":
            count, base, maximum = {"x": (2, 16, 255), "u": (4, 16, 0x10FFFF), "U": (8, 16, 0x10FFFF)}[char]
            char = self.next()
        else:
            raise self.error(f"unknown escape sequence U+{ord(char):04X} {go_quote_rune(char)}")
        value = 0
        while count > 0:
            digit = int(char, 16) if char and char in "0123456789abcdefABCDEF" else 16
            if digit >= base:
                if char == "":
                    raise self.error("escape sequence not terminated")
                raise self.error(f"illegal character U+{ord(char):04X} {go_quote_rune(char)} in escape sequence")
            value = value * base + digit
            count -= 1
            if count > 0:
                char = self.next()
        if value > maximum or 0xD800 <= value < 0xE000:
            raise self.error("escape sequence is an invalid Unicode code point")

    def raw_string(self) -> None:
        while True:
            char = self.next()
            if char == "":
                raise self.error("unterminated raw string")
            if char == "`":
                break
        self.emit(T.STRING)

    def scan_number(self) -> bool:
        digits = "0123456789"
        if self.accept("0") and self.accept("xX"):
            digits = "0123456789abcdefABCDEF"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789")
        return not _is_alnum(self.peek())

    def accept_remaining_duration(self) -> bool:
        if not self.accept("smhdwy"):
            return False
        self.accept("s")
        while self.accept("0123456789"):
            self.accept_run("0123456789")
            if not self.accept("smhdw"):
                return False
            self.accept("s")
        following = self.next()
        return not _is_alnum(following)

    def duration(self) -> None:
        if self.scan_number():
            raise self.error("missing unit character in duration")
        if not self.accept_remaining_duration():
            raise self.error(f"bad duration syntax: {go_quote(self.text[self.start : self.pos])}")
        self._backup_after_duration()
        self.emit(T.DURATION)

    def number_or_duration(self) -> None:
        if self.scan_number():
            self.emit(T.NUMBER)
            return
        if self.accept_remaining_duration():
            self._backup_after_duration()
            self.emit(T.DURATION)
            return
        raise self.error(f"bad number or duration syntax: {go_quote(self.text[self.start : self.pos])}")

    def _backup_after_duration(self) -> None:
        # acceptRemainingDuration read one character past the duration (none at the end).
        self.pos -= self.width

    def keyword_or_identifier(self) -> None:
        self.pos = _run_end(_WORD_RUN, self.text, self.pos)
        word = self.text[self.start : self.pos]
        keyword = KEYWORDS.get(word.lower())
        if keyword is not None:
            self.emit(keyword)
        elif ":" not in word:
            self.emit(T.IDENTIFIER)
        else:
            self.emit(T.METRIC_IDENTIFIER)


def tokenize(text: str) -> list[Token]:
    """Every token of `text` except comments, ending with EOF or ERROR."""
    return [token for token in Lexer(text).tokens() if token.type is not T.COMMENT]
