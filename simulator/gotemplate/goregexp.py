r"""Go's regexp (RE2 syntax, Go 1.19) on top of Python's re, for match and reReplaceAll.

The pattern is translated before Python compiles it:
* Go's ``$`` without (?m) matches only at the very end of the text (Python's also matches before
  a final newline); ``\z`` is Python's ``\Z``;
* ``\d \s \w \b`` are ASCII-only in Go (regexp/syntax perl_groups.go), Unicode-aware in Python;
* POSIX classes ``[[:alpha:]]``; a ``[`` inside a class is a literal;
* the (?U) flag (ungreedy) at the start swaps every quantifier's greediness;
* what Go rejects is rejected with Go's words: backreferences, lookaround, atomic groups,
  possessive quantifiers, repeat counts above 1000 or decreasing, unknown flags and classes.
Replacement templates (``$1``, ``${name}``) follow regexp.go expand/extract, and an empty match
right after a previous match is not replaced (regexp.go replaceAll). Syntax Python cannot
express (``\pL`` classes, ``\Q..\E``, (?U) inside a pattern) raises an unsupported-syntax error.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .goquote import go_quote

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

    def run(self) -> str:
        pattern = self.pattern
        i = 4 if self.ungreedy else 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\" and i + 1 < len(pattern):
                self.out.append(self.escape(pattern[i + 1], in_class=False))
                i += 2
            elif ch == "[":
                i = self.char_class(i)
            elif ch == "(" and pattern.startswith("(?", i):
                i = self.group_flags(i)
            elif ch in _QUANTIFIERS or (ch == "{" and _REPEAT.match(pattern, i)):
                i = self.quantifier(i)
            elif ch == "{":
                self.out.append("\\{")  # not a repeat count: a literal in RE2 (Python reads {,n})
                i += 1
            else:
                self.out.append("\\Z" if ch == "$" and not self.multiline else ch)
                i += 1
        return "".join(self.out)

    def escape(self, escaped: str, in_class: bool) -> str:
        if escaped in "pPQEC":
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
                self.out.append(self.escape(pattern[i + 1], in_class=True))
                i += 2
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
        if negated:
            raise GoRegexpError("negated POSIX classes are unsupported by this simulator")
        self.out.append(_POSIX_CLASSES[name])
        return i + len(posix.group(0))

    def group_flags(self, i: int) -> int:
        """(?flags) / (?flags:...) / (?P<name>...); Go knows the flags i, m, s, U only."""
        pattern = self.pattern
        if pattern.startswith("(?P<", i):
            self.out.append("(?P<")
            return i + 4
        flags = re.match(r"\(\?([a-zA-Z-]*)([):]?)", pattern[i:])
        letters = flags.group(1)
        bad = next((c for c in letters if c not in "imsU-"), None)
        if bad is not None or not flags.group(2):
            follower = bad or pattern[i + 2 : i + 3]
            raise _syntax_error("invalid or unsupported Perl syntax", "(?" + follower)
        if "U" in letters:
            raise GoRegexpError("the (?U) flag is supported only at the start of a pattern")
        if "m" in letters.split("-")[0]:
            self.multiline = True
        self.out.append(flags.group(0))
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
        if i < len(pattern) and (pattern[i] in _QUANTIFIERS or _REPEAT.match(pattern, i)):
            following = pattern[i] if pattern[i] in _QUANTIFIERS else _REPEAT.match(pattern, i).group(0)
            raise _syntax_error("invalid nested repetition operator", operator + ("?" if lazy else "") + following)
        self.out.append(operator + ("?" if lazy != self.ungreedy else ""))
        return i


def regexp_quote(text: str) -> str:
    """regexp's quote(): backquoted when possible, else a Go string literal."""
    if "`" not in text and all(ch == "\t" or (ch.isprintable() and ch != "\ufeff") for ch in text):
        return "`" + text + "`"
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
        return f"missing argument to repetition operator: {regexp_quote(pattern[position:position + 1])}"
    if message.startswith("bad escape"):
        return f"invalid escape sequence: {regexp_quote(pattern[position:position + 2])}"
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


def _extract(template: str) -> tuple[str, int, str] | None:
    """regexp.go extract: the group name or number after a '$'; None when malformed."""
    if not template:
        return None
    brace = template[0] == "{"
    body = template[1:] if brace else template
    i = 0
    while i < len(body) and (body[i].isalpha() or body[i].isdigit() or body[i] == "_"):
        i += 1
    if i == 0:
        return None
    name = body[:i]
    if brace:
        if i >= len(body) or body[i] != "}":
            return None
        i += 1
    number = int(name) if name.isascii() and name.isdigit() and len(name) < 9 else -1
    if name[0] == "0" and len(name) > 1:
        number = -1  # leading zeros are not group numbers
    return name, number, body[i:]


def expand(template: str, match: re.Match) -> str:
    """Go's Regexp.expand: $1, ${1}, $name, ${name}; $$ is a dollar; unknown groups are empty."""
    out: list[str] = []
    while True:
        before, dollar, after = template.partition("$")
        if not dollar:
            break
        out.append(before)
        template = after
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        extracted = _extract(template)
        if extracted is None:
            out.append("$")
            continue
        name, number, template = extracted
        group = None
        if number >= 0:
            if number <= match.re.groups:
                group = match.group(number)
        elif name in match.re.groupindex:
            group = match.group(name)
        out.append(group or "")
    out.append(template)
    return "".join(out)


def replace_all(pattern: re.Pattern, source: str, template: str) -> str:
    """Go's ReplaceAllString: no replacement for an empty match right after a previous match."""
    out: list[str] = []
    last_match_end = 0
    search_pos = 0
    while search_pos <= len(source):
        match = pattern.search(source, search_pos)
        if match is None:
            break
        start, end = match.span()
        out.append(source[last_match_end:start])
        if end > last_match_end or start == 0:
            out.append(expand(template, match))
        last_match_end = end
        search_pos = search_pos + 1 if search_pos + 1 > end else end
    out.append(source[last_match_end:])
    return "".join(out)
