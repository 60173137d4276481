"""Problems found while compiling, as plain data (pint's habit): checks return them, never print.

Rendering happens only at the edge (`render_problem`), as `file:line:col: alert NAME: field: message`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a problem is: errors fail the compile, warnings are printed and the compile goes on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class SourcePosition:
    """A place in a source file; line and column count from 1, like compilers print them."""

    file: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, which alert, which field, what."""

    position: SourcePosition
    message: str
    alert: str | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """Whether this problem fails the compile."""
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        """Order problems by place, then by text, so output is deterministic."""
        return (self.position, self.alert or "", self.field or "", self.message)


def render_problem(problem: Problem) -> str:
    """Format a problem like a compiler: `file:line:col: [warning: ][alert NAME: ][field: ]message`."""
    where = f"{problem.position.file}:{problem.position.line}:{problem.position.column}"
    parts = [where]
    if problem.severity is Severity.WARNING:
        parts.append("warning")
    if problem.alert:
        parts.append(f"alert {problem.alert}")
    if problem.field:
        parts.append(problem.field)
    parts.append(problem.message)
    return ": ".join(parts)


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in a stable order, errors and warnings interleaved by position; exact repeats dropped."""
    return sorted(set(problems), key=Problem.sort_key)
