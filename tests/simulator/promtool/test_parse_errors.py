"""Syntax errors in rule files are worded as promql/parser (Go) words them, where that can be
done faithfully: errors at the end of the input. promtool 2.42 is the judge."""

import json
import re
import subprocess

from simulator.rules.loader import RuleFileError, load_rule_files

AT_END_OF_INPUT = [
    "test +",
    "test + ",
    "rate(",
    "sum(x",
    "x{",
    "x[5m",
    "1 +",
    "(x",
    "sum by (a",
    "up ==",
    "x offset",
    "rate(x[5m]",
    "a and",
    "a /  ",
    "x >",
    "x * on(a)",
    "x\n+",
    "a +\n",
    "a unless",
    "- ",
    "a or on()",
    "sum(rate(x[5m])) /\n  on (job) group_left",
    "a * on",
    "a * ignoring",
    "sum without",
    "a * on(x) group_right ",
    "sum(x) by",
    "a > bool",
]


def _rules_file(tmp_path, exprs):
    lines = ["groups:", "  - name: g", "    rules:"]
    for index, expr in enumerate(exprs):
        lines += [f"      - record: r{index}", f"        expr: {json.dumps(expr)}"]
    path = tmp_path / "bad.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _promtool_messages(path) -> list[str]:
    done = subprocess.run(
        ["/usr/bin/promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    return re.findall(r"could not parse expression: (.*)", done.stdout + done.stderr)


def _our_messages(path) -> list[str]:
    try:
        load_rule_files([str(path)])
    except RuleFileError as error:
        return [p.message.split("could not parse expression: ", 1)[1] for p in error.problems]
    raise AssertionError("the rule file loaded")


def test_end_of_input_errors_match_promtool(tmp_path):
    path = _rules_file(tmp_path, AT_END_OF_INPUT)
    ours = _our_messages(path)
    assert ours == _promtool_messages(path)
    assert (
        ours[0] == "1:7: parse error: unexpected end of input"
        and ours[17] == "2:1: parse error: unexpected end of input"
    )
