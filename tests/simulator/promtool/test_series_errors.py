"""Malformed input series get promtool 2.42's exact error text (promql/parser series descriptions).

Every row runs through the real /usr/bin/promtool and through alertkit; stdout, stderr and the
exit status must be identical. Without promtool this test fails (it never skips).
"""

import subprocess

from simulator.promtool.runner import render_file_result, run_test_file

# (series, values): each is a mistake promtool reports with a parse error.
MALFORMED = [
    ("up", "-Inf x3"),  # x after a space: unexpected "x"
    ("up", "1 x"),  # x without a value
    ("up", "1+ x3"),  # + then a space
    ("up", "1+1x"),  # x without a count
    ("up", "1+1"),  # step without x
    ("up", "1+1 2"),  # step without x, more values follow
    ("up", "1x-3"),  # negative count
    ("up", "1+x3"),  # + without step
    ("up", "1 -x3"),  # - without a number
    ("up", "1 -"),  # - at the end
    ("up", "_x"),  # blank repetition without count
    ("up", "1 _ 2x3 _x"),  # the error is in the last item
    ("up", "stale x2"),  # stale cannot repeat with a space
    ("up", "1 _x3x2"),  # a second x
    ("up", "1 foo"),  # unknown word
    ("up", "1 2 3 4 5 6 7 8 9 10 11 12 bogus"),  # column far into the line
    ("up", "1 Infx2"),  # Inf glued to x is one identifier
    ("up", "1 infinity"),  # ParseFloat would take it; the lexer does not
    ("up", "1 abc:def"),  # metric identifier
    ("up", "1 sum"),  # aggregator keyword
    ("up", "1 and"),  # operator keyword
    ("up", "1 offset"),  # keyword
    ("up", "1 bool"),
    ("up", "1 SUM"),  # keys match in any case, the text keeps its case
    ("up", "1 start"),  # preprocessor keyword: quoted, not <start>
    ("up", "1 END"),
    ("up", "-"),  # nothing after the sign
    ("up", "x"),
    ("up", "1 @ 2"),  # unexpected character
    ("up", "1 , 2"),
    ("up", "1 (2)"),
    ("up", '1 "a"'),
    ("up", "1 '"),
    ("up", "1 \\"),
    ("up", "1 é"),
    ("up", "1.2.3"),  # two numbers glued
    ("up", "1e"),  # number without exponent digits
    ("up", "1 1e+"),
    ("up", "1e999"),  # ParseFloat: value out of range
    ("up", "1abc"),  # bad number syntax
    ("up", "1x3.5"),  # fractional count
    ('http_requests_total{job="api"}', "-Inf x3"),  # the column counts from the series' start
    ('up{a="b"}', "1 x"),
    ('up{a="b"', "1 2"),  # unclosed brace: reported at the first value
    ("up offset 5m", "1 2"),  # after a bare name the value sequence has begun
    ("up[5m]", "1 2"),
    ("sum(up)", "1 2"),
    ("{}", "1 2"),  # empty label set
]


def _test_file(directory, index, series, values):
    (directory / "rules.yml").write_text("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n")
    path = directory / f"case{index}.yml"
    # Single-quoted YAML scalars: a quote inside is doubled.
    series_yaml, values_yaml = (text.replace("'", "''") for text in (series, values))
    path.write_text(
        f"rule_files: [rules.yml]\ntests:\n  - interval: 1m\n    input_series:\n"
        f"      - series: '{series_yaml}'\n        values: '{values_yaml}'\n"
    )
    return path


def _promtool(path):
    done = subprocess.run(
        ["/usr/bin/promtool", "test", "rules", path.name], cwd=path.parent, capture_output=True, text=True, timeout=60
    )
    return done.stdout, done.stderr, done.returncode


def _alertkit(path, monkeypatch):
    monkeypatch.chdir(path.parent)
    result = run_test_file(path.name)
    stdout, stderr = render_file_result(result)
    return stdout, stderr, 0 if result.ok else 1


def test_malformed_series_values_are_worded_as_promtool_words_them(tmp_path, monkeypatch):
    mismatches = []
    for index, (series, values) in enumerate(MALFORMED):
        path = _test_file(tmp_path, index, series, values)
        expected, got = _promtool(path), _alertkit(path, monkeypatch)
        assert expected[2] == 1, f"promtool accepted {series} {values}"
        if got != expected:
            mismatches.append((series, values, expected, got))
    assert mismatches == []


def test_stale_with_a_step_is_accepted_and_only_the_first_value_is_a_stale_marker():
    from simulator.promql.model import is_stale
    from simulator.promtool.notation import parse_values
    from simulator.promtool.series_syntax import series_values_error

    # promtool 2.42 accepts `stale+1x2` (series_item: series_value signed_number TIMES uint).
    assert series_values_error("up", "stale+1x2") is None
    values = parse_values("stale+1x2")
    assert len(values) == 3
    assert [bool(is_stale(value)) for value in values] == [True, False, False]
