"""Label-matcher regexes are Go's RE2, fully anchored: the same series as promtool 2.42 selects,
for the syntax where RE2 and Python's re differ (common/regex.py)."""

from __future__ import annotations

import pytest
from diff_judge import disagreements, our_answers
from diff_strategies import CaseGroup

from simulator.promql.engine import instant_query
from simulator.promql.model import PromQLError
from simulator.promql.storage import Storage

# Label values: ASCII and non-ASCII letters, digits, a newline, the Kelvin sign (case-folds to k).
VALUES = ["x", "X", "xy", "é", "É", "Ω", "straße", "7", "٣", "a.b", "axb", "x\\ny", "\u212a", "k", "_", "a b", ""]

PATTERNS = [
    "(?i)X",
    "x|(?i)XY",
    "a(?i)X|b",
    "(x(?i)Y)",
    "(?i:É)",
    "(?i)k",
    "\\\\pL",
    "\\\\pL+",
    "\\\\PL",
    "\\\\p{Lu}",
    "\\\\p{Nd}",
    "\\\\pN",
    "[\\\\pL\\\\d]+",
    "[[:alpha:]]+",
    "[[:^alpha:]]",
    "[[:digit:][:space:]]",
    "\\\\d",
    "\\\\w+",
    "\\\\W",
    "\\\\s",
    ".*",
    ".+",
    "(?s).+",
    "x.y",
    "(?s)x.y",
    "x$",
    "^x",
    "a\\\\.b",
    "(?i)STRASSE",
    "(?i)straSSE|STRAßE",
    "[^x]",
    "[^\\\\pL]+",
    "(?U)x+",
    "x{1,2}y?",
    "(?m)^y$",
    "\\\\bx\\\\b",
    "",
]


def _group() -> CaseGroup:
    series = {f'r{{v="{value}"}}': "1" for value in VALUES}
    cases = [(f'count(r{{v=~"{pattern}"}}) or vector(0)', 0) for pattern in PATTERNS]
    cases += [(f'r{{v!~"{pattern}"}}', 0) for pattern in PATTERNS[:12]]
    return CaseGroup(60, 60, series, cases)


def test_label_matchers_select_what_promtool_selects(tmp_path):
    group = _group()
    answers = our_answers(group)
    assert not [a for a in answers if a.error], [a.error for a in answers if a.error]
    found = disagreements([group], [answers], tmp_path)
    assert not found, "\n\n".join(map(str, found))
    # The comparison saw real selections, not only empty results.
    counts = {a.expr: a.samples[0][1] for a in answers if a.expr.startswith("count")}
    assert counts['count(r{v=~"(?i)X"}) or vector(0)'] == 2
    assert counts['count(r{v=~"\\\\pL"}) or vector(0)'] == 7  # x X é É Ω k and the Kelvin sign


def test_a_pattern_go_rejects_is_a_query_error():
    with pytest.raises(PromQLError, match="parse error"):
        instant_query('r{v=~"x(?<=y)"}', Storage(), 0)
