"""common.durations is model.Duration: promtool 2.42 accepts exactly the durations it accepts, and prints
durations the way it prints them (8d, never 1w1d)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from common.durations import DurationError, format_duration, format_go_duration, parse_duration

DAY = 86_400_000

# Around the int64-nanosecond limit (292y 24w 3d 23h 47m 16s 854ms) and the grammar's corners.
BOUNDARY = ["0", "292y", "293y", "300y", "100000y", "106751d", "106752d", "15250w", "15251w", "292y24w3d", "292y25w"]
GRAMMAR = ["1w1d", "5m30s", "1h30m", "90s", "1ms", "5m5m", "5s1m", "1.5h", "", "5", "-5m", "5M", "٣m", "5m\n"]


def _promtool() -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool 2.42 is required (Debian's prometheus package)"
    return promtool


def _promtool_accepts_for(tmp_path, text: str) -> bool:
    rules = tmp_path / "rules.yml"
    quoted = text.replace("\n", "\\n")
    rules.write_text(f'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    for: "{quoted}"\n')
    completed = subprocess.run([_promtool(), "check", "rules", str(rules)], capture_output=True, text=True)
    return completed.returncode == 0


def _alertkit_accepts(text: str) -> bool:
    try:
        parse_duration(text)
    except DurationError:
        return False
    return True


@pytest.mark.parametrize("text", BOUNDARY + GRAMMAR)
def test_accepts_exactly_what_promtool_accepts(tmp_path, text):
    assert _alertkit_accepts(text) == _promtool_accepts_for(tmp_path, text)


def test_out_of_range_and_malformed_messages_are_prometheus_wording():
    for text, message in [
        ("300y", "duration out of range"),
        ("", "empty duration string"),
        ("5 minutes", 'not a valid duration string: "5 minutes"'),
        ("5m\n", 'not a valid duration string: "5m\\n"'),
    ]:
        with pytest.raises(DurationError) as caught:
            parse_duration(text)
        assert str(caught.value) == message


@pytest.mark.parametrize(
    "ms, text",
    [
        (0, "0s"),
        (8 * DAY, "8d"),
        (7 * DAY + 3_600_000, "7d1h"),
        (14 * DAY, "2w"),
        (365 * DAY, "1y"),
        (366 * DAY, "366d"),
        (90 * DAY, "90d"),
        (5_400_000, "1h30m"),
        (1_500, "1s500ms"),
    ],
)
def test_format_is_duration_string(ms, text):
    assert format_duration(ms) == text
    assert parse_duration(text) == ms


def test_go_duration_string():
    assert [format_go_duration(ms) for ms in (0, 1_500, 300_000, 3_600_000, 5)] == [
        "0s",
        "1.5s",
        "5m0s",
        "1h0m0s",
        "5ms",
    ]


def test_alertkit_test_prints_failure_times_as_promtool_does(tmp_path):
    """`alertkit test` failure text at eval_time 8d: promtool prints `time: 8d` (alertkit printed 1w1d)."""
    (tmp_path / "rules.yml").write_text(
        "groups:\n- name: g\n  rules:\n  - alert: Up\n    expr: up > 0\n", encoding="utf-8"
    )
    (tmp_path / "t.yml").write_text(
        "rule_files: [rules.yml]\ntests:\n- interval: 1h\n  input_series:\n  - series: up\n    values: 1x200\n"
        "  alert_rule_test:\n  - eval_time: 8d\n    alertname: Up\n    exp_alerts: []\n",
        encoding="utf-8",
    )
    promtool = subprocess.run([_promtool(), "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True)
    alertkit = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "test", "t.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "time: 8d," in promtool.stderr
    assert (alertkit.returncode, alertkit.stdout, alertkit.stderr) == (
        promtool.returncode,
        promtool.stdout,
        promtool.stderr,
    )
