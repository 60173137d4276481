"""Errors a scenario can raise: each names the file and line of the bad value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located at file:line:col (col when known)."""

    file: str
    line: int | None
    message: str
    col: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.col}" if self.col is not None else "")
        return f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario file that cannot be simulated; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
