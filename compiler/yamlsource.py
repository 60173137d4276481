"""YAML documents that keep the position of every value, so problems can point at file:line:col.

PyYAML composes a node tree with marks; we construct plain Python data from it and keep a map from
each value's path (("alerts", 0, "params", "threshold")) to where its key and value start.
Duplicate mapping keys are reported (PyYAML would silently keep the last one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from compiler.problems import Problem, SourcePosition

YamlPath = tuple[str | int, ...]

# libyaml's C loader when present (ten times faster, same nodes and marks), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class PositionMap:
    """Where each path of a document starts: its value, and for mapping entries its key."""

    file: str
    values: dict[YamlPath, SourcePosition] = field(default_factory=dict)
    keys: dict[YamlPath, SourcePosition] = field(default_factory=dict)
    duplicate_keys: list[tuple[YamlPath, SourcePosition]] = field(default_factory=list)  # repeated mapping keys
    # Style of each scalar written on one source line: "" plain, "'" or '"' quoted (block scalars are absent).
    single_line_styles: dict[YamlPath, str] = field(default_factory=dict)

    def of_character(self, path: YamlPath, text: str, offset: int) -> SourcePosition:
        """Where character `offset` of the string value at `path` is in the file, when that can be known.

        Exact for a one-line plain scalar, or a quoted one with no escape before the offset; otherwise the
        position of the value itself.
        """
        start = self.of_value(path)
        style = self.single_line_styles.get(path)
        escapes = {"": "", "'": "'", '"': '\\"'}.get(style)
        if escapes is None or any(char in escapes for char in text[:offset]):
            return start
        return SourcePosition(start.file, start.line, start.column + len(style) + offset)

    def of_value(self, path: YamlPath) -> SourcePosition:
        """The value at `path`, or the nearest enclosing value that exists (a missing key -> its mapping)."""
        for length in range(len(path), -1, -1):
            position = self.values.get(tuple(path[:length]))
            if position is not None:
                return position
        return SourcePosition(self.file)

    def of_key(self, path: YamlPath) -> SourcePosition:
        """The key of the mapping entry at `path` (for unknown keys), else the value's position."""
        return self.keys.get(tuple(path)) or self.of_value(path)


@dataclass
class LoadedDocument:
    """A parsed YAML document with its positions, or the problem that prevented parsing it.

    Duplicate keys are not problems here (the caller knows which alert they belong to): see
    `positions.duplicate_keys`.
    """

    data: Any
    positions: PositionMap
    problems: list[Problem]


def load_yaml(text: str, file: str) -> LoadedDocument:
    """Parse one YAML document; malformed YAML becomes a problem at the parser's mark."""
    positions = PositionMap(file)
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = SourcePosition(file, mark.line + 1, mark.column + 1) if mark else SourcePosition(file)
        message = f"malformed YAML: {error.problem or error.context}"
        return LoadedDocument(None, positions, [Problem(where, message, field=None)])
    if node is not None:
        _record_positions(node, (), positions)
    return LoadedDocument(data, positions, [])


def _mark_position(file: str, node: yaml.Node) -> SourcePosition:
    return SourcePosition(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _record_positions(node: yaml.Node, path: YamlPath, positions: PositionMap) -> None:
    positions.values[path] = _mark_position(positions.file, node)
    if (
        isinstance(node, yaml.ScalarNode)
        and node.start_mark.line == node.end_mark.line
        and node.style in (None, "", "'", '"')  # libyaml spells plain "", PyYAML None
    ):
        positions.single_line_styles[path] = node.style or ""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = path + (key,)
            if key in seen:
                positions.duplicate_keys.append((child, _mark_position(positions.file, key_node)))
                continue
            seen.add(key)
            positions.keys[child] = _mark_position(positions.file, key_node)
            _record_positions(value_node, child, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, path + (index,), positions)


def dotted(path: YamlPath) -> str:
    """A path as users write it: `alerts[0].params.threshold`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
