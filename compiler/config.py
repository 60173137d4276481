"""`alertkit.yaml`: the compiler's configuration, validated like definitions (unknown keys are errors)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from common.problems import Problem, SourcePosition
from common.yamlsource import load_yaml
from compiler.spec import ConfigV1
from compiler.validation import duplicate_key_problems, pydantic_problems


def load_config(path: Path, required: bool) -> tuple[ConfigV1, list[Problem]]:
    """The configuration in `path`; defaults when the file is absent and not `required`."""
    if not path.is_file():
        if required:
            return ConfigV1(), [Problem(SourcePosition(str(path)), "configuration file not found", field="config")]
        return ConfigV1(), []
    document = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if document.problems:
        return ConfigV1(), document.problems
    duplicates = duplicate_key_problems(document.data, document.positions)
    if duplicates:
        return ConfigV1(), duplicates
    try:
        return ConfigV1.model_validate(document.data or {}), []
    except ValidationError as error:
        return ConfigV1(), pydantic_problems(error, (), document.positions, None, ConfigV1)
