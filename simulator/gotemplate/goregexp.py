"""Go's regexp (RE2 syntax) on top of Python's re, for match and reReplaceAll.

Differences handled: Go's ``$`` without (?m) matches only at the very end of the text (Python's
also matches before a final newline), ``\\z``, POSIX classes ``[[:alpha:]]``, ``$1``/``${name}``
replacement templates (regexp.go expand/extract) and Go's rule that an empty match right after a
previous match is not replaced (regexp.go replaceAll). Syntax Python cannot express (``\\p{..}``
classes, ``\\Q..\\E``) raises a clear unsupported-syntax error.
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


class GoRegexpError(ValueError):
    """A pattern Go's regexp rejects (or that we cannot translate)."""


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    multiline = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped in "pPQEC":
                raise GoRegexpError(f"regexp syntax \\{escaped} is unsupported by this simulator")
            out.append("\\Z" if escaped == "z" and not in_class else ch + escaped)
            i += 2
            continue
        if in_class:
            posix = re.match(r"\[:(\^?)(\w+):\]", pattern[i:])
            if posix and posix.group(2) in _POSIX_CLASSES:
                if posix.group(1):
                    raise GoRegexpError("negated POSIX classes are unsupported by this simulator")
                out.append(_POSIX_CLASSES[posix.group(2)])
                i += len(posix.group(0))
                continue
            if ch == "]" and not out[-1].endswith("["):
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")  # a leading ] is a literal in RE2
                i += 1
            i += 1
            continue
        if ch == "(" and pattern.startswith("(?", i):
            flags = re.match(r"\(\?([imsU-]*)[):]", pattern[i:])
            if flags and "m" in flags.group(1).split("-")[0]:
                multiline = True
        out.append("\\Z" if ch == "$" and not multiline else ch)
        i += 1
    return "".join(out)


def regexp_quote(text: str) -> str:
    """regexp's quote(): backquoted when possible, else a Go string literal."""
    if "`" not in text and all(ch == "\t" or (ch.isprintable() and ch != "\ufeff") for ch in text):
        return "`" + text + "`"
    return go_quote(text)


def _go_syntax_error(pattern: str, err: re.error) -> str:
    """Go's regexp/syntax error text (code: `expr`) for the failures Python reports."""
    position = err.pos or 0
    message = err.msg
    if message.startswith("missing ), unterminated subpattern"):
        return f"missing closing ): {regexp_quote(pattern)}"
    if message.startswith("unbalanced parenthesis"):
        return f"unexpected ): {regexp_quote(pattern)}"
    if message.startswith("unterminated character set"):
        return f"missing closing ]: {regexp_quote(pattern[position:])}"
    if message.startswith("nothing to repeat"):
        return f"missing argument to repetition operator: {regexp_quote(pattern[position:position + 1])}"
    if message.startswith("multiple repeat"):
        return f"invalid nested repetition operator: {regexp_quote(pattern[position - 1:position + 1])}"
    if message.startswith("bad escape"):
        return f"invalid escape sequence: {regexp_quote(pattern[position:position + 2])}"
    return f"{message}: {regexp_quote(pattern)}"


@lru_cache(maxsize=512)
def compile_go_regexp(pattern: str) -> re.Pattern:
    """Compile a Go regexp; raises GoRegexpError with Go's wording for the common failures."""
    try:
        return re.compile(_translate(pattern))
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
