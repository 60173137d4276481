"""Bad input to `alertkit incidents` and `alertkit postmortem`: each case gives its message (file:line:col for
scenario files), its exit code, no traceback, and writes nothing (no --out file, no staging file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main as alertkit

ROOT = Path(__file__).resolve().parents[3]
ONCALL = ROOT / "scenarios" / "oncall-exercise.yaml"
PROJECT = [
    "--alerts",
    str(ROOT / "alerts"),
    "--runbooks",
    str(ROOT / "runbooks"),
    "--config",
    str(ROOT / "alertkit.yaml"),
]
SCENARIO = """\
name: small
duration: 1d
events:
{event}
"""


def run(*args: str):
    return CliRunner().invoke(alertkit, [*args, *PROJECT])


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


@pytest.mark.parametrize("command", ["incidents", "postmortem"])
@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            "  - {type: deploi, at: 2h}",
            "small.yaml:4:6: events.0.type: Input should be 'deploy', 'config_change', 'feature_flag' or "
            "'schema_change'",
        ),
        (
            "  - {type: deploy, at: 2d, version: v1}",
            "small.yaml:4:20: event deploy at 2d is outside the scenario span [0s, 1d)",
        ),
        (
            "  - {type: deploy, at: 2x}",
            'small.yaml:4:20: events.0.at: not a valid duration string: "2x"; write a Prometheus duration such as '
            "15s, 1m, 4d14h or 2w",
        ),
        (
            "  - {type: feature_flag, at: 2h}",
            "small.yaml:4:5: events.0: flag applies to feature_flag events, and a feature_flag event needs it",
        ),
        (
            "  - {type: deploy, at: 2h, colour: red}",
            "small.yaml:4:28: events.0.colour: unknown key 'colour'; allowed: type, at, description, version, flag, labels",
        ),
    ],
)
def test_a_bad_event_is_refused_with_its_place_and_nothing_is_written(tmp_path, command, event, message):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SCENARIO.format(event=event))
    out = tmp_path / "out.md"
    before = listing(tmp_path)
    result = run(command, str(scenario), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"{tmp_path}/{message}"
    assert "Traceback" not in result.output
    assert listing(tmp_path) == before


@pytest.mark.parametrize("command", ["incidents", "postmortem"])
def test_an_unwritable_out_is_refused_before_any_work(tmp_path, command):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    cases = {
        blocker / "report.md": f"--out {blocker}/report.md: cannot write: {blocker} exists and is not a directory",
        tmp_path / "missing" / "report.md": f"--out {tmp_path}/missing/report.md: cannot write: directory "
        f"{tmp_path}/missing does not exist",
        tmp_path: f"--out {tmp_path}: cannot write: not a regular file (a directory, device, FIFO or socket)",
    }
    before = listing(tmp_path)
    for out, message in cases.items():
        result = run(command, str(ONCALL), "--out", str(out))
        assert (result.exit_code, result.stderr.strip()) == (1, message)
        assert listing(tmp_path) == before and blocker.read_text() == "keep"


def test_an_existing_out_is_kept_whole_when_the_input_is_bad(tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SCENARIO.format(event="  - {type: deploy, at: 5d}"))
    out = tmp_path / "pm.md"
    out.write_text("previous postmortem\n")
    result = run("postmortem", str(scenario), "--out", str(out))
    assert result.exit_code == 2
    assert out.read_text() == "previous postmortem\n"
    assert listing(tmp_path) == ["pm.md", "small.yaml"]


def test_the_scenario_file_is_never_the_output(tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SCENARIO.format(event="  - {type: deploy, at: 5h}"))
    result = run("incidents", str(scenario), "--out", str(scenario))
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        f"--out {scenario}: is the scenario file itself; write elsewhere",
    )


def test_a_bad_gap_and_an_incident_number_out_of_range(tmp_path):
    result = run("incidents", str(ONCALL), "--gap", "soon")
    assert (result.exit_code, result.stderr.strip()) == (2, '--gap soon: not a valid duration string: "soon"')
    result = run("postmortem", str(ONCALL), "--incident", "3", "--out", str(tmp_path / "pm.md"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"--incident 3: scenario oncall-exercise ({ONCALL}) has incidents 1-2"
    assert listing(tmp_path) == []


def test_a_quiet_scenario_has_no_incident_to_write_up(tmp_path):
    scenario = tmp_path / "quiet.yaml"
    scenario.write_text("name: quiet\nduration: 6h\n")
    result = run("incidents", str(scenario))
    assert result.exit_code == 0, result.output
    assert "0 incident(s)" in result.stdout
    result = run("postmortem", str(scenario))
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        f"--incident 1: scenario quiet ({scenario}) has no incident (no alert fired)",
    )


def test_a_drill_record_of_another_scenario_is_refused(tmp_path):
    record = tmp_path / "drill.json"
    record.write_text(
        '{"version": 1, "kind": "alertkit-drill-notifications", "scenario": "other", "from_ms": 0, "end_ms": 1,'
        ' "notifications": []}'
    )
    result = run("incidents", str(ONCALL), "--drill", str(record))
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        f"{record}: scenario: recorded for 'other', not for scenario 'oncall-exercise'",
    )
