"""Durations in compiled output print as Prometheus's Duration.String (8d, never 1w1d), and the range the
compile accepts is the range promtool and amtool accept (up to about 292 years)."""

from __future__ import annotations

import subprocess

import yaml
from compiler_testkit import RAW_PARAMS, alert_yaml, alerts_file, run_amtool

from common.durations import format_duration


def test_for_and_keep_firing_for_print_as_prometheus(project):
    alert = alert_yaml("EightDays", "raw", RAW_PARAMS, extra="    keep_firing_for: 192h\n", for_="1w1d")
    project.write_alerts("a.yaml", alerts_file(alert))
    project.write_runbook("EightDays")
    assert project.compile().exit_code == 0
    (rule_file,) = (project.build / "prometheus").glob("*.yml")
    (rule,) = [rule for group in yaml.safe_load(rule_file.read_text())["groups"] for rule in group["rules"]]
    assert (rule["for"], rule["keep_firing_for"]) == ("8d", "8d")
    completed = subprocess.run(["promtool", "check", "rules", str(rule_file)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_alertmanager_durations_up_to_the_limit_are_accepted_by_amtool(project):
    project.write_alerts("a.yaml", alerts_file(alert_yaml("Quiet", "raw", RAW_PARAMS)))
    project.write_runbook("Quiet")
    (project.root / "alertkit.yaml").write_text("alertmanager:\n  group_wait: 292y\n  repeat_interval: 2w\n")
    assert project.compile().exit_code == 0
    config = project.build / "alertmanager" / "alertmanager.yml"
    route = yaml.safe_load(config.read_text())["route"]
    assert (route["group_wait"], route["repeat_interval"]) == ("292y", "2w")
    checked = run_amtool("check-config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # One step past the limit, the real amtool refuses what the compile refuses.
    config.write_text(config.read_text().replace("group_wait: 292y", "group_wait: 293y"))
    refused = run_amtool("check-config", str(config))
    assert refused.returncode != 0 and "duration out of range" in refused.stdout + refused.stderr


def test_format_round_trips_whole_days():
    assert [format_duration(days * 86_400_000) for days in (7, 8, 14, 15, 365, 366, 730)] == [
        "1w",
        "8d",
        "2w",
        "15d",
        "1y",
        "366d",
        "2y",
    ]
