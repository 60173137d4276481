"""No cross-group reads in compiled output: each group writes every recording rule its alerts read.

Prometheus runs rule groups concurrently, each on its own clock, and orders only the rules inside one group
(rules/manager.go Group.Eval). These tests prove on the compiled files that every recording rule an alert or
a recording rule reads is written earlier in its own group, that no series has two writers, and that adding
an alert never changes another file's output.
"""

from __future__ import annotations

import shutil
import subprocess

import promql_parser
import pytest
import yaml
from compiler_testkit import REPO_ROOT, alert_yaml, alerts_file

CACHE_PARAMS = "      metric: cache_requests_total\n      selector: 'service=\"ranker\"'\n      by: [service]\n"
LATENCY_PARAMS = "      metric: h_seconds\n      threshold: 0.3\n      by: [service]\n"


def _names_read(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def assert_every_read_is_written_earlier_in_its_group(rule_files: list) -> int:
    """Check the compiled files; return how many recording-rule reads were checked."""
    writers: dict[str, str] = {}
    groups = [group for path in rule_files for group in yaml.safe_load(path.read_text())["groups"]]
    for group in groups:
        for rule in group["rules"]:
            if "record" in rule:
                assert rule["record"] not in writers, f"{rule['record']} written by {writers[rule['record']]} too"
                writers[rule["record"]] = group["name"]
    checked = 0
    for group in groups:
        written_so_far: set[str] = set()
        for rule in group["rules"]:
            for name in _names_read(rule["expr"]) & set(writers):
                assert name in written_so_far, f"{rule.get('alert') or rule['record']} reads {name} of {writers[name]}"
                checked += 1
            if "record" in rule:
                written_so_far.add(rule["record"])
    return checked


def _serving_project(project):
    project.write_alerts(
        "serving.yaml",
        alerts_file(
            alert_yaml("CacheLow", "cache_hit_ratio", CACHE_PARAMS),
            alert_yaml("P99", "latency_quantile", LATENCY_PARAMS),
        ),
    )
    project.write_runbook("CacheLow")
    project.write_runbook("P99")
    result = project.compile()
    assert result.exit_code == 0, result.stderr
    return (project.build / "prometheus" / "serving.yml").read_bytes()


@pytest.mark.parametrize("new_file", ["a_first.yaml", "zz_last.yaml"])
def test_adding_an_alert_sharing_a_recording_rule_leaves_the_other_file_byte_identical(project, new_file):
    before = _serving_project(project)
    # Same kind, metric, selector and aggregation: the same recording rules as CacheLow's, in a file that
    # sorts before serving.yaml or after it (first-come placement moved the shared rule in the first case).
    project.write_alerts(
        new_file, alerts_file(alert_yaml("CacheLowToo", "cache_hit_ratio", CACHE_PARAMS + "      threshold: 0.5\n"))
    )
    project.write_runbook("CacheLowToo")

    result = project.compile()

    assert result.exit_code == 0, result.stderr
    assert (project.build / "prometheus" / "serving.yml").read_bytes() == before
    stem = new_file.removesuffix(".yaml")
    added = (project.build / "prometheus" / f"{stem}.yml").read_text()
    assert f"- record: service:cache_requests:hit_ratio_rate5m:{stem}_cache_hit_ratio\n" in added
    rule_files = sorted((project.build / "prometheus").glob("*.yml"))
    assert assert_every_read_is_written_earlier_in_its_group(rule_files) == 6  # 2 reads per alert, 1 per ratio rule
    completed = subprocess.run([_promtool(), "check", "rules", *map(str, rule_files)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "duplicate" not in completed.stdout + completed.stderr


def test_alerts_of_one_group_share_its_recording_rules(project):
    project.write_alerts(
        "serving.yaml",
        alerts_file(
            alert_yaml("CacheLow", "cache_hit_ratio", CACHE_PARAMS),
            alert_yaml("CacheVeryLow", "cache_hit_ratio", CACHE_PARAMS + "      threshold: 0.5\n"),
        ),
    )
    project.write_runbook("CacheLow")
    project.write_runbook("CacheVeryLow")

    assert project.compile().exit_code == 0
    text = (project.build / "prometheus" / "serving.yml").read_text()

    assert text.count("- record: service:cache_requests:hit_ratio_rate5m:serving_cache_hit_ratio\n") == 1
    assert text.index("- record: service:cache_requests:hit_ratio_rate5m") < text.index("- alert: CacheLow\n")
    assert assert_every_read_is_written_earlier_in_its_group([project.build / "prometheus" / "serving.yml"]) == 4


def test_the_reference_build_reads_no_recording_rule_across_groups(project):
    shutil.copytree(REPO_ROOT / "alerts", project.alerts)
    shutil.copytree(REPO_ROOT / "runbooks", project.runbooks)

    result = project.compile()

    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    checked = assert_every_read_is_written_earlier_in_its_group(sorted((project.build / "prometheus").glob("*.yml")))
    assert checked >= 10


def test_a_raw_expression_reading_another_groups_recording_rule_is_warned_about(project):
    _serving_project(project)
    raw = "      expr: service:cache_requests:hit_ratio_rate5m:serving_cache_hit_ratio < 0.5\n"
    regex = "      expr: '{__name__=~\"service:cache_requests:.*\"} < 0.5'\n"
    own = "      expr: sum by (service) (rate(cache_requests_total[5m])) < 1\n"
    project.write_alerts(
        "other.yaml",
        alerts_file(
            alert_yaml("ReadsIt", "raw", raw), alert_yaml("ReadsByRegex", "raw", regex), alert_yaml("Own", "raw", own)
        ),
    )
    for name in ("ReadsIt", "ReadsByRegex", "Own"):
        project.write_runbook(name)

    result = project.compile()

    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    reason = (
        "written by group serving.cache_hit_ratio: Prometheus orders rules only within a group, so this alert sees "
        "it up to one evaluation late; use the expression it records instead"
    )
    assert (
        "alerts/other.yaml:11:13: warning: alert ReadsIt: reads recording rule "
        f"service:cache_requests:hit_ratio_rate5m:serving_cache_hit_ratio, {reason}"
    ) in lines
    for record in ("service:cache_requests:hit_ratio_rate5m", "service:cache_requests:rate5m"):
        assert (
            f"alerts/other.yaml:20:15: warning: alert ReadsByRegex: reads recording rule "
            f"{record}:serving_cache_hit_ratio, {reason}"
        ) in lines
    assert not [line for line in lines if "alert Own" in line]
    assert sum("warning" in line for line in lines) == 3


def test_one_record_name_written_by_two_groups_is_an_error(project):
    zscore = "      expr: sum(rate(x_total[5m]))\n      record: global:x:rate5m\n"
    project.write_alerts("a.yaml", alerts_file(alert_yaml("A", "zscore_anomaly", zscore)))
    project.write_runbook("A")
    project.write_runbook("B")
    assert project.compile().exit_code == 0
    before = project.build_digest()
    project.write_alerts("b.yaml", alerts_file(alert_yaml("B", "zscore_anomaly", zscore)))

    result = project.compile()

    assert result.exit_code == 1
    assert (
        "alerts/b.yaml:3:5: alert B: recording rule global:x:rate5m is also written by group a.zscore_anomaly "
        "(alert A); a series needs exactly one writing group: give one of them another `record` name, or rename "
        "one of the files"
    ) in result.stderr.splitlines()
    assert project.build_digest() == before


def test_files_whose_names_map_to_one_qualifier_are_refused(project):
    project.write_alerts("a-b.yaml", alerts_file(alert_yaml("A", "cache_hit_ratio", CACHE_PARAMS)))
    project.write_runbook("A")
    project.write_runbook("B")
    assert project.compile().exit_code == 0
    before = project.build_digest()
    project.write_alerts("a_b.yaml", alerts_file(alert_yaml("B", "cache_hit_ratio", CACHE_PARAMS)))

    result = project.compile()

    assert result.exit_code == 1
    assert (
        "alerts/a_b.yaml:3:5: alert B: recording rule service:cache_requests:rate5m:a_b_cache_hit_ratio is also "
        "written by group a-b.cache_hit_ratio (alert A)"
    ) in result.stderr
    assert project.build_digest() == before


def _promtool() -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is required (make test installs it from Debian's prometheus package)"
    return promtool
