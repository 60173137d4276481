"""Runbooks that only substitute values skip jinja2's compile: the result must be exactly jinja2's."""

from __future__ import annotations

import jinja2
import pytest
from compiler_testkit import GENERIC_RUNBOOK
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.runbooks import render_template_text, runbook_environment, substitute_plain_values

CONTEXT = {
    "alert": {"name": "Down", "for": "5m", "labels": {"team": "ranking"}, "keep_firing_for": None},
    "facts": {"threshold": 0.02, "window": "10m", "items": "shadowed by dict.items", "count": 3},
    "expr": 'up{job="ranker"} == 0',
    "facts_block": "| Fact | Value |\r\n",
}

# Pieces a runbook is made of, including near-misses of the tag syntax and every newline style.
PIECES = [
    "[=",
    "=]",
    "[= ",
    " =]",
    "[=-",
    "-=]",
    "alert.name",
    "alert.for",
    "alert . labels",
    "alert.labels.team",
    "alert.keep_firing_for",
    "facts.threshold",
    "facts.items",
    "facts.count",
    "expr",
    "facts_block",
    "missing",
    "alert.missing",
    "1",
    "|upper",
    "[%",
    "%]",
    "[#",
    "#]",
    "{{ $labels.x }}",
    "{%raw%}",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "text",
    "[",
    "]",
    "=",
    ".",
]


def _jinja_render(text: str) -> str:
    return render_template_text(runbook_environment(), text, CONTEXT)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_fast_path_renders_exactly_what_jinja2_renders(pieces):
    text = "".join(pieces)

    fast = substitute_plain_values(text, CONTEXT)

    if fast is not None:
        assert fast == _jinja_render(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[= alert.name =] after [= alert.for =]\r\n", "Down after 5m\n"),
        ("[=alert . labels . team=] {{ $labels.x }}", "ranking {{ $labels.x }}"),
        ("[= facts.threshold =] [= facts.count =] [= alert.keep_firing_for =]", "0.02 3 None"),
        ("no tags =] at all\r", "no tags =] at all\n"),
    ],
)
def test_plain_substitutions_take_the_fast_path(text, expected):
    assert substitute_plain_values(text, CONTEXT) == expected == _jinja_render(text)


@pytest.mark.parametrize(
    "text",
    [
        "[% if expr %]x[% endif %]",  # a statement
        "[# a comment #]",
        "[= alert.name | upper =]",  # a filter
        "[=- alert.name -=]",  # whitespace control
        "[= missing =]",  # an unknown name: jinja2 reports it
        "[= facts.items =]",  # jinja2 prefers the dict's attribute (a method) over the item
        "[= alert.name.upper =]",  # an attribute of a string
    ],
)
def test_anything_else_is_left_to_jinja2(text):
    assert substitute_plain_values(text, CONTEXT) is None


def test_the_generic_runbook_takes_the_fast_path():
    context = CONTEXT | {"alert": CONTEXT["alert"] | {"summary": "s"}}
    assert substitute_plain_values(GENERIC_RUNBOOK, context) is not None


def test_jinja2_agrees_that_an_unknown_name_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        _jinja_render("[= missing =]")
