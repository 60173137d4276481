"""`alertkit simulate` over several scenarios in worker processes reports byte for byte what one process does.

Runs the real command line on the tests' own project (tests/simulator/fixtures/project), once with
--jobs 1 and once with --jobs 2 (forked workers), and compares stdout, stderr and the exit status.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent / "fixtures" / "project"
ALERTKIT = [sys.executable, "-m", "compiler.cli"]


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    return root


def _simulate(project: Path, *args: str) -> tuple[str, str, int]:
    done = subprocess.run(
        [*ALERTKIT, "simulate", *args], cwd=project, capture_output=True, text=True, timeout=300, check=False
    )
    return done.stdout, done.stderr, done.returncode


def test_two_workers_report_exactly_what_one_process_reports(project):
    """Text report and exit status, with a failing expectation among the scenarios (exit 1 in both)."""
    nulls = (project / "scenarios" / "nulls.yaml").read_text()
    assert "NullsSpike: 10m" in nulls
    (project / "scenarios" / "strict.yaml").write_text(
        nulls.replace("name: nulls", "name: strict").replace("NullsSpike: 10m", "NullsSpike: 1s")
    )
    scenarios = ["scenarios/quiet.yaml", "scenarios/strict.yaml", "scenarios/outage.yaml"]
    serial = _simulate(project, *scenarios, "--jobs", "1")
    assert serial[2] == 1 and "FAIL" in serial[0], serial
    assert _simulate(project, *scenarios, "--jobs", "2") == serial
    # The order is the command line's, not the order in which workers finished.
    names = [line.split()[1] for line in serial[0].splitlines() if line.startswith("scenario ")]
    assert names == ["quiet", "strict", "outage"]


def test_the_json_report_is_byte_identical(project):
    scenarios = ["scenarios/outage.yaml", "scenarios/nulls.yaml"]
    serial = _simulate(project, *scenarios, "--json", "--jobs", "1")
    assert serial[2] == 0 and serial[0].startswith("{"), serial
    assert _simulate(project, *scenarios, "--json", "--jobs", "2") == serial
