"""Our engine's answers versus promtool 2.42's, for many test groups in one promtool call.

Each case becomes a `promql_expr_test` whose exp_samples are our answer. promtool passes a case
only if every label set and float is equal (2.42 compares with ==), and prints
`got: <labels> <FormatFloat 'E'>` for a case it fails. So:

- our answer without NaN: the case must pass;
- our answer holding a NaN (a NaN expectation never passes in 2.42, since NaN != NaN): the case
  fails and promtool's printed `got:` must be exactly our answer printed the same way
  (shortest round-trip digits, so bit-exact);
- our engine rejecting the query (PromQLError): promtool must report `err:` for the case.
"""

from __future__ import annotations

import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from diff_strategies import CaseGroup

from common.durations import format_duration
from simulator.promql.engine import instant_query
from simulator.promql.model import PromQLError, ScalarOverGrid
from simulator.promql.storage import Storage
from simulator.promtool.formatting import format_float_e, go_quote, labels_string
from simulator.promtool.notation import parse_input_series, parse_values, samples_from_slots

PROMTOOL = "/usr/bin/promtool"
# A last case far after the data: promtool loads input only up to the last evaluation_interval
# step at or before the largest eval_time (unittest.go), so this makes it load every sample.
LOADING_SENTINEL_S = 6 * 3600


@dataclass
class Answer:
    """Our engine's answer to one case: sorted (labels, value) samples, or an error message."""

    expr: str
    eval_time_s: int
    samples: list[tuple[tuple, float]] | None
    error: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """How promtool names the case in its failure text: quoted expr and model.Duration."""
        return go_quote(self.expr), format_duration(self.eval_time_s * 1000)

    @property
    def has_nan(self) -> bool:
        return any(math.isnan(value) for _, value in self.samples or [])

    def got_text(self) -> str:
        """parsedSamplesString of unittest.go for our samples."""
        if not self.samples:
            return "nil"
        return ", ".join(f"{labels_string(labels)} {format_float_e(value)}" for labels, value in self.samples)


@dataclass
class Disagreement:
    group: CaseGroup
    answer: Answer
    promtool_says: str

    def __str__(self) -> str:
        ours = f"error: {self.answer.error}" if self.answer.error else self.answer.got_text()
        series = "\n".join(f"      {selector}: {values}" for selector, values in self.group.series.items())
        return (
            f"expr {self.answer.expr!r} at {self.answer.eval_time_s}s (interval {self.group.interval_s}s, "
            f"evaluation_interval {self.group.evaluation_interval_s}s)\n  ours:     {ours}\n"
            f"  promtool: {self.promtool_says}\n  series:\n{series}"
        )


def build_storage(group: CaseGroup) -> Storage:
    """The group's input series as promtool loads them (the product's notation reader)."""
    storage = Storage()
    for selector, values in group.series.items():
        times, floats = samples_from_slots(parse_values(values), group.interval_s * 1000)
        if len(times):
            storage.add(parse_input_series(selector, values), times, floats)
    return storage


def our_answers(group: CaseGroup) -> list[Answer]:
    storage = build_storage(group)
    return [_answer(storage, expr, t_s, group.evaluation_interval_s) for expr, t_s in group.cases]


def _answer(storage: Storage, expr: str, t_s: int, evaluation_interval_s: int) -> Answer:
    try:
        # promtool's test engine steps a subquery without its own step by evaluation_interval.
        result = instant_query(expr, storage, t_s * 1000, subquery_step_ms=evaluation_interval_s * 1000)
    except PromQLError as error:
        return Answer(expr, t_s, None, str(error))
    if isinstance(result, ScalarOverGrid):
        return Answer(expr, t_s, [((), float(np.asarray(result.values).reshape(-1)[-1]))])
    samples = [
        (labels, float(result.values[row, -1])) for row, labels in enumerate(result.labels) if result.present[row, -1]
    ]
    return Answer(expr, t_s, sorted(samples, key=lambda sample: sample[0]))


def test_file_text(group: CaseGroup, answers: list[Answer]) -> str:
    """A promtool unit-test file: the group's series and one promql_expr_test per answer."""
    lines = [
        "rule_files: []",
        f"evaluation_interval: {group.evaluation_interval_s}s",
        "tests:",
        f"  - interval: {group.interval_s}s",
        "    input_series:",
    ]
    for selector, values in group.series.items():
        lines += [f"      - series: {_yaml_string(selector)}", f"        values: {_yaml_string(values)}"]
    lines.append("    promql_expr_test:")
    for answer in answers:
        lines += [f"      - expr: {_yaml_string(answer.expr)}", f"        eval_time: {answer.eval_time_s}s"]
        if not answer.samples:
            lines.append("        exp_samples: []")
            continue
        lines.append("        exp_samples:")
        for labels, value in answer.samples:
            # Every label inside the braces: __name__ may not be a valid metric name (label_replace).
            lines += [
                f"          - labels: {_yaml_string(labels_string(labels))}",
                f"            value: {_yaml_float(value)}",
            ]
    lines += [
        "      - expr: vector(1)",
        f"        eval_time: {LOADING_SENTINEL_S}s",
        "        exp_samples:",
        "          - labels: '{}'",
        "            value: 1",
    ]
    return "\n".join(lines) + "\n"


def _yaml_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _yaml_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


# ---------------------------------------------------------------------------------------------
# promtool's output

_FILE_HEADER = re.compile(r"^Unit Testing:\s+(?P<path>\S+)$", re.MULTILINE)
_CASE_FAILURE = re.compile(
    r'^    expr: (?P<expr>"(?:[^"\\]|\\.)*"), time: (?P<time>\S+?),'
    r"(?: err: (?P<err>.*)|\n        exp: .*\n        got: (?P<got>.*))$",
    re.MULTILINE,
)


def failures_by_case(output: str, paths: list[Path]) -> dict[Path, dict[tuple[str, str], str]]:
    """For each file, the failed cases: (quoted expr, time) → "err: ..." or the got text."""
    sections = {}
    headers = list(_FILE_HEADER.finditer(output))
    for i, header in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(output)
        body = output[header.end() : end]
        matches = list(_CASE_FAILURE.finditer(body))
        failures = {(m["expr"], m["time"]): (f"err: {m['err']}" if m["err"] is not None else m["got"]) for m in matches}
        # A failure we could not read must not pass for an agreement.
        unexplained = ("FAILED" in body and not failures) or body.count("\n    expr: ") != len(matches)
        sections[Path(header["path"])] = failures if not unexplained else {("", ""): body.strip()}
    missing = [p for p in paths if p not in sections]
    if missing:
        raise AssertionError(f"promtool printed nothing for {missing[:3]}; output:\n{output[-3000:]}")
    return sections


def run_promtool(paths: list[Path], processes: int = 2) -> str:
    """`promtool test rules` on the files, split over a few processes; stdout and stderr merged
    in order (promtool prints a file's header on stdout and its failures on stderr)."""
    chunks = [paths[i::processes] for i in range(processes) if paths[i::processes]]

    def run(chunk: list[Path]) -> str:
        done = subprocess.run(
            [PROMTOOL, "test", "rules", *map(str, chunk)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        return done.stdout

    with ThreadPoolExecutor(len(chunks)) as pool:
        return "".join(pool.map(run, chunks))


def disagreements(groups: list[CaseGroup], answers: list[list[Answer]], workdir: Path) -> list[Disagreement]:
    """Write every group to its own file, run promtool once (per process) and compare."""
    paths = []
    for index, (group, group_answers) in enumerate(zip(groups, answers)):
        path = workdir / f"group_{index:04d}.yml"
        path.write_text(test_file_text(group, group_answers))
        paths.append(path)
    failures = failures_by_case(run_promtool(paths), paths)
    found = []
    for group, group_answers, path in zip(groups, answers, paths):
        failed = dict(failures[path])
        for answer in group_answers:
            promtool_says = failed.pop(answer.key, None)
            if not _agrees(answer, promtool_says):
                found.append(Disagreement(group, answer, promtool_says or "passed (our values)"))
        for (expr, time), text in failed.items():
            found.append(Disagreement(group, Answer(expr, 0, None, "no such case of ours"), f"{time}: {text}"))
    return found


def _agrees(answer: Answer, promtool_says: str | None) -> bool:
    if answer.error is not None:
        return promtool_says is not None and promtool_says.startswith("err: ")
    if answer.has_nan:
        return promtool_says == answer.got_text()
    return promtool_says is None
