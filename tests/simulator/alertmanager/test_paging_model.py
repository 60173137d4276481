"""The time-to-page model: Prometheus's sender, Alertmanager's dispatcher and dedup log, and the on-call acceptance."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit
from simulator.alertmanager.config import load_alertmanager_config
from simulator.alertmanager.notify import (
    REASON_ALL_RESOLVED,
    REASON_FIRST,
    REASON_NEW_FIRING,
    REASON_REPEAT,
    REASON_RESOLVED,
    LogEntry,
    TimeIntervalError,
    interval_contains,
    needs_update,
)
from simulator.alertmanager.sender import RESOLVED_RETENTION_MS, interval_sends, prometheus_posts
from simulator.alertmanager.timeline import page_timelines
from simulator.rules.model import AlertInterval, AlertTimeline
from simulator.scenarios import load_scenario
from simulator.simulate import add_paging, simulate

ROOT = Path(__file__).resolve().parents[3]
SYMPTOMS_CONFIG = Path(__file__).resolve().parent / "fixtures" / "alertmanager-symptoms.yml"
S = 1000
M = 60 * S
H = 60 * M

CONFIG = """
route:
  receiver: team-pager
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  routes:
  - receiver: team-ticket
    matchers: [severity="ticket"]
inhibit_rules:
- source_matchers: [alertname="Cause"]
  target_matchers: [alertname="Symptom"]
  equal: [service]
receivers:
- name: team-pager
  webhook_configs: [{url: "http://127.0.0.1:1/page"}]
- name: team-ticket
  email_configs: [{to: "t@example.com"}]
"""


def timeline(name: str, *intervals: tuple, **labels: str) -> AlertTimeline:
    return AlertTimeline(name, {"alertname": name, **labels}, [AlertInterval(*i) for i in intervals])


def names(alerts) -> list[str]:
    return [dict(a)["alertname"] for a in alerts]


# --- sender ------------------------------------------------------------------------------------------------------


def test_firing_alert_is_resent_every_two_evaluations_with_valid_until_four_minutes():
    sends = interval_sends(AlertInterval(0, 5 * M, None), None, M, 12 * M)
    assert [(t // M, s // M, e // M) for t, s, e in sends] == [(5, 5, 9), (7, 5, 11), (9, 5, 13), (11, 5, 15)]


def test_resolved_alert_is_resent_for_fifteen_minutes_then_deleted():
    sends = interval_sends(AlertInterval(0, 5 * M, 10 * M), None, M, 60 * M)
    resolved = [(t // M, e // M) for t, _, e in sends if e == 10 * M]
    # Sent when it resolves (ResolvedAt after LastSentAt), then every 2 minutes while ts − ResolvedAt ≤ 15m.
    assert resolved == [(10, 10), (12, 10), (14, 10), (16, 10), (18, 10), (20, 10), (22, 10), (24, 10)]
    assert resolved[-1][0] * M - 10 * M <= RESOLVED_RETENTION_MS


def test_resolved_resends_stop_when_the_label_set_is_active_again():
    sends = interval_sends(AlertInterval(0, 5 * M, 10 * M), 13 * M, M, 60 * M)
    assert [t // M for t, _, e in sends if e == 10 * M] == [10, 12]


def test_pending_only_activations_are_never_sent():
    assert prometheus_posts([timeline("A", (0, None, 3 * M))], M, H) == []


# --- dedup log (notify.go DedupStage.needsUpdate) ------------------------------------------------------------------


def test_needs_update_rows():
    a, b = (("alertname", "A"),), (("alertname", "B"),)
    entry = LogEntry(frozenset({a}), frozenset(), 0)
    assert needs_update(None, frozenset({a}), frozenset(), True, H, M) == REASON_FIRST
    assert needs_update(None, frozenset(), frozenset({a}), True, H, M) is None
    assert needs_update(entry, frozenset({a, b}), frozenset(), True, H, M) == REASON_NEW_FIRING
    assert needs_update(entry, frozenset(), frozenset({a}), False, H, M) == REASON_ALL_RESOLVED
    assert needs_update(LogEntry(frozenset(), frozenset({a}), 0), frozenset(), frozenset({a}), True, H, M) is None
    assert needs_update(entry, frozenset({a}), frozenset({b}), True, H, M) == REASON_RESOLVED
    assert needs_update(entry, frozenset({a}), frozenset({b}), False, H, M) is None
    assert needs_update(entry, frozenset({a}), frozenset(), True, H, H) is None  # strict: not at exactly repeat
    assert needs_update(entry, frozenset({a}), frozenset(), True, H, H + 1) == REASON_REPEAT


# --- dispatcher --------------------------------------------------------------------------------------------------


def run(timelines, end=6 * H):
    config = load_alertmanager_config(CONFIG)
    _, result = page_timelines(config, timelines, M, end)
    return result


def test_first_page_after_group_wait_repeat_rounds_up_to_the_next_tick_and_resolution():
    result = run([timeline("Cause", (0, 5 * M, 2 * H + 3 * M), service="s")])
    got = [(n.at_ms, n.kind, names(n.firing), names(n.resolved)) for n in result.notifications]
    page = 5 * M + 30 * S
    assert got == [
        (page, "page", ["Cause"], []),
        (page + H + 5 * M, "repeat", ["Cause"], []),  # repeat_interval 1h = 12 ticks: sent at the 13th
        (page + 2 * H + 0 * M, "resolved", [], ["Cause"]),  # the first tick after 2h3m
    ]


def test_symptom_is_inhibited_only_when_the_cause_arrives_before_its_group_flushes():
    early_cause = run(
        [timeline("Cause", (0, 5 * M, None), service="s"), timeline("Symptom", (0, 6 * M, None), service="s")]
    )
    assert [names(n.firing) for n in early_cause.notifications if n.kind == "page"] == [["Cause"]]
    assert {names([i.target])[0] for i in early_cause.inhibitions} == {"Symptom"}
    late_cause = run(
        [timeline("Cause", (0, 8 * M, None), service="s"), timeline("Symptom", (0, 6 * M, None), service="s")]
    )
    assert [names(n.firing) for n in late_cause.notifications if n.kind == "page"] == [["Symptom"], ["Cause"]]
    other_service = run(
        [timeline("Cause", (0, 5 * M, None), service="a"), timeline("Symptom", (0, 6 * M, None), service="b")]
    )
    assert other_service.inhibitions == []


def test_alert_joining_a_flushed_group_waits_for_the_next_tick():
    result = run([timeline("A", (0, 5 * M, None), instance="1"), timeline("A", (0, 7 * M, None), instance="2")])
    got = [(n.at_ms, n.kind, len(n.firing)) for n in result.notifications][:2]
    assert got == [(5 * M + 30 * S, "page", 1), (10 * M + 30 * S, "update", 2)]


def test_email_without_send_resolved_transmits_no_resolved_notification():
    result = run([timeline("T", (0, 5 * M, 20 * M), severity="ticket")])
    assert [(n.receiver, n.kind) for n in result.notifications] == [("team-ticket", "notify")]


def test_time_intervals_follow_the_unix_epoch_calendar():
    business = {"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "17:00"}]}
    assert interval_contains(business, 10 * H)  # 1970-01-01 was a Thursday
    assert not interval_contains(business, 8 * H)  # before 09:00
    assert interval_contains(business, 24 * H + 10 * H)  # Friday 10:00
    assert not interval_contains(business, 2 * 24 * H + 10 * H)  # Saturday
    assert not interval_contains(business, 24 * H + 18 * H)  # Friday 18:00


def test_time_intervals_are_read_in_their_location_with_its_daylight_saving():
    berlin = {
        "weekdays": ["monday:friday"],
        "times": [{"start_time": "09:00", "end_time": "18:00"}],
        "location": "Europe/Berlin",
    }
    # Winter (CET, UTC+1): 1970-01-01 08:30 UTC is 09:30 in Berlin, 17:30 UTC is 18:30.
    assert interval_contains(berlin, 8 * H + 30 * M)
    assert not interval_contains(berlin, 17 * H + 30 * M)
    # The zone's history counts, as in Go's tzdata: West Germany had no daylight saving in 1970, so
    # 1970-07-01 07:30 UTC is 08:30 in Berlin (closed); on 1980-07-01 (CEST, UTC+2) it is 09:30 (open).
    july_1_1970 = 181 * 24 * H
    july_1_1980 = (3653 + 181) * 24 * H
    assert not interval_contains(berlin, july_1_1970 + 7 * H + 30 * M)
    assert interval_contains(berlin, july_1_1980 + 7 * H + 30 * M)
    assert not interval_contains(berlin, july_1_1980 + 16 * H + 30 * M)


def test_a_machine_dependent_or_unknown_location_is_refused_with_its_name():
    for location, message in [("Local", "name a zone"), ("Mars/Olympus", "unknown time zone")]:
        with pytest.raises(TimeIntervalError, match=message):
            interval_contains({"location": location}, 0)


def test_mute_time_interval_holds_the_notification_until_it_ends():
    config = load_alertmanager_config(
        CONFIG.replace("  routes:\n", "  mute_time_intervals: [nights]\n  routes:\n")
        + "time_intervals:\n- name: nights\n  time_intervals:\n  - times: [{start_time: '00:00', end_time: '06:00'}]\n"
    )
    posts_and_result = page_timelines(config, [timeline("Cause", (0, 5 * M, None), service="s")], M, 8 * H)
    first = posts_and_result[1].notifications[0]
    assert first.at_ms >= 6 * H and first.at_ms < 6 * H + 5 * M


# --- the on-call exercise (issue 13 acceptance) ------------------------------------------------------------------


def test_oncall_exercise_pages_once_per_incident_and_inhibits_the_symptoms(oncall, symptoms_config):
    result = dataclasses.replace(oncall[1])  # a copy: the session's result stays as simulated
    add_paging(result, symptoms_config)
    paging = result.paging
    by_name = {i.incident: i for i in paging.incidents}
    assert [names(p.firing) for p in by_name["deploy"].pages] == [["FeatureCacheHitRatioLow"]]
    assert [names(p.firing) for p in by_name["pipeline-break"].pages] == [["FeatureNullRateHigh"]]
    assert by_name["ctr-sag"].pages == ()  # the lagged consequence of the pipeline break pages no one again
    inhibited = {i.alertname: i.source_alertname for inc in paging.incidents for i in inc.inhibited}
    assert inhibited == {
        "RankerLatencyP99High": "FeatureCacheHitRatioLow",
        "ModelScoreAnomaly": "FeatureNullRateHigh",
        "ClickThroughRateDrop": "FeatureNullRateHigh",
    }
    group_wait = symptoms_config.route.group_wait_ms
    for incident in ("deploy", "pipeline-break"):
        detected = min(d.time_to_detect_ms for d in result.detections if d.incident == incident)
        assert by_name[incident].time_to_page_ms <= detected + group_wait + M
        assert all(p.certain for p in by_name[incident].pages)
    # Repeats while firing are counted apart: every repeat_interval (4h), rounded up to the next 5m tick.
    repeats = [n for n in paging.notifications if n.kind == "repeat" and "FeatureCacheHitRatioLow" in names(n.firing)]
    assert [r.at_ms - by_name["deploy"].pages[0].at_ms for r in repeats] == [
        4 * H + 5 * M,
        8 * H + 10 * M,
        12 * H + 15 * M,
    ]
    assert sum(n.kind == "page" for n in paging.notifications) == 2


def test_quiet_fortnight_sends_no_notification(reference_groups, symptoms_config):
    result = simulate(load_scenario(ROOT / "scenarios" / "quiet-fortnight.yaml"), reference_groups)
    add_paging(result, symptoms_config)
    assert result.paging.notifications == [] and result.paging.notifications_per_week == 0


def test_simulate_command_shows_time_to_page(paging_build, tmp_path):
    config = tmp_path / "alertmanager.yml"
    config.write_text(SYMPTOMS_CONFIG.read_text())
    args = ["simulate", str(ROOT / "scenarios" / "oncall-exercise.yaml"), "--rules", str(paging_build / "prometheus")]
    text = CliRunner().invoke(alertkit, [*args, "--alertmanager-config", str(config)])
    assert text.exit_code == 0, text.output
    assert "RankerLatencyP99High (by FeatureCacheHitRatioLow)" in text.output
    assert "notifications: 34 (17.00/week), pages: 2 (1.00/week)" in text.output
    as_json = CliRunner().invoke(alertkit, [*args, "--alertmanager-config", str(config), "--json"])
    paging = json.loads(as_json.output)["scenarios"][0]["paging"]
    deploy = paging["incidents"][0]
    assert (deploy["name"], deploy["time_to_detect_s"], deploy["time_to_page_s"]) == ("deploy", 420, 450)
    assert [p["firing"][0]["alertname"] for p in deploy["pages"]] == ["FeatureCacheHitRatioLow"]


def test_simulate_command_reports_a_missing_alertmanager_config(paging_build, tmp_path):
    args = ["simulate", str(ROOT / "scenarios" / "quiet-fortnight.yaml"), "--rules", str(paging_build / "prometheus")]
    result = CliRunner().invoke(alertkit, [*args, "--alertmanager-config", str(tmp_path / "missing.yml")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'missing.yml'}: no such Alertmanager configuration" in result.output


# --- alertkit drill, the steps that need no server -------------------------------------------------------------


def test_drill_command_writes_the_scaled_config(paging_build, tmp_path):
    out = tmp_path / "drill.yml"
    args = ["drill", str(ROOT / "scenarios" / "oncall-exercise.yaml"), "--rules", str(paging_build / "prometheus")]
    args += [
        "--alertmanager-config",
        str(SYMPTOMS_CONFIG),
        "--write-config",
        str(out),
        "--speed",
        "600",
        "--listen",
        "9999",
    ]
    result = CliRunner().invoke(alertkit, args)
    assert result.exit_code == 0, result.output
    drill = load_alertmanager_config(out.read_text())
    assert (drill.route.group_wait_ms, drill.route.group_interval_ms, drill.route.repeat_interval_ms) == (
        50,
        500,
        24_000,
    )
    hooks = drill.receivers["ranking-pager"].integrations["webhook_configs"]
    assert hooks == [{"url": "http://127.0.0.1:9999/ranking-pager/webhook_configs/0", "send_resolved": True}]


def test_drill_command_reports_an_unreachable_alertmanager_and_a_speed_too_high(paging_build, tmp_path):
    args = ["drill", str(ROOT / "scenarios" / "oncall-exercise.yaml"), "--rules", str(paging_build / "prometheus")]
    args += ["--alertmanager-config", str(SYMPTOMS_CONFIG)]
    unreachable = CliRunner().invoke(alertkit, [*args, "--alertmanager", "http://127.0.0.1:9"])
    assert unreachable.exit_code == 2
    assert "cannot reach Alertmanager at http://127.0.0.1:9" in unreachable.output
    too_fast = CliRunner().invoke(alertkit, [*args, "--speed", "100000", "--write-config", str(tmp_path / "x.yml")])
    assert too_fast.exit_code == 2
    assert "route group_wait: 30s divided by speed 100000 is under 1 ms; lower --speed" in too_fast.output
    assert not (tmp_path / "x.yml").exists()
