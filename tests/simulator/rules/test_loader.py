"""Rule files are loaded strictly and every problem is reported with file:line:col."""

import pytest

from simulator.rules.loader import RuleFileError, load_rule_files, parse_rule_text
from simulator.rules.model import AlertingRule, RecordingRule


def test_loads_groups_rules_durations_and_yaml_merge_keys(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text(
        "groups:\n"
        "  - name: g\n"
        "    interval: 30s\n"
        "    rules:\n"
        "      - record: a:b\n"
        "        expr: sum(x)\n"
        "      - &base\n"
        "        alert: A\n"
        "        expr: up == 0\n"
        "        for: 1h30m\n"
        "      - <<: *base\n"
        "        alert: B\n"
        "        keep_firing_for: 5m\n"
        "        labels: {severity: page}\n"
        "        annotations: {summary: '{{ $value }}'}\n"
    )
    [group] = load_rule_files([path])
    assert group.name == "g" and group.interval_ms == 30_000
    assert group.rules[0] == RecordingRule("a:b", "sum(x)")
    assert group.rules[1] == AlertingRule("A", "up == 0", for_ms=5_400_000)
    assert group.rules[2] == AlertingRule(
        "B", "up == 0", 5_400_000, 300_000, {"severity": "page"}, {"summary": "{{ $value }}"}
    )


def test_every_problem_is_listed_with_its_position():
    text = (
        "groups:\n"
        "  - name: g\n"
        "    rules:\n"
        "      - record: x\n"
        "        expr: rate(\n"
        "      - alert: A\n"
        "        expr: up\n"
        "        for: 5 minutes\n"
        "        unknown: 1\n"
        "      - record: 'bad name'\n"
        "        expr: up\n"
        "        annotations: {a: b}\n"
    )
    _, problems = parse_rule_text(text, "r.yml")
    rendered = [str(p) for p in problems]
    assert rendered[0].startswith('r.yml:5:15: group "g", rule 1, "x": could not parse expression')
    assert 'r.yml:8:14: not a valid duration string: "5 minutes"' in rendered
    assert "r.yml:9:9: field unknown not found in rule" in rendered
    assert 'r.yml:12:22: group "g", rule 3, "bad name": invalid field \'annotations\' in recording rule' in rendered
    assert 'r.yml:10:17: group "g", rule 3, "bad name": invalid recording rule name: bad name' in rendered


def test_repeated_group_names_and_missing_names_are_errors(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text("groups:\n  - name: g\n    rules: []\n  - name: g\n  - rules: []\n")
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([path])
    messages = [p.message for p in caught.value.problems]
    assert messages == ['groupname: "g" is repeated in the same file', "Groupname must not be empty"]


def test_yaml_syntax_errors_have_positions():
    _, [problem] = parse_rule_text("groups:\n  - name: [\n", "r.yml")
    assert problem.file == "r.yml" and problem.position is not None
