"""The error a scenario raises: every problem found in it, each at its file:line:col.

Problems are the project's one type (common.problems.Problem); ScenarioError is an InputError, so the
command line renders it like any other bad input (exit 1, no traceback).
"""

from __future__ import annotations

from common.errors import InputError
from common.problems import Problem, SourcePosition, render_problem


def scenario_problem(file: str, line: int | None, message: str, column: int | None = None) -> Problem:
    """A problem at file:line:col; an unknown line or column is left out of the rendering."""
    return Problem(SourcePosition(file, line, column if line is not None else None), message)


class ScenarioError(InputError):
    """A scenario file that cannot be simulated; carries every problem found, not just the first.

    The problems are rendered in the order they were found (the reader already orders them by place).
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(render_problem(p) for p in problems), problems)
