"""Errors of the Go template interpreter, shaped like Go's text/template errors."""

from __future__ import annotations


class GoTemplateError(Exception):
    """A template that Go's text/template parser rejects.

    message: Go's own wording ("unclosed action", "function \"foo\" not defined", ...);
    offset: byte-free character offset of the offending token in the user's text (0 when the
        error lies in text Prometheus prepends);
    line: 1-based line, counted as Go counts it (text/template/parse/lex.go item.line);
    name: the template's name (Prometheus uses "__alert_" + alert name).
    str() is Go's error text: ``template: NAME:LINE: MESSAGE``.
    """

    def __init__(self, message: str, *, name: str, line: int, offset: int) -> None:
        self.message = message
        self.name = name
        self.line = line
        self.offset = offset
        super().__init__(f"template: {name}:{line}: {message}")


class GoExecError(Exception):
    """A failure while executing a parsed template (Go's text/template ExecError).

    str() is Go's text, e.g. ``template: __alert_A:1:97: executing "__alert_A" at <first>:
    error calling first: first() called on vector with no elements``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)


class GoCallError(Exception):
    """An error returned (or panicked) by a template function; wrapped by the executor
    into ``error calling NAME: ...`` like Go's exec.go evalCall."""
