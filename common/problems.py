"""Problems found in input files, as plain data: readers and checks return them, never print.

One type for every input of the project (definitions, alertkit.yaml, rule files, promtool test files,
scenarios, routing files). Rendering happens only at the edge, like a compiler:

    file:line:col: [warning: ][alert NAME: ][field: ]message

A problem whose reader knows no line (Prometheus reports some rule-file errors without one) renders
as `file: message`; one without a column as `file:line: message`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a problem is: errors fail the command, warnings are printed and the command goes on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class SourcePosition:
    """A place in a source file; line and column count from 1, like compilers print them.

    None means unknown: a problem about a whole file has no line, one about a whole line no column.
    """

    file: str
    line: int | None = 1
    column: int | None = 1

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line or 0, self.column or 0)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, which alert, which field, what, and how bad.

    `kind` says how the reader that found it reports it, for readers that reproduce a tool's output:
    "unmarshal" marks a Go yaml.v2 type error (UnmarshalStrict collects those and reports them together),
    "fatal" (the default) anything that stops reading at once.
    """

    position: SourcePosition
    message: str
    alert: str | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR
    kind: str = "fatal"

    @property
    def file(self) -> str:
        return self.position.file

    @property
    def line(self) -> int | None:
        return self.position.line

    @property
    def column(self) -> int | None:
        return self.position.column

    @property
    def is_error(self) -> bool:
        """Whether this problem fails the command."""
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        """Order problems by place, then by text, so output is deterministic."""
        return (self.position.sort_key(), self.alert or "", self.field or "", self.message)

    def __str__(self) -> str:
        return render_problem(self)


def render_problem(problem: Problem) -> str:
    """`file:line:col: [warning: ][alert NAME: ][field: ]message`."""
    parts = [str(problem.position)]
    if problem.severity is Severity.WARNING:
        parts.append("warning")
    if problem.alert:
        # A name with a line break or control character is shown quoted, so the line stays one line.
        parts.append(f"alert {problem.alert if problem.alert.isprintable() else repr(problem.alert)}")
    if problem.field:
        parts.append(problem.field)
    parts.append(problem.message)
    return ": ".join(parts)


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in a stable order, errors and warnings interleaved by position; exact repeats dropped."""
    return sorted(set(problems), key=Problem.sort_key)
