"""Input series are parsed once: the fast path gives exactly the exact path's samples, or defers to it.

The exact path (series_syntax's Go lexer and parser, then parse_values) is the reference: for any
series and values, input_series_samples must return the same labels and bit-identical times and values,
or raise the same NotationError text.
"""

import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.promtool import notation
from simulator.promtool.notation import (
    NotationError,
    input_series_samples,
    parse_input_series,
    parse_values,
    samples_from_slots,
)

INTERVAL_MS = 60_000


def _exact(series, values, interval_ms, max_slots):
    try:
        labels = parse_input_series(series, values)
        t, v = samples_from_slots(parse_values(values, max_slots), interval_ms)
    except NotationError as error:
        return ("error", str(error))
    return ("ok", labels, t.tolist(), v.view(np.uint64).tolist())


def _fast(series, values, interval_ms, max_slots):
    try:
        labels, t, v = input_series_samples(series, values, interval_ms, max_slots)
    except NotationError as error:
        return ("error", str(error))
    return ("ok", labels, t.tolist(), v.view(np.uint64).tolist())


# Items valid and invalid, glued and spaced: numbers, signs, words, expansions, blanks, stale, odd characters.
_ITEMS = st.sampled_from(
    [
        "1",
        "-1",
        "+2.5",
        "0",
        "-0",
        "1e3",
        "1E-2",
        "1e400",
        "1e-400",
        "007",
        "1.",
        ".5",
        "1.2.3",
        "Inf",
        "-inf",
        "+INF",
        "NaN",
        "-nan",
        "Infx2",
        "infinity",
        "_",
        "_x3",
        "_x0",
        "_x",
        "stale",
        "stale+1x2",
        "stalex2",
        "1x3",
        "-0x2",
        "0.1+0.1x9",
        "5-2x2",
        "1+1e400x2",
        "1e5x2",
        "1x0",
        "1x-3",
        "1x3.5",
        "1+x3",
        "1+1",
        "x",
        "x3",
        "foo",
        "sum",
        "{{schema:0}}",
        "@",
        ",",
        "é",
        "1abc",
        "0x1f",
        "1x99999999999999999999",
        "1_0",
        "1.x2",
        ".5x2",
        "st",
        "-stale",
        "+_",
        "1e5_",
        "_0",
        "iNf",
        "fan",
    ]
)
_SPACES = st.sampled_from([" ", "  ", "\t", "\n", " \r ", "", "\x0b", "\x0c", "\xa0"])


@st.composite
def value_strings(draw):
    items = draw(st.lists(st.tuples(_ITEMS, _SPACES), max_size=8))
    return draw(_SPACES) + "".join(item + space for item, space in items)


_SERIES = st.sampled_from(['up{job="a"}', "up", "up ", 'up{job="a"} ', "{}", "up offset 5m", 'up{a="b"', "sum(up)"])


@settings(max_examples=600, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(series=_SERIES, values=value_strings(), max_slots=st.sampled_from([None, 0, 3, 10]))
def test_fast_path_equals_the_exact_path(series, values, max_slots):
    for interval_ms in (INTERVAL_MS, 0):
        assert _fast(series, values, interval_ms, max_slots) == _exact(series, values, interval_ms, max_slots)


@pytest.mark.parametrize("max_slots", [None, 0, 511, 512, 513, 1500, 5000])
def test_long_sequences_across_chunks(max_slots):
    """Runs of plain numbers convert 512 tokens at a time; items straddle the chunks and the limit."""
    values = " ".join(f"{i / 7!r} _x2 {i}+0.1x3 stale" if i % 97 == 0 else repr(i / 3) for i in range(3000))
    for series in ('up{job="a"}', "up"):
        assert _fast(series, values, INTERVAL_MS, max_slots) == _exact(series, values, INTERVAL_MS, max_slots)
    overflow = values + " 1e999"
    assert _fast("up", overflow, INTERVAL_MS, 10) == _exact("up", overflow, INTERVAL_MS, 10)
    assert _fast("up", overflow, INTERVAL_MS, 10)[0] == "error"


def test_the_fast_path_takes_generated_values_and_defers_the_rest(monkeypatch):
    """A long generated series never reaches the Go lexer; a malformed one always does."""
    calls = []
    from simulator.promtool import series_syntax

    original = series_syntax.series_values_error
    monkeypatch.setattr(series_syntax, "series_values_error", lambda *a: calls.append(a) or original(*a))
    values = " ".join(["0.25 1e-3 _x2 stale -Inf NaN 3x4 1+0.5x3"] * 1000)
    labels, t, _ = input_series_samples('up{job="a"}', values, INTERVAL_MS, None)
    assert calls == [] and labels == (("__name__", "up"), ("job", "a")) and len(t) == 14_000
    with pytest.raises(NotationError, match=r'^1:8: parse error: unexpected identifier "bogus"'):
        input_series_samples("up", "1 2 bogus", INTERVAL_MS, None)
    assert len(calls) == 1


def test_a_repeated_value_is_not_an_addition(tmp_path):
    """`-0x2` is -0 three times in promtool 2.42 (the value is appended, not summed with 0)."""
    assert [np.signbit(x) for x in parse_values("-0x2")] == [True, True, True]
    assert np.signbit(input_series_samples("x", "-0x2", INTERVAL_MS)[2]).tolist() == [True, True, True]
    (tmp_path / "rules.yml").write_text("groups: []\n")
    (tmp_path / "t.yml").write_text(
        "rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series:\n"
        "      - {series: x, values: '-0x2'}\n    promql_expr_test:\n"
        "      - {expr: 1/x < bool 0, eval_time: 2m, exp_samples: [{labels: '{}', value: 1}]}\n"
    )
    done = subprocess.run(["/usr/bin/promtool", "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from simulator.promtool.runner import run_test_file

    assert run_test_file(tmp_path / "t.yml").ok


def test_values_checked_skips_only_the_values():
    """parse_input_series(values_checked=True) still reads and refuses the labels."""
    assert notation.parse_input_series('up{a="b"}', "garbage", values_checked=True) == (("__name__", "up"), ("a", "b"))
    with pytest.raises(NotationError, match="^empty labelset: invalid sample$"):
        notation.parse_input_series("{}", "1", values_checked=True)
