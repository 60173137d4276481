"""The reference alerts of the ranking service: names the scenarios expect, labels, runbooks, thresholds."""

from __future__ import annotations

import pytest
import yaml
from compiler_testkit import REPO_ROOT

from compiler.pipeline import compile_project
from compiler.runbooks import REQUIRED_SECTIONS, sections_of

EXPECTED_ALERTS = {
    "features.yml": {"FeatureNullRateHigh": "null_rate"},
    "serving.yml": {
        "RankerLatencyP99High": "latency_quantile",
        "FeatureCacheHitRatioLow": "cache_hit_ratio",
        "RankerNoTraffic": "raw",
    },
    "quality.yml": {"ClickThroughRateDrop": "ctr_drop", "ModelScoreAnomaly": "zscore_anomaly"},
    "experiments.yml": {"ExperimentSampleRatioMismatch": "srm"},
}


@pytest.fixture(scope="module")
def reference_build():
    result = compile_project(REPO_ROOT / "alerts", REPO_ROOT / "runbooks", "build/runbooks/")
    assert not result.failed, result.problems
    assert not result.problems  # no warning either: no orphan runbook
    return result.files


def _alerts(files, rule_file):
    document = yaml.safe_load(files[f"prometheus/{rule_file}"])
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"] if "alert" in rule}


def test_every_reference_alert_is_in_the_file_the_scenarios_expect(reference_build):
    for rule_file, expected in EXPECTED_ALERTS.items():
        alerts = _alerts(reference_build, rule_file)
        assert {name: rule["labels"]["kind"] for name, rule in alerts.items()} == expected


def test_every_kind_has_a_reference_alert():
    from compiler.kinds import KINDS

    assert {kind for alerts in EXPECTED_ALERTS.values() for kind in alerts.values()} == set(KINDS)


def test_every_alert_has_mandatory_labels_annotations_and_a_complete_runbook(reference_build):
    for rule_file in EXPECTED_ALERTS:
        for name, rule in _alerts(reference_build, rule_file).items():
            assert {"severity", "team", "kind"} <= set(rule["labels"])
            assert rule["labels"]["severity"] in ("page", "ticket", "info")
            assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
            runbook_path = rule["annotations"]["runbook_url"]
            assert runbook_path == f"build/runbooks/{name}.md"
            runbook = reference_build[runbook_path.removeprefix("build/")].decode()
            assert set(REQUIRED_SECTIONS) <= set(sections_of(runbook))
            assert rule["expr"] in sections_of(runbook)["Diagnosis"]


def test_reference_selectors_target_the_ranker(reference_build):
    for rule_file in ("features.yml", "serving.yml", "quality.yml"):
        document = yaml.safe_load(reference_build[f"prometheus/{rule_file}"])
        for group in document["groups"]:
            for rule in group["rules"]:
                if "ranker_" in rule["expr"] and "{" in rule["expr"]:
                    assert 'service="ranker"' in rule["expr"], rule


def test_thresholds_sit_well_outside_normal_levels(reference_build):
    # Normal levels (issue 2): cache hit ≈ 0.92, p99 ≈ 95 ms ± 12 ms, null rate ≈ 0.2 %, CTR ≈ 5.1 %.
    serving = _alerts(reference_build, "serving.yml")
    assert "< 0.85" in serving["FeatureCacheHitRatioLow"]["expr"]  # 0.92 normal, 0.67 incident
    assert "> 0.2" in serving["RankerLatencyP99High"]["expr"]  # 107 ms daily peak, 235 ms incident
    assert "> 0.01" in _alerts(reference_build, "features.yml")["FeatureNullRateHigh"]["expr"]  # 0.2 % vs 4.2 %
    assert "< 0.95" in _alerts(reference_build, "quality.yml")["ClickThroughRateDrop"]["expr"]  # 4.7/5.1 = 0.92
