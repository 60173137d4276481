"""`alertkit incidents --drill`: a fire drill's real notifications (Alertmanager 0.25, `alertkit drill --record`)
are the paging timeline of the incident report and the postmortem. Fails, never skips, without the binary."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from amserver import free_port, running_alertmanager
from click.testing import CliRunner

from common.durations import parse_duration
from compiler.cli import main as alertkit
from simulator.alertmanager.drill import TOLERANCE_WALL_MS

ROOT = Path(__file__).resolve().parents[3]
ONCALL = str(ROOT / "scenarios" / "oncall-exercise.yaml")
PROJECT = [
    "--alerts",
    str(ROOT / "alerts"),
    "--runbooks",
    str(ROOT / "runbooks"),
    "--config",
    str(ROOT / "alertkit.yaml"),
]
SPEED = "1200"
SCHEMAS = ROOT / "docs" / "schemas"


def run(*args: str):
    return CliRunner().invoke(alertkit, [*args, *PROJECT])


def test_drill_notifications_are_the_paging_timeline(tmp_path):
    port = str(free_port())
    config = tmp_path / "drill.yml"
    result = run("drill", ONCALL, "--write-config", str(config), "--speed", SPEED, "--listen", port)
    assert result.exit_code == 0, result.output
    record = tmp_path / "drill.json"
    with running_alertmanager(config.read_text(), tmp_path / "am") as url:
        result = run(
            "drill", ONCALL, "--alertmanager", url, "--speed", SPEED, "--listen", port, "--from", "9d3h", "--span", "2h",
            "--record", str(record),
        )  # fmt: skip
    assert result.exit_code == 0, result.output  # the real notifications agree with the model's
    recorded = json.loads(record.read_text())
    assert recorded["from_ms"] == parse_duration("9d3h") and recorded["notifications"]
    jsonschema.validate(recorded, json.loads((SCHEMAS / "drill-record.schema.json").read_text()))

    result = run("incidents", ONCALL, "--drill", str(record), "--format", "json")
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), json.loads((SCHEMAS / "incidents.schema.json").read_text()))
    [scenario] = json.loads(result.stdout)["scenarios"]
    assert scenario["paging"] == "drill"
    first, second = scenario["incidents"]
    assert not first["paging_covered"] and first["pages"] == []  # the deploy is outside the drilled window
    page = second["pages"][0]
    assert (page["receiver"], page["alerts"], page["pager"], page["source"]) == (
        "ml-platform-pager",
        ["FeatureNullRateHigh"],
        True,
        "drill",
    )
    # The model pages at 9d3h6m30s (first firing + group_wait 30s); the drill agrees within its wall tolerance.
    assert abs(page["at_ms"] - parse_duration("9d3h6m30s")) <= TOLERANCE_WALL_MS * int(SPEED), page["at_ms"]

    result = run("postmortem", ONCALL, "--incident", "2", "--drill", str(record))
    assert result.exit_code == 0, result.output
    assert "from a fire drill (pages from the real Alertmanager)" in result.stdout
    assert "page to ml-platform-pager (drill): FeatureNullRateHigh" in result.stdout
