"""Strict YAML reading with positions, shared by the rule-file loader and the promtool test parser.

Prometheus parses both file kinds with yaml.v2's UnmarshalStrict: an unknown key is an error.
We keep each value's line and column so every problem can be reported as file:line:col.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

# libyaml's parser when PyYAML was built with it: same nodes and marks, much faster.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Position:
    """1-based line and column of a YAML node."""

    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    position: Position | None
    message: str
    # "unmarshal": a yaml.v2 type error, collected and reported together by UnmarshalStrict;
    # "fatal": an error that stops decoding at once (e.g. a custom unmarshaler's error).
    kind: str = "fatal"

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.position.line}:{self.position.column}: {self.message}"


class YamlSyntaxError(Exception):
    """The file is not YAML at all."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def position_of(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def compose(text: str, file: str) -> yaml.Node | None:
    """Parse YAML text into a node tree (positions kept); raise YamlSyntaxError."""
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = Position(mark.line + 1, mark.column + 1) if mark else None
        message = getattr(error, "problem", None) or str(error)
        raise YamlSyntaxError(Problem(file, position, f"yaml: {message}")) from None


def to_python(node: yaml.Node):
    """Plain Python value of a node, resolved with PyYAML's safe rules."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def mapping_items(node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) for a mapping node, YAML merge keys (<<) applied as yaml.v2 does."""
    if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
        _apply_merge_keys(node)
    return [(str(k.value), k, v) for k, v in node.value]


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def scalar_text(node: yaml.Node) -> str:
    """The text of a scalar as Go's yaml.v2 would give it to a string field."""
    if is_null(node):
        return ""
    return str(node.value)


def _apply_merge_keys(node: yaml.MappingNode) -> None:
    # Merged keys never clash with the node's own keys: the own key wins, and among merged
    # mappings the first one wins (YAML merge-key spec, as yaml.v2 implements it).
    own_keys = {str(k.value) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader = yaml.SafeLoader("")
    try:
        loader.flatten_mapping(node)
    finally:
        loader.dispose()
    merged_count = len(node.value) - len(own_keys)
    kept, seen = [], set(own_keys)
    for index, (key, value) in enumerate(node.value):
        name = str(key.value)
        if index < merged_count:
            if name in seen:
                continue
            seen.add(name)
        kept.append((key, value))
    node.value = kept
