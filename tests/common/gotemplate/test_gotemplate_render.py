"""render/expand_alert_template give promtool 2.42's exact expansions.

The bulk of the table lives in expansions.yaml (expected outputs written from promtool's output,
re-checked here against promtool); the hand-written tables below pin the points where a
re-implementation most easily drifts, with expectations worked out from Go's definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from gotemplate_oracle import promtool_expansions

from common.gotemplate import (
    GoExecError,
    GoTemplateError,
    TemplateData,
    expand_alert_template,
    parse_template,
    render,
)

FIXTURE = yaml.safe_load((Path(__file__).parent / "expansions.yaml").read_text())


@dataclass
class StubSample:
    labels: dict
    value: float


def _go_float(text: str) -> float:
    return float(text.replace("Inf", "inf"))


def _stub_query(suite: dict):
    results = suite.get("query_results", {})

    def query(text: str) -> list[StubSample]:
        return [StubSample(r["labels"], float(r["value"])) for r in results[text]]

    return query


def _data(suite: dict, case_index: int, value: str) -> TemplateData:
    labels = {"__name__": "v", **suite.get("labels", {}), "case": f"{case_index:04d}"}
    return TemplateData(
        labels=labels,
        external_labels=suite.get("external_labels", {}),
        external_url=suite.get("external_url", ""),
        value=_go_float(value),
    )


def _fixture_rows():
    for suite in FIXTURE["suites"]:
        for case in suite["cases"]:
            yield pytest.param(suite, case, id=f"{suite['name']}: {case['template'][:60]}")


@pytest.mark.parametrize(("suite", "case"), list(_fixture_rows()))
def test_expansion_matches_promtool_fixture(suite: dict, case: dict) -> None:
    got = {}
    for index, value in enumerate(suite["values"]):
        data = _data(suite, index, str(value))
        got[str(value)] = expand_alert_template(case["template"], data, alert_name="A", query=_stub_query(suite))
    assert got == case["expect"]


@pytest.mark.parametrize("suite", FIXTURE["suites"], ids=lambda s: s["name"])
def test_expansions_match_promtool(suite: dict) -> None:
    """The fixture is not stale: promtool still says exactly what it records."""
    templates = [case["template"] for case in suite["cases"]]
    values = [str(v) for v in suite["values"]]
    results = promtool_expansions(
        templates,
        values,
        labels=suite.get("labels"),
        external_labels=suite.get("external_labels"),
        external_url=suite.get("external_url"),
        extra_series=[tuple(pair) for pair in suite.get("extra_series", [])],
    )
    for t, case in enumerate(suite["cases"]):
        assert {value: results[v][t] for v, value in enumerate(values)} == case["expect"], case["template"]


# Hand-worked expectations: Go's %v of a float64 is the shortest round-trip digits, in exponent
# form when the decimal exponent is < -4 or >= 6 (strconv "%e is used if the exponent from the
# conversion is less than -4 or greater than or equal to the precision ... use precision 6").
VALUE_FORMATS = [
    (0.0, "0"),
    (-0.0, "-0"),
    (123456.0, "123456"),
    (999999.0, "999999"),
    (1e6, "1e+06"),
    (1234567.0, "1.234567e+06"),
    (1e20, "1e+20"),
    (1e21, "1e+21"),
    (0.0001, "0.0001"),
    (0.00001, "1e-05"),
    (0.1 + 0.2, "0.30000000000000004"),
    (math.nan, "NaN"),
    (math.inf, "+Inf"),
    (-math.inf, "-Inf"),
]


@pytest.mark.parametrize(("value", "expected"), VALUE_FORMATS)
def test_value_prints_as_go_percent_v(value: float, expected: str) -> None:
    assert render("{{ $value }}", TemplateData(value=value)) == expected


# humanize: %.4g after dividing by 1000 per SI prefix (template.go humanize).
HUMANIZE = [
    ("humanize", 0.0, "0"),
    ("humanize", 999.0, "999"),
    ("humanize", 999999.0, "1000k"),  # 999.999k rounds to 4 digits without moving up a prefix
    ("humanize", 1e6, "1M"),
    ("humanize", -1234.0, "-1.234k"),
    ("humanize", 0.3, "300m"),
    ("humanize", 1e-7, "100n"),
    ("humanize", math.nan, "NaN"),
    ("humanize", -math.inf, "-Inf"),
    ("humanize1024", 1024.0, "1ki"),
    ("humanize1024", 1.0, "1"),
    ("humanize1024", 0.5, "0.5"),
    ("humanizePercentage", 0.1234567, "12.35%"),
    ("humanizePercentage", 1.0, "100%"),
    ("humanizeDuration", 0.0, "0s"),
    ("humanizeDuration", 59.999, "60s"),  # %.4g rounds to 4 significant digits
    ("humanizeDuration", 1.5, "1.5s"),
    ("humanizeDuration", 61.0, "1m 1s"),
    ("humanizeDuration", 90061.0, "1d 1h 1m 1s"),
    ("humanizeDuration", -3600.5, "-1h 0m 0s"),
    ("humanizeDuration", 0.0015, "1.5ms"),
    ("humanizeTimestamp", 1.5, "1970-01-01 00:00:01.5 +0000 UTC"),
    ("humanizeTimestamp", 1700000000.0, "2023-11-14 22:13:20 +0000 UTC"),
]


@pytest.mark.parametrize(("function", "value", "expected"), HUMANIZE)
def test_humanize_family(function: str, value: float, expected: str) -> None:
    assert render(f"{{{{ {function} $value }}}}", TemplateData(value=value)) == expected


PRINTF = [
    ('{{ printf "%.2f" 2.675 }}', "2.67"),  # the binary value is below 2.675
    ('{{ printf "%.0f" 2.5 }}', "2"),  # exact halves round to even
    ('{{ printf "%d" 3.0 }}', "%!d(float64=3)"),
    ('{{ printf "%d %s" 1 }}', "1 %!s(MISSING)"),
    ('{{ printf "%d" 1 2 }}', "1%!(EXTRA int=2)"),
    ('{{ printf "%s" nil }}', "%!s(<nil>)"),
    ('{{ printf "%05.1f|%-6d|%+d|%x|%q" -2.25 42 7 255 "a\\"b" }}', '-02.2|42    |+7|ff|"a\\"b"'),
    ('{{ printf "%v" $labels }}', "map[a:1 b:2]"),
]


@pytest.mark.parametrize(("text", "expected"), PRINTF)
def test_printf(text: str, expected: str) -> None:
    assert render(text, TemplateData(labels={"b": "2", "a": "1"})) == expected


def test_missing_label_is_empty_and_data_prints_as_go_struct() -> None:
    data = TemplateData(labels={"job": "node"}, external_labels={"site": "x"}, external_url="http://a/b", value=2.0)
    assert render("[{{ $labels.nope }}][{{ .Labels.job }}]", data) == "[][node]"
    assert render("{{ . }}", data) == "{map[job:node] map[site:x] http://a/b 2}"


def test_nested_query_functions_use_the_supplied_query() -> None:
    samples = {"up == 0": [StubSample({"instance": "b"}, 0.0), StubSample({"instance": "a"}, 0.0)]}
    text = '{{ range query "up == 0" | sortByLabel "instance" }}{{ label "instance" . }}={{ value . }} {{ end }}'
    assert render(text, TemplateData(), query=lambda q: samples[q]) == "a=0 b=0 "


def test_query_engine_errors_become_template_errors() -> None:
    def failing(_: str):
        raise ValueError("parse error: unexpected end of input")

    text = '{{ query "rate(" }}'
    with pytest.raises(GoExecError) as caught:
        render(text, TemplateData(), query=failing, alert_name="A")
    assert str(caught.value).endswith("error calling query: parse error: unexpected end of input")


def test_expand_alert_template_reports_errors_like_prometheus() -> None:
    parsed = expand_alert_template("{{ nosuch }}", TemplateData(), alert_name="A")
    assert parsed == (
        '<error expanding template: error parsing template __alert_A: template: __alert_A:1: function "nosuch" not defined>'
    )
    executed = expand_alert_template('{{ humanize "x" }}', TemplateData(), alert_name="A")
    assert executed == (
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: "
        'executing "__alert_A" at <humanize "x">: error calling humanize: '
        'strconv.ParseFloat: parsing "x": invalid syntax>'
    )


def test_render_raises_parse_errors() -> None:
    with pytest.raises(GoTemplateError):
        render("{{ if }}", TemplateData())


def test_server_url_feeds_external_url_functions() -> None:
    text = "{{ externalURL }} {{ pathPrefix }}"
    assert (
        render(text, TemplateData(), server_url="https://prom.example.com/sub") == "https://prom.example.com/sub /sub"
    )
    with pytest.raises(GoExecError, match="nil pointer dereference"):
        render(text, TemplateData())  # promtool test rules has no server URL


def _random_values(count: int, seed: int) -> list[float]:
    """Floats across 34 orders of magnitude, both signs, some near rounding ties."""
    import random

    rng = random.Random(seed)
    values = []
    for _ in range(count):
        magnitude = 10 ** rng.uniform(-12, 22)
        mantissa_digits = rng.choice([1, 2, 3, 4, 5, 17])
        value = float(f"{magnitude:.{mantissa_digits}g}")
        if rng.random() < 0.2:
            # a decimal tie just past the 4th significant digit (what %.4g and humanize round)
            value = float(f"{rng.uniform(1, 10):.3f}5e{rng.randint(-12, 21)}")
        values.append(-value if rng.random() < 0.3 else value)
    return values


NUMBER_TEMPLATES = [
    "{{ $value }}",
    "{{ humanize $value }}",
    "{{ humanize1024 $value }}",
    "{{ humanizeDuration $value }}",
    "{{ humanizePercentage $value }}",
    "{{ humanizeTimestamp $value }}",
    '{{ printf "%.2f|%.3g|%e|%8.1f|%v" $value $value $value $value $value }}',
]


def test_random_values_match_promtool() -> None:
    values = [repr(v) for v in _random_values(150, seed=20240422)]
    theirs = promtool_expansions(NUMBER_TEMPLATES, values)
    mismatches = []
    for case, value in enumerate(values):
        for index, text in enumerate(NUMBER_TEMPLATES):
            ours = expand_alert_template(text, TemplateData(value=float(value)), alert_name="A")
            if ours != theirs[case][index]:
                mismatches.append((value, text, ours, theirs[case][index]))
    assert mismatches == []


# Random calls of every function with random arguments: most calls fail, so this checks Go's
# argument conversion rules and error texts as much as the results.
CALL_ARGUMENTS = [
    "$value", "$labels.instance", ".Labels", '"str"', '"a:80"', '"0.25"', "1", "1.5", "-2", "true", "nil",
    '(args 1 "a")', "$externalLabels", ".", "$labels", '"%d|%s|%v"', '""', "0", '"x.y.z"', "(toTime 1.5)",
    '(safeHtml "<b>")', '"3m"', "$externalURL", ".Value", '(index $labels "instance")', '"(a)(b)?"', '"$1-"',
]  # fmt: skip


def _random_calls(count: int, seed: int) -> list[str]:
    import random

    from common.gotemplate.function_names import ALERT_TEMPLATE_FUNCTION_NAMES

    functions = sorted(ALERT_TEMPLATE_FUNCTION_NAMES - {"query", "externalURL", "pathPrefix"})
    rng = random.Random(seed)
    templates = []
    for _ in range(count):
        call = rng.choice(functions) + " " + " ".join(rng.choice(CALL_ARGUMENTS) for _ in range(rng.randint(0, 3)))
        piped = rng.random() < 0.5
        templates.append(f"{{{{ {rng.choice(CALL_ARGUMENTS)} | {call} }}}}" if piped else f"{{{{ {call} }}}}")
    return templates


def test_random_calls_match_promtool() -> None:
    templates = _random_calls(400, seed=11)
    labels = {"instance": "host.example.com:9100"}
    external = {"site": "x"}
    values = ["0.123", "NaN"]
    theirs = promtool_expansions(templates, values, labels=labels, external_labels=external, external_url="http://u/p")
    mismatches = []
    for case, value in enumerate(values):
        data = TemplateData(
            labels={"__name__": "v", **labels, "case": f"{case:04d}"},
            external_labels=external,
            external_url="http://u/p",
            value=_go_float(value),
        )
        for index, text in enumerate(templates):
            ours = expand_alert_template(text, data, alert_name="A")
            if ours != theirs[case][index]:
                mismatches.append((value, text, ours, theirs[case][index]))
    assert mismatches == []


def _random_control_flow(count: int, seed: int) -> list[str]:
    """Nested if/else-if/range/with/template/break/continue/variables/trim markers."""
    import random

    rng = random.Random(seed)
    operands = [
        "$value", "$labels.instance", ".", "$labels", ".Labels", '"s"', "1", "0", "true", "false",
        "$labels.nope", "$x", "$", "$.Value", '""', "(humanize $value)", "nil",
    ]  # fmt: skip

    def block(depth: int, in_range: bool = False) -> str:
        parts = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            operand = rng.choice(operands)
            if depth > 2 or roll < 0.3:
                leaf = [
                    "t", " ", "\n", f"{{{{ {operand} }}}}", f"{{{{- {operand} -}}}}", f"{{{{ $x := {operand} }}}}",
                    f"{{{{ $x = {operand} }}}}", "{{/* c */}}",
                ] + (["{{ break }}", "{{ continue }}"] if in_range else [])  # fmt: skip
                parts.append(rng.choice(leaf))
            elif roll < 0.5:
                condition = rng.choice(operands)
                parts.append(
                    f"{{{{ if {operand} }}}}{block(depth + 1, in_range)}{{{{ else if {condition} }}}}"
                    f"{block(depth + 1, in_range)}{{{{ else }}}}{block(depth + 1, in_range)}{{{{ end }}}}"
                )
            elif roll < 0.7:
                variables = rng.choice(["", "$e := ", "$i, $e := "])
                parts.append(
                    f"{{{{ range {variables}{operand} }}}}{block(depth + 1, True)}"
                    f"{{{{ else }}}}{block(depth + 1, in_range)}{{{{ end }}}}"
                )
            elif roll < 0.85:
                body = block(depth + 1, in_range)
                parts.append(f"{{{{ with {rng.choice(['', '$x := '])}{operand} }}}}{body}{{{{ end }}}}")
            else:
                parts.append(f'{{{{ template "t" {operand} }}}}')
        return "".join(parts)

    templates: list[str] = []
    while len(templates) < count:
        text = '{{ define "t" }}<{{ . }}>{{ end }}{{ $x := 0 }}' + block(0)
        try:
            parse_template(text, alert_name="A")  # keep what parses (e.g. $e outside its range does not)
        except GoTemplateError:
            continue
        templates.append(text)
    return templates


def test_random_control_flow_matches_promtool() -> None:
    templates = _random_control_flow(120, seed=4)
    labels = {"instance": "h:1", "job": "j"}
    values = ["0.5", "0"]
    theirs = promtool_expansions(templates, values, labels=labels)
    mismatches = []
    for case, value in enumerate(values):
        data = TemplateData(labels={"__name__": "v", **labels, "case": f"{case:04d}"}, value=float(value))
        for index, text in enumerate(templates):
            ours = expand_alert_template(text, data, alert_name="A")
            if ours != theirs[case][index]:
                mismatches.append((value, text, ours, theirs[case][index]))
    assert mismatches == []
