"""The plugin simulates a run's scenarios ahead in worker processes (alertkit_jobs): every item's
verdict and report are those of the serial run, and a bad setting is a usage error."""

from __future__ import annotations

import re

from test_pytest_plugin import edit, project, run_pytest  # noqa: F401 (project is a fixture)


def _outcomes(output: str) -> list[str]:
    """Each item's verdict line and every failure report, without timings."""
    return [re.sub(r" in [0-9.]+s", "", line) for line in output.splitlines() if not line.startswith("platform ")]


def test_items_report_the_same_with_two_workers_as_with_one(project):  # noqa: F811
    # A failing budget among them, so failure reports are compared too.
    edit(project / "scenarios" / "nulls.yaml", "NullsSpike: 10m", "NullsSpike: 1s")
    serial = run_pytest(project, "-v", "-o", "alertkit_jobs=1")
    parallel = run_pytest(project, "-v", "-o", "alertkit_jobs=2")
    assert serial.returncode == parallel.returncode == 1
    assert "fires:NullsSpike FAILED" in serial.stdout
    assert _outcomes(serial.stdout) == _outcomes(parallel.stdout)


def test_a_bad_jobs_setting_is_a_usage_error(project):  # noqa: F811
    done = run_pytest(project, "-o", "alertkit_jobs=two")
    assert done.returncode == 4  # pytest's usage error
    assert "alertkit_jobs: 'two' is not a whole number of processes (0: one per core)" in done.stderr
