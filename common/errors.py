"""The exceptions of alertkit: every failure the core raises is one of these kinds.

The core raises them; only the command line (the root group in compiler/cli.py) turns them into a
message on stderr and an exit code, in one place. Nothing else reaches the user as a traceback.
"""

from __future__ import annotations

from common.problems import Problem, render_problem, sorted_problems

EXIT_INPUT_ERROR = 1
EXIT_INTERNAL_ERROR = 3


class AlertkitError(Exception):
    """Base of every error alertkit raises on purpose. `exit_code` is the command's exit status."""

    exit_code = EXIT_INTERNAL_ERROR

    def render(self) -> str:
        """The message the command line prints for this error."""
        return str(self)


class InputError(AlertkitError):
    """The user's mistake in an input: a file, an option, a value. Exit 1 with a message saying where
    (file:line:col when known) and what to change; no output is written or changed."""

    exit_code = EXIT_INPUT_ERROR

    def __init__(self, message: str = "", problems: list[Problem] | None = None):
        self.problems = list(problems or [])
        super().__init__(message or "\n".join(render_problem(p) for p in sorted_problems(self.problems)))


class SourceError(InputError):
    """An input file that cannot be read as text or as YAML: missing, not a regular file, binary,
    not UTF-8, malformed, too deep or too aliased. Carries the one problem, with its position."""

    def __init__(self, problem: Problem):
        super().__init__(render_problem(problem), [problem])
        self.problem = problem


class OutputError(AlertkitError):
    """An output cannot be written (no space, no permission, not a directory, would overwrite an
    input). Exit 1: the environment or the command line is at fault, not alertkit; every earlier
    output is left as it was."""

    exit_code = EXIT_INPUT_ERROR


class InternalError(AlertkitError):
    """A bug in alertkit: a state the code should never reach. Exit 3 and ask for a report."""

    exit_code = EXIT_INTERNAL_ERROR

    def render(self) -> str:
        return f"internal error: {self}; please report it with the input that caused it"
