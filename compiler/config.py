"""`alertkit.yaml`: the compiler's configuration, validated like definitions (unknown keys are errors)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from common.problems import Problem, SourcePosition
from common.yamlsource import load_yaml_file
from compiler.spec import ConfigV1
from compiler.validation import duplicate_key_problems, pydantic_problems


def load_config(path: Path, required: bool) -> tuple[ConfigV1, list[Problem]]:
    """The configuration in `path`; defaults when nothing is at `path` and it is not `required`.

    Something at `path` that is not a readable file (a directory, a dangling symlink) is a problem,
    never a silent fall back to the defaults.
    """
    if not path.exists() and not path.is_symlink():
        if required:
            return ConfigV1(), [Problem(SourcePosition(str(path)), "configuration file not found", field="config")]
        return ConfigV1(), []
    document = load_yaml_file(path)
    if document.problems:
        return ConfigV1(), document.problems
    duplicates = duplicate_key_problems(document.data, document.positions)
    if duplicates:
        return ConfigV1(), duplicates
    try:
        return ConfigV1.model_validate(document.data or {}), []
    except ValidationError as error:
        return ConfigV1(), pydantic_problems(error, (), document.positions, None, ConfigV1)
