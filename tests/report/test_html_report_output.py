"""Writing the report: all or nothing, and every bad output or input gets a message and an exit code.

The directory checks run before any scenario is simulated, so these command tests are fast."""

import errno
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from common.errors import OutputError
from compiler.cli import main as alertkit
from simulator.htmlreport.output import GENERATOR_TAG, write_report

PAGE = b"<!DOCTYPE html>\n<html>\n<head>\n" + GENERATOR_TAG + b"\n</head></html>\n"


def invoke(*args):
    return CliRunner().invoke(alertkit, [str(a) for a in args])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name or ".probe-" in p.name)


# --- write_report ------------------------------------------------------------------------------


def test_an_earlier_report_is_replaced_whole(tmp_path):
    out = tmp_path / "report"
    write_report(out, {"index.html": PAGE, "plots/a/old.svg": b"<svg/>"})
    write_report(out, {"index.html": PAGE + b"<!-- 2 -->", "plots/b/new.svg": b"<svg/>"})
    assert snapshot(out) == {"index.html": PAGE + b"<!-- 2 -->", "plots/b/new.svg": b"<svg/>"}
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_earlier_report_as_it_was(tmp_path):
    out = tmp_path / "report"
    write_report(out, {"index.html": PAGE, "plots/a.svg": b"<svg/>"})
    before = snapshot(out)
    with pytest.raises(OutputError, match=r"report: cannot write the report: .*; nothing was changed"):
        write_report(out, {"index.html": PAGE, "plots": b"a file where a directory must go", "plots/b.svg": b"x"})
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_a_directory_of_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("keep me")
    with pytest.raises(OutputError, match="holds files that are not an alertkit report"):
        write_report(out, {"index.html": PAGE})
    assert snapshot(out) == {"todo.txt": b"keep me"}


def test_a_symbolic_link_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputError, match="a symbolic link"):
        write_report(tmp_path / "link", {"index.html": PAGE})
    assert list((tmp_path / "real").iterdir()) == []


# --- the commands ------------------------------------------------------------------------------


def test_report_into_a_file_is_refused_before_any_work(project):
    (project / "taken").write_text("not a directory")
    result = invoke("report", "--out", "taken")
    assert result.exit_code == 1
    assert result.output == "taken: cannot write the report: taken exists and is not a directory\n"
    assert (project / "taken").read_text() == "not a directory"
    assert leftovers(project) == []


def test_simulate_report_into_a_file_is_refused_before_simulating(project):
    (project / "taken").write_text("not a directory")
    result = invoke("simulate", "scenarios/nulls.yaml", "--report", "taken/report")
    assert result.exit_code == 1
    assert result.output == "taken/report: cannot write the report: taken exists and is not a directory\n"
    assert (project / "taken").read_text() == "not a directory"


def test_report_into_an_unwritable_place(project, monkeypatch):
    # The place refuses new entries (as a read-only file system does, even to root): the probe says so before
    # any scenario is simulated, and nothing is created.
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    result = invoke("report", "--out", "report")
    assert result.exit_code == 1
    assert result.output == "report: cannot write the report: .: Read-only file system\n"
    assert not (project / "report").exists()


def test_report_into_a_directory_of_other_files(project):
    (project / "docs").mkdir()
    (project / "docs" / "notes.md").write_text("mine")
    result = invoke("report", "--out", "docs")
    assert result.exit_code == 1
    assert "docs: cannot write the report: the directory holds files that are not an alertkit report" in result.output
    assert snapshot(project / "docs") == {"notes.md": b"mine"}


def test_an_unknown_scenario(project):
    result = invoke("report", "nulls", "no-such-thing", "--out", "report")
    assert result.exit_code == 2
    assert result.output == (
        "no-such-thing: no such scenario: neither a file nor a name in scenarios/ (known: nulls, outage, quiet)\n"
    )
    assert not (project / "report").exists() and leftovers(project) == []


def test_a_bad_scenario_file_writes_nothing(project):
    (project / "scenarios" / "broken.yaml").write_text("version: 1\nname: broken\nduration: soon\n")
    result = invoke("report", "scenarios/broken.yaml", "--out", "report")
    assert result.exit_code == 2
    assert "scenarios/broken.yaml:3" in result.output and "duration" in result.output
    assert "Traceback" not in result.output
    assert not (project / "report").exists() and leftovers(project) == []


def test_simulate_writes_the_report_beside_its_table(project):
    result = invoke("simulate", "scenarios/nulls.yaml", "--report", "out/report")
    assert result.exit_code == 0, result.output
    assert "scenario nulls (scenarios/nulls.yaml): PASS" in result.output
    assert "wrote out/report/index.html (2 plots, 3 files," in result.output
    assert sorted(snapshot(project / "out" / "report")) == [
        "index.html",
        "plots/nulls/geo-nulls--NullsSpike.svg",
        "plots/nulls/geo-nulls--TrafficGone.svg",
    ]
    assert leftovers(project / "out") == []
