r"""Go's regexp (RE2 syntax, Go 1.19) on top of Python's re: one translator for every Go regex.

Used by label matchers (model/labels/regexp.go: fully anchored) and by the template functions
(common/gotemplate/goregexp.py: match, reReplaceAll). The pattern is translated before Python
compiles it:
* Go's ``$`` without (?m) matches only at the very end of the text (Python's also matches before
  a final newline); ``\z`` is Python's ``\Z``;
* ``\d \s \w \b`` are ASCII-only in Go (regexp/syntax perl_groups.go), Unicode-aware in Python;
* POSIX classes ``[[:alpha:]]`` and ``[[:^alpha:]]``; a ``[`` inside a class is a literal;
* flags anywhere: Go's ``(?i)`` in mid-pattern holds to the end of the enclosing group (across
  ``|``), which Python only accepts at the very start, so it becomes a scoped ``(?i:...)``
  closed before every ``|`` and ``)`` of that group and reopened after each ``|``;
* Unicode general categories ``\pL``, ``\p{Lu}``, ``\PN`` become explicit code point ranges
  (Python's unicodedata, Unicode 14; Go 1.19 ships Unicode 13, so only characters added in 14
  can differ); ``\Q...\E`` quotes literally;
* the (?U) flag (ungreedy) at the start swaps every quantifier's greediness;
* what Go rejects is rejected with Go's words: backreferences, lookaround, atomic groups,
  possessive quantifiers, repeat counts above 1000 or decreasing, unknown flags and classes.
Unsupported, with a GoRegexpError saying so: Unicode scripts (``\p{Greek}``), ``\C``, (?U) other
than at the start.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}

# Go's Perl classes are ASCII-only; Python's are Unicode-aware.
_PERL_CLASSES = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
_WORD = "[0-9A-Za-z_]"
_ASCII_WORD_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
_ASCII_NOT_WORD_BOUNDARY = f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000  # regexp/syntax maxRepeat
_QUANTIFIERS = "*+?"


class GoRegexpError(ValueError):
    """A pattern Go's regexp rejects (or that we cannot translate)."""


def _syntax_error(code: str, expr: str) -> GoRegexpError:
    return GoRegexpError(f"error parsing regexp: {code}: {regexp_quote(expr)}")


class _Translator:
    """One pass over an RE2 pattern, writing the equivalent Python pattern."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.out: list[str] = []
        self.multiline = False
        self.ungreedy = pattern.startswith("(?U)")
        # Per open group, the mid-pattern flags set in it so far, each now an open (?flags: scope.
        self.flag_scopes: list[list[str]] = [[]]

    def run(self) -> str:
        pattern = self.pattern
        i = 4 if self.ungreedy else 0
        while i < len(pattern):
            ch = pattern[i]
            if pattern.startswith("\\Q", i):
                i = self.quoted(i)
            elif ch == "\\" and i + 1 < len(pattern):
                i = self.escape_at(i, in_class=False)
            elif ch == "[":
                i = self.char_class(i)
            elif ch == "(" and pattern.startswith("(?", i):
                i = self.group_flags(i)
            elif ch == "(":
                self.flag_scopes.append([])
                self.out.append(ch)
                i += 1
            elif ch == ")":
                self.close_flag_scopes()
                if len(self.flag_scopes) > 1:
                    self.flag_scopes.pop()
                self.out.append(ch)
                i += 1
            elif ch == "|":
                # Go's flags hold across | to the group's end; Python's scope must not swallow
                # the alternation, so close before and reopen after.
                scopes = self.flag_scopes[-1]
                self.close_flag_scopes()
                self.out.append("|" + "".join(f"(?{flags}:" for flags in scopes))
                self.flag_scopes[-1] = scopes
                i += 1
            elif ch in _QUANTIFIERS or (ch == "{" and _REPEAT.match(pattern, i)):
                i = self.quantifier(i)
            elif ch == "{":
                self.out.append("\\{")  # not a repeat count: a literal in RE2 (Python reads {,n})
                i += 1
            else:
                self.out.append("\\Z" if ch == "$" and not self.multiline else ch)
                i += 1
        while self.flag_scopes:
            self.close_flag_scopes()
            self.flag_scopes.pop()
        return "".join(self.out)

    def close_flag_scopes(self) -> None:
        self.out.append(")" * len(self.flag_scopes[-1]))
        self.flag_scopes[-1] = []

    def quoted(self, i: int) -> int:
        """\\Q...\\E (or to the end): literal text."""
        end = self.pattern.find("\\E", i + 2)
        literal = self.pattern[i + 2 :] if end == -1 else self.pattern[i + 2 : end]
        self.out.append(re.escape(literal))
        return len(self.pattern) if end == -1 else end + 2

    def escape_at(self, i: int, in_class: bool) -> int:
        """The escape starting at pattern[i] == '\\'; returns the index after it."""
        escaped = self.pattern[i + 1]
        if escaped in "pP":
            name, end = _unicode_class_name(self.pattern, i)
            ranges = _unicode_category_ranges(name, self.pattern[i:end])
            if escaped == "P":
                ranges = _complement(ranges)
            body = _class_body(ranges)
            self.out.append(body if in_class else f"[{body}]")
            return end
        self.out.append(self.escape(escaped, in_class))
        return i + 2

    def escape(self, escaped: str, in_class: bool) -> str:
        if escaped in "QEC":
            raise GoRegexpError(f"regexp syntax \\{escaped} is unsupported by this simulator")
        if escaped in "123456789":
            raise _syntax_error("invalid escape sequence", "\\" + escaped)
        if escaped.lower() in _PERL_CLASSES:
            ranges = _PERL_CLASSES[escaped.lower()]
            if escaped.islower():
                return ranges if in_class else f"[{ranges}]"
            if not in_class:
                return f"[^{ranges}]"
            return "\\" + escaped  # a negated class inside a class keeps Python's meaning
        if not in_class and escaped in "bB":
            return _ASCII_WORD_BOUNDARY if escaped == "b" else _ASCII_NOT_WORD_BOUNDARY
        if escaped == "z" and not in_class:
            return "\\Z"
        return "\\" + escaped

    def char_class(self, i: int) -> int:
        """[...] from its '['; returns the index after the closing ']'."""
        pattern, start = self.pattern, i
        self.out.append("[")
        i += 1
        if pattern.startswith("^", i):
            self.out.append("^")
            i += 1
        if pattern.startswith("]", i):
            self.out.append("\\]")  # a leading ] is a literal in RE2
            i += 1
        while i < len(pattern) and pattern[i] != "]":
            ch = pattern[i]
            posix = re.match(r"\[:(\^?)(\w+):\]", pattern[i:])
            if ch == "[" and posix:
                i = self.posix_class(posix, i)
            elif ch == "\\" and i + 1 < len(pattern):
                i = self.escape_at(i, in_class=True)
            else:
                range_end = re.match(r"(.)-([^\]\\])", pattern[i:], re.DOTALL)
                if range_end and range_end.group(2) < range_end.group(1):
                    raise _syntax_error("invalid character class range", range_end.group(0))
                self.out.append("\\[" if ch == "[" else ch)  # a nested [ is a literal
                i += 1
        if i >= len(pattern):
            raise _syntax_error("missing closing ]", pattern[start:])
        self.out.append("]")
        return i + 1

    def posix_class(self, posix: re.Match, i: int) -> int:
        negated, name = posix.group(1), posix.group(2)
        if name not in _POSIX_CLASSES:
            raise _syntax_error("invalid character class range", posix.group(0))
        ranges = _POSIX_CLASSES[name]
        self.out.append(_class_body(_complement(_parse_ranges(ranges))) if negated else ranges)
        return i + len(posix.group(0))

    def group_flags(self, i: int) -> int:
        """(?flags) / (?flags:...) / (?P<name>...); Go knows the flags i, m, s, U only."""
        pattern = self.pattern
        if pattern.startswith("(?P<", i):
            self.flag_scopes.append([])
            self.out.append("(?P<")
            return i + 4
        flags = re.match(r"\(\?([a-zA-Z-]*)([):]?)", pattern[i:])
        assert flags is not None  # the caller saw "(?", and every group of the pattern may be empty
        letters = flags.group(1)
        bad = next((c for c in letters if c not in "imsU-"), None)
        if bad is not None or not flags.group(2):
            follower = bad or pattern[i + 2 : i + 3]
            raise _syntax_error("invalid or unsupported Perl syntax", "(?" + follower)
        if "U" in letters:
            raise GoRegexpError("the (?U) flag is supported only at the start of a pattern")
        if "m" in letters.split("-")[0]:
            self.multiline = True
        if flags.group(2) == ":":
            self.flag_scopes.append([])
            self.out.append(flags.group(0))
        elif letters:
            # Trap: (?i) mid-pattern is legal in RE2 and an error in Python 3.11: scope it.
            self.flag_scopes[-1].append(letters)
            self.out.append(f"(?{letters}:")
        return i + len(flags.group(0))

    def quantifier(self, i: int) -> int:
        """*, +, ?, {n,m}: check Go's limits, reject possessive forms, apply (?U)."""
        pattern = self.pattern
        repeat = _REPEAT.match(pattern, i)
        if repeat:
            low = int(repeat.group(1))
            high = low if repeat.group(2) is None else int(repeat.group(3) or -1)
            if low > _MAX_REPEAT or high > _MAX_REPEAT or (high != -1 and high < low):
                raise _syntax_error("invalid repeat count", repeat.group(0))
            operator = repeat.group(0)
        else:
            operator = pattern[i]
        i += len(operator)
        lazy = pattern.startswith("?", i)
        if lazy:
            i += 1
        following_repeat = _REPEAT.match(pattern, i)
        if i < len(pattern) and (pattern[i] in _QUANTIFIERS or following_repeat):
            following = following_repeat.group(0) if following_repeat else pattern[i]
            raise _syntax_error("invalid nested repetition operator", operator + ("?" if lazy else "") + following)
        self.out.append(operator + ("?" if lazy != self.ungreedy else ""))
        return i


def regexp_quote(text: str) -> str:
    """regexp's quote(): backquoted when possible, else a Go string literal."""
    if "`" not in text and all(ch == "\t" or (ch.isprintable() and ch != "\ufeff") for ch in text):
        return "`" + text + "`"
    # Imported here: the gotemplate package imports this module (through goregexp).
    from common.gotemplate.goquote import go_quote

    return go_quote(text)


def _go_syntax_error(pattern: str, err: re.error) -> str:
    """Go's regexp/syntax error text (code: `expr`) for the failures Python reports. Positions
    come from compiling the untranslated pattern, which fails the same way for these."""
    try:
        re.compile(pattern)
    except re.error as original:
        err = original
    position = err.pos or 0
    message = err.msg
    if message.startswith("missing ), unterminated subpattern"):
        return f"missing closing ): {regexp_quote(pattern)}"
    if message.startswith("unbalanced parenthesis"):
        return f"unexpected ): {regexp_quote(pattern)}"
    if message.startswith("nothing to repeat"):
        return f"missing argument to repetition operator: {regexp_quote(pattern[position : position + 1])}"
    if message.startswith("bad escape"):
        return f"invalid escape sequence: {regexp_quote(pattern[position : position + 2])}"
    if message.startswith("redefinition of group name"):
        return f"duplicate group names are unsupported by this simulator: {regexp_quote(pattern)}"
    return f"{message}: {regexp_quote(pattern)}"


@lru_cache(maxsize=512)
def compile_go_regexp(pattern: str) -> re.Pattern:
    """Compile a Go regexp; raises GoRegexpError with Go's wording for the common failures."""
    translated = _Translator(pattern).run()
    try:
        return re.compile(translated)
    except re.error as err:
        raise GoRegexpError("error parsing regexp: " + _go_syntax_error(pattern, err)) from None


# ---------------------------------------------------------------------------------------------
# Code point ranges for \pX classes and negated POSIX classes

_MAX_RUNE = sys.maxunicode


def _unicode_class_name(pattern: str, i: int) -> tuple[str, int]:
    r"""The class name of \pL or \p{Name} at pattern[i]; returns (name, index after it)."""
    if pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        if end == -1:
            raise _syntax_error("invalid character class range", pattern[i:])
        return pattern[i + 3 : end], end + 1
    if i + 2 >= len(pattern):
        raise _syntax_error("invalid character class range", pattern[i:])
    return pattern[i + 2], i + 3


@lru_cache(maxsize=64)
def _unicode_category_ranges(name: str, written: str) -> tuple[tuple[int, int], ...]:
    """Code point ranges of a general category (L, Lu, N, ...) or Any, from unicodedata."""
    negated = name.startswith("^")
    name = name.lstrip("^")
    if name == "Any":
        ranges: tuple[tuple[int, int], ...] = ((0, _MAX_RUNE),)
    elif len(name) in (1, 2) and name[0] in "LMNPSZC" and name.isalpha():
        ranges = tuple(_runs(lambda c: unicodedata.category(chr(c)).startswith(name)))
        if not ranges:
            raise _syntax_error("invalid character class range", written)
    else:
        raise GoRegexpError(
            f"regexp class {written} (a Unicode script) is unsupported by this simulator: "
            "Python's unicodedata has general categories only"
        )
    return _complement(ranges) if negated else ranges


def _runs(member) -> list[tuple[int, int]]:
    ranges, start = [], None
    for code in range(_MAX_RUNE + 1):
        inside = member(code)
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, _MAX_RUNE))
    return ranges


def _parse_ranges(body: str) -> tuple[tuple[int, int], ...]:
    """The ranges of a POSIX class body such as "0-9A-Za-z" (escapes as written above)."""
    chars = [chr(int(m[2:], 16)) if m.startswith("\\x") else m[-1] for m in re.findall(r"\\x[0-9A-F]{2}|\\.|-|.", body)]
    codes = []
    i = 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            codes.append((ord(chars[i]), ord(chars[i + 2])))
            i += 3
        else:
            codes.append((ord(chars[i]), ord(chars[i])))
            i += 1
    return tuple(sorted(codes))


def _complement(ranges) -> tuple[tuple[int, int], ...]:
    out, next_code = [], 0
    for low, high in sorted(ranges):
        if low > next_code:
            out.append((next_code, low - 1))
        next_code = max(next_code, high + 1)
    if next_code <= _MAX_RUNE:
        out.append((next_code, _MAX_RUNE))
    return tuple(out)


def _class_body(ranges) -> str:
    """Ranges written for the inside of a Python character class."""

    def char(code: int) -> str:
        return f"\\U{code:08x}"

    return "".join(char(low) if low == high else f"{char(low)}-{char(high)}" for low, high in ranges)


@lru_cache(maxsize=4096)
def compile_anchored(pattern: str) -> re.Pattern:
    """A label matcher's regex, to be used with fullmatch (model/labels/regexp.go anchors it as
    ^(?:re)$); raises GoRegexpError with Go's wording when Go rejects it."""
    translated = _Translator(pattern).run()
    try:
        return re.compile(f"(?:{translated})")
    except re.error as err:
        # Go reports errors in the anchored text it compiles: missing closing ): `^(?:()$`.
        raise GoRegexpError("error parsing regexp: " + _go_syntax_error(f"^(?:{pattern})$", err)) from None
