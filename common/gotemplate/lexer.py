"""Lexer for Go templates, mirroring Go 1.19's text/template/parse/lex.go (promtool 2.42 is built
with go1.19.8): the same item kinds, trim markers, comments and error wording.

Go runs the lexer as a state machine feeding the parser lazily; we lex eagerly up to (and
including) the first error item, which the parser meets in the same order Go's parser would.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import NamedTuple


class ItemType(enum.Enum):
    ERROR = "error"
    BOOL = "bool"
    CHAR = "char"  # printable ASCII character; grab bag for comma etc.
    CHAR_CONSTANT = "char constant"
    COMPLEX = "complex"
    ASSIGN = "="
    DECLARE = ":="
    EOF = "EOF"
    FIELD = "field"
    IDENTIFIER = "identifier"
    LEFT_DELIM = "{{"
    LEFT_PAREN = "("
    NUMBER = "number"
    PIPE = "|"
    RAW_STRING = "raw string"
    RIGHT_DELIM = "}}"
    RIGHT_PAREN = ")"
    SPACE = "space"
    STRING = "string"
    TEXT = "text"
    VARIABLE = "variable"
    # Keywords (Go prints them as <word> in error messages).
    BLOCK = "block"
    BREAK = "break"
    CONTINUE = "continue"
    DOT = "."
    DEFINE = "define"
    ELSE = "else"
    END = "end"
    IF = "if"
    NIL = "nil"
    RANGE = "range"
    TEMPLATE = "template"
    WITH = "with"


KEYWORDS = {
    ".": ItemType.DOT,
    "block": ItemType.BLOCK,
    "break": ItemType.BREAK,
    "continue": ItemType.CONTINUE,
    "define": ItemType.DEFINE,
    "else": ItemType.ELSE,
    "end": ItemType.END,
    "if": ItemType.IF,
    "range": ItemType.RANGE,
    "nil": ItemType.NIL,
    "template": ItemType.TEMPLATE,
    "with": ItemType.WITH,
}
_KEYWORD_TYPES = frozenset(KEYWORDS.values())

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
SPACE_CHARS = " \t\r\n"  # Go's own space characters (lex.go spaceChars)
TRIM_MARKER = "-"
TRIM_MARKER_LEN = 2  # the marker plus the space before or after it


class Item(NamedTuple):
    """One token: its kind, its offset in the input, its text and its 1-based line.

    A NamedTuple, not a frozen dataclass: the lexer makes one per token, and a tuple is built several
    times faster (and defined faster at import)."""

    typ: ItemType
    pos: int
    val: str
    line: int

    def __str__(self) -> str:
        """Go's item.String(), used verbatim in parse error messages."""
        from .goquote import go_quote

        if self.typ is ItemType.EOF:
            return "EOF"
        if self.typ is ItemType.ERROR:
            return self.val
        if self.typ in _KEYWORD_TYPES:
            return f"<{self.val}>"
        if len(self.val) > 10:
            # Go's %.10q quotes the first 10 runes.
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def is_space(ch: str) -> bool:
    return ch in SPACE_CHARS and ch != ""


def is_alphanumeric(ch: str) -> bool:
    """Go's isAlphaNumeric: underscore, unicode letter or unicode digit."""
    if ch == "":
        return False
    return ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nd"


def _has_left_trim_marker(s: str) -> bool:
    return len(s) >= 2 and s[0] == TRIM_MARKER and is_space(s[1])


def _has_right_trim_marker(s: str) -> bool:
    return len(s) >= 2 and is_space(s[0]) and s[1] == TRIM_MARKER


# A run of ASCII letters, digits and underscores: alphanumeric to Go (isAlphaNumeric), taken at once before the
# rune-by-rune loop that also knows the other Unicode letters and digits.
_ASCII_WORD_RUN = re.compile(r"[A-Za-z0-9_]*")


def _ascii_word_end(text: str, pos: int) -> int:
    match = _ASCII_WORD_RUN.match(text, pos)
    return match.end() if match else pos


class _Lexer:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.items: list[Item] = []
        self._counted_pos, self._counted_line = 0, 1

    # --- helpers mirroring lex.go ---
    def next(self) -> str:
        if self.pos >= len(self.input):
            self.pos += 1  # past-the-end marker so backup() stays symmetric
            return ""
        ch = self.input[self.pos]
        self.pos += 1
        return ch

    def backup(self) -> None:
        self.pos -= 1

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def _line_at(self, pos: int) -> int:
        """1-based line of an offset; items arrive in order, so count on from the last one."""
        if pos < self._counted_pos:
            self._counted_pos, self._counted_line = 0, 1
        self._counted_line += self.input.count("\n", self._counted_pos, pos)
        self._counted_pos = pos
        return self._counted_line

    def emit(self, typ: ItemType) -> None:
        self.items.append(Item(typ, self.start, self.input[self.start : self.pos], self._line_at(self.start)))
        self.start = self.pos

    def ignore(self) -> None:
        self.start = self.pos

    def accept(self, valid: str) -> bool:
        ch = self.next()
        if ch != "" and ch in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            ch = self.next()
            if ch == "" or ch not in valid:
                break
        self.backup()

    def errorf(self, message: str) -> None:
        self.items.append(Item(ItemType.ERROR, self.start, message, self._line_at(self.start)))
        return None

    def at_right_delim(self) -> tuple[bool, bool]:
        # Looks at the input in place: slicing off the rest at every action token made lexing quadratic.
        pos = self.pos
        if _has_right_trim_marker(self.input[pos : pos + TRIM_MARKER_LEN]) and self.input.startswith(
            RIGHT_DELIM, pos + TRIM_MARKER_LEN
        ):
            return True, True
        if self.input.startswith(RIGHT_DELIM, pos):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if ch == "" or is_space(ch):
            return True
        return ch in ".,|:)(" or ch == RIGHT_DELIM[0]

    # --- state functions ---
    def run(self) -> list[Item]:
        state = self.lex_text
        while state is not None:
            state = state()
        return self.items

    def lex_text(self):
        x = self.input.find(LEFT_DELIM, self.pos)
        if x >= 0:
            if x > self.pos:
                self.pos = x
                trim_length = 0
                delim_end = self.pos + len(LEFT_DELIM)
                if _has_left_trim_marker(self.input[delim_end : delim_end + TRIM_MARKER_LEN]):
                    segment = self.input[self.start : self.pos]
                    trim_length = len(segment) - len(segment.rstrip(SPACE_CHARS))
                self.pos -= trim_length
                if self.pos > self.start:
                    self.emit(ItemType.TEXT)
                self.pos += trim_length
                self.ignore()
            return self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.emit(ItemType.TEXT)
        self.emit(ItemType.EOF)
        return None

    def lex_left_delim(self):
        self.pos += len(LEFT_DELIM)
        trim_space = _has_left_trim_marker(self.input[self.pos : self.pos + TRIM_MARKER_LEN])
        after_marker = TRIM_MARKER_LEN if trim_space else 0
        if self.input.startswith(LEFT_COMMENT, self.pos + after_marker):
            self.pos += after_marker
            self.ignore()
            return self.lex_comment
        self.emit(ItemType.LEFT_DELIM)
        self.pos += after_marker
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self):
        self.pos += len(LEFT_COMMENT)
        x = self.input.find(RIGHT_COMMENT, self.pos)
        if x < 0:
            return self.errorf("unclosed comment")
        self.pos = x + len(RIGHT_COMMENT)
        delim, trim_space = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        if trim_space:
            self.pos += TRIM_MARKER_LEN
        self.pos += len(RIGHT_DELIM)
        if trim_space:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self):
        _, trim_space = self.at_right_delim()
        if trim_space:
            self.pos += TRIM_MARKER_LEN
            self.ignore()
        self.pos += len(RIGHT_DELIM)
        self.emit(ItemType.RIGHT_DELIM)
        if trim_space:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self):
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.errorf("unclosed left paren")
        ch = self.next()
        if ch == "":
            return self.errorf("unclosed action")
        if is_space(ch):
            self.backup()  # put the space back in case we have " -}}"
            return self.lex_space
        if ch == "=":
            self.emit(ItemType.ASSIGN)
        elif ch == ":":
            if self.next() != "=":
                return self.errorf("expected :=")
            self.emit(ItemType.DECLARE)
        elif ch == "|":
            self.emit(ItemType.PIPE)
        elif ch == '"':
            return self.lex_quote
        elif ch == "`":
            return self.lex_raw_quote
        elif ch == "$":
            return self.lex_variable
        elif ch == "'":
            return self.lex_char
        elif ch == "." and self.pos < len(self.input) and not ("0" <= self.input[self.pos] <= "9"):
            # special look-ahead for ".field" so we don't break backup()
            return self.lex_field
        elif ch in "+-." or "0" <= ch <= "9":
            self.backup()
            return self.lex_number
        elif is_alphanumeric(ch):
            self.backup()
            return self.lex_identifier
        elif ch == "(":
            self.emit(ItemType.LEFT_PAREN)
            self.paren_depth += 1
        elif ch == ")":
            self.emit(ItemType.RIGHT_PAREN)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf(f"unexpected right paren {_go_rune_u(ch)}")
        elif ord(ch) < 128 and ch.isprintable():
            self.emit(ItemType.CHAR)
        else:
            return self.errorf(f"unrecognized character in action: {_go_rune_u(ch)}")
        return self.lex_inside_action

    def lex_space(self):
        num_spaces = 0
        while is_space(self.peek()):
            self.next()
            num_spaces += 1
        # A trim-marked closing delimiter has a minus after a space: leave " -}}" alone.
        if _has_right_trim_marker(self.input[self.pos - 1 : self.pos - 1 + TRIM_MARKER_LEN]) and self.input.startswith(
            RIGHT_DELIM, self.pos - 1 + TRIM_MARKER_LEN
        ):
            self.backup()
            if num_spaces == 1:
                return self.lex_inside_action
        self.emit(ItemType.SPACE)
        return self.lex_inside_action

    def lex_identifier(self):
        self.pos = _ascii_word_end(self.input, self.pos)
        while True:
            ch = self.next()
            if is_alphanumeric(ch):
                continue
            self.backup()
            word = self.input[self.start : self.pos]
            if not self.at_terminator():
                return self.errorf(f"bad character {_go_rune_u(ch)}")
            if word in KEYWORDS:
                self.emit(KEYWORDS[word])
            elif word[0] == ".":
                self.emit(ItemType.FIELD)
            elif word in ("true", "false"):
                self.emit(ItemType.BOOL)
            else:
                self.emit(ItemType.IDENTIFIER)
            return self.lex_inside_action

    def lex_field(self):
        return self._lex_field_or_variable(ItemType.FIELD)

    def lex_variable(self):
        if self.at_terminator():  # nothing interesting follows -> "$"
            self.emit(ItemType.VARIABLE)
            return self.lex_inside_action
        return self._lex_field_or_variable(ItemType.VARIABLE)

    def _lex_field_or_variable(self, typ: ItemType):
        if self.at_terminator():  # nothing interesting follows -> "." or "$"
            self.emit(ItemType.VARIABLE if typ is ItemType.VARIABLE else ItemType.DOT)
            return self.lex_inside_action
        self.pos = _ascii_word_end(self.input, self.pos)
        while True:
            ch = self.next()
            if not is_alphanumeric(ch):
                self.backup()
                break
        if not self.at_terminator():
            return self.errorf(f"bad character {_go_rune_u(ch)}")
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self):
        return self._lex_escaped_until("'", ItemType.CHAR_CONSTANT, "unterminated character constant")

    def _lex_escaped_until(self, closing: str, typ: ItemType, unterminated: str):
        """Scan to `closing`, skipping backslash escapes; a newline or the end of input first is an error.

        text/template/parse/lex.go lexChar and lexQuote are this same loop with their own quote and message.
        """
        while True:
            ch = self.next()
            if ch == "\\":
                follower = self.next()
                if follower not in ("", "\n"):
                    continue
                return self.errorf(unterminated)
            if ch in ("", "\n"):
                return self.errorf(unterminated)
            if ch == closing:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_number(self):
        if not self._scan_number():
            return self.errorf(f"bad number syntax: {_quote(self.input[self.start : self.pos])}")
        if self.peek() in ("+", "-") and self.peek() != "":
            # Complex: 1+2i. No spaces, must end in 'i'.
            if not self._scan_number() or self.input[self.pos - 1] != "i":
                return self.errorf(f"bad number syntax: {_quote(self.input[self.start : self.pos])}")
            self.emit(ItemType.COMPLEX)
        else:
            self.emit(ItemType.NUMBER)
        return self.lex_inside_action

    def _scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            # Note: Leading 0 does not mean octal in floats.
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 10 + 1 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 16 + 6 + 1 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")  # imaginary
        if is_alphanumeric(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self):
        return self._lex_escaped_until('"', ItemType.STRING, "unterminated quoted string")

    def lex_raw_quote(self):
        while True:
            ch = self.next()
            if ch == "":
                return self.errorf("unterminated raw quoted string")
            if ch == "`":
                break
        self.emit(ItemType.RAW_STRING)
        return self.lex_inside_action


def _quote(s: str) -> str:
    from .goquote import go_quote

    return go_quote(s)


def _go_rune_u(ch: str) -> str:
    """Go's %#U: U+0024 '$'."""
    if ch == "":
        return "U+FFFFFFFFFFFFFFFF"  # Go prints eof (-1) this way
    code = ord(ch)
    if ch.isprintable():
        return f"U+{code:04X} '{ch}'"
    return f"U+{code:04X}"


def lex(text: str) -> list[Item]:
    """Tokenize a template; the list ends with an EOF item or with the first ERROR item."""
    return _Lexer(text).run()
