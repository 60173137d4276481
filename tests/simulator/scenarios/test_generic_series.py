"""Declared series of any service: fan-out, seasonality, incidents and faults by name and labels."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from series_hash import series_hash

from compiler.cli import main as alertkit
from simulator.promql.model import is_stale, labels_get
from simulator.rules.loader import load_rule_files
from simulator.scenarios import generate_series, load_scenario, parse_scenario
from simulator.simulate import simulate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOUR_S = 3600


def find(series, name, **labels):
    [match] = [
        s
        for s in series
        if labels_get(s.labels, "__name__") == name and all(labels_get(s.labels, k) == v for k, v in labels.items())
    ]
    return match


def names(series):
    return sorted({labels_get(s.labels, "__name__") for s in series})


API = """
name: api
duration: 1d
seed: 4
series:
  - name: http_requests_total
    kind: counter
    labels: {service: api, code: {"200": 0.9, "500": 0.1}}
    rate: 100
"""

INCIDENT = """
incidents:
  - name: errors
    start: 12h
    changes: [{series: http_requests_total, match: {code: "500"}, parameter: rate, factor: 5, duration: 1h}]
"""


def test_fan_out_splits_the_rate_by_weight_and_declaring_series_drops_the_preset():
    series = generate_series(parse_scenario(API))
    assert names(series) == ["http_requests_total"]  # `series:` without `baseline:` means no ranker preset
    ok = find(series, "http_requests_total", code="200", service="api").values[-1]
    errors = find(series, "http_requests_total", code="500", service="api").values[-1]
    assert ok + errors == pytest.approx(100 * 86400, rel=0.01)
    assert errors / (ok + errors) == pytest.approx(0.1, rel=0.02)


def test_an_incident_selected_by_labels_changes_only_that_child():
    quiet = generate_series(parse_scenario(API))
    broken = generate_series(parse_scenario(API + INCIDENT))
    # Each child has its own random streams: the 200 series is bit-identical with or without the incident.
    assert np.array_equal(
        find(quiet, "http_requests_total", code="200").values, find(broken, "http_requests_total", code="200").values
    )
    t = find(broken, "http_requests_total", code="500").t_ms // 1000
    values = find(broken, "http_requests_total", code="500").values

    def per_second(lo_h, hi_h):
        lo, hi = np.searchsorted(t, [lo_h * HOUR_S, hi_h * HOUR_S])
        return (values[hi] - values[lo]) / ((hi_h - lo_h) * HOUR_S)

    assert per_second(10, 12) == pytest.approx(10, rel=0.05)
    assert per_second(12, 13) == pytest.approx(50, rel=0.05)
    assert per_second(14, 16) == pytest.approx(10, rel=0.05)


def test_gauge_follows_daily_and_weekly_seasonality_exactly():
    text = """
name: g
duration: 14d
scrape_interval: 1h
series:
  - {name: queue_depth, kind: gauge, value: {base: 10, daily: 0.2, phase: 6h, weekly: 0.1, weekly_phase: 3d}}
"""
    [gauge] = generate_series(parse_scenario(text))
    t = gauge.t_ms / 1000.0
    expected = 10 * (
        1 + 0.2 * np.cos(2 * np.pi * (t - 6 * HOUR_S) / 86400) + 0.1 * np.cos(2 * np.pi * (t - 3 * 86400) / (7 * 86400))
    )
    np.testing.assert_allclose(gauge.values, expected, rtol=1e-12)
    assert gauge.values.argmax() == 3 * 24 + 6  # the peaks meet at day 3, 06:00


def test_noise_is_seeded():
    text = (
        "name: n\nduration: 1d\nseed: {seed}\nseries:\n  - {{name: g, kind: gauge, value: {{base: 5, noise: 0.1}}}}\n"
    )
    a, b, c = (generate_series(parse_scenario(text.format(seed=s))) for s in (1, 1, 2))
    assert series_hash(a) == series_hash(b) != series_hash(c)
    assert 0.05 < np.std(a[0].values) / 5 < 0.15


def test_histogram_buckets_are_consistent_and_follow_the_quantiles():
    text = """
name: h
duration: 1d
series:
  - name: http_request_duration_seconds
    kind: histogram
    rate: 200
    p50: 0.05
    p99: 0.4
    buckets: [0.05, 0.1, 0.4, 1]
"""
    series = generate_series(parse_scenario(text))
    bucket = {
        le: find(series, "http_request_duration_seconds_bucket", le=le).values
        for le in ("0.05", "0.1", "0.4", "1", "+Inf")
    }
    stacked = np.stack(list(bucket.values()))
    assert (np.diff(stacked, axis=0) >= 0).all() and (np.diff(stacked, axis=1) >= 0).all()
    assert np.array_equal(bucket["+Inf"], find(series, "http_request_duration_seconds_count").values)
    total = bucket["+Inf"][-1]
    assert bucket["0.05"][-1] / total == pytest.approx(0.50, abs=0.01)
    assert bucket["0.4"][-1] / total == pytest.approx(0.99, abs=0.002)


def test_timestamp_advances_on_schedule_and_stops_when_the_job_breaks():
    text = """
name: t
duration: 1d
scrape_interval: 1m
series:
  - {name: backup_last_success_timestamp_seconds, kind: timestamp, every: 1h}
incidents:
  - name: break
    start: 10h30m
    changes: [{series: backup_last_success_timestamp_seconds, parameter: success, delta: -1, duration: 5h}]
"""
    [ts] = generate_series(parse_scenario(text))
    at = dict(zip((ts.t_ms // 1000).tolist(), ts.values.tolist(), strict=True))
    assert at[9 * HOUR_S + 59 * 60] == 9 * HOUR_S
    assert at[10 * HOUR_S + 45 * 60] == 10 * HOUR_S  # the 10h run succeeded before the break
    assert at[15 * HOUR_S + 10 * 60] == 10 * HOUR_S  # 11h..15h runs failed
    assert at[16 * HOUR_S] == 16 * HOUR_S  # 15h30m the break ends; the 16h run succeeds
    assert at[86400] == 86400  # the last instant is included


FAULTS = """
name: f
duration: 1d
series:
  - {name: jobs_total, kind: counter, labels: {instance: {a: 1, b: 1}}, rate: 10}
  - {name: temperature, kind: gauge, labels: {instance: a}, value: 20}
faults:
  - {kind: target_down, at: 6h, match: {instance: b}}
  - {kind: counter_reset, at: 2h}
  - {kind: late_scrape, at: 3h, duration: 1m, delay: 5s, metrics: [temperature]}
"""


def test_faults_select_series_by_name_and_labels():
    series = generate_series(parse_scenario(FAULTS))
    a, b = find(series, "jobs_total", instance="a"), find(series, "jobs_total", instance="b")
    # target_down without duration: b disappears for good behind one stale marker; a is untouched.
    assert b.t_ms[-1] == 6 * HOUR_S * 1000 and is_stale(b.values[-1:])[0]
    assert a.t_ms[-1] == 86400_000 and not is_stale(a.values).any()
    # counter_reset touches counters only: jobs_total restarts at 2h, the gauge keeps its value.
    k = int(np.searchsorted(a.t_ms, 2 * HOUR_S * 1000))
    assert a.values[k] == 0 and a.values[k - 1] > 0
    temperature = find(series, "temperature")
    assert (temperature.values == 20).all()
    late = (temperature.t_ms % 15_000) != 0
    assert (temperature.t_ms[late] % 15_000 == 5_000).all()
    assert temperature.t_ms[late].tolist() == [3 * HOUR_S * 1000 + k * 15_000 + 5_000 for k in range(4)]


def test_preset_spelled_out_and_declared_series_leave_the_ranker_series_bit_identical():
    base = "name: r\nduration: 1d\nseed: 9\n"
    default = series_hash(generate_series(parse_scenario(base)))
    assert series_hash(generate_series(parse_scenario(base + "baseline: ranker\n"))) == default
    both = generate_series(parse_scenario(base + "baseline: ranker\n" + API.split("seed: 4\n")[1]))
    ranker_only = [s for s in both if labels_get(s.labels, "__name__") != "http_requests_total"]
    assert series_hash(ranker_only) == default
    assert generate_series(parse_scenario(base + "baseline: none\n")) == []


@pytest.fixture(scope="module")
def http_api_groups():
    return load_rule_files([FIXTURES / "http-api.rules.yml"])


def test_http_api_scenario_detects_its_incidents(http_api_groups):
    result = simulate(load_scenario(FIXTURES / "http-api.yaml"), http_api_groups)
    assert result.passed
    ttd = {(d.incident, d.alertname): d.time_to_detect_ms for d in result.detections}
    assert ttd[("errors", "ApiErrorRatioHigh")] == 7 * 60_000
    assert ttd[("backup-breaks", "BackupStale")] == 71 * 60_000


def test_promtool_agrees_with_the_simulated_timeline_of_declared_series(tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool 2.42 is required (tests needing it fail, never skip)"
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(FIXTURES / "http-api.rules.yml", rules)
    out = tmp_path / "out" / "check.test.yml"
    out.parent.mkdir()
    result = CliRunner().invoke(
        alertkit,
        [
            "export-promtool",
            str(FIXTURES / "http-api.yaml"),
            "--rules",
            str(rules),
            "--from",  # BackupStale reads time(): its export must start with the scenario
            "0s",
            "--span",
            "1d6h",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ApiErrorRatioHigh" in out.read_text() and "BackupStale" in out.read_text()
    verdict = subprocess.run(
        [promtool, "test", "rules", out.name], cwd=out.parent, capture_output=True, text=True, timeout=120
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr


def test_the_documented_http_api_example_is_the_tested_fixture():
    docs = (Path(__file__).resolve().parents[3] / "docs" / "scenarios.md").read_text()
    section = docs[docs.index("### Example: an HTTP API") :]
    example = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n")]
    documented = parse_scenario(example)
    fixture = load_scenario(FIXTURES / "http-api.yaml")
    assert series_hash(generate_series(documented)) == series_hash(generate_series(fixture))

    def plan(scenario):  # everything but line numbers (the fixture starts with a comment line)
        return [
            (i.name, i.start_ms, i.end_ms, i.changes, [(e.alertname, e.budget_ms) for e in i.expect])
            for i in scenario.incidents
        ]

    assert plan(documented) == plan(fixture) and documented.faults == fixture.faults
