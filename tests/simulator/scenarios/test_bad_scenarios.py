"""The scenario part of the bad-input catalog (issue 7, section 8): every case is refused with a
file:line:col message and the bad-input exit status, before anything is allocated or written."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from common.yamlsource import MAX_ALIAS_EXPANSION, MAX_DEPTH
from compiler.cli import INPUT_ERROR_EXIT
from compiler.cli import main as alertkit
from simulator.scenarios import load_scenario
from simulator.scenarios.loader import MAX_EVALUATION_STEPS, MAX_SAMPLES

RULES = Path(__file__).resolve().parent / "fixtures"


def after_chain(length: int, last_after: str | None = None) -> str:
    lines = [
        "name: s",
        "duration: 2d",
        "incidents:",
        "  - {name: i0, start: 1h, changes: [{parameter: ctr, delta: 0}]}",
    ]
    for i in range(1, length):
        after = last_after if (last_after and i == length - 1) else f"i{i - 1}"
        lines.append(f"  - {{name: i{i}, after: {after}, lag: 1s, changes: [{{parameter: ctr, delta: 0}}]}}")
    return "\n".join(lines) + "\n"


def alias_bomb() -> str:
    rows = ['  a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        rows.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "name: s\nduration: 1d\nbomb:\n" + "\n".join(rows) + "\n"


CASES = {
    "deep-nesting": (
        "name: s\nduration: 1d\nbaseline:\n  ctr: " + "[" * 200 + "]" * 200 + "\n",
        # The mapping and `baseline` are two levels: the bracket that opens level MAX_DEPTH + 1 is refused.
        [f"4:{8 + MAX_DEPTH - 2}: malformed YAML: nesting deeper than {MAX_DEPTH} levels is not allowed"],
    ),
    "after-chain-5000": (
        after_chain(5000, last_after="nowhere"),
        ["5003:19: incident 'i4999' is after unknown incident 'nowhere'"],
    ),
    "duration-10y": (
        "name: s\nduration: 10y\n",
        [
            f"2:1: this scenario would generate 777,888,037 samples (37 series x 21,024,001 scrapes of 15s over "
            f"10y); the limit is {MAX_SAMPLES:,}: shorten duration, lengthen scrape_interval or declare fewer series",
            f"2:1: this scenario would need 5,256,001 rule evaluation steps (10y / 1m); the limit is "
            f"{MAX_EVALUATION_STEPS:,}: shorten duration or lengthen evaluation_interval",
        ],
    ),
    "scrape-1ms": (
        "name: s\nduration: 1d\nscrape_interval: 1ms\n",
        ["3:1: this scenario would generate 3,196,800,037 samples (37 series x 86,400,001 scrapes of 1ms over 1d)"],
    ),
    "evaluation-1ms": (
        "name: s\nduration: 1d\nevaluation_interval: 1ms\n",
        ["3:1: this scenario would need 86,400,001 rule evaluation steps (1d / 1ms)"],
    ),
    "duration-100000y": (
        "name: s\nduration: 100000y\n",
        # Past Go's time.Duration (about 292y), as Prometheus refuses it.
        ["2:1: duration: duration out of range"],
    ),
    "request-rate-1e18": (
        "name: s\nduration: 1d\nbaseline:\n  request_rate: {base: 1e18}\n",
        ["4:18: baseline.request_rate.base: Input should be less than or equal to 1000000000"],
    ),
    "declared-rate-1e18": (
        "name: s\nduration: 1d\nseries:\n  - {name: x_total, kind: counter, rate: 1e18}\n",
        ["4:5: series.0: rate base must be within [0, 1e+09] per second"],
    ),
    "nan-delta": (
        "name: s\nduration: 1d\nincidents:\n  - name: a\n    start: 1h\n    changes: [{parameter: ctr, delta: .nan}]\n",
        ["6:32: incidents.0.changes.0.delta: must be a finite number (not NaN or infinity)"],
    ),
    "negative-seed": ("name: s\nduration: 1d\nseed: -1\n", ["3:1: seed: Input should be greater than or equal to 0"]),
    "nan-and-infinite-baseline": (
        "name: s\nduration: 1d\nbaseline:\n  model_score: {mean: .nan, stddev: .inf}\n",
        [
            "4:17: baseline.model_score.mean: must be a finite number (not NaN or infinity)",
            "4:29: baseline.model_score.stddev: must be a finite number (not NaN or infinity)",
        ],
    ),
    "non-utf8": (
        b"name: s\nduration: 1d\ndescription: caf\xe9\n",
        ["3:17: not UTF-8: invalid byte 0xe9 at byte offset 37; save the file as UTF-8"],
    ),
    "alias-bomb": (
        alias_bomb(),
        [
            "9:10: malformed YAML: document contains excessive aliasing: aliases expand to more than "
            f"{MAX_ALIAS_EXPANSION} nodes"
        ],
    ),
    "every-problem-at-once": (
        "name: s\nduration: 1d\nseeed: 1\nbaseline:\n  ctr: 2\nseries:\n  - {name: x, kind: gauge, rate: 1}\n",
        [
            "3:1: seeed: unknown key 'seeed'; allowed: version, name, description, duration, scrape_interval, "
            "evaluation_interval, seed, settle, max_false_positives, baseline, series, incidents, faults, events",
            "5:3: baseline.ctr: Input should be less than or equal to 1",
            "7:5: series.0: a gauge needs value",
        ],
    ),
}


def write_case(tmp_path: Path, name: str) -> Path:
    content = CASES[name][0]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("command", ["simulate", "export-promtool"])
def test_bad_scenario_is_refused_with_its_position(tmp_path, name, command):
    path = write_case(tmp_path, name)
    before = path.read_bytes()
    out = tmp_path / "out" / "check.test.yml"
    args = [command, str(path), "--rules", str(RULES)] + (["--out", str(out)] if command == "export-promtool" else [])
    result = CliRunner().invoke(alertkit, args)
    assert result.exit_code == INPUT_ERROR_EXIT[command], result.output
    lines = result.output.splitlines()
    expected = CASES[name][1]
    assert len(lines) == len(expected), result.output
    for line, wanted in zip(lines, expected, strict=True):
        assert line.startswith(f"{path}:{wanted}"), line
    assert "Traceback" not in result.output and "please report" not in result.output
    assert path.read_bytes() == before and not out.parent.exists()


def test_a_5000_long_after_chain_is_placed_without_recursion(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(after_chain(5000))
    scenario = load_scenario(path)
    assert len(scenario.incidents) == 5000
    assert scenario.incidents[-1].start_ms == 3600_000 + 4999 * 1000
