"""Small pure pieces: durations, the chi-square critical value, YAML positions, names."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from common.durations import DurationError, format_duration, parse_duration
from common.yamlsource import load_yaml
from compiler.chisquare import chi_square_critical_value, chi_square_survival
from compiler.kinds.latency_quantile import quantile_label
from compiler.naming import label_name_problem
from compiler.render import yaml_string


@pytest.mark.parametrize(
    "text, milliseconds, printed",
    [
        ("5m", 300_000, "5m"),
        ("90m", 5_400_000, "1h30m"),
        ("48h", 172_800_000, "2d"),
        ("1w", 604_800_000, "1w"),
        ("0", 0, "0s"),
        ("1h30m15s500ms", 5_415_500, "1h30m15s500ms"),
    ],
)
def test_durations_parse_and_print_like_prometheus(text, milliseconds, printed):
    assert parse_duration(text) == milliseconds
    assert format_duration(milliseconds) == printed


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "1.5h", "5m1h", "-5m", "5M"])
def test_invalid_durations_are_rejected(text):
    with pytest.raises(DurationError):
        parse_duration(text)


# Critical values from published chi-square tables (NIST/SEMATECH e-Handbook 1.3.6.7.4) and, for 2 degrees of
# freedom, the closed form x = −2 ln p (the chi-square with 2 dof is exponential with mean 2).
@pytest.mark.parametrize(
    "p_value, dof, expected",
    [
        (0.05, 1, 3.841),
        (0.01, 1, 6.635),
        (0.001, 1, 10.828),
        (0.05, 2, 5.991),
        (0.01, 3, 11.345),
        (0.05, 10, 18.307),
        (0.001, 10, 29.588),
        (0.05, 100, 124.342),
    ],
)
def test_chi_square_critical_values_match_tables(p_value, dof, expected):
    assert chi_square_critical_value(p_value, dof) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("p_value", [0.5, 1e-3, 1e-6, 1e-12])
def test_two_degrees_of_freedom_match_the_closed_form(p_value):
    assert chi_square_critical_value(p_value, 2) == pytest.approx(-2 * math.log(p_value), rel=1e-12)


def test_one_degree_of_freedom_matches_the_normal_tail():
    # chi-square with 1 dof is Z²: P(X > x) = erfc(sqrt(x / 2)).
    for x in (0.5, 3.841, 23.93, 50.0):
        assert chi_square_survival(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-10)


def test_critical_value_rejects_p_outside_the_open_unit_interval():
    for p_value in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError):
            chi_square_critical_value(p_value, 1)


def test_yaml_positions_point_at_keys_and_values():
    document = load_yaml("a: 1\nb:\n  - x: 2\n", "f.yaml")
    assert (document.positions.of_value(("b", 0, "x")).line, document.positions.of_value(("b", 0, "x")).column) == (
        3,
        8,
    )
    assert (document.positions.of_key(("b", 0, "x")).line, document.positions.of_key(("b", 0, "x")).column) == (3, 5)
    missing = document.positions.of_value(("b", 0, "y"))  # falls back to the enclosing mapping
    assert (missing.line, missing.column) == (3, 5)


def test_label_names_follow_prometheus_rules():
    assert label_name_problem("feature") is None
    assert label_name_problem("_x1") is None
    assert "must match" in label_name_problem("1x")
    assert "reserved" in label_name_problem("__name__")


def test_quantile_labels():
    assert [quantile_label(q) for q in (0.5, 0.99, 0.999)] == ["p50", "p99", "p99_9"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_every_string_the_emitter_writes_reads_back_unchanged(text):
    document = yaml.safe_load(f"key: {yaml_string(text)}\n")
    assert document == {"key": text}


@pytest.mark.parametrize(
    "text, emitted",
    [
        ("up == 0", "up == 0"),
        ("true", "'true'"),
        ("1.5", "'1.5'"),
        ("{{ $value }}", "'{{ $value }}'"),
        ("a: b", "'a: b'"),
        ("it's", "it's"),
        ("line\nbreak", '"line\\nbreak"'),
        ("", "''"),
    ],
)
def test_emitter_quotes_only_when_needed(text, emitted):
    assert yaml_string(text) == emitted


def test_the_layer_type_of_the_spec_is_the_list_of_layers():
    """One list of layers (common.layers) for the compiler's validation and the simulator's reports."""
    import typing

    from common.layers import LAYERS
    from compiler.spec import Layer

    assert typing.get_args(Layer) == LAYERS
