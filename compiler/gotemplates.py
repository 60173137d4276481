"""Checks that label and annotation values are Go templates Prometheus can parse (template/template.go).

A minimal structural check: every `{{` action is closed by `}}` (quoted strings inside an action may hold
braces), and control actions (`if`, `range`, `with`, `define`, `block`) are balanced by `{{ end }}`, with
`else` only inside `if`/`range`/`with`.
"""

from __future__ import annotations

import re

_OPEN, _CLOSE = "{{", "}}"
_BLOCK_KEYWORDS = ("if", "range", "with", "define", "block")
_FIRST_WORD = re.compile(r"^\s*-?\s*(/\*.*)?([A-Za-z_]+)?")


def go_template_problem(text: str) -> str | None:
    """Why Prometheus would reject `text` as a Go text/template, or None when it parses."""
    open_blocks: list[str] = []
    position = 0
    while True:
        start = text.find(_OPEN, position)
        if start < 0:
            break
        end = _action_end(text, start + len(_OPEN))
        if end is None:
            return f"Go template does not parse at offset {start}: unclosed action"
        action = text[start + len(_OPEN) : end].strip().lstrip("-").rstrip("-").strip()
        problem = _track_blocks(action, open_blocks, start)
        if problem:
            return problem
        position = end + len(_CLOSE)
    if open_blocks:
        return f"Go template does not parse: unexpected EOF, {{{{ {open_blocks[-1]} }}}} is not closed by {{{{ end }}}}"
    return None


def _action_end(text: str, index: int) -> int | None:
    """Index of the `}}` closing an action, skipping "..." , `...` and '.' literals."""
    quote = None
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote != "`":
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"`'":
            quote = char
        elif text.startswith(_CLOSE, index):
            return index
        index += 1
    return None


def _track_blocks(action: str, open_blocks: list[str], offset: int) -> str | None:
    if action.startswith("/*"):
        return None
    word = action.split(maxsplit=1)[0] if action else ""
    if not word:
        return f"Go template does not parse at offset {offset}: missing value for command"
    if word in _BLOCK_KEYWORDS:
        open_blocks.append(word)
    elif word == "end":
        if not open_blocks:
            return f"Go template does not parse at offset {offset}: unexpected {{{{end}}}}"
        open_blocks.pop()
    elif word == "else" and (not open_blocks or open_blocks[-1] not in ("if", "range", "with")):
        return f"Go template does not parse at offset {offset}: unexpected {{{{else}}}}"
    return None
