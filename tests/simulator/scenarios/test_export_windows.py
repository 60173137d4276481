"""export-promtool windows: the history they carry, what they refuse, and the rule files they write."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from common.durations import parse_duration
from compiler.cli import main as alertkit
from simulator.rules.loader import load_rule_files
from simulator.rules.reach import ReachAnalysis, UnboundedReach
from simulator.scenarios import ScenarioError, load_scenario
from simulator.scenarios.promtool_export import export_promtool_test, plan_window

ROOT = Path(__file__).resolve().parents[3]
NO_TRAFFIC = ROOT / "scenarios" / "no-traffic.yaml"
MINUTE = 60_000


def rules(tmp_path: Path, text: str, name: str = "r.yml") -> list:
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(textwrap.dedent(text))
    return load_rule_files([directory / name])


def reach_ms(expr: str, recorded: str = "") -> int:
    groups = [] if not recorded else None
    if recorded:
        from simulator.rules.model import RecordingRule, RuleGroup

        groups = [RuleGroup("g", "f", [RecordingRule("rec", recorded)])]
    return ReachAnalysis(groups, MINUTE, MINUTE).expression_reach(expr).ms


def test_reach_of_ranges_offsets_lookback_and_subqueries():
    assert reach_ms("up") == 5 * MINUTE  # lookback delta
    assert reach_ms("rate(x[1h] offset 1d)") == parse_duration("1d1h")
    assert reach_ms("max_over_time(rate(x[5m])[1h:1m] offset 10m)") == parse_duration("1h15m")
    assert reach_ms("x offset -10m") == 0  # reads ahead: nothing before the evaluation time
    assert reach_ms("rate(x[5m] @ end())") == 5 * MINUTE
    # A recorded series: the selector's own reach + the rule's reach + one evaluation for its stale markers.
    assert reach_ms("avg_over_time(rec[2d])", recorded="rate(x[5m])") == parse_duration("2d") + 6 * MINUTE


def test_reach_refuses_own_output_and_alert_state():
    from simulator.rules.model import RecordingRule, RuleGroup

    loop = [RuleGroup("g", "f", [RecordingRule("a", "(a offset 1m) + 1 or vector(1)")])]
    with pytest.raises(UnboundedReach, match=r"read their own output \(a -> a\)"):
        ReachAnalysis(loop, MINUTE, MINUTE).expression_reach("a > 5")
    with pytest.raises(UnboundedReach, match="the ALERTS series"):
        ReachAnalysis([], MINUTE, MINUTE).expression_reach('ALERTS{alertname="X"}')


def test_window_history_covers_reach_for_and_keep_firing_for(tmp_path):
    scenario = load_scenario(NO_TRAFFIC)
    groups = rules(
        tmp_path,
        """
        groups:
          - name: g
            rules:
              - alert: A
                expr: rate(ranker_requests_total[1h] offset 2h) < 1
                for: 10m
                keep_firing_for: 20m
        """,
    )
    plan = plan_window(scenario, groups, parse_duration("12h"), parse_duration("1h"))
    assert plan.history_start_ms == parse_duration("12h") - parse_duration("3h30m")
    assert plan_window(scenario, groups, parse_duration("2h"), parse_duration("1h")).history_start_ms == 0


def test_time_functions_are_refused_when_the_window_is_shifted(tmp_path):
    scenario = load_scenario(NO_TRAFFIC)
    groups = rules(
        tmp_path,
        """
        groups:
          - name: g
            rules:
              - alert: NightOnly
                expr: hour() < 6 and on() sum(rate(ranker_requests_total[5m])) < 1
        """,
    )
    with pytest.raises(ScenarioError, match=r"cannot export from 12h: alert NightOnly uses hour\(\)"):
        export_promtool_test(scenario, groups, tmp_path / "out.yml", parse_duration("12h"), parse_duration("1h"))
    assert not (tmp_path / "out.yml").exists() and not (tmp_path / "out.rules").exists()
    export_promtool_test(scenario, groups, tmp_path / "out.yml", 0, parse_duration("1h"))  # no shift: exact


def test_unbounded_reach_is_refused_for_a_window(tmp_path):
    scenario = load_scenario(NO_TRAFFIC)
    groups = rules(
        tmp_path,
        """
        groups:
          - name: g
            rules:
              - record: a
                expr: (a offset 1m) + 1 or vector(1)
              - alert: Counting
                expr: a > 5
        """,
    )
    with pytest.raises(ScenarioError, match=r"alert Counting \(group g\) reads recording rules that read their own"):
        export_promtool_test(scenario, groups, tmp_path / "out.yml", parse_duration("12h"), parse_duration("1h"))
    assert not (tmp_path / "out.yml").exists()


def test_a_chain_older_than_the_history_is_refused(tmp_path):
    """Pending runs shorter than `for` separated by gaps shorter than keep_firing_for: whether it
    fires inside the window depends on a run before the history, so the export refuses."""
    scenario = load_scenario(NO_TRAFFIC)
    groups = rules(
        tmp_path,
        """
        groups:
          - name: g
            rules:
              - alert: Flapping
                expr: sum(ranker_requests_total) % 2 == 0
                for: 30m
                keep_firing_for: 30m
        """,
    )
    with pytest.raises(ScenarioError) as error:
        export_promtool_test(scenario, groups, tmp_path / "out.yml", parse_duration("12h"), parse_duration("1h"))
    assert "alert Flapping{} is pending or kept firing through the whole history the window needs" in str(error.value)
    assert "(1h5m: reach 5m, for 30m, keep_firing_for 30m)" in str(error.value)
    assert not (tmp_path / "out.yml").exists()


def test_rule_files_are_written_beside_the_test_and_replaced_whole(tmp_path):
    scenario = load_scenario(NO_TRAFFIC)
    groups = rules(
        tmp_path,
        """
        groups:
          - name: g
            rules:
              - alert: NoTraffic
                expr: sum(rate(ranker_requests_total[5m])) < 1
                for: 5m
          - name: other
            rules:
              - record: unused
                expr: vector(1)
        """,
    )
    out = tmp_path / "export" / "check.test.yml"
    (out.parent / "check.test.rules").mkdir(parents=True)
    (out.parent / "check.test.rules" / "stale.yml").write_text("left over")
    written = export_promtool_test(scenario, groups[:1], out, parse_duration("11h45m"), parse_duration("1h"))
    assert written == [out, out.parent / "check.test.rules" / "r.yml"]
    assert sorted(p.name for p in (out.parent / "check.test.rules").iterdir()) == ["r.yml"]
    copied = yaml.safe_load((out.parent / "check.test.rules" / "r.yml").read_text())
    assert [g["name"] for g in copied["groups"]] == ["g"]  # only the exported groups
    assert yaml.safe_load(out.read_text())["rule_files"] == ["check.test.rules/r.yml"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging leftovers
    # The test stands alone: promtool passes it with the original rules gone.
    (tmp_path / "rules" / "r.yml").unlink()
    run = subprocess.run(
        ["/usr/bin/promtool", "test", "rules", out.name], cwd=out.parent, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "exp_labels" in out.read_text()  # it checks the incident's firing alert


def test_cli_refuses_to_write_over_its_scenario(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(NO_TRAFFIC.read_bytes())
    rules(tmp_path, "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: vector(1)\n")
    before = scenario.read_bytes()
    result = CliRunner().invoke(
        alertkit, ["export-promtool", str(scenario), "--rules", str(tmp_path / "rules"), "--out", str(scenario)]
    )
    assert result.exit_code == 1
    assert f"--out {scenario}: is the scenario file itself; write the test file elsewhere" in result.output
    assert scenario.read_bytes() == before and not (tmp_path / "s.rules").exists()


def test_cli_unwritable_out_is_a_clear_error(tmp_path):
    rules(tmp_path, "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: vector(1)\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "x.yml"  # a path under a regular file
    result = CliRunner().invoke(
        alertkit,
        ["export-promtool", str(NO_TRAFFIC), "--rules", str(tmp_path / "rules"), "--span", "1h", "--out", str(out)],
    )
    assert result.exit_code == 1, result.output
    assert f"--out {out}: cannot write: {blocker} exists and is not a directory" in result.output
    assert "please report" not in result.output
    assert blocker.read_text() == ""
