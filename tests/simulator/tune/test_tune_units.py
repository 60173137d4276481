"""The pieces of tune: where the threshold is, the grid syntax, the Pareto front."""

from __future__ import annotations

import math

import numpy as np
import pytest

from common.errors import InputError
from simulator.tune.params import Setting, parse_params, settings_grid
from simulator.tune.run import IncidentOutcome, SettingResult, pareto_front
from simulator.tune.threshold import threshold_site


@pytest.mark.parametrize(
    ("expr", "op", "current", "open_expr"),
    [
        ("x > 0.5", ">", 0.5, "x > (-Inf)"),
        ("x <= 2", "<=", 2.0, "x <= Inf"),
        ("(a > 0.01) and on (s) (b >= 0.1)", ">", 0.01, "(a > (-Inf)) and on(s) (b >= 0.1)"),
        ("((a < 0.85)) unless c", "<", 0.85, "((a < Inf)) unless c"),
    ],
)
def test_threshold_site(expr, op, current, open_expr):
    site = threshold_site("A", expr)
    assert (site.op, site.current, site.open_expr) == (op, current, open_expr)


@pytest.mark.parametrize("expr", ["x > bool 0.5", "x < 1 or absent(x)", "rate(x[5m])", "0.5 < x", "a > b"])
def test_no_threshold_to_sweep(expr):
    with pytest.raises(InputError, match="alert A: no threshold to sweep"):
        threshold_site("A", expr)


def test_passes_drops_nan_at_every_threshold():
    site = threshold_site("A", "x >= 1")
    values = np.array([0.5, 1.0, math.nan, math.inf])
    assert site.passes(values, 1.0).tolist() == [False, True, False, True]


def test_params_ranges_and_lists():
    values = parse_params(("threshold=0.005:0.05:10", "for=0s:10m:3"))
    assert values["threshold"][:3] == [0.005, 0.01, 0.015]  # decimals, not 0.010000000000000002
    assert values["for"] == [0, 300_000, 600_000]
    assert parse_params(("threshold=0.1,0.2",)) == {"threshold": [0.1, 0.2]}
    grid = settings_grid(values, Setting(0.0123, 300_000))
    assert len(grid) == 31 and Setting(0.0123, 300_000) in grid  # the current setting is always shown


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("threshold", "expected NAME=A:B:N or NAME=V1,V2,..."),
        ("limit=1:2:3", "unknown parameter 'limit'"),
        ("threshold=0.1:0.2:0", "N must be at least 2 (1 only when A equals B), got 0"),
        ("threshold=0.1:0.2", "a range is A:B:N"),
        ("threshold=0.1:0.2:x", "N must be a whole number, got 'x'"),
        ("threshold=0.2:0.1:3", "A must not be greater than B"),
        ("threshold=abc", "'abc' is not a number"),
        ("threshold=nan", "'nan' is not a finite number"),
        ("for=5 minutes", 'not a valid duration string: "5 minutes"'),
        ("threshold=", "no values"),
    ],
)
def test_bad_params(param, message):
    with pytest.raises(InputError) as caught:
        parse_params((param,))
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"--param {param!r}: ")


def test_param_twice():
    with pytest.raises(InputError, match="threshold is given twice"):
        parse_params(("threshold=1,2", "threshold=3"))


def _result(threshold: float, false_pages: int, ttd: int | None) -> SettingResult:
    incident = IncidentOutcome("s", "i", 3_600_000, ttd, None)
    return SettingResult(Setting(threshold, 0), (incident,), false_pages, 1.0)


def test_pareto_front():
    results = [_result(0.1, 3, 60_000), _result(0.2, 1, 120_000), _result(0.3, 1, 180_000), _result(0.4, 0, None)]
    assert pareto_front(results) == [Setting(0.1, 0), Setting(0.2, 0), Setting(0.4, 0)]
    assert results[3].mean_time_to_detect_ms == 3_600_000  # a miss costs its whole window


def test_with_threshold_leaves_the_parsed_expression_alone():
    from simulator.tune.threshold import with_threshold

    expr = "(a > 0.01) and on (s) (b >= 0.1)"
    assert with_threshold("A", expr, 0.03) == "(a > 0.03) and on(s) (b >= 0.1)"
    assert threshold_site("A", expr).current == 0.01  # the memoized tree of `expr` was not changed
