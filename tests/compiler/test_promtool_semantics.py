"""Each kind's compiled rules, judged by the real `promtool test rules` (Prometheus 2.42).

Expected values are worked out by hand from Prometheus's definitions (noted beside each case), never
computed with the compiler's own code. promtool missing is a failure, not a skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from compiler_testkit import GENERIC_RUNBOOK

from compiler.pipeline import compile_project

RUNBOOK_BASE = "runbooks/"


def _definition(name: str, kind: str, params: dict) -> dict:
    return {
        "name": name,
        "kind": kind,
        "team": "t",
        "severity": "page",
        "summary": "s",
        "description": "d",
        "for": "0",
        "params": params,
    }


# The `layer` label each kind gives its alerts when the definition names none (docs/compiler.md, "Layers").
DEFAULT_LAYERS = {
    "null_rate": "data",
    "cache_hit_ratio": "data",
    "latency_quantile": "system",
    "ctr_drop": "business",
    "srm": "business",
}


def _expected_alert(name: str, kind: str, labels: dict) -> dict:
    layer = {"layer": DEFAULT_LAYERS[kind]} if kind in DEFAULT_LAYERS else {}
    return {
        "exp_labels": {**labels, "severity": "page", "team": "t", "kind": kind, **layer},
        "exp_annotations": {"summary": "s", "description": "d", "runbook_url": f"{RUNBOOK_BASE}{name}.md"},
    }


def run_promtool_test(tmp_path: Path, definition: dict, test_group: dict) -> None:
    """Compile one definition, then run promtool's unit test over the rule file; fail with its output."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is required (make test installs it from Debian's prometheus package)"
    (tmp_path / "alerts").mkdir()
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "alerts" / "rules.yaml").write_text(
        yaml.safe_dump({"apiVersion": "alertkit/v1", "alerts": [definition]})
    )
    (tmp_path / "runbooks" / f"{definition['name']}.md").write_text(GENERIC_RUNBOOK)
    result = compile_project(tmp_path / "alerts", tmp_path / "runbooks", RUNBOOK_BASE)
    assert not result.failed, result.problems
    (tmp_path / "rules.yml").write_bytes(result.files["prometheus/rules.yml"])
    test_file = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [{"interval": "1m", **test_group}]}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test_file, sort_keys=False))
    completed = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_srm_fires_on_a_skewed_split_and_respects_declared_splits(tmp_path):
    # Counters grow by a fixed amount per minute, so increase over [1h] at 2h is exactly 60 × the step
    # (61 samples span the whole window: no extrapolation). skewed: 3600 vs 2400, N = 6000, e = 3000 each,
    # chi2 = 2 × 600² / 3000 = 240 > 23.93 (p = 1e-6, 1 dof). fair: chi2 = 0. declared_ok follows its declared
    # 9:1 split. declared_bad is 50/50 against 9:1: e = 5400 and 600, chi2 ≈ 10667. tiny is skewed but has only
    # 60 assignments, under min_assignments 100. one_sided declares 1:1 but treatment never got a unit:
    # e = 3000 each, chi2 = (6000 − 3000)² / 3000 + (0 − 3000)² / 3000 = 6000 (the missing cell counts).
    series = {
        ("skewed", "a"): 60,
        ("skewed", "b"): 40,
        ("fair", "a"): 50,
        ("fair", "b"): 50,
        ("declared_ok", "control"): 90,
        ("declared_ok", "treatment"): 10,
        ("declared_bad", "control"): 50,
        ("declared_bad", "treatment"): 50,
        ("tiny", "a"): 1,
        ("tiny", "b"): 0,
        ("one_sided", "control"): 100,
    }
    splits = {name: {"control": 9, "treatment": 1} for name in ("declared_ok", "declared_bad")}
    splits["one_sided"] = {"control": 1, "treatment": 1}
    definition = _definition("Srm", "srm", {"expected_splits": splits, "min_assignments": 100})
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": [
                {"series": f'experiment_assignments_total{{experiment="{e}",variant="{v}"}}', "values": f"0+{step}x120"}
                for (e, v), step in series.items()
            ],
            "promql_expr_test": [
                {
                    "expr": 'experiment:experiment_assignments:srm_chi2_increase1h:rules_srm{experiment=~"skewed|fair|one_sided"}',
                    "eval_time": "2h",
                    "exp_samples": [
                        {
                            "labels": 'experiment:experiment_assignments:srm_chi2_increase1h:rules_srm{experiment="skewed"}',
                            "value": 240,
                        },
                        {
                            "labels": 'experiment:experiment_assignments:srm_chi2_increase1h:rules_srm{experiment="fair"}',
                            "value": 0,
                        },
                        {
                            "labels": 'experiment:experiment_assignments:srm_chi2_increase1h:rules_srm{experiment="one_sided"}',
                            "value": 6000,
                        },
                    ],
                }
            ],
            "alert_rule_test": [
                {
                    "eval_time": "2h",
                    "alertname": "Srm",
                    "exp_alerts": [
                        _expected_alert("Srm", "srm", {"experiment": "declared_bad"}),
                        _expected_alert("Srm", "srm", {"experiment": "one_sided"}),
                        _expected_alert("Srm", "srm", {"experiment": "skewed"}),
                    ],
                }
            ],
        },
    )


def test_cache_hit_ratio_fires_below_threshold_only_with_traffic(tmp_path):
    # healthy: 92 hits / 100 requests per minute. degraded: 67 %. quiet: 33 % but 30 requests per minute
    # = 0.5 req/s, under the 1 req/s guard.
    per_minute = {"healthy": (92, 8), "degraded": (67, 33), "quiet": (10, 20)}
    definition = _definition("CacheLow", "cache_hit_ratio", {"metric": "cache_requests_total", "by": ["service"]})
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": [
                {"series": f'cache_requests_total{{service="{service}",result="{result}"}}', "values": f"0+{step}x30"}
                for service, steps in per_minute.items()
                for result, step in zip(("hit", "miss"), steps)
            ],
            "alert_rule_test": [
                {
                    "eval_time": "20m",
                    "alertname": "CacheLow",
                    "exp_alerts": [_expected_alert("CacheLow", "cache_hit_ratio", {"service": "degraded"})],
                }
            ],
        },
    )


def test_null_rate_fires_for_the_broken_feature_only(tmp_path):
    # 1000 lookups per minute per feature; user_geo 5 % nulls (> 1 %), item_price 0.2 %.
    definition = _definition("Nulls", "null_rate", {"nulls_metric": "nulls_total", "lookups_metric": "lookups_total"})
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": [
                {"series": 'lookups_total{feature="user_geo"}', "values": "0+1000x30"},
                {"series": 'lookups_total{feature="item_price"}', "values": "0+1000x30"},
                {"series": 'nulls_total{feature="user_geo"}', "values": "0+50x30"},
                {"series": 'nulls_total{feature="item_price"}', "values": "0+2x30"},
            ],
            "alert_rule_test": [
                {
                    "eval_time": "20m",
                    "alertname": "Nulls",
                    "exp_alerts": [_expected_alert("Nulls", "null_rate", {"feature": "user_geo"})],
                }
            ],
        },
    )


def test_latency_quantile_interpolates_inside_the_bucket_like_prometheus(tmp_path):
    # slow: 90 of 100 requests per minute under 0.1 s, all under 0.25 s. p99 rank 99 falls in (0.1, 0.25]:
    # 0.1 + 0.15 × (99 − 90) / (100 − 90) = 0.235 s > 0.2. fast: all under 0.1 s, p99 = 0.099 s.
    # Floats compare exactly, so the expectation follows Prometheus's operation order: each bucket's
    # rate over 5m is increase × (300 / 300) / 300 (promql/functions.go extrapolatedRate, 6 samples 5m apart,
    # no extrapolation), then bucketQuantile (promql/quantile.go): rank = q × count of +Inf, and
    # bucketStart + (bucketEnd − bucketStart) × ((rank − count below) / (count in bucket)).
    def rate_5m(per_minute):
        return per_minute * 5 * (300 / 300) / 300

    rank = 0.99 * rate_5m(100)
    slow_p99 = 0.1 + (0.25 - 0.1) * ((rank - rate_5m(90)) / (rate_5m(100) - rate_5m(90)))
    buckets = {"slow": {"0.1": 90, "0.25": 100, "+Inf": 100}, "fast": {"0.1": 100, "0.25": 100, "+Inf": 100}}
    series = [
        {"series": f'latency_seconds_bucket{{service="{service}",le="{le}"}}', "values": f"0+{step}x30"}
        for service, by_le in buckets.items()
        for le, step in by_le.items()
    ] + [{"series": f'latency_seconds_count{{service="{service}"}}', "values": "0+100x30"} for service in buckets]
    definition = _definition(
        "Slow",
        "latency_quantile",
        {"metric": "latency_seconds", "threshold": 0.2, "by": ["service"], "min_request_rate": 1},
    )
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": series,
            "promql_expr_test": [
                {
                    "expr": "service:latency_seconds:p99_rate5m:rules_latency_quantile",
                    "eval_time": "20m",
                    "exp_samples": [
                        {
                            "labels": 'service:latency_seconds:p99_rate5m:rules_latency_quantile{service="slow"}',
                            "value": slow_p99,
                        },
                        {
                            "labels": 'service:latency_seconds:p99_rate5m:rules_latency_quantile{service="fast"}',
                            "value": 0.099,
                        },
                    ],
                }
            ],
            "alert_rule_test": [
                {
                    "eval_time": "20m",
                    "alertname": "Slow",
                    "exp_alerts": [_expected_alert("Slow", "latency_quantile", {"service": "slow"})],
                }
            ],
        },
    )


def test_ctr_drop_compares_with_the_same_hour_a_day_earlier(tmp_path):
    # 1000 impressions a minute. dropping: 51 clicks a minute for a day, then 47 (CTR 5.1 % -> 4.7 %, ratio
    # 0.92 < 0.95). steady: 51 clicks throughout. At 1d1h1m the 1h window sees only the new regime and the window
    # a day earlier only the old one.
    after_day = 1441  # first minute of the second day
    definition = _definition(
        "CtrDrop",
        "ctr_drop",
        {"clicks_metric": "clicks_total", "impressions_metric": "impressions_total", "by": ["service"]},
    )
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": [
                {"series": 'impressions_total{service="dropping"}', "values": "0+1000x1510"},
                {"series": 'impressions_total{service="steady"}', "values": "0+1000x1510"},
                {"series": 'clicks_total{service="steady"}', "values": "0+51x1510"},
                {
                    "series": 'clicks_total{service="dropping"}',
                    "values": f"0+51x1440 {51 * 1440 + 47}+47x{1510 - after_day}",
                },
            ],
            "alert_rule_test": [
                {
                    "eval_time": "1d1h1m",
                    "alertname": "CtrDrop",
                    "exp_alerts": [_expected_alert("CtrDrop", "ctr_drop", {"service": "dropping"})],
                },
                {"eval_time": "1d", "alertname": "CtrDrop", "exp_alerts": []},
            ],
        },
    )


def test_zscore_anomaly_fires_on_a_jump_not_on_steady_noise(tmp_path):
    # Both series alternate 10, 11 (mean 10.5, population stddev 0.5: |z| <= 1). jumpy jumps to 20 at 2h:
    # z ≈ (20 − 10.66) / 1.2 ≈ 7.8 > 5 over a 1h window. steady keeps alternating.
    alternating = " ".join(["10 11"] * 60)
    definition = _definition("Anomaly", "zscore_anomaly", {"expr": "signal", "window": "1h", "threshold": 5})
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": [
                {"series": 'signal{name="steady"}', "values": f"{alternating} 10 11 10"},
                {"series": 'signal{name="jumpy"}', "values": f"{alternating} 20 20 20"},
            ],
            "alert_rule_test": [
                {
                    "eval_time": "2h",
                    "alertname": "Anomaly",
                    "exp_alerts": [_expected_alert("Anomaly", "zscore_anomaly", {"name": "jumpy"})],
                },
                {"eval_time": "1h59m", "alertname": "Anomaly", "exp_alerts": []},
            ],
        },
    )


def _counter_values(increments: list[float]) -> str:
    """promtool `values` of a counter starting at 0 that grows by each increment in turn (one per minute)."""
    values, total = ["0"], 0.0
    for increment in increments:
        total += increment
        values.append(f"{total:g}")
    return " ".join(values)


def test_zscore_anomaly_of_a_ratio_still_fires_after_a_zero_traffic_gap(tmp_path):
    # A mean score, rate(sum) / rate(count), with 60 requests a minute scored alternately 0.5 and 0.6 (sum grows
    # by 30, 36, 30, ...), so the 5m mean alternates 0.54 / 0.56. Minutes 60-75 have no traffic: from 1h5m to
    # 1h15m both 5m rates are 0 and the mean is 0/0 = NaN. Unfiltered, that NaN would sit in the 1h window
    # until 2h15m and make avg/stddev NaN (the alert blind); filtered, those samples are absent. At minute 100
    # the score jumps to 5 (sum grows by 300): mean = (30 + 36 + 30 + 36 + 300) / 300 = 1.44, about 0.89 above
    # a window of ~45 samples near 0.55 (stddev ≈ 0.13 with the outlier itself), so z ≈ 6.9 > 5 while the
    # window still spans the gap.
    count_increments = [60] * 60 + [0] * 15 + [60] * 35
    score_increments = [30 + 6 * (minute % 2) for minute in range(60)] + [0] * 15
    score_increments += [30 + 6 * (minute % 2) for minute in range(75, 99)] + [300] * 11
    definition = _definition(
        "ScoreAnomaly",
        "zscore_anomaly",
        {
            "expr": "sum(rate(score_sum[5m])) / sum(rate(score_count[5m]))",
            "record": "global:score:mean_rate5m",
            "window": "1h",
        },
    )
    run_promtool_test(
        tmp_path,
        definition,
        {
            "input_series": [
                {"series": "score_count", "values": _counter_values(count_increments)},
                {"series": "score_sum", "values": _counter_values(score_increments)},
            ],
            "promql_expr_test": [
                {"expr": "global:score:mean_rate5m", "eval_time": "1h10m", "exp_samples": []},  # no traffic: absent
                {
                    "expr": "global:score:mean_rate5m",
                    "eval_time": "1h40m",
                    # 1.44, as float64 arithmetic of extrapolatedRate leaves it (promtool compares exactly)
                    "exp_samples": [{"labels": "global:score:mean_rate5m", "value": 1.4400000000000002}],
                },
                {
                    "expr": "count_over_time(global:score:mean_rate5m[1h])",
                    "eval_time": "1h40m",
                    "exp_samples": [{"labels": "{}", "value": 50}],
                },  # 61 evaluations − 11 without traffic (1h5m..1h15m)
            ],
            "alert_rule_test": [
                {"eval_time": "1h39m", "alertname": "ScoreAnomaly", "exp_alerts": []},
                {
                    "eval_time": "1h40m",
                    "alertname": "ScoreAnomaly",
                    "exp_alerts": [_expected_alert("ScoreAnomaly", "zscore_anomaly", {})],
                },
            ],
        },
    )
