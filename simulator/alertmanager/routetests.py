"""Route tests users write (tests/routes/*.yaml), run on the routing and inhibition models over a compiled
alertmanager.yml. Two kinds of case:

```yaml
tests:
  - name: the cache alert pages ranking            # labels → the receivers, in match order
    labels: {alertname: FeatureCacheHitRatioLow, team: ranking, severity: page, service: ranker}
    receivers: [ranking-pager]
  - name: the deploy pages once                     # alerts firing together → exactly these are inhibited
    firing:
      - {alertname: FeatureCacheHitRatioLow, team: ranking, severity: page, service: ranker}
      - {alertname: RankerLatencyP99High, team: ranking, severity: page, service: ranker}
    inhibited: [RankerLatencyP99High]               # alertnames; every other firing alert must notify
```

Malformed files give problems as file:line:col; `run_route_tests(path, config_path)` is the entry point the
command and the pytest plugin call. Reads the two files it is given, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from common.problems import Problem, SourcePosition, render_problem
from common.yamlsource import YamlSyntaxError, compose, mapping_items, position_of
from simulator.alertmanager.config import AlertmanagerConfig, AlertmanagerConfigError, load_alertmanager_config
from simulator.alertmanager.inhibit import inhibited
from simulator.alertmanager.routing import receivers_for

DEFAULT_CONFIG = Path("build/alertmanager/alertmanager.yml")
_LABELS_CASE = {"name", "labels", "receivers"}
_FIRING_CASE = {"name", "firing", "inhibited"}


@dataclass(frozen=True)
class RouteCase:
    """One case: `labels` → `receivers`, or `firing` alerts → `inhibited` alertnames."""

    name: str
    position: SourcePosition
    labels: dict[str, str] | None = None
    receivers: list[str] | None = None
    firing: list[dict[str, str]] | None = None
    inhibited: list[str] | None = None


@dataclass
class CaseResult:
    """The outcome of one case; `failure` says what differed, empty when it passed."""

    case: RouteCase
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure


@dataclass
class RouteTestResults:
    """The outcome of one test file: problems reading it (then no case ran) or one result per case."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    results: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(result.ok for result in self.results)


def run_route_tests(path: str | Path, config_path: str | Path = DEFAULT_CONFIG) -> RouteTestResults:
    """Read a route-test file and the compiled config; run every case on the routing and inhibition models."""
    file = str(path)
    try:
        config = load_alertmanager_config(Path(config_path).read_text(encoding="utf-8"))
    except OSError as error:
        return RouteTestResults(
            file, [Problem(SourcePosition(str(config_path), None, None), f"cannot read the config: {error.strerror}")]
        )
    except AlertmanagerConfigError as error:
        return RouteTestResults(file, [Problem(SourcePosition(str(config_path), None, None), str(error))])
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        return RouteTestResults(file, [Problem(SourcePosition(file, None, None), f"cannot read: {error.strerror}")])
    cases, problems = parse_route_tests(text, file)
    if problems:
        return RouteTestResults(file, problems)
    return RouteTestResults(file, results=[run_case(config, case) for case in cases])


def run_case(config: AlertmanagerConfig, case: RouteCase) -> CaseResult:
    """Compare the models' answer with the case's expectation."""
    if case.labels is not None:
        got = receivers_for(config, case.labels)
        if got != case.receivers:
            return CaseResult(case, f"expected receivers {case.receivers}, got {got}")
        return CaseResult(case)
    firing, expected = case.firing or [], sorted(case.inhibited or [])
    muted = sorted(firing[item.target].get("alertname", "") for item in inhibited(config.inhibit_rules, firing))
    if muted != expected:
        return CaseResult(case, f"expected inhibited {expected}, got {muted}")
    return CaseResult(case)


def parse_route_tests(text: str, file: str) -> tuple[list[RouteCase], list[Problem]]:
    """The cases of a route-test file, or every problem found in it (unknown keys, wrong types, ...)."""
    try:
        root = compose(text, file)
    except YamlSyntaxError as error:
        return [], [error.problem]
    if not isinstance(root, yaml.MappingNode):
        return [], [
            Problem(
                position_of(root, file) if root else SourcePosition(file, None, None),
                "expected a mapping with `tests:`",
            )
        ]
    problems: list[Problem] = []
    tests_node = None
    for key, key_node, value in mapping_items(root):
        if key == "tests":
            tests_node = value
        else:
            problems.append(Problem(position_of(key_node, file), f"unknown field {key!r} (allowed: tests)"))
    if not isinstance(tests_node, yaml.SequenceNode):
        where = position_of(tests_node, file) if tests_node is not None else position_of(root, file)
        return [], problems + [Problem(where, "tests: expected a list of cases")]
    cases = [_case(node, index, file, problems) for index, node in enumerate(tests_node.value)]
    return [case for case in cases if case is not None], problems


def _case(node: yaml.Node, index: int, file: str, problems: list[Problem]) -> RouteCase | None:
    where = position_of(node, file)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(where, f"tests[{index}]: expected a mapping (one case)"))
        return None
    items = {key: (key_node, value) for key, key_node, value in mapping_items(node)}
    name = _string(items["name"][1], f"tests[{index}].name", file, problems) if "name" in items else None
    allowed = _LABELS_CASE if "labels" in items else _FIRING_CASE
    start = len(problems)
    for key, (key_node, _) in items.items():
        if key not in allowed:
            choices = ", ".join(sorted(allowed))
            problems.append(
                Problem(position_of(key_node, file), f"tests[{index}]: unknown field {key!r} (allowed: {choices})")
            )
    for key in sorted(allowed - set(items)):
        problems.append(Problem(where, f"tests[{index}]: missing field {key!r}"))
    if len(problems) > start or name is None:
        return None
    label = f"tests[{index}]"
    if "labels" in items:
        labels = _label_map(items["labels"][1], f"{label}.labels", file, problems)
        receivers = _string_list(items["receivers"][1], f"{label}.receivers", file, problems)
        return RouteCase(name, where, labels=labels, receivers=receivers) if len(problems) == start else None
    firing_node = items["firing"][1]
    if not isinstance(firing_node, yaml.SequenceNode) or not firing_node.value:
        problems.append(Problem(position_of(firing_node, file), f"{label}.firing: expected a list of label sets"))
        return None
    maps = [_label_map(item, f"{label}.firing[{i}]", file, problems) for i, item in enumerate(firing_node.value)]
    firing = [labels for labels in maps if labels is not None]
    expected = _string_list(items["inhibited"][1], f"{label}.inhibited", file, problems)
    names = [labels.get("alertname") for labels in firing]
    for name_ in expected or []:
        if name_ not in names:
            problems.append(
                Problem(position_of(items["inhibited"][1], file), f"{label}.inhibited: {name_!r} is not firing")
            )
    return RouteCase(name, where, firing=firing, inhibited=expected) if len(problems) == start else None


def _string(node: yaml.Node, label: str, file: str, problems: list[Problem]) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return node.value
    problems.append(Problem(position_of(node, file), f"{label}: expected a string"))
    return None


def _label_map(node: yaml.Node, label: str, file: str, problems: list[Problem]) -> dict[str, str] | None:
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(position_of(node, file), f"{label}: expected a mapping of label names to values"))
        return None
    labels = {}
    for key, _, value in mapping_items(node):
        text = _string(value, f"{label}.{key}", file, problems)
        if text is not None:
            labels[key] = text
    return labels


def _string_list(node: yaml.Node, label: str, file: str, problems: list[Problem]) -> list[str] | None:
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(position_of(node, file), f"{label}: expected a list of names"))
        return None
    values = [_string(item, f"{label}[{i}]", file, problems) for i, item in enumerate(node.value)]
    return [value for value in values if value is not None] if None not in values else None


def render_results(results: RouteTestResults) -> tuple[str, str]:
    """(stdout, stderr) text of one file's outcome."""
    if results.problems:
        return "", "".join(f"{render_problem(problem)}\n" for problem in results.problems)
    out, err = [], []
    for result in results.results:
        where = f"{results.file}:{result.case.position.line}:{result.case.position.column}"
        if result.ok:
            out.append(f"PASS {where}: {result.case.name}\n")
        else:
            err.append(f"FAIL {where}: {result.case.name}: {result.failure}\n")
    passed = sum(result.ok for result in results.results)
    out.append(f"{results.file}: {passed}/{len(results.results)} passed\n")
    return "".join(out), "".join(err)
