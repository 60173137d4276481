"""Whatever the definitions contain, the compile reports problems and never raises (no traceback)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.kinds import KINDS
from compiler.pipeline import compile_project

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["5m", "0", "1h30m", "up == 0", "sum(", "{{ $value }}", "{{ if }}", "a-b", "__x", "le"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "name",
    "kind",
    "team",
    "severity",
    "summary",
    "description",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
    "params",
]
PARAMS = [
    "expr",
    "record",
    "metric",
    "threshold",
    "window",
    "by",
    "selector",
    "quantile",
    "p_value",
    "expected_splits",
    "nulls_metric",
    "lookups_metric",
    "clicks_metric",
    "impressions_metric",
    "ratio",
]


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS) + ["nope"]),
    overrides=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=3),
    params=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=4),
)
def test_compile_never_raises_on_arbitrary_values(kind, overrides, params):
    alert = {
        "name": "A",
        "kind": kind,
        "team": "t",
        "severity": "page",
        "summary": "s",
        "description": "d",
        "for": "5m",
        "params": params,
        **overrides,
    }
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "alerts").mkdir()
        (root / "runbooks").mkdir()
        (root / "alerts" / "a.yaml").write_text(yaml.safe_dump({"apiVersion": "alertkit/v1", "alerts": [alert]}))

        result = compile_project(root / "alerts", root / "runbooks", "r/")

    assert result.failed  # no runbook was written, so at least that is reported
    assert all(problem.position.line >= 1 and problem.message for problem in result.problems)
