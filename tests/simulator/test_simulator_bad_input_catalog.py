"""The bad-input catalog of `alertkit test`, `simulate` and `export-promtool` (issue 7, section 8): each case
gives its message, its exit code, no traceback, and leaves every file as it was."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "no-traffic.yaml"

RULES = "groups:\n- name: g\n  rules:\n  - alert: Up\n    expr: up > 0\n"
TEST_FILE = (
    "rule_files: [rules.yml]\ntests:\n- interval: 1m\n  input_series:\n  - series: up\n    values: {values}\n"
    "  promql_expr_test:\n  - expr: up\n    eval_time: {eval_time}\n    exp_samples: []\n"
)


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        digest.update(str(path.relative_to(directory)).encode())
        if path.is_file() and not path.is_fifo():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _promtool(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    promtool = shutil.which("promtool")
    assert promtool, "promtool 2.42 is required (Debian's prometheus package)"
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def _alertkit(cwd: Path, *args: str):
    import os

    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(alertkit, list(args))
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("eval_time", ["300y", "100000y"])
def test_eval_time_past_prometheus_range_is_refused_as_promtool_does(tmp_path, eval_time):
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "t.yml").write_text(TEST_FILE.format(values="1x10", eval_time=eval_time))
    before = _digest(tmp_path)
    ours = _alertkit(tmp_path, "test", "t.yml")
    theirs = _promtool(tmp_path, "test", "rules", "t.yml")
    assert (ours.exit_code, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert "duration out of range" in ours.stderr and "Traceback" not in ours.output
    assert _digest(tmp_path) == before


def test_series_values_of_four_billion_samples_are_read_only_up_to_the_last_eval_time(tmp_path):
    """`0x100000000` is 2^32+1 samples: promtool builds them all (minutes, tens of GB); alertkit builds the
    ones a test can read (up to its last eval_time), and gives promtool's verdict on them."""
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "t.yml").write_text(TEST_FILE.format(values="0x100000000", eval_time="2m"))
    start = time.perf_counter()
    result = _alertkit(tmp_path, "test", "t.yml")
    assert time.perf_counter() - start < 10
    assert result.exit_code == 1
    assert 'expr: "up", time: 2m,\n        exp: nil\n        got: {__name__="up"} 0E+00' in result.stderr
    # A small count with the same verdict, through the real promtool.
    (tmp_path / "small.yml").write_text(TEST_FILE.format(values="0x1000", eval_time="2m"))
    theirs = _promtool(tmp_path, "test", "rules", "small.yml")
    assert theirs.returncode == 1 and 'got: {__name__="up"} 0E+00' in theirs.stderr


@pytest.mark.parametrize(
    "target, data, expected",
    [
        (
            "t.yml",
            TEST_FILE.format(values='"1 2 \xff"', eval_time="1m").encode("latin-1"),
            "t.yml:6:18: not UTF-8: invalid byte 0xff at byte offset 94; save the file as UTF-8",
        ),
        ("t.yml", b"\x00\x01binary", "t.yml:1:1: binary file, not text: NUL byte at byte offset 0"),
        (
            "rules.yml",
            RULES.replace("alert: Up", "alert: Up\xe9").encode("latin-1"),
            "rules.yml: 4:14: not UTF-8: invalid byte 0xe9 at byte offset 40; save the file as UTF-8",
        ),
    ],
)
def test_test_and_rule_files_that_are_not_utf8(tmp_path, target, data, expected):
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "t.yml").write_text(TEST_FILE.format(values="1x10", eval_time="1m"))
    (tmp_path / target).write_bytes(data)
    before = _digest(tmp_path)
    result = _alertkit(tmp_path, "test", "t.yml")
    assert result.exit_code == 1
    assert expected in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output
    assert _digest(tmp_path) == before


def test_simulate_with_a_rule_file_that_is_not_utf8(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yml").write_bytes(RULES.replace("alert: Up", "alert: Up\xe9").encode("latin-1"))
    before = _digest(tmp_path)
    result = CliRunner().invoke(alertkit, ["simulate", str(SCENARIO), "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"{rules}/x.yml:4:14: not UTF-8: invalid byte 0xe9 at byte offset 40; save the file as UTF-8" in (
        result.stderr.splitlines()
    )
    assert "Traceback" not in result.output and _digest(tmp_path) == before


def test_export_promtool_refuses_to_overwrite_its_scenario(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(SCENARIO.read_bytes())
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "x.yml").write_text(RULES)
    before = _digest(tmp_path)
    for out in (scenario, tmp_path / "." / "s.yaml"):
        result = CliRunner().invoke(
            alertkit, ["export-promtool", str(scenario), "--rules", str(tmp_path / "rules"), "--out", str(out)]
        )
        assert result.exit_code == 1, result.output
        assert result.stderr == f"--out {out}: is the scenario file itself; write the test file elsewhere\n"
    assert _digest(tmp_path) == before


@pytest.mark.parametrize("out", ["/dev/full", "{tmp}/rules/x.yml/t.yml"])
def test_export_promtool_to_an_unwritable_path_is_a_message(tmp_path, out):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "x.yml").write_text(RULES)
    before = _digest(tmp_path)
    out = out.format(tmp=tmp_path)
    result = CliRunner().invoke(
        alertkit, ["export-promtool", str(SCENARIO), "--rules", str(tmp_path / "rules"), "--out", out, "--span", "1h"]
    )
    assert result.exit_code == 1, result.output
    expected = {
        "/dev/full": "--out /dev/full: cannot write: No space left on device",
        f"{tmp_path}/rules/x.yml/t.yml": f"--out {out}: cannot write: {tmp_path}/rules/x.yml exists and is not a directory",
    }[out]
    assert result.stderr == expected + "\n"
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert _digest(tmp_path) == before


def test_an_eval_time_of_years_is_refused_before_allocating(tmp_path):
    """promtool would evaluate 52 million steps one by one; alertkit holds the steps at once and refuses."""
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "t.yml").write_text(TEST_FILE.format(values="1 2 3", eval_time="100y"))
    start = time.perf_counter()
    result = _alertkit(tmp_path, "test", "t.yml")
    assert time.perf_counter() - start < 10
    assert result.exit_code == 1
    assert result.stderr == (
        "  FAILED:\neval_time 100y at evaluation_interval 1m is 52560001 rule evaluations; "
        "alertkit evaluates at most 1000000 per test group\n"
    )
