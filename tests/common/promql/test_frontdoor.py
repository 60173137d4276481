"""The PromQL front door: issue 7's reproductions, each judged by promtool 2.42 where it can be.

- the compiler accepted functions and syntax newer than 2.42 and refused holt_winters;
- the rule loader refused a rule file using holt_winters;
- a recording rule `x @ -60` returned a value where promtool returns nothing;
- regex rewrites changed string literals and refused `up{job!="user@-1"}`;
- 10,000 nested parentheses crashed compile, `simulate --rules` and `test` inside promql-parser;
- a many-to-many matching error named no file, rule or time.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from common.promql.frontdoor import MAX_NESTING_DEPTH, PromQLSyntaxError, check_promql, parse_promql
from compiler.cli import main as alertkit
from simulator.promql.engine import instant_query
from simulator.promql.model import labels_from_dict
from simulator.promql.storage import Storage
from simulator.promtool.runner import run_test_file
from simulator.rules.loader import RuleFileError, load_rule_files
from simulator.rules.queries import default_query

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "compiler"))
from compiler_testkit import GENERIC_RUNBOOK  # noqa: E402
from promtool_check import promtool_verdicts  # noqa: E402

PROMTOOL = "/usr/bin/promtool"
DEEP = "(" * 10_000 + "up" + ")" * 10_000


def write_project(root: Path, expr: str) -> None:
    """One raw alert `Bad` whose expression is `expr`, written as a plain one-line YAML scalar."""
    (root / "alerts").mkdir()
    (root / "runbooks").mkdir()
    (root / "alerts" / "a.yaml").write_text(
        "apiVersion: alertkit/v1\nalerts:\n  - name: Bad\n    kind: raw\n    team: ranking\n    severity: ticket\n"
        f"    summary: s\n    description: d\n    for: 5m\n    params:\n      expr: {expr}\n"
    )
    (root / "runbooks" / "Bad.md").write_text(GENERIC_RUNBOOK)


def compile_project(root: Path):
    args = ["compile", "--alerts", str(root / "alerts"), "--runbooks", str(root / "runbooks")]
    return CliRunner().invoke(alertkit, [*args, "--out", str(root / "build")], catch_exceptions=False)


@pytest.mark.parametrize(
    ("expr", "column", "message"),
    [
        ('sort_by_label(up, "job")', 13, 'unknown function with name "sort_by_label"'),
        ("sum(limitk(2, up))", 17, 'unknown function with name "limitk"'),
        (
            "double_exponential_smoothing(up[5m], 0.5, 0.5)",
            13,
            'unknown function with name "double_exponential_smoothing"',
        ),
        ('up{job="a" or job="b"}', 24, 'unexpected identifier "or" in label matching, expected "," or "}"'),
        ("abs(up, up)", 13, 'expected 1 argument(s) in call to "abs", got 2'),
        ("rate(up) > 1", 18, 'expected type range vector in call to function "rate", got instant vector'),
    ],
)
def test_compile_refuses_what_2_42_refuses_at_the_bad_token(tmp_path, expr, column, message):
    write_project(tmp_path, expr)
    (promtool_error,) = _promtool_errors([expr])
    assert promtool_error is not None and promtool_error.endswith(message)

    result = compile_project(tmp_path)

    assert result.exit_code == 1
    expected = f"{tmp_path / 'alerts'}/a.yaml:11:{column}: alert Bad: params.expr: PromQL syntax error: {message}"
    assert expected in result.output.replace("alerts/a.yaml", f"{tmp_path / 'alerts'}/a.yaml")
    assert not (tmp_path / "build").exists()


def test_compile_accepts_holt_winters_and_writes_it_as_written(tmp_path):
    expr = "holt_winters(up[10m], 0.5, 0.5) > 1"
    assert _promtool_errors([expr]) == [None]
    write_project(tmp_path, expr)

    result = compile_project(tmp_path)

    assert result.exit_code == 0, result.output
    written = "\n".join(p.read_text() for p in (tmp_path / "build").rglob("*.yml"))
    assert expr in written and "double_exponential_smoothing" not in written


def test_rule_loader_loads_holt_winters(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text(
        "groups:\n  - name: g\n    rules:\n      - record: hw\n        expr: holt_winters(x[10m], 0.3, 0.7)\n"
    )
    (group,) = load_rule_files([path])
    assert group.rules[0].expr == "holt_winters(x[10m], 0.3, 0.7)"


def test_rule_loader_refuses_newer_functions_like_promtool(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text('groups:\n  - name: g\n    rules:\n      - record: s\n        expr: sort_by_label(x, "a")\n')
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([path])
    assert 'could not parse expression: 1:1: parse error: unknown function with name "sort_by_label"' in str(
        caught.value
    )


def test_recording_rule_at_a_negative_time_returns_nothing_like_promtool(tmp_path):
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - record: past\n        expr: x @ -60\n"
        "      - record: shifted\n        expr: x @ -60 offset -3m\n"
    )
    (tmp_path / "test.yml").write_text(
        yaml.safe_dump(
            {
                "rule_files": ["rules.yml"],
                "evaluation_interval": "1m",
                "tests": [
                    {
                        "interval": "1m",
                        "input_series": [{"series": "x", "values": "1+1x10"}],
                        "promql_expr_test": [
                            {"expr": "past", "eval_time": "5m", "exp_samples": []},
                            {"expr": "shifted", "eval_time": "5m", "exp_samples": [{"labels": "shifted", "value": 3}]},
                        ],
                    }
                ],
            }
        )
    )
    judge = subprocess.run([PROMTOOL, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert judge.returncode == 0, judge.stdout + judge.stderr

    result = run_test_file(str(tmp_path / "test.yml"))

    assert result.ok


def test_the_rule_query_path_keeps_the_sign_of_negative_at():
    storage = Storage()
    storage.add(labels_from_dict({"__name__": "x"}), np.array([0, 60_000]), np.array([1.0, 2.0]))
    from simulator.promql.model import Grid

    grid = Grid.at(120_000)
    assert not default_query("x @ -60", storage, grid).present.any()
    assert default_query("x @ 60", storage, grid).present.all()


def test_string_literals_are_never_rewritten():
    storage = Storage()
    storage.add(labels_from_dict({"__name__": "up", "job": "user@-1"}), np.array([0]), np.array([1.0]))
    relabelled = instant_query('label_replace(up, "dst", "holt_winters(", "job", "(.*)")', storage, 0)
    assert dict(relabelled.labels[0])["dst"] == "holt_winters("
    assert not instant_query('up{job!="user@-1"}', storage, 0).present.any()
    assert instant_query('up{job="user@-1"}', storage, 0).present.all()
    assert _promtool_errors(['up{job!="user@-1"}', 'label_replace(up, "dst", "holt_winters(", "job", "(.*)")']) == [
        None,
        None,
    ]


def test_errors_carry_line_and_column_in_utf8_bytes_like_promtool():
    expr = 'label_replace(up, "é", "x", "job", ".*")\n  + rate(up)'
    with pytest.raises(PromQLSyntaxError) as caught:
        parse_promql(expr)
    assert (caught.value.line, caught.value.column) == (2, 10)
    assert _promtool_errors([expr]) == [str(caught.value)]


def test_nesting_is_bounded_before_promql_parser_sees_the_text():
    inside = "(" * (MAX_NESTING_DEPTH - 1) + "up" + ")" * (MAX_NESTING_DEPTH - 1)
    assert check_promql(inside) is not None and parse_promql(inside) is not None
    with pytest.raises(PromQLSyntaxError, match=f"nested more than {MAX_NESTING_DEPTH} levels deep"):
        parse_promql(DEEP)


# --- the crash case: every command, in a child process held under 2 GB ---------------------------


def _alertkit(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-c", "from compiler.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_memory,
    )


def test_deep_nesting_is_a_clear_error_in_compile(tmp_path):
    write_project(tmp_path, DEEP)
    done = _alertkit(["compile", "--alerts", "alerts", "--runbooks", "runbooks", "--out", "build"], tmp_path)
    assert done.returncode == 1, done.stderr
    assert (
        f"alerts/a.yaml:11:{13 + MAX_NESTING_DEPTH}: alert Bad: params.expr: PromQL syntax error: expression nested"
        in done.stderr
    )
    assert "Traceback" not in done.stdout + done.stderr and not (tmp_path / "build").exists()


def test_deep_nesting_is_a_clear_error_in_simulate_and_test(tmp_path):
    (tmp_path / "rules").mkdir()
    rules = tmp_path / "rules" / "deep.yml"
    rules.write_text(f"groups:\n  - name: g\n    rules:\n      - record: deep\n        expr: {DEEP}\n")
    (tmp_path / "s.yaml").write_text("name: plain\nduration: 1h\n")
    (tmp_path / "t.yml").write_text(
        "rule_files: [rules/deep.yml]\ntests:\n  - interval: 1m\n    input_series: []\n"
        "    promql_expr_test:\n      - expr: deep\n        eval_time: 0m\n        exp_samples: []\n"
    )
    message = f'group "g", rule 1, "deep": could not parse expression: 1:{MAX_NESTING_DEPTH + 1}: parse error: expression nested'
    for args in (["simulate", "s.yaml", "--rules", "rules"], ["test", "t.yml"]):
        done = _alertkit(args, tmp_path)
        assert done.returncode not in (0, -11), (args, done.returncode, done.stderr)
        assert message in done.stdout + done.stderr, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr


def test_deep_nesting_in_a_test_files_series_is_promtools_error(tmp_path):
    (tmp_path / "t.yml").write_text(
        f"tests:\n  - interval: 1m\n    input_series:\n      - series: '{DEEP}'\n        values: '1 2'\n"
        "    promql_expr_test:\n      - expr: up\n        eval_time: 0m\n        exp_samples: []\n"
    )
    judge = subprocess.run([PROMTOOL, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True)
    message = '1:1: parse error: unexpected "(" in series values'
    assert message in judge.stdout + judge.stderr
    done = _alertkit(["test", "t.yml"], tmp_path)
    assert done.returncode == 1 and message in done.stdout + done.stderr, (done.returncode, done.stderr[-500:])


# --- no location ----------------------------------------------------------------------------------


def test_a_many_to_many_error_names_file_group_rule_and_time(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(
        "groups:\n  - name: broken\n    rules:\n      - record: job:clash\n        expr: >-\n"
        '          vector(1) * on() (label_replace(vector(1), "a", "x", "", "")\n'
        '          or label_replace(vector(1), "a", "y", "", ""))\n'
    )
    (tmp_path / "s.yaml").write_text("name: plain\nduration: 1h\n")
    result = CliRunner().invoke(alertkit, ["simulate", str(tmp_path / "s.yaml"), "--rules", str(tmp_path / "rules")])
    assert result.exit_code == 2
    assert (
        f'{tmp_path / "rules" / "r.yml"}: group "broken", rule "job:clash": evaluation at 0s failed: '
        "found duplicate series for the match group {} on the right hand-side of the operation"
    ) in result.output


def _promtool_errors(expressions: list[str]) -> list[str | None]:
    return promtool_verdicts(expressions)
