"""common.yamlsource: one reader with positions that refuses what would hang, crash or mislead."""

from __future__ import annotations

import os
import time

import pytest
import yaml

from common.errors import SourceError
from common.problems import SourcePosition
from common.yamlsource import (
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    YamlSyntaxError,
    compose,
    decode_source,
    load_yaml,
    mapping_items,
    read_source_text,
)


def _laughs(levels: int) -> str:
    lines = ["l0: &l0 [lol]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_positions_of_values_and_keys():
    document = load_yaml("a:\n  b: [1, {c: x}]\n", "f.yaml")
    assert document.problems == []
    assert document.data == {"a": {"b": [1, {"c": "x"}]}}
    assert document.positions.of_value(("a", "b", 1, "c")) == SourcePosition("f.yaml", 2, 14)
    assert document.positions.of_key(("a", "b")) == SourcePosition("f.yaml", 2, 3)


def test_duplicate_keys_are_listed_for_the_caller():
    document = load_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert document.positions.duplicate_keys == [(("a",), SourcePosition("f.yaml", 3, 1))]


def test_billion_laughs_is_refused_fast_at_the_alias_that_crosses_the_bound():
    start = time.perf_counter()
    with pytest.raises(YamlSyntaxError) as caught:
        compose(_laughs(10), "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert str(caught.value) == (
        "bomb.yaml:6:25: yaml: document contains excessive aliasing: "
        f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes"
    )


def test_a_few_aliases_are_fine_and_merge_keys_work():
    node = compose("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: *b\n", "f.yaml")
    items = {key: value for key, _, value in mapping_items(node.value[1][1])}
    assert sorted(items) == ["x", "y"] and items["y"].value == "3"
    assert load_yaml("base: &b [1, 2]\nc: *b\n", "f.yaml").data == {"base": [1, 2], "c": [1, 2]}


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: &a [1, *a]\n", "f.yaml:1:11: yaml: anchor 'a' value contains itself (a recursive alias)"),
        ("a: &a {b: *a}\n", "f.yaml:1:11: yaml: anchor 'a' value contains itself (a recursive alias)"),
        ("a: *missing\n", "f.yaml:1:4: yaml: unknown anchor 'missing' referenced"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1: yaml: expected a single document in the stream"),
        (
            "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
            f"f.yaml:1:{MAX_DEPTH + 1}: yaml: nesting deeper than 100 levels is not allowed",
        ),
        ("[" * 100_000, "f.yaml:1:1001: yaml: exceeded maximum nesting depth"),  # libyaml's own bound, first
    ],
)
def test_refused_documents_name_the_place(text, message):
    with pytest.raises(YamlSyntaxError) as caught:
        compose(text, "f.yaml")
    assert str(caught.value) == message


def test_depth_through_aliases_is_bounded():
    deep = "[" * 60 + "]" * 60
    with pytest.raises(YamlSyntaxError, match="nesting deeper than 100 levels is not allowed \\(through aliases\\)"):
        compose(f"a: &a {deep}\nb: {'[' * 50}*a{']' * 50}\n", "f.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "groups:\n- name: g\n  rules: []\n",  # no anchor: libyaml composes it
        "groups:\n- name: &n g\n  rules: [{a: 'x', b: \"y\"}]\n  text: |\n    block\n  other: *n\n",  # the event loop
    ],
)
def test_the_node_tree_keeps_marks_like_pyyaml(text):
    ours, theirs = compose(text, "f.yaml"), yaml.compose(text, Loader=yaml.SafeLoader)

    def shape(node):
        children = node.value if isinstance(node, yaml.SequenceNode) else None
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        marks = (node.tag, node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column)
        return marks, [shape(child) for child in children] if children is not None else node.value

    assert shape(ours) == shape(theirs)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"a: 1\nb: caf\xe9\n", "f:2:7: not UTF-8: invalid byte 0xe9 at byte offset 11; save the file as UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "f:3:1: binary file, not text: NUL byte at byte offset 8"),
        (b"a: \xc3\n", "f:1:4: not UTF-8: invalid byte 0xc3 at byte offset 3; save the file as UTF-8"),
    ],
)
def test_bytes_that_are_not_utf8_text(data, message):
    with pytest.raises(SourceError) as caught:
        decode_source(data, "f")
    assert str(caught.value) == message


def test_paths_that_are_not_regular_files(tmp_path):
    cases = {
        "dir": (lambda p: p.mkdir(), "is a directory, expected a file"),
        "dangling": (lambda p: p.symlink_to("gone"), "cannot read: dangling symbolic link (to gone)"),
        "loop": (lambda p: p.symlink_to("loop"), "cannot read: symbolic link loop"),
        "fifo": (lambda p: os.mkfifo(p), "not a regular file (a device, FIFO or socket), expected a file"),
        "missing": (lambda p: None, "no such file"),
    }
    for name, (make, message) in cases.items():
        make(tmp_path / name)
        with pytest.raises(SourceError) as caught:
            read_source_text(tmp_path / name, name)
        assert str(caught.value) == f"{name}: {message}"
    with pytest.raises(SourceError, match="not a regular file"):
        read_source_text("/dev/zero")
