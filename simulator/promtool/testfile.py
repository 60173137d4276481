"""promtool unit-test files, parsed strictly (cmd/promtool/unittest.go at v2.42.0).

yaml.UnmarshalStrict: any key the 2.42 structs do not have is an error. Fields added after
2.42 get a hint naming the release that introduced them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import yaml

from common.durations import DurationError, parse_duration
from common.problems import Problem, SourcePosition
from common.yamlsource import (
    YamlSyntaxError,
    compose,
    is_null,
    mapping_items,
    position_of,
    scalar_text,
    to_python,
)

# cmd/promtool/unittest.go: evaluation_interval defaults to 1m.
DEFAULT_EVALUATION_INTERVAL_MS = 60_000

_YAML_V2_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")

_NEWER_FIELDS = {
    "start_timestamp": "added in Prometheus 3.9",
    "fuzzy_compare": "added in Prometheus 3.5",
}


# The parsed file's records are dataclasses without the generated __eq__ and __repr__ (never compared or
# printed): each generated method costs about 0.1 ms at import, paid by every `alertkit test` run.
@dataclass(eq=False, repr=False)
class InputSeries:
    series: str
    values: str
    position: SourcePosition


@dataclass(eq=False, repr=False)
class ExpectedAlert:
    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass(eq=False, repr=False)
class AlertTestCase:
    eval_time_ms: int
    alertname: str
    exp_alerts: list[ExpectedAlert]
    position: SourcePosition


@dataclass(eq=False, repr=False)
class ExpectedSample:
    labels: str
    value: float


@dataclass(eq=False, repr=False)
class PromqlTestCase:
    expr: str
    eval_time_ms: int
    exp_samples: list[ExpectedSample]
    position: SourcePosition


@dataclass(eq=False, repr=False)
class TestGroup:
    __test__ = False  # not a pytest class

    interval_ms: int
    input_series: list[InputSeries]
    alert_rule_tests: list[AlertTestCase]
    promql_expr_tests: list[PromqlTestCase]
    external_labels: dict[str, str]
    external_url: str
    name: str
    position: SourcePosition

    @property
    def max_eval_time_ms(self) -> int:
        times = [t.eval_time_ms for t in self.alert_rule_tests] + [t.eval_time_ms for t in self.promql_expr_tests]
        return max(times, default=0)


@dataclass(eq=False, repr=False)
class TestFile:
    __test__ = False  # not a pytest class

    path: str
    rule_files: list[str]
    evaluation_interval_ms: int
    group_eval_order: list[str]
    tests: list[TestGroup] = field(default_factory=list)


class TestFileError(Exception):
    """The test file cannot be used; every problem is listed with file:line:col."""

    __test__ = False  # not a pytest class

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    def promtool_text(self) -> str:
        """The error as promtool 2.42 prints it (yaml.v2's wording).

        A fatal error (bad YAML, a bad duration) stops decoding and is printed alone; type
        errors such as unknown fields are collected into one "yaml: unmarshal errors:" list.
        """
        fatal = [p for p in self.problems if p.kind != "unmarshal"]
        if fatal:
            return fatal[0].message
        lines = [f"  line {p.line}: {p.message}" for p in self.problems]
        return "\n".join(["yaml: unmarshal errors:"] + lines)

    def hints(self) -> list[str]:
        """Why a field is unknown, when it is a field of a newer promtool."""
        return [
            f"{p.position}: {name} was {_NEWER_FIELDS[name]}; promtool 2.42 does not know it"
            for p in self.problems
            for name in _NEWER_FIELDS
            if f"field {name} not found" in p.message
        ]


def parse_test_file(text: str, path: str) -> TestFile:
    """Parse a test file's text; raise TestFileError listing every problem."""
    try:
        root = compose(text, path)
    except YamlSyntaxError as error:
        raise TestFileError([error.problem]) from None
    reader = _Reader(path)
    result = reader.test_file(root)
    if reader.problems:
        raise TestFileError(reader.problems)
    return result


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, node, message: str, kind: str = "fatal") -> None:
        where = position_of(node, self.path) if node is not None else SourcePosition(self.path, None, None)
        self.problems.append(Problem(where, message, kind=kind))

    def fields(self, node, allowed: set[str], type_name: str) -> dict:
        if node is None or is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"cannot unmarshal into {type_name}: expected a mapping")
            return {}
        found = {}
        for key, key_node, value in mapping_items(node):
            if key not in allowed:
                self.problem(key_node, f"field {key} not found in type main.{type_name}", "unmarshal")
            elif key in found:
                self.problem(key_node, f"field {key} already set in type main.{type_name}", "unmarshal")
            else:
                found[key] = value
        return found

    def sequence(self, node) -> list:
        if node is None or is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, "expected a list")
            return []
        return node.value

    def string(self, node, default: str = "") -> str:
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, "expected a string")
            return default
        return scalar_text(node)

    def duration(self, node) -> int:
        if node is None or is_null(node):
            return 0
        try:
            return parse_duration(self.string(node))
        except DurationError as error:
            self.problem(node, str(error))
            return 0

    def string_map(self, node) -> dict[str, str]:
        if node is None or is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "expected a mapping of strings")
            return {}
        return {key: self.string(value) for key, _, value in mapping_items(node)}

    def test_file(self, root) -> TestFile:
        fields = self.fields(root, {"rule_files", "evaluation_interval", "group_eval_order", "tests"}, "unitTestFile")
        interval = self.duration(fields.get("evaluation_interval")) or DEFAULT_EVALUATION_INTERVAL_MS
        order = [self.string(n) for n in self.sequence(fields.get("group_eval_order"))]
        return TestFile(
            path=self.path,
            rule_files=[self.string(n) for n in self.sequence(fields.get("rule_files"))],
            evaluation_interval_ms=interval,
            group_eval_order=order,
            tests=[self.test_group(n) for n in self.sequence(fields.get("tests"))],
        )

    def test_group(self, node) -> TestGroup:
        fields = self.fields(
            node,
            {
                "interval",
                "input_series",
                "alert_rule_test",
                "promql_expr_test",
                "external_labels",
                "external_url",
                "name",
            },
            "testGroup",
        )
        return TestGroup(
            interval_ms=self.duration(fields.get("interval")),
            input_series=[self.input_series(n) for n in self.sequence(fields.get("input_series"))],
            alert_rule_tests=[self.alert_test(n) for n in self.sequence(fields.get("alert_rule_test"))],
            promql_expr_tests=[self.promql_test(n) for n in self.sequence(fields.get("promql_expr_test"))],
            external_labels=self.string_map(fields.get("external_labels")),
            external_url=self.string(fields.get("external_url")),
            name=self.string(fields.get("name")),
            position=position_of(node, self.path),
        )

    def input_series(self, node) -> InputSeries:
        fields = self.fields(node, {"series", "values"}, "series")
        return InputSeries(
            self.string(fields.get("series")), self.string(fields.get("values")), position_of(node, self.path)
        )

    def alert_test(self, node) -> AlertTestCase:
        fields = self.fields(node, {"eval_time", "alertname", "exp_alerts"}, "alertTestCase")
        alerts = []
        for alert_node in self.sequence(fields.get("exp_alerts")):
            alert = self.fields(alert_node, {"exp_labels", "exp_annotations"}, "alert")
            alerts.append(
                ExpectedAlert(self.string_map(alert.get("exp_labels")), self.string_map(alert.get("exp_annotations")))
            )
        return AlertTestCase(
            self.duration(fields.get("eval_time")),
            self.string(fields.get("alertname")),
            alerts,
            position_of(node, self.path),
        )

    def promql_test(self, node) -> PromqlTestCase:
        fields = self.fields(node, {"expr", "eval_time", "exp_samples"}, "promqlTestCase")
        samples = []
        for sample_node in self.sequence(fields.get("exp_samples")):
            sample = self.fields(sample_node, {"labels", "value"}, "sample")
            samples.append(ExpectedSample(self.string(sample.get("labels")), self.float(sample.get("value"))))
        return PromqlTestCase(
            self.string(fields.get("expr")),
            self.duration(fields.get("eval_time")),
            samples,
            position_of(node, self.path),
        )

    def float(self, node) -> float:
        if node is None or is_null(node):
            return 0.0
        value = to_python(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, str) and not node.style and _YAML_V2_FLOAT.match(value):
            # yaml.v2 resolves 6E-01 as a float; PyYAML's YAML 1.1 resolver wants a dot.
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(node, f"cannot unmarshal !!str `{scalar_text(node)}` into float64", "unmarshal")
            return math.nan
        return float(value)
