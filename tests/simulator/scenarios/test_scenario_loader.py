"""Scenario files: defaults, placement of incidents, and one clear file:line error per bad case."""

import os
from pathlib import Path

import pytest

from common.errors import InputError
from common.problems import Problem
from simulator.scenarios import ScenarioError, load_scenario, parse_scenario

SHIPPED = Path(__file__).resolve().parents[3] / "scenarios"


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.yaml")
    return [str(p) for p in caught.value.problems]


def test_defaults_and_placement_of_a_lagged_incident():
    scenario = parse_scenario(
        """
name: s
duration: 2d
incidents:
  - name: a
    start: 1d2h
    changes: [{parameter: ctr, delta: -0.004, duration: 3h}]
  - name: b
    after: a
    lag: 6h
    changes: [{parameter: cache_hit_ratio, delta: -0.1}]
"""
    )
    assert scenario.scrape_interval_ms == 15_000
    assert scenario.evaluation_interval_ms == 60_000
    a, b = scenario.incidents
    assert a.start_ms == (26 * 3600) * 1000 and a.end_ms == (29 * 3600) * 1000
    assert b.start_ms == (32 * 3600) * 1000
    assert b.end_ms == 2 * 86400 * 1000  # no duration: lasts to the scenario end
    assert b.window_end_ms == b.end_ms + 2 * 3600 * 1000  # default settle 2h


def test_every_shipped_scenario_loads_under_its_own_name():
    # Whatever scenarios the team keeps (no names, no count): each loads, and names are unique (reports key on them).
    names = [load_scenario(path).name for path in SHIPPED.glob("*.yaml")]
    assert len(names) == len(set(names))


def test_unknown_parameter_names_its_line():
    text = "name: s\nduration: 1d\nincidents:\n  - name: a\n    start: 1h\n    changes:\n      - {parameter: ctrr, delta: 1}\n"
    [problem] = problems_of(text)
    assert problem.startswith("bad.yaml:7:10: unknown parameter 'ctrr'")


def test_unknown_metric_in_a_fault():
    text = "name: s\nduration: 1d\nfaults:\n  - kind: counter_reset\n    at: 1h\n    metrics: [ranker_request_total]\n"
    [problem] = problems_of(text)
    assert problem.startswith("bad.yaml:6:5: unknown metric 'ranker_request_total'")


def test_unknown_key_is_an_error_not_ignored():
    [problem] = problems_of("name: s\nduration: 1d\nbaseline:\n  ctr: 0.05\n  cache_hit: 0.9\n")
    assert problem == (
        "bad.yaml:5:3: baseline.cache_hit: unknown key 'cache_hit'; allowed: request_rate, cache_hit_ratio, "
        "latency, features, model_score, ctr, impressions_per_request, experiments"
    )


def test_incident_outside_the_span():
    text = "name: s\nduration: 1d\nincidents:\n  - name: late\n    start: 1d1h\n    changes: [{parameter: ctr, delta: 1}]\n"
    [problem] = problems_of(text)
    assert problem == "bad.yaml:5:5: incident 'late' starts at 1d1h, outside the scenario span [0s, 1d)"


def test_lagged_incident_pushed_outside_the_span():
    text = (
        "name: s\nduration: 1d\nincidents:\n  - name: a\n    start: 20h\n    changes: [{parameter: ctr, delta: 1}]\n"
        "  - name: b\n    after: a\n    lag: 5h\n    changes: [{parameter: ctr, delta: 1}]\n"
    )
    [problem] = problems_of(text)
    assert problem.startswith("bad.yaml:9:5: incident 'b' starts at 1d1h")


def test_duplicate_incident_names():
    text = (
        "name: s\nduration: 1d\nincidents:\n  - name: a\n    start: 1h\n    changes: [{parameter: ctr, delta: 1}]\n"
        "  - name: a\n    start: 2h\n    changes: [{parameter: ctr, delta: 1}]\n"
    )
    [problem] = problems_of(text)
    assert problem == "bad.yaml:7:5: duplicate incident name 'a' (first at line 4)"


def test_duplicate_yaml_keys():
    [problem] = problems_of("name: s\nduration: 1d\nseed: 1\nseed: 2\n")
    assert problem == "bad.yaml:4:1: duplicate key 'seed'"


@pytest.mark.parametrize(
    "value, message",
    [
        ("0s", "scrape_interval must be positive"),
        ("-15s", 'not a valid duration string: "-15s"; write a Prometheus duration such as 15s'),
    ],
)
def test_zero_or_negative_intervals(value, message):
    [problem] = problems_of(f"name: s\nduration: 1d\nscrape_interval: {value}\n")
    assert problem.startswith("bad.yaml:3:1: ") and message in problem


def test_zero_evaluation_interval():
    [problem] = problems_of("name: s\nduration: 1d\nevaluation_interval: 0m\n")
    assert problem == "bad.yaml:3:1: evaluation_interval must be positive"


def test_duration_without_unit():
    [problem] = problems_of("name: s\nduration: 14\n")
    assert problem.startswith("bad.yaml:2:1: duration: invalid duration 14")


def test_after_an_unknown_incident_and_cycles():
    text = (
        "name: s\nduration: 1d\nincidents:\n"
        "  - name: a\n    after: b\n    changes: [{parameter: ctr, delta: 1}]\n"
        "  - name: b\n    after: a\n    changes: [{parameter: ctr, delta: 1}]\n"
        "  - name: c\n    after: zz\n    changes: [{parameter: ctr, delta: 1}]\n"
    )
    problems = problems_of(text)
    assert any("cycle" in p for p in problems)
    assert "bad.yaml:11:5: incident 'c' is after unknown incident 'zz'" in problems


def test_shape_parameters_are_checked():
    text = (
        "name: s\nduration: 1d\nincidents:\n  - name: a\n    start: 1h\n    changes:\n"
        "      - {parameter: ctr, delta: 1, shape: exp_decay, duration: 1h}\n"
    )
    [problem] = problems_of(text)
    assert problem.startswith("bad.yaml:7:9: ") and "exp_decay needs tau and duration" in problem


def test_every_problem_is_reported_at_once():
    text = "name: s\nduration: 1d\nscrape_interval: 0s\nincidents:\n  - name: a\n    start: 2d\n    changes: [{parameter: nope, delta: 1}]\n"
    assert len(problems_of(text)) == 3


def test_invalid_yaml_has_a_line():
    [problem] = problems_of("name: s\nduration: [1d\n")
    assert problem == "bad.yaml:3:1: malformed YAML: did not find expected ',' or ']'"


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "absent.yaml")
    assert str(caught.value) == f"{tmp_path / 'absent.yaml'}: no such file"
    # An InputError like every other bad input, carrying the project's one Problem type.
    assert isinstance(caught.value, InputError)
    assert all(isinstance(p, Problem) for p in caught.value.problems)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _dangling(path: Path) -> Path:
    path.symlink_to(path.parent / "gone.yaml")
    return path


def _binary(path: Path) -> Path:
    path.write_bytes(b"name: s\nduration: 1d\x00\n")
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.mkdir() or p, "is a directory, expected a file"),
        (_fifo, "not a regular file (a device, FIFO or socket), expected a file"),
        (_dangling, "cannot read: dangling symbolic link (to {parent}/gone.yaml)"),
        (_binary, "2:13: binary file, not text: NUL byte at byte offset 20"),
    ],
    ids=["directory", "fifo", "dangling-symlink", "binary"],
)
def test_unreadable_scenario_files_are_refused_with_the_common_messages(tmp_path, make, message):
    path = make(tmp_path / "s.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    separator = "" if message[0].isdigit() else " "
    assert str(caught.value) == f"{path}:{separator}{message.format(parent=tmp_path)}"


def test_empty_file_and_duplicate_keys_are_refused():
    assert problems_of("") == ["bad.yaml:1:1: the scenario file is empty"]
    assert problems_of("name: s\nduration: 1d\nname: t\n") == ["bad.yaml:3:1: duplicate key 'name'"]
    assert problems_of("- 1\n") == ["bad.yaml:1:1: a scenario must be a YAML mapping"]


def test_scenario_durations_print_like_prometheus():
    # model.Duration.String(): weeks only when they divide the duration, never 1w1d.
    [eight_days] = problems_of(
        "name: s\nduration: 1d\nincidents:\n  - {name: a, start: 8d, changes: [{parameter: ctr, delta: 0}]}\n"
    )
    assert "starts at 8d, outside the scenario span [0s, 1d)" in eight_days
    [two_weeks] = problems_of(
        "name: s\nduration: 1d\nincidents:\n  - {name: a, start: 14d, changes: [{parameter: ctr, delta: 0}]}\n"
    )
    assert "starts at 2w, outside the scenario span [0s, 1d)" in two_weeks


def test_latency_targets_must_stay_ordered_over_the_day():
    [problem] = problems_of("name: s\nduration: 1d\nbaseline:\n  latency: {p50: 0.01, p50_amplitude: 0.02}\n")
    assert problem.startswith("bad.yaml:4:3: baseline.latency: ") and "p50 must stay positive" in problem
    [problem] = problems_of("name: s\nduration: 1d\nbaseline:\n  latency: {p50: 0.1, p99: 0.09}\n")
    assert "p99 must stay above p50" in problem
