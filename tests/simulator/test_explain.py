"""The threshold conditions read from an alert's expression (what a failing plugin item explains)."""

from simulator.explain import Condition, conditions_of


def test_conditions_through_parentheses_and_set_operators():
    expr = "(p99{service='a'} > 0.2) and on (service) (sum by (service) (rate(requests[5m])) >= 1) unless maintenance"
    assert conditions_of(expr) == [
        Condition('p99{service="a"}', ">", 0.2),
        Condition("sum by (service)(rate(requests[5m]))", ">=", 1.0),  # as promql-parser prints it
    ]


def test_a_number_on_the_left_is_mirrored_and_bool_comparisons_are_values():
    assert conditions_of("0.85 > hit_ratio") == [Condition("hit_ratio", "<", 0.85)]
    assert conditions_of("(x > bool 1) == 1") == [Condition("x > bool 1", "==", 1.0)]


def test_without_a_threshold_the_whole_expression_must_return_a_series():
    [condition] = conditions_of('absent(up{job="api"})')
    assert condition.op is None and condition.holds(1.0) and not condition.holds(float("nan"))
    assert condition.wording() == 'absent(up{job="api"}) must return a series'


def test_wording_and_verdict():
    condition = Condition("ratio", "<", 0.5)
    assert condition.wording() == "ratio must be below 0.5 (< 0.5)"
    assert condition.holds(0.4) and not condition.holds(0.5)
