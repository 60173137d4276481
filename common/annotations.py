"""Problems as GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=T::message`).

GitHub turns each such stdout line into an annotation on that file and line; in a pull request it shows on the
diff when the line is one the PR changed, and in the run's summary otherwise. Paths must be relative to the
repository root (the caller maps them).
Escaping follows the workflow-command format (toolkit's command.ts): data escapes %, CR and LF; property
values also escape ':' and ','.
"""

from __future__ import annotations

from common.problems import Problem, Severity

# Workflow command names per severity (docs: "Setting an error message", "Setting a warning message").
COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning"}
TITLE = "alertkit"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem, file: str | None = None) -> str:
    """One workflow command for `problem` (`file`: its path from the repository root, default as the problem
    names it); line and col only where the problem knows them."""
    properties = [f"file={escape_property(file if file is not None else problem.file)}"]
    if problem.line is not None:
        properties.append(f"line={problem.line}")
        if problem.column is not None:
            properties.append(f"col={problem.column}")
    title = (
        TITLE + (f": alert {problem.alert}" if problem.alert else "") + (f": {problem.field}" if problem.field else "")
    )
    properties.append(f"title={escape_property(title)}")
    return f"::{COMMANDS[problem.severity]} {','.join(properties)}::{escape_data(problem.message)}"
