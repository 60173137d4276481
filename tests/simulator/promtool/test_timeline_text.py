"""`alertkit test --timeline` text: one line per activation, no `None` where the JSON has null."""

import textwrap

from click.testing import CliRunner

from compiler.cli import main

RULES = """
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page}
"""

TEST = """
rule_files: [rules.yml]
tests:
  - name: outage
    interval: 1m
    input_series:
      - series: 'up{instance="i1", job="a"}'
        values: '1 0 0 0 0 1 0 0'
    alert_rule_test:
      - alertname: Down
        eval_time: 4m
        exp_alerts: [{exp_labels: {instance: i1, job: a, severity: page}}]
      - {alertname: Down, eval_time: 7m}
"""


def test_timeline_text_names_never_fired_and_still_active(tmp_path):
    (tmp_path / "rules.yml").write_text(textwrap.dedent(RULES))
    (tmp_path / "t.yml").write_text(textwrap.dedent(TEST))
    result = CliRunner().invoke(main, ["test", str(tmp_path / "t.yml"), "--timeline"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Timeline of test group 'outage':")
    assert lines[start + 1 :] == [
        '  Down{instance="i1", job="a", severity="page"} pending_at=60s firing_at=180s resolved_at=300s',
        '  Down{instance="i1", job="a", severity="page"} pending_at=360s firing_at=never resolved_at=still-active',
    ]
    assert "None" not in result.output
