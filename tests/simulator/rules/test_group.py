"""Group evaluation with a stub query function (the rules never see the engine itself)."""

import numpy as np
import pytest

from simulator.promql.model import Grid, ScalarOverGrid, VectorOverGrid, is_stale
from simulator.promql.storage import Matcher, Storage
from simulator.rules.group import evaluate_rule_groups
from simulator.rules.model import AlertingRule, AlertInterval, RecordingRule, RuleGroup
from simulator.rules.outputs import RuleEvaluationError

MINUTE = 60_000
GRID = Grid(0, 5 * MINUTE, MINUTE)


def vector(rows):
    """rows: list of (labels dict, list of value-or-None per step)."""
    labels = [tuple(sorted(d.items())) for d, _ in rows]
    present = np.array([[v is not None for v in values] for _, values in rows], dtype=bool)
    values = np.array([[0.0 if v is None else v for v in values] for _, values in rows])
    return VectorOverGrid(labels, values.reshape(len(rows), GRID.steps), present.reshape(len(rows), GRID.steps))


def stub_query(results):
    def query(expr, storage, grid):
        assert grid == GRID
        return results[expr]

    return query


def stub_expander(name, text, data, ts_ms, query):
    """Understands exactly two templates, enough to test how the rules feed templates."""
    return {
        "{{ $labels.instance }} is {{ $value }}": f"{data.labels.get('instance', '')} is {data.value:g}",
        "{{ $value }}": f"{data.value:g}",
        "{{ $externalLabels.site }} {{ $externalURL }}": f"{data.external_labels.get('site', '')} {data.external_url}",
        "{{ fail }}": None,
    }[text] or _raise()


def _raise():
    raise ValueError('template: __alert_X:1: function "fail" not defined')


def run(rules, results, storage=None, **kwargs):
    groups = [RuleGroup("g", "rules.yml", rules)]
    return evaluate_rule_groups(
        groups,
        Storage() if storage is None else storage,
        GRID,
        query=stub_query(results),
        expander=stub_expander,
        **kwargs,
    )


def only(storage, name, **labels):
    matchers = [Matcher("__name__", "=", name)] + [Matcher(k, "=", v) for k, v in labels.items()]
    found = storage.select(matchers)
    assert len(found) == 1, found
    return found[0]


def test_recording_rule_writes_renamed_series_with_rule_labels_and_a_stale_marker():
    storage = Storage()
    run(
        [RecordingRule("job:up:sum", "up_expr", {"team": "a"})],
        {"up_expr": vector([({"__name__": "up", "job": "x"}, [1, 2, None, None, 5, 6])])},
        storage,
    )
    series = only(storage, "job:up:sum")
    assert series.labels == (("__name__", "job:up:sum"), ("job", "x"), ("team", "a"))
    assert list(series.t) == [0, MINUTE, 2 * MINUTE, 4 * MINUTE, 5 * MINUTE]
    assert list(series.v[[0, 1, 3, 4]]) == [1, 2, 5, 6]
    assert is_stale(series.v)[2]


def test_scalar_result_becomes_one_unlabeled_sample():
    storage = Storage()
    run([RecordingRule("answer", "42")], {"42": ScalarOverGrid(np.full(GRID.steps, 42.0))}, storage)
    assert list(only(storage, "answer").v) == [42.0] * GRID.steps


def test_alert_timeline_labels_and_alerts_series():
    storage = Storage()
    rule = AlertingRule(
        "Down",
        "up == 0",
        for_ms=2 * MINUTE,
        labels={"severity": "page"},
        annotations={"summary": "{{ $labels.instance }} is {{ $value }}"},
    )
    evaluation = run(
        [rule], {"up == 0": vector([({"__name__": "up", "instance": "i1"}, [None, 0, 0, 0, 0, None])])}, storage
    )
    [timeline] = evaluation.timelines
    assert timeline.alertname == "Down"
    assert timeline.labels == {"alertname": "Down", "instance": "i1", "severity": "page"}
    assert timeline.intervals == [AlertInterval(MINUTE, 3 * MINUTE, 5 * MINUTE)]
    assert evaluation.firing_alerts(2) == []
    [firing] = evaluation.firing_alerts(3, "Down")
    assert firing.annotations == {"summary": "i1 is 0"}
    pending = only(storage, "ALERTS", alertstate="pending")
    assert list(pending.t) == [MINUTE, 2 * MINUTE, 3 * MINUTE] and is_stale(pending.v)[-1]
    for_state = only(storage, "ALERTS_FOR_STATE")
    assert list(for_state.v[:4]) == [60.0] * 4  # ActiveAt in Unix seconds


def test_annotations_are_expanded_only_when_asked_and_failures_become_text():
    calls = []

    def counting(name, text, data, ts_ms, query):
        calls.append(ts_ms)
        return stub_expander(name, text, data, ts_ms, query)

    rule = AlertingRule("X", "e", annotations={"a": "{{ fail }}"})
    groups = [RuleGroup("g", "f", [rule])]
    evaluation = evaluate_rule_groups(
        groups, Storage(), GRID, query=stub_query({"e": vector([({}, [1] * 6)])}), expander=counting
    )
    assert calls == []
    [alert] = evaluation.firing_alerts(4)
    assert alert.annotations == {"a": '<error expanding template: template: __alert_X:1: function "fail" not defined>'}
    assert calls == [4 * MINUTE]


def test_external_labels_and_url_reach_templates():
    rule = AlertingRule("X", "e", annotations={"a": "{{ $externalLabels.site }} {{ $externalURL }}"})
    evaluation = run([rule], {"e": vector([({}, [1] * 6)])}, external_labels={"site": "eu"}, external_url="http://p")
    assert evaluation.firing_alerts(0)[0].annotations == {"a": "eu http://p"}


def test_label_templated_on_value_gives_one_identity_per_value():
    rule = AlertingRule("X", "e", labels={"v": "{{ $value }}"})
    evaluation = run([rule], {"e": vector([({"i": "a"}, [1, 1, 2, 2, None, None])])})
    by_value = {t.labels["v"]: t.intervals for t in evaluation.timelines}
    assert by_value == {
        "1": [AlertInterval(0, 0, 2 * MINUTE)],
        "2": [AlertInterval(2 * MINUTE, 2 * MINUTE, 4 * MINUTE)],
    }


def test_empty_label_expansion_deletes_the_label():
    rule = AlertingRule("X", "e", labels={"instance": ""})
    evaluation = run([rule], {"e": vector([({"instance": "a"}, [1] * 6)])})
    assert evaluation.timelines[0].labels == {"alertname": "X"}


def test_duplicate_alert_identity_fails_the_rule_at_its_first_timestamp():
    rule = AlertingRule("X", "e")
    rows = [
        ({"__name__": "a", "i": "1"}, [1, None, None, 1, 1, 1]),
        ({"__name__": "b", "i": "1"}, [None, 1, None, 1, 1, 1]),
    ]
    with pytest.raises(RuleEvaluationError) as caught:
        run([rule], {"e": vector(rows)})
    assert (caught.value.rule_name, caught.value.t_ms) == ("X", 3 * MINUTE)
    assert "same labelset after applying alert labels" in caught.value.message


def test_group_order_puts_listed_groups_in_that_order():
    seen = []

    def query(expr, storage, grid):
        seen.append(expr)
        return vector([])

    groups = [RuleGroup(n, "f", [RecordingRule("r_" + n, n)]) for n in ("a", "b", "c")]
    evaluate_rule_groups(groups, Storage(), GRID, query=query, group_order=["c", "b", "a"])
    assert seen == ["c", "b", "a"]


def test_alerting_rules_query_the_reprinted_expression_with_sorted_matchers():
    from simulator.rules.queries import alerting_query_text

    # MANIFEST (wikimedia case): 2.42 alerts see x{a!~"r",a="v"}, so absent() keeps a="v".
    assert alerting_query_text('absent(x{b="1", a="v", a !~ "r"})') == 'absent(x{a!~"r",a="v",b="1"})'
    assert alerting_query_text('up{b="1", a="2"} == 0') == 'up{b="1", a="2"} == 0'


def test_template_query_results_come_in_prometheus_order():
    from simulator.rules.queries import order_like_prometheus

    samples = [((("n", "a"),), 1.0), ((("n", "b"),), float("nan")), ((("n", "c"),), 3.0)]
    assert [s[1] for s in order_like_prometheus("topk(5, x)", samples)][:2] == [3.0, 1.0]
    assert [s[0] for s in order_like_prometheus("sort_desc(x)", samples)] == [
        (("n", "c"),),
        (("n", "a"),),
        (("n", "b"),),
    ]
    assert [s[0] for s in order_like_prometheus("sort(x)", samples)] == [(("n", "b"),), (("n", "a"),), (("n", "c"),)]
    assert order_like_prometheus("topk by (n) (1, x)", samples) == samples
