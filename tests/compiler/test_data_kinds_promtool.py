"""The claims of docs/kinds/{error_ratio,freshness,schema_change,model_quality}.md, judged by the real `promtool test rules` (2.42) and by alertkit's evaluator.

Each case compiles definitions of one kind, writes a promtool test file with hand-made input and expectations
worked out by hand from Prometheus's definitions (noted beside each case, never computed with the compiler's
code), and runs it through promtool and through `alertkit test`: both must pass. promtool missing is a
failure, not a skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner
from compiler_testkit import GENERIC_RUNBOOK

from compiler.cli import main as alertkit
from compiler.pipeline import compile_project

RUNBOOK_BASE = "runbooks/"
# The `layer` label each kind gives its alerts by default (issue 10: error ratio is the system's health,
# freshness and schema changes are data, model quality is the model).
DEFAULT_LAYER = {"error_ratio": "system", "freshness": "data", "schema_change": "data", "model_quality": "model"}


def _definition(name: str, kind: str, params: dict) -> dict:
    """An alert whose summary is its `$value`, so the tests check the value too."""
    return {
        "name": name,
        "kind": kind,
        "team": "t",
        "severity": "page",
        "summary": "{{ $value }}",
        "description": "d",
        "for": "0s",
        "params": params,
    }


def _firing(name: str, kind: str, labels: dict, value: str) -> dict:
    return {
        "exp_labels": {**labels, "severity": "page", "team": "t", "kind": kind, "layer": DEFAULT_LAYER[kind]},
        "exp_annotations": {"summary": value, "description": "d", "runbook_url": f"{RUNBOOK_BASE}{name}.md"},
    }


def _judge(tmp_path: Path, definitions: list[dict], test_group: dict, interval: str = "1m") -> None:
    """Compile the definitions, each in its own file (one group writes one recording rule per name, and two
    alerts of a kind on one metric and `by` but different selectors would write two); promtool and
    `alertkit test` must both pass the test group over the rule files."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is required (make test installs it from Debian's prometheus package)"
    (tmp_path / "alerts").mkdir()
    (tmp_path / "runbooks").mkdir()
    for index, definition in enumerate(definitions):
        document = {"apiVersion": "alertkit/v1", "alerts": [definition]}
        (tmp_path / "alerts" / f"rules{index}.yaml").write_text(yaml.safe_dump(document))
        (tmp_path / "runbooks" / f"{definition['name']}.md").write_text(GENERIC_RUNBOOK)
    result = compile_project(tmp_path / "alerts", tmp_path / "runbooks", RUNBOOK_BASE)
    assert not result.failed, result.problems
    rule_files = [f"rules{index}.yml" for index in range(len(definitions))]
    for name in rule_files:
        (tmp_path / name).write_bytes(result.files[f"prometheus/{name}"])
    test_file = {
        "rule_files": rule_files,
        "evaluation_interval": "1m",
        "tests": [{"interval": interval, **test_group}],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test_file, sort_keys=False))
    completed = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    ours = CliRunner().invoke(alertkit, ["test", str(tmp_path / "test.yml")])
    assert ours.exit_code == 0, ours.output


def test_freshness_survives_restarts_pages_on_a_stopped_job_and_reports_a_missing_gauge(tmp_path):
    # budget 10m (600 s), lookback 20m; time() is the evaluation time in seconds since 0.
    # restarted: the job succeeds every minute (value = t); at 11m-13m the exporter restarted and reports 0, then
    #   no sample at 14m-15m, then t again. The gauge alone would give 780 - 0 = 780 s at 13m; the max over
    #   20m is 600 (at 10m): age 180 s, no alert, ever.
    # stopped: succeeds (value = t) up to 5m, then stays 300: age = t - 300 > 600 from 16m (at 15m it is 600).
    # gone (own alert, selector pipeline="gone"): one success at 0-2m (value 120), then no sample: age t - 120
    #   is over 600 from 13m while 120 stays in the lookback (through 22m: the range [t-20m, t] of 2.42 keeps
    #   T = t-20m); from 23m nothing is in the range, so absent_over_time answers, with the selector's labels
    #   and +Inf.
    # never (own alert, selector pipeline="never"): no sample at all, missing from the first evaluation.
    metric = "job_last_success_timestamp_seconds"
    every = _definition("Stale", "freshness", {"metric": metric, "budget": "10m", "selector": 'pipeline!~"gone|never"'})
    gone = _definition("GoneStale", "freshness", {"metric": metric, "budget": "10m", "selector": 'pipeline="gone"'})
    never = _definition("NeverStale", "freshness", {"metric": metric, "budget": "10m", "selector": 'pipeline="never"'})
    stale = {"pipeline": "stopped"}
    _judge(
        tmp_path,
        [every, gone, never],
        {
            "input_series": [
                {"series": f'{metric}{{pipeline="restarted"}}', "values": "0+60x10 0x2 _x2 960+60x14"},
                {"series": f'{metric}{{pipeline="stopped"}}', "values": "0+60x5 300x24"},
                {"series": f'{metric}{{pipeline="gone"}}', "values": "0+60x2"},
            ],
            "alert_rule_test": [
                {"eval_time": "13m", "alertname": "Stale", "exp_alerts": []},
                {"eval_time": "15m", "alertname": "Stale", "exp_alerts": []},
                {"eval_time": "16m", "alertname": "Stale", "exp_alerts": [_firing("Stale", "freshness", stale, "660")]},
                {"eval_time": "12m", "alertname": "GoneStale", "exp_alerts": []},
                {
                    "eval_time": "13m",
                    "alertname": "GoneStale",
                    "exp_alerts": [_firing("GoneStale", "freshness", {"pipeline": "gone"}, "660")],
                },
                {
                    "eval_time": "22m",
                    "alertname": "GoneStale",
                    "exp_alerts": [_firing("GoneStale", "freshness", {"pipeline": "gone"}, "1200")],
                },
                {
                    "eval_time": "23m",
                    "alertname": "GoneStale",
                    "exp_alerts": [_firing("GoneStale", "freshness", {"pipeline": "gone"}, "+Inf")],
                },
                {
                    "eval_time": "0m",
                    "alertname": "NeverStale",
                    "exp_alerts": [_firing("NeverStale", "freshness", {"pipeline": "never"}, "+Inf")],
                },
            ],
        },
    )


def test_schema_change_counts_a_revert_ignores_gaps_and_float_rounding(tmp_path):
    # window 10m; a range [t-10m, t] in 2.42 keeps samples with t-10m <= T <= t.
    # reverted: 5 until 5m, 6 at 6m, 5 again from 7m: 1 change at 6m, 2 from 7m while 5m is in the window
    #   (through 15m); at 16m the window [6m, 16m] holds 6 then 5s: 1; at 17m, [7m, 17m] holds only 5s: 0.
    # gapped: 7, no sample for 4 minutes, 7 again: stale markers are not samples and `_` is no sample: 0.
    # exact53: 2^53 - 1 then 2^53 - 2, both exact in float64: a change.
    # rounded64: 2^64 - 1 then 2^64 - 2 both parse to 2^64 in float64: no change (why hashes must fit 53 bits).
    metric = "table_schema_hash"
    definition = _definition("SchemaChanged", "schema_change", {"metric": metric, "window": "10m", "by": ["table"]})
    _judge(
        tmp_path,
        [definition],
        {
            "input_series": [
                {"series": f'{metric}{{table="reverted"}}', "values": "5x5 6 5x15"},
                {"series": f'{metric}{{table="gapped"}}', "values": "7x3 _x4 7x12"},
                {"series": f'{metric}{{table="exact53"}}', "values": "9007199254740991x3 9007199254740990x16"},
                {
                    "series": f'{metric}{{table="rounded64"}}',
                    "values": "18446744073709551615x3 18446744073709551614x16",
                },
            ],
            "alert_rule_test": [
                {"eval_time": "3m", "alertname": "SchemaChanged", "exp_alerts": []},
                {
                    "eval_time": "6m",
                    "alertname": "SchemaChanged",
                    "exp_alerts": [
                        _firing("SchemaChanged", "schema_change", {"table": "reverted"}, "1"),
                        _firing("SchemaChanged", "schema_change", {"table": "exact53"}, "1"),
                    ],
                },
                {
                    "eval_time": "7m",
                    "alertname": "SchemaChanged",
                    "exp_alerts": [
                        _firing("SchemaChanged", "schema_change", {"table": "reverted"}, "2"),
                        _firing("SchemaChanged", "schema_change", {"table": "exact53"}, "1"),
                    ],
                },
                {
                    "eval_time": "16m",
                    "alertname": "SchemaChanged",
                    "exp_alerts": [_firing("SchemaChanged", "schema_change", {"table": "reverted"}, "1")],
                },
                {"eval_time": "17m", "alertname": "SchemaChanged", "exp_alerts": []},
            ],
        },
    )


def test_model_quality_fires_on_the_floor_and_on_drift_through_a_nan_sample(tmp_path):
    # MAE per minute; threshold 0.5, drift 1.25 over a 1d baseline of hourly means.
    # drifting: 0.2 for 25h (one NaN at 10h, which the recorded error drops, so no hourly mean and no baseline
    #   is NaN), then 0.3 from 25h. At 24h59m error 0.2 = its baseline: no alert. At 25h error 0.3 against a
    #   baseline of hourly means over [1h, 25h]: 24 of 0.2 and the 25h one, (60 × 0.2 + 0.3) / 61: about 0.2002,
    #   and 1.25 × that is about 0.25 < 0.3: fires, value 0.3.
    # bad: 0.6 all along: equal to its baseline (no drift), above the 0.5 floor: fires, value 0.6.
    metric = "model_rolling_mae"
    definition = _definition(
        "ModelWorse",
        "model_quality",
        {"metric": metric, "threshold": 0.5, "drift_factor": 1.25, "baseline_window": "1d"},
    )
    _judge(
        tmp_path,
        [definition],
        {
            "input_series": [
                {"series": f'{metric}{{model="drifting"}}', "values": "0.2x599 NaN 0.2x898 0.3x60"},
                {"series": f'{metric}{{model="bad"}}', "values": "0.6x1560"},
            ],
            "alert_rule_test": [
                {
                    "eval_time": "24h59m",
                    "alertname": "ModelWorse",
                    "exp_alerts": [_firing("ModelWorse", "model_quality", {"model": "bad"}, "0.6")],
                },
                {
                    "eval_time": "25h",
                    "alertname": "ModelWorse",
                    "exp_alerts": [
                        _firing("ModelWorse", "model_quality", {"model": "bad"}, "0.6"),
                        _firing("ModelWorse", "model_quality", {"model": "drifting"}, "0.3"),
                    ],
                },
            ],
        },
    )


def test_error_ratio_counts_only_the_error_matchers_and_respects_the_guard(tmp_path):
    # Counters per minute (no extrapolation over [5m] at 10m: 6 samples span the window exactly).
    # failing: 100 req/min with 10 5xx and 20 404s: ratio 10 / 130 ≈ 0.0769 > 0.05; 130/60 ≈ 2.2 req/s.
    # clients: 100 200s and 30 404s: client errors do not count: ratio 0 (the 5xx series exists, at 0).
    # quiet: 10 200s and 10 500s per minute: ratio 0.5 but 20/60 ≈ 0.33 req/s, under the 1 req/s guard.
    metric = "http_requests_total"
    definition = {
        **_definition("Errors", "error_ratio", {"metric": metric, "by": ["service"]}),
        "summary": '{{ $value | printf "%.4f" }}',
    }
    per_minute = {
        ("failing", "200"): 100,
        ("failing", "500"): 10,
        ("failing", "404"): 20,
        ("clients", "200"): 100,
        ("clients", "404"): 30,
        ("clients", "500"): 0,
        ("quiet", "200"): 10,
        ("quiet", "500"): 10,
    }
    _judge(
        tmp_path,
        [definition],
        {
            "input_series": [
                {"series": f'{metric}{{service="{service}",code="{code}"}}', "values": f"0+{step}x20"}
                for (service, code), step in per_minute.items()
            ],
            "alert_rule_test": [
                {
                    "eval_time": "10m",
                    "alertname": "Errors",
                    "exp_alerts": [_firing("Errors", "error_ratio", {"service": "failing"}, "0.0769")],
                }
            ],
        },
    )
