"""The bad-input catalog of `alertkit compile` (issue 7, section 8): files that are not text, YAML that would
expand without bound, paths that are not files, values past Prometheus's limits, and outputs that cannot be
written. Each case: the exact message (file:line:col when there is a place), exit 1, no traceback, and build/
byte-for-byte as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from compiler_testkit import GENERIC_RUNBOOK, RAW_PARAMS, alert_yaml, alerts_file

from compiler import output

GOOD = alerts_file(alert_yaml("GoodAlert", "raw", RAW_PARAMS))
BILLION_LAUGHS = "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]\n" if level else "l0: &l0 [lol]\n"
    for level in range(9)
)


@pytest.fixture
def compiled(project):
    """A project with one good alert, compiled once so build/ has content to protect."""
    project.write_alerts("good.yaml", GOOD)
    project.write_runbook("GoodAlert")
    assert project.compile().exit_code == 0
    return project


def _fails_and_changes_nothing(project, expected: str, *args: str) -> None:
    before = project.build_digest()
    result = project.compile(*args)
    assert result.exit_code == 1, result.output
    assert expected in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output
    assert project.build_digest() == before


@pytest.mark.parametrize(
    "case, data, expected",
    [
        (
            "latin-1 byte",
            GOOD.replace("GoodAlert on", "GoodAlert \xe9 on").encode("latin-1").replace(b"GoodAlert", b"OtherAlert"),
            "alerts/bad.yaml:7:26: not UTF-8: invalid byte 0xe9 at byte offset 129; save the file as UTF-8",
        ),
        (
            "binary",
            b"\x7fELF\x02\x01\x01\x00\x00",
            "alerts/bad.yaml:1:8: binary file, not text: NUL byte at byte offset 7",
        ),
        (
            "recursive alias",
            b"apiVersion: alertkit/v1\nalerts: &a\n  - *a\n",
            "alerts/bad.yaml:3:5: malformed YAML: anchor 'a' value contains itself (a recursive alias)",
        ),
        (
            "billion laughs",
            BILLION_LAUGHS.encode(),
            "alerts/bad.yaml:6:25: malformed YAML: document contains excessive aliasing: "
            "aliases expand to more than 100000 nodes",
        ),
        (
            "deep nesting",
            b"apiVersion: alertkit/v1\nalerts: " + b"[" * 500 + b"]" * 500 + b"\n",
            "alerts/bad.yaml:2:108: malformed YAML: nesting deeper than 100 levels is not allowed",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "",
)
def test_definitions_that_are_not_yaml_text(compiled, case, data, expected):
    (compiled.alerts / "bad.yaml").write_bytes(data)
    _fails_and_changes_nothing(compiled, expected)


@pytest.mark.parametrize(
    "case, make, expected",
    [
        ("directory", lambda path: path.mkdir(), "{path}: is a directory, expected a file"),
        (
            "dangling symlink",
            lambda path: path.symlink_to("nowhere"),
            "{path}: cannot read: dangling symbolic link (to nowhere)",
        ),
        ("symlink loop", lambda path: path.symlink_to(path.name), "{path}: cannot read: symbolic link loop"),
        (
            "fifo",
            lambda path: os.mkfifo(path),
            "{path}: not a regular file (a device, FIFO or socket), expected a file",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_definitions_path_that_is_not_a_readable_file(compiled, case, make, expected):
    where = "alerts/extra.yaml"
    make(compiled.root / where)
    _fails_and_changes_nothing(compiled, expected.format(path=where))


@pytest.mark.parametrize(
    "case, make, expected",
    [
        ("directory", lambda path: path.mkdir(), "runbook is a directory, not a regular file"),
        ("dangling symlink", lambda path: path.symlink_to("nowhere"), "cannot read runbook: a dangling symlink"),
        (
            "symlink loop",
            lambda path: path.symlink_to(path.name),
            "cannot read runbook: Too many levels of symbolic links",
        ),
        ("fifo", lambda path: os.mkfifo(path), "runbook is a FIFO, not a regular file"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_runbook_path_that_is_not_a_readable_file(compiled, case, make, expected):
    """Runbooks are read by the runbook reader (opened only when an alert needs them), which names the alert."""
    path = compiled.runbooks / "GoodAlert.md"
    path.unlink()
    make(path)
    _fails_and_changes_nothing(compiled, f"runbooks/GoodAlert.md:1:1: alert GoodAlert: runbook: {expected}")


def test_a_runbook_that_is_not_utf8(compiled):
    (compiled.runbooks / "GoodAlert.md").write_bytes(GENERIC_RUNBOOK.encode() + b"\n\xff\xfe\n")
    line = GENERIC_RUNBOOK.count("\n") + 2
    expected = f"runbooks/GoodAlert.md:1:1: alert GoodAlert: runbook: runbook is not UTF-8 text: byte 0xff at line {line}, column 1"
    _fails_and_changes_nothing(compiled, expected)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        (
            "for",
            "300y",
            "alerts/good.yaml:9:10: alert GoodAlert: for: invalid duration '300y': duration out of range (Prometheus durations are at most 292y)",
        ),
        (
            "for",
            "100000y",
            "alerts/good.yaml:9:10: alert GoodAlert: for: invalid duration '100000y': duration out of range (Prometheus durations are at most 292y)",
        ),
    ],
)
def test_durations_past_prometheus_range(compiled, field, value, expected):
    compiled.write_alerts("good.yaml", GOOD.replace("for: 5m", f"for: {value}"))
    _fails_and_changes_nothing(compiled, expected)


def test_keep_firing_for_and_window_past_prometheus_range(compiled):
    compiled.write_alerts("good.yaml", GOOD.replace("    for: 5m\n", "    for: 5m\n    keep_firing_for: 100000y\n"))
    _fails_and_changes_nothing(
        compiled,
        "alerts/good.yaml:10:22: alert GoodAlert: keep_firing_for: invalid duration '100000y': "
        "duration out of range (Prometheus durations are at most 292y)",
    )
    params = "      nulls_metric: a_total\n      lookups_metric: b_total\n      window: 300y\n"
    compiled.write_alerts("good.yaml", alerts_file(alert_yaml("GoodAlert", "null_rate", params)))
    _fails_and_changes_nothing(
        compiled,
        "alerts/good.yaml:13:15: alert GoodAlert: params.window: invalid duration '300y': "
        "duration out of range (Prometheus durations are at most 292y)",
    )


def test_an_alert_name_or_label_name_with_a_trailing_newline(compiled):
    compiled.write_alerts("good.yaml", GOOD.replace("name: GoodAlert", 'name: "GoodAlert\\n"'))
    _fails_and_changes_nothing(
        compiled,
        "alerts/good.yaml:3:11: alert 'GoodAlert\\n': name: invalid alert name 'GoodAlert\\n': "
        "must match [a-zA-Z_][a-zA-Z0-9_]*",
    )
    compiled.write_alerts("good.yaml", GOOD.replace("    for: 5m\n", '    for: 5m\n    labels: {"tier\\n": web}\n'))
    _fails_and_changes_nothing(
        compiled,
        "alerts/good.yaml:10:13: alert GoodAlert: labels: invalid label name 'tier\\n': must match [a-zA-Z_][a-zA-Z0-9_]*",
    )


def _write_config(project, text: str) -> None:
    (project.root / "alertkit.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "alertmanager:\n  group_wait: 100000y\n",
            "alertkit.yaml:2:15: alertmanager.group_wait: invalid duration '100000y': "
            "duration out of range (Prometheus durations are at most 292y)",
        ),
        (
            "alertmanager:\n  repeat_interval: 300y\n",
            "alertkit.yaml:2:20: alertmanager.repeat_interval: invalid duration '300y': "
            "duration out of range (Prometheus durations are at most 292y)",
        ),
        (
            'runbook_base_url: "https://wiki/{{ $labels.x }}/"\n',
            "alertkit.yaml:1:19: runbook_base_url: must not contain '{{' (annotations are Go templates in Prometheus), "
            "got 'https://wiki/{{ $labels.x }}/'",
        ),
        (
            BILLION_LAUGHS,
            "alertkit.yaml:6:25: malformed YAML: document contains excessive aliasing: aliases expand to more than 100000 nodes",
        ),
        ("a: &a [*a]\n", "alertkit.yaml:1:8: malformed YAML: anchor 'a' value contains itself (a recursive alias)"),
    ],
)
def test_bad_configuration_values(compiled, text, expected):
    _write_config(compiled, text)
    _fails_and_changes_nothing(compiled, expected)


def test_configuration_that_is_not_utf8(compiled):
    (compiled.root / "alertkit.yaml").write_bytes(b"runbook_base_url: caf\xe9/\n")
    _fails_and_changes_nothing(
        compiled, "alertkit.yaml:1:22: not UTF-8: invalid byte 0xe9 at byte offset 21; save the file as UTF-8"
    )


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda path: path.mkdir(), "alertkit.yaml: is a directory, expected a file"),
        (
            lambda path: path.symlink_to("gone.yaml"),
            "alertkit.yaml: cannot read: dangling symbolic link (to gone.yaml)",
        ),
    ],
)
def test_configuration_that_is_not_a_file_is_not_silently_ignored(compiled, make, expected):
    make(compiled.root / "alertkit.yaml")
    _fails_and_changes_nothing(compiled, expected)


@pytest.mark.parametrize(
    "out, expected",
    [
        ("/dev/full", "/dev/full: cannot write the build: /dev/full exists and is not a directory"),
        (
            "alerts/good.yaml/build",
            "alerts/good.yaml/build: cannot write the build: alerts/good.yaml exists and is not a directory",
        ),
    ],
)
def test_an_output_that_cannot_be_written_is_a_message_not_an_internal_error(compiled, out, expected):
    _fails_and_changes_nothing(compiled, expected, "--out", out)


@pytest.mark.parametrize("failing_rename", [1, 2, 3, 4, 5, 6])
def test_a_failed_swap_leaves_the_previous_build_whole(compiled, monkeypatch, failing_rename):
    """Renames 1-3 move the old prometheus/, runbooks/, alertmanager/ aside, 4-6 move the new ones in: a
    failure at any of them puts every old directory back (never new rules beside the old Alertmanager config)."""
    compiled.write_alerts("good.yaml", GOOD.replace("up == 0", "up == 2"))
    before = compiled.build_digest()
    real_rename = Path.rename
    calls = []

    def rename(self, target):
        calls.append(self)
        if len(calls) == failing_rename:
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(output.Path, "rename", rename)
    result = compiled.compile()
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "build: cannot write the build: No space left on device; nothing under it was changed" in result.stderr
    assert compiled.build_digest() == before
    assert sorted(p.name for p in compiled.build.iterdir()) == ["alertmanager", "prometheus", "runbooks"]
    assert not list(compiled.root.glob(".build.staging-*"))
    assert compiled.compile().exit_code == 0 and compiled.build_digest() != before


def test_an_unexpected_failure_is_one_line_exit_3_and_no_traceback(compiled, monkeypatch):
    from compiler import memory_build

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(memory_build, "compile_project", broken)
    before = compiled.build_digest()
    result = compiled.compile()
    assert result.exit_code == 3
    assert result.stderr == "internal error: KeyError: 'boom'; please report it with the input that caused it\n"
    assert compiled.build_digest() == before
