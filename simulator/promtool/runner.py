"""Running promtool unit-test files (cmd/promtool/unittest.go at v2.42.0) on the grid evaluator.

promtool evaluates every rule group at 0, I, 2I, ... up to the largest eval_time, checking alert
tests along the way, then runs the PromQL tests as instant queries. We evaluate each rule over
that whole grid at once and then read the alert state at each tested step.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from common.durations import format_duration, format_go_duration
from common.errors import SourceError
from common.yamlsource import read_source_text
from simulator.promql.maxsamples import PROMTOOL_MAX_SAMPLES
from simulator.promql.model import Grid, Labels, PromQLError, ScalarOverGrid, VectorOverGrid
from simulator.promql.storage import Storage
from simulator.rules.group import (
    RulesEvaluation,
    default_instant_query,
    default_query,
    evaluate_rule_groups,
    rule_errors_at,
)
from simulator.rules.loader import RuleFileError, load_rule_files
from simulator.rules.model import RuleGroup
from simulator.rules.outputs import RuleEvaluationError
from simulator.rules.templates import gotemplate_expander

from .formatting import format_float_e, go_quote, labels_string
from .notation import NotationError, input_series_samples, parse_series_labels
from .testfile import AlertTestCase, TestFile, TestFileError, TestGroup, parse_test_file

PASSED, FAILED, ERROR, UNSUPPORTED = "passed", "failed", "error", "unsupported"


@dataclass
class CaseResult:
    """One alert_rule_test or promql_expr_test entry and its outcome."""

    group_index: int
    kind: str  # "alert" or "promql"
    index: int  # position among the group's tests of that kind
    title: str  # "InstanceDown @5m" or "expr up @0s"
    status: str = PASSED
    detail: str = ""


@dataclass
class GroupResult:
    index: int
    name: str
    cases: list[CaseResult]
    messages: list[str] = field(default_factory=list)  # promtool's failure text, in its order
    evaluation: RulesEvaluation | None = None

    @property
    def ok(self) -> bool:
        return not self.messages and all(case.status == PASSED for case in self.cases)


@dataclass
class FileResult:
    path: str
    groups: list[GroupResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # alertkit's own explanations (e.g. a field newer than 2.42), shown after promtool's text.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(group.ok for group in self.groups)

    @property
    def messages(self) -> list[str]:
        return self.file_errors + [m for group in self.groups for m in group.messages]


@dataclass
class Engines:
    """The evaluator pieces the runner uses (injectable for tests)."""

    query: Callable[..., Any] = default_query
    instant_query: Callable[..., Any] = default_instant_query
    expander: Callable[..., Any] = gotemplate_expander


def run_test_file(path: str | Path, engines: Engines | None = None) -> FileResult:
    """Run one promtool test file; never raises for bad input (problems become messages)."""
    engines = engines or Engines()
    path = str(path)
    result = FileResult(path)
    if not os.path.lexists(path):
        # ioutil.ReadFile's *PathError text.
        result.file_errors.append(f"open {path}: no such file or directory")
        return result
    try:
        test_file = parse_test_file(read_source_text(path), path)
    except SourceError as error:  # unreadable, binary or not UTF-8: say where, promtool does not
        result.file_errors.append(str(error))
        return result
    except TestFileError as error:
        result.file_errors.append(error.promtool_text())
        result.notes.extend(error.hints())
        return result
    rule_paths = _resolve_rule_files(test_file, result.warnings)
    repeated = _repeated(test_file.group_eval_order)
    if repeated:
        result.file_errors.append(f"group name repeated in evaluation order: {repeated}")
        return result
    rules = _load_rules(rule_paths)
    engines = _with_subquery_step(engines, test_file.evaluation_interval_ms)
    for index, group in enumerate(test_file.tests):
        result.groups.append(run_test_group(test_file, index, group, rules, engines))
    return result


def _with_subquery_step(engines: Engines, evaluation_interval_ms: int) -> Engines:
    """promtool's test engine steps a subquery written without a step (`x[5m:]`) by the file's
    evaluation_interval, not the server's 1m default (cmd/promtool/unittest.go at 2.42 sets
    NoStepSubqueryIntervalFn to it); rules, tests and template queries all use that engine,
    whose MaxSamples is 10000 (promql/test.go NewLazyLoader).
    Injected query functions are left as they are."""
    return Engines(
        query=(
            partial(default_query, subquery_step_ms=evaluation_interval_ms, max_samples=PROMTOOL_MAX_SAMPLES)
            if engines.query is default_query
            else engines.query
        ),
        instant_query=(
            partial(default_instant_query, subquery_step_ms=evaluation_interval_ms, max_samples=PROMTOOL_MAX_SAMPLES)
            if engines.instant_query is default_instant_query
            else engines.instant_query
        ),
        expander=engines.expander,
    )


def _resolve_rule_files(test_file: TestFile, warnings: list[str]) -> list[str]:
    """rule_files globs, relative to the test file's directory (resolveAndGlobFilepaths)."""
    base = os.path.dirname(test_file.path)
    paths = []
    for pattern in test_file.rule_files:
        if pattern and not os.path.isabs(pattern):
            pattern = os.path.normpath(os.path.join(base, pattern))  # Go's filepath.Join cleans
        matches = sorted(glob.glob(pattern))
        if not matches:
            warnings.append(f"WARNING: no file match pattern {pattern}")
        paths.extend(matches)
    return paths


def _load_rules(rule_paths: list[str]):
    """The rule groups, or the RuleFileError promtool would report for every test group.

    promtool loads the rule files again for each test group; the result is the same each
    time, so they are loaded once (rule groups are never modified by evaluation).
    """
    try:
        return load_rule_files(rule_paths)
    except RuleFileError as error:
        return error


def _repeated(names: list[str]) -> str | None:
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _cases(index: int, group: TestGroup) -> list[CaseResult]:
    cases = [
        CaseResult(index, "alert", i, f"{t.alertname} @{format_duration(t.eval_time_ms)}")
        for i, t in enumerate(group.alert_rule_tests)
    ]
    cases += [
        CaseResult(index, "promql", i, f"expr {t.expr} @{format_duration(t.eval_time_ms)}")
        for i, t in enumerate(group.promql_expr_tests)
    ]
    return cases


# The evaluator holds every step of a test group at once. promtool evaluates the rules step by step, so it
# has no such bound (only time): the peer suites use at most 14,460 steps; a million is 1.9 years at 1m.
MAX_EVALUATION_STEPS = 1_000_000


def run_test_group(
    test_file: TestFile, index: int, group: TestGroup, rules: list[RuleGroup] | RuleFileError, engines: Engines
) -> GroupResult:
    """Load the group's input, evaluate the rules over the grid, and judge every test case."""
    result = GroupResult(index, group.name, _cases(index, group))

    def abort(*messages: str, status: str = ERROR) -> GroupResult:
        result.messages.extend(messages)
        for case in result.cases:
            if case.status == PASSED:
                case.status, case.detail = status, "\n".join(messages)
        return result

    interval = test_file.evaluation_interval_ms
    steps = group.max_eval_time_ms // interval + 1 if interval > 0 else 1
    if steps > MAX_EVALUATION_STEPS:
        return abort(
            f"eval_time {format_duration(group.max_eval_time_ms)} at evaluation_interval {format_duration(interval)} "
            f"is {steps} rule evaluations; alertkit evaluates at most {MAX_EVALUATION_STEPS} per test group"
        )
    grid = Grid(0, group.max_eval_time_ms // interval * interval, interval)
    try:
        storage = load_input_series(group, grid.end_ms)
    except NotationError as error:
        status = UNSUPPORTED if "unsupported" in str(error) else ERROR
        return abort(str(error), status=status)
    if isinstance(rules, RuleFileError):
        # rules.Manager.LoadGroups: "<file>: <line>:<col>: <message>" per problem.
        return abort(
            "\n".join(
                f"{p.file}: {p.line}:{p.column}: {p.message}" if p.line is not None else f"{p.file}: {p.message}"
                for p in rules.problems
            )
        )
    rule_groups: list[RuleGroup] = rules
    for case in group.alert_rule_tests:
        if case.alertname == "":
            in_group = f" (in TestGroup {group.name})" if group.name else ""
            return abort(
                "an item under alert_rule_test misses required attribute alertname at "
                f"eval_time {format_duration(case.eval_time_ms)}{in_group}"
            )
    try:
        evaluation, rule_error = _evaluate(rule_groups, storage, grid, test_file, group, engines)
        result.evaluation = evaluation
        _judge_alerts(result, group, evaluation, rule_error, interval)
        if rule_error is not None:
            errors = rule_errors_at(
                rule_groups, storage, rule_error.t_ms, group_order=test_file.group_eval_order, query=engines.query
            )
            return abort(
                *[
                    f"    rule: {e.rule_name}, time: {format_go_duration(e.t_ms)}, err: {e.message}"
                    for e in errors or [rule_error]
                ]
            )
        _judge_promql(result, group, storage, engines)
    except Exception as error:
        return abort(f"internal error while evaluating the test group: {type(error).__name__}: {error}")
    return result


def load_input_series(group: TestGroup, last_ms: int) -> Storage:
    """The test group's input series as stored at the last grid step (samples with T <= last_ms).

    promql/test.go loadCmd: a series defined twice keeps its last definition.
    """
    definitions: dict[Labels, tuple[np.ndarray, np.ndarray]] = {}
    readable_slots = last_ms // group.interval_ms + 1 if group.interval_ms > 0 else None
    for series in group.input_series:
        labels, t, v = input_series_samples(series.series, series.values, group.interval_ms, readable_slots)
        keep = t <= last_ms
        definitions[labels] = (t[keep], v[keep])
    storage = Storage()
    for labels, (t, v) in definitions.items():
        if len(t):
            storage.add(labels, t, v)
    return storage


def _evaluate(rule_groups, storage, grid, test_file, group, engines):
    """Evaluate the rules; on a rule error, the state before the first failing timestamp.

    unittest.go: the first evaluation with a rule error ends the test group, after the alert
    tests of earlier timestamps were checked.
    """
    base = {s.labels: (s.t.copy(), s.v.copy()) for s in storage.all_series()}
    rule_error = None
    end_ms = grid.end_ms
    while True:
        try:
            evaluation = evaluate_rule_groups(
                rule_groups,
                storage,
                Grid(grid.start_ms, end_ms, grid.step_ms),
                external_labels=group.external_labels,
                external_url=group.external_url,
                group_order=test_file.group_eval_order,
                query=engines.query,
                instant_query=engines.instant_query,
                expander=engines.expander,
            )
            return evaluation, rule_error
        except RuleEvaluationError as error:
            rule_error = error
            _restore(storage, base)
            if error.t_ms <= grid.start_ms:
                return None, rule_error
            end_ms = error.t_ms - grid.step_ms


def _restore(storage: Storage, base) -> None:
    for series in storage.all_series():
        series.t, series.v = base.get(series.labels, (np.zeros(0, np.int64), np.zeros(0)))


def _judge_alerts(
    result: GroupResult,
    group: TestGroup,
    evaluation: RulesEvaluation | None,
    rule_error: RuleEvaluationError | None,
    interval: int,
) -> None:
    cases = [c for c in result.cases if c.kind == "alert"]
    order = sorted(range(len(group.alert_rule_tests)), key=lambda i: group.alert_rule_tests[i].eval_time_ms)
    for i in order:
        test = group.alert_rule_tests[i]
        step_ms = test.eval_time_ms // interval * interval
        if evaluation is None or (rule_error is not None and step_ms >= rule_error.t_ms):
            continue  # never checked: the test group ended at the rule error
        step = step_ms // interval
        got = sorted(
            (_sorted_items(a.labels), _sorted_items(a.annotations))
            for a in evaluation.firing_alerts(step, test.alertname)
        )
        expected = sorted(
            (_sorted_items({**a.labels, "alertname": test.alertname}), _sorted_items(a.annotations))
            for a in test.exp_alerts
        )
        if got != expected:
            message = _alert_failure(group.name, test, expected, got)
            cases[i].status, cases[i].detail = FAILED, message
            result.messages.append(message)


def _sorted_items(mapping: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items()))


def _alert_failure(group_name: str, test: AlertTestCase, expected, got) -> str:
    name = f"    name: {group_name},\n" if group_name else ""
    return (
        f"{name}    alertname: {test.alertname}, time: {format_duration(test.eval_time_ms)}, \n"
        f"        exp:{_indent(_alert_list(expected), '            ')}, \n"
        f"        got:{_indent(_alert_list(got), '            ')}"
    )


def _alert_list(alerts) -> str:
    """labelsAndAnnotations.String() of unittest.go."""
    if not alerts:
        return "[]"
    entries = [
        f"{i}:" + _indent(f"\nLabels:{labels_string(labels)}\nAnnotations:{labels_string(annotations)}", "  ")
        for i, (labels, annotations) in enumerate(alerts)
    ]
    return "[\n" + ",\n".join(entries) + "\n]"


def _indent(text: str, indent: str) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + indent + line for line in lines[1:])


def _judge_promql(result: GroupResult, group: TestGroup, storage: Storage, engines: Engines) -> None:
    cases = [c for c in result.cases if c.kind == "promql"]
    for case, test in zip(cases, group.promql_expr_tests):
        when = format_duration(test.eval_time_ms)
        try:
            got = _instant_samples(engines.instant_query(test.expr, storage, test.eval_time_ms))
            expected = [(parse_series_labels(s.labels), s.value) for s in test.exp_samples]
        except (PromQLError, NotationError) as error:
            message = f"    expr: {go_quote(test.expr)}, time: {when}, err: {error}"
            status = UNSUPPORTED if str(error).startswith("unsupported") else ERROR
            case.status, case.detail = status, message
            result.messages.append(message)
            continue
        got.sort(key=lambda sample: sample[0])
        expected.sort(key=lambda sample: sample[0])
        if not _same_samples(expected, got):
            message = (
                f"    expr: {go_quote(test.expr)}, time: {when},\n"
                f"        exp: {_samples_string(expected)}\n        got: {_samples_string(got)}"
            )
            case.status, case.detail = FAILED, message
            result.messages.append(message)


def _instant_samples(value) -> list[tuple[Labels, float]]:
    if isinstance(value, ScalarOverGrid):
        return [((), float(np.asarray(value.values).reshape(-1)[-1]))]
    if isinstance(value, VectorOverGrid):
        return [
            (labels, float(value.values[row, -1])) for row, labels in enumerate(value.labels) if value.present[row, -1]
        ]
    raise PromQLError("rule result is not a vector or scalar")


def _same_samples(expected, got) -> bool:
    # reflect.DeepEqual on float64: NaN never equals NaN (a NaN expectation never passes in 2.42).
    return len(expected) == len(got) and all(
        e_labels == g_labels and e_value == g_value for (e_labels, e_value), (g_labels, g_value) in zip(expected, got)
    )


def _samples_string(samples) -> str:
    if not samples:
        return "nil"
    return ", ".join(f"{labels_string(labels)} {format_float_e(value)}" for labels, value in samples)


def timeline_report(results: list[FileResult]) -> dict:
    """The --timeline --json document (version 1; see docs/promtool-tests.md)."""
    tests = []
    for file_result in results:
        for group in file_result.groups:
            alerts: list[dict[str, Any]] = []
            for timeline in group.evaluation.timelines if group.evaluation else []:
                labels = {k: v for k, v in sorted(timeline.labels.items()) if k != "alertname"}
                alerts.append(
                    {
                        "alertname": timeline.alertname,
                        "labels": labels,
                        "intervals": [
                            {
                                "pending_at": _seconds(i.pending_at_ms),
                                "firing_at": _seconds(i.firing_at_ms),
                                "resolved_at": _seconds(i.resolved_at_ms),
                            }
                            for i in timeline.intervals
                        ],
                    }
                )
            alerts.sort(key=lambda a: (a["alertname"], sorted(a["labels"].items())))
            tests.append({"name": group.name, "alerts": alerts})
    return {"version": 1, "tests": tests}


def _seconds(ms: int | None):
    if ms is None:
        return None
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


def render_file_result(result: FileResult) -> tuple[str, str]:
    """(stdout, stderr) as promtool 2.42 prints them for one file.

    RulesUnitTest: "FAILED:" and each error go to stderr, but the blank line after each error
    is printed on stdout.
    """
    out = [f"Unit Testing:  {result.path}"]
    err = [f"  {warning}" for warning in result.warnings]
    if result.ok:
        out.append("  SUCCESS")
    else:
        err.append("  FAILED:")
        for message in result.messages:
            err.append(message)
            out.append("")
    out.append("")
    return "\n".join(out) + "\n", ("\n".join(err) + "\n") if err else ""
