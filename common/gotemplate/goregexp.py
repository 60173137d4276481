r"""Go's regexp for the template functions match and reReplaceAll.

Compiling (RE2 → Python translation) lives in common/regex.py, shared with label matchers;
this module re-exports it and adds Go's replacement semantics.

Replacement templates (``$1``, ``${name}``) follow regexp.go expand/extract, and an empty match
right after a previous match is not replaced (regexp.go replaceAll).
"""

from __future__ import annotations

import re

from common.regex import GoRegexpError, compile_go_regexp, regexp_quote

__all__ = ["GoRegexpError", "compile_go_regexp", "expand", "regexp_quote", "replace_all"]


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
