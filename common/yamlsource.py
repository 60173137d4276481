"""The one YAML reader of alertkit: every input file is read here, parsed once, with positions kept.

Reading (`read_source_text`, `decode_source`) refuses, as a SourceError carrying a file:line:col problem:
a path that is missing, a dangling symlink, a symlink loop, a directory, a device or FIFO, a file larger
than MAX_SOURCE_BYTES, a binary file (a NUL byte), and bytes that are not UTF-8 (naming the byte and its
offset).

Parsing (`compose`) builds PyYAML's node tree (every node keeps its start and end marks) in one pass over
the parser's events, and refuses, with the position where it happens (a text without any `&` cannot hold
an alias: libyaml composes it directly, twice as fast, and only its depth is checked):
- nesting deeper than MAX_DEPTH (counting what aliases expand to);
- an alias inside the node it names (a recursive alias, which would expand forever);
- aliases that together expand the document by more than MAX_ALIAS_EXPANSION nodes ("billion laughs");
- more than one document in the stream.
Anchors may be redefined, as in Go's yaml.v2 (the latest definition wins).

Two ways to use the tree:
- Node API, for readers that reproduce a Go tool's wording (rule files, promtool test files, scenarios):
  `compose`, then walk nodes with `mapping_items`, `scalar_text`, `is_null`, `to_python`, `position_of`.
  Duplicate keys are the walker's to report (yaml.v2 wording differs by target type).
- Data API, for the compiler's definitions and alertkit.yaml: `load_yaml` returns plain Python data, a
  PositionMap from each value's path to where it starts, and problems instead of raising for content.
  Duplicate keys are listed in `positions.duplicate_keys` (the caller knows which alert they belong to).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import SourceError
from common.problems import Problem, SourcePosition

YamlPath = tuple[str | int, ...]

# libyaml's parser when PyYAML was built with it: same events and marks, ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Deepest nesting of collections accepted. Real definitions, rule files and scenarios nest under 15
# levels; the bound keeps every recursive walk of the tree far from Python's recursion limit.
MAX_DEPTH = 100
# Nodes that aliases may add to a document when expanded. Hand-written files reuse a few blocks; a
# "billion laughs" document expands nine levels of ten aliases into 10^9 nodes.
MAX_ALIAS_EXPANSION = 100_000
# Largest input file read. The largest real inputs (generated rule files of 20k rules) are a few MB.
MAX_SOURCE_BYTES = 64 << 20

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


# ---------------------------------------------------------------------------------------------- reading


def read_source_text(path: Path | str, file: str | None = None) -> str:
    """The text of the input file at `path` (reported as `file`, default the path); raise SourceError."""
    path = Path(path)
    file = file or str(path)
    try:
        info = path.stat()
    except OSError as error:
        raise SourceError(Problem(SourcePosition(file, None, None), _stat_failure(path, error))) from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError(Problem(SourcePosition(file, None, None), "is a directory, expected a file"))
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(
            Problem(SourcePosition(file, None, None), "not a regular file (a device, FIFO or socket), expected a file")
        )
    if info.st_size > MAX_SOURCE_BYTES:
        raise SourceError(_too_large(file, info.st_size))
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        raise SourceError(Problem(SourcePosition(file, None, None), f"cannot read: {error.strerror}")) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(_too_large(file, len(data)))
    return decode_source(data, file)


def _stat_failure(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "cannot read: symbolic link loop"
    if error.errno == errno.ENOENT and path.is_symlink():
        return f"cannot read: dangling symbolic link (to {os.readlink(path)})"
    if error.errno == errno.ENOENT:
        return "no such file"
    return f"cannot read: {error.strerror}"


def _too_large(file: str, size: int) -> Problem:
    return Problem(SourcePosition(file, None, None), f"file too large: {size} bytes (limit {MAX_SOURCE_BYTES})")


def decode_source(data: bytes, file: str) -> str:
    """Bytes of an input file as text; a NUL byte (binary file) or invalid UTF-8 raise SourceError."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise SourceError(_byte_problem(data, nul, file, f"binary file, not text: NUL byte at byte offset {nul}"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        message = f"not UTF-8: invalid byte 0x{byte:02x} at byte offset {error.start}; save the file as UTF-8"
        raise SourceError(_byte_problem(data, error.start, file, message)) from None


def _byte_problem(data: bytes, offset: int, file: str, message: str) -> Problem:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return Problem(SourcePosition(file, line, column), message)


# ---------------------------------------------------------------------------------------------- parsing


class YamlSyntaxError(SourceError):
    """The text is not YAML, or is refused by a bound (depth, aliases). `reason` is the bare message;
    the problem's message is `yaml: reason`, yaml.v2's wording as promtool prints it."""

    def __init__(self, position: SourcePosition, reason: str):
        super().__init__(Problem(position, f"yaml: {reason}"))
        self.position = position
        self.reason = reason


def position_of(node: yaml.Node, file: str) -> SourcePosition:
    """Where a node starts, 1-based."""
    return _mark(file, node.start_mark)


def _mark(file: str, mark: Any) -> SourcePosition:
    return SourcePosition(file, mark.line + 1, mark.column + 1) if mark is not None else SourcePosition(file)


def compose(text: str, file: str) -> yaml.Node | None:
    """Parse YAML text into one node tree (None for an empty document); raise YamlSyntaxError."""
    if "&" not in text:
        try:
            return _compose_without_anchors(text, file)
        except yaml.composer.ComposerError:
            pass  # an undefined alias, several documents: reported below in the event loop's words
    loader = _LOADER(text)
    try:
        return _Composer(loader, file).compose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlSyntaxError(_mark(file, mark), str(error.problem or error.context)) from None
    except yaml.YAMLError as error:  # a ReaderError: a character YAML does not allow
        raise YamlSyntaxError(_reader_position(text, file, error), _reader_reason(error)) from None
    finally:
        loader.dispose()


def _compose_without_anchors(text: str, file: str) -> yaml.Node | None:
    """A document without anchors has no aliases to bound: libyaml composes it (about twice as fast as
    the event loop), and only the depth is checked after."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.composer.ComposerError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlSyntaxError(_mark(file, mark), str(error.problem or error.context)) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(_reader_position(text, file, error), _reader_reason(error)) from None
    if root is not None:
        _check_depth(root, file)
    return root


def _check_depth(root: yaml.Node, file: str) -> None:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            continue
        if depth > MAX_DEPTH:
            raise YamlSyntaxError(position_of(node, file), f"nesting deeper than {MAX_DEPTH} levels is not allowed")
        stack.extend((child, depth + 1) for child in children)


def _reader_position(text: str, file: str, error: yaml.YAMLError) -> SourcePosition:
    offset = getattr(error, "position", None)
    if not isinstance(offset, int):
        return SourcePosition(file)
    line = text.count("\n", 0, offset) + 1
    return SourcePosition(file, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _reader_reason(error: yaml.YAMLError) -> str:
    character = getattr(error, "character", None)
    if isinstance(character, str):
        character = ord(character)
    if isinstance(character, int):
        return f"character {character:#06x} is not allowed in YAML (control characters must be escaped)"
    return str(error)


@dataclass
class _Frame:
    node: yaml.CollectionNode
    size: int = 1  # nodes in the expanded subtree so far
    height: int = 1
    pending_key: yaml.Node | None = None


class _Composer:
    """PyYAML's Composer, iterative, with the depth and alias bounds checked as each event arrives."""

    def __init__(self, loader: Any, file: str):
        self.loader = loader
        self.file = file
        self.anchors: dict[str, yaml.Node] = {}
        self.extent: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (expanded size, height)
        self.open: set[int] = set()  # ids of collections still being composed
        self.anchored: set[int] = set()
        self.alias_expansion = 0

    def compose(self) -> yaml.Node | None:
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            loader.get_event()
            return None
        loader.get_event()  # DocumentStart
        root = self._node()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise YamlSyntaxError(_mark(self.file, event.start_mark), "expected a single document in the stream")
        loader.get_event()
        return root

    def _node(self) -> yaml.Node:
        stack: list[_Frame] = []
        while True:
            event = self.loader.get_event()
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                frame = stack.pop()
                frame.node.end_mark = event.end_mark
                self.open.discard(id(frame.node))
                node, size, height = frame.node, frame.size, frame.height
                self._remember(node, size, height)
            elif isinstance(event, yaml.AliasEvent):
                node, size, height = self._alias(event, len(stack))
            elif isinstance(event, yaml.ScalarEvent):
                node, size, height = self._scalar(event), 1, 1
                self._remember(node, size, height)
            else:
                collection = self._collection(event)
                if len(stack) + 1 > MAX_DEPTH:
                    raise YamlSyntaxError(
                        _mark(self.file, event.start_mark), f"nesting deeper than {MAX_DEPTH} levels is not allowed"
                    )
                stack.append(_Frame(collection))
                continue
            if not stack:
                return node
            self._attach(stack[-1], node, size, height)

    def _attach(self, parent: _Frame, node: yaml.Node, size: int, height: int) -> None:
        parent.size += size
        parent.height = max(parent.height, height + 1)
        if isinstance(parent.node, yaml.SequenceNode):
            parent.node.value.append(node)
        elif parent.pending_key is None:
            parent.pending_key = node
        else:
            parent.node.value.append((parent.pending_key, node))
            parent.pending_key = None

    def _remember(self, node: yaml.Node, size: int, height: int) -> None:
        if id(node) in self.anchored:
            self.extent[id(node)] = (size, height)

    def _alias(self, event: yaml.AliasEvent, depth: int) -> tuple[yaml.Node, int, int]:
        where = _mark(self.file, event.start_mark)
        node = self.anchors.get(event.anchor)
        if node is None:
            raise YamlSyntaxError(where, f"unknown anchor '{event.anchor}' referenced")
        if id(node) in self.open:
            raise YamlSyntaxError(where, f"anchor '{event.anchor}' value contains itself (a recursive alias)")
        size, height = self.extent[id(node)]
        self.alias_expansion += size
        if self.alias_expansion > MAX_ALIAS_EXPANSION:
            raise YamlSyntaxError(
                where,
                f"document contains excessive aliasing: aliases expand to more than {MAX_ALIAS_EXPANSION} nodes",
            )
        if depth + height > MAX_DEPTH:
            raise YamlSyntaxError(where, f"nesting deeper than {MAX_DEPTH} levels is not allowed (through aliases)")
        return node, size, height

    def _anchor(self, anchor: str | None, node: yaml.Node) -> None:
        if anchor is not None:
            self.anchored.add(id(node))
            self.anchors[anchor] = node

    def _scalar(self, event: yaml.ScalarEvent) -> yaml.ScalarNode:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        self._anchor(event.anchor, node)
        return node

    def _collection(self, event: yaml.Event) -> yaml.CollectionNode:
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self._anchor(event.anchor, node)
        self.open.add(id(node))
        return node


# ----------------------------------------------------------------------------------------- node helpers


def to_python(node: yaml.Node) -> Any:
    """Plain Python value of a node, resolved with PyYAML's safe rules."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def mapping_items(node: yaml.MappingNode) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) for a mapping node, YAML merge keys (<<) applied as yaml.v2 does."""
    if any(k.tag == _MERGE_TAG for k, _ in node.value):
        _apply_merge_keys(node)
    return [(str(k.value), k, v) for k, v in node.value]


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def scalar_text(node: yaml.Node) -> str:
    """The text of a scalar as Go's yaml.v2 would give it to a string field."""
    if is_null(node):
        return ""
    return str(node.value)


def _apply_merge_keys(node: yaml.MappingNode) -> None:
    # Merged keys never clash with the node's own keys: the own key wins, and among merged
    # mappings the first one wins (YAML merge-key spec, as yaml.v2 implements it).
    own_keys = {str(k.value) for k, _ in node.value if k.tag != _MERGE_TAG}
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


# -------------------------------------------------------------------------------------------- data API


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
        escapes = {"": "", "'": "'", '"': '\\"'}.get(style or "")
        if style is None or escapes is None or any(char in escapes for char in text[:offset]):
            return start
        return SourcePosition(start.file, start.line, (start.column or 1) + len(style) + offset)

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
    """A parsed YAML document with its positions, or the problems that prevented parsing it."""

    data: Any
    positions: PositionMap
    problems: list[Problem]


def load_yaml(text: str, file: str) -> LoadedDocument:
    """Parse one YAML document into data and positions; malformed YAML becomes a problem at its place."""
    positions = PositionMap(file)
    try:
        node = compose(text, file)
    except YamlSyntaxError as error:
        return LoadedDocument(None, positions, [Problem(error.position, f"malformed YAML: {error.reason}")])
    if node is None:
        return LoadedDocument(None, positions, [])
    try:
        data = to_python(node)
    except yaml.MarkedYAMLError as error:  # e.g. a bad timestamp or a merge key on a non-mapping
        mark = error.problem_mark or error.context_mark
        return LoadedDocument(None, positions, [Problem(_mark(file, mark), f"malformed YAML: {error.problem}")])
    _record_positions(node, (), positions)
    return LoadedDocument(data, positions, [])


def load_yaml_file(path: Path | str, file: str | None = None) -> LoadedDocument:
    """`load_yaml` of a file read with `read_source_text`; unreadable files become the problem."""
    file = file or str(path)
    try:
        text = read_source_text(path, file)
    except SourceError as error:
        return LoadedDocument(None, PositionMap(file), [error.problem])
    return load_yaml(text, file)


def _record_positions(node: yaml.Node, path: YamlPath, positions: PositionMap) -> None:
    positions.values[path] = position_of(node, positions.file)
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
                positions.duplicate_keys.append((child, position_of(key_node, positions.file)))
                continue
            seen.add(key)
            positions.keys[child] = position_of(key_node, positions.file)
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
