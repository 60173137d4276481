"""parse_template accepts and rejects exactly what promtool 2.42's rule loader does, with Go's words.

Every expected message below was produced by `promtool check rules` (test_table_matches_promtool
re-checks the whole table against it).
"""

from __future__ import annotations

import pytest
from gotemplate_oracle import promtool_parse_errors

from common.gotemplate import GoTemplateError, parse_template

# (template, Go's error text or None when it parses) for an alert named "A".
PARSE_CASES = [
    ("{{ $value ", "template: __alert_A:1: unclosed action"),
    ("{{ foo $value }}", 'template: __alert_A:1: function "foo" not defined'),
    ("{{ if 1 }}x", "template: __alert_A:1: unexpected EOF"),
    ("{{ end }}", "template: __alert_A:1: unexpected {{end}}"),
    ("{{ $x }}", 'template: __alert_A:1: undefined variable "$x"'),
    ('{{ tmpl "x" . }}', 'template: __alert_A:1: function "tmpl" not defined'),
    ("line1\n{{ .Labels | }}", None),
    ("{{ 3 | $value }}", None),
    ("{{ 3 | 4 }}", "template: __alert_A:1: non executable command in pipeline stage 2"),
    ("{{ if true }}\n{{ else }}\n{{ else }}{{ end }}", "template: __alert_A:3: expected end; found {{else}}"),
    ("{{ range $i, $j, $k := . }}{{ end }}", "template: __alert_A:1: too many declarations in range"),
    ("{{ $x := 1 }}{{ $x = 2 }}{{ $y = 3 }}", None),
    ('{{ define "x" }}a{{ end }}{{ template "x" }}{{ template "y" }}', None),
    (
        '{{ printf "%d" 1 2 3 | printf }}{{ (1) }}{{ .A.B.C }}{{ $.X }}{{ break }}',
        "template: __alert_A:1: {{break}} outside {{range}}",
    ),
    ('{{/* c */}}{{- /* d */ -}}{{ "a\\qb" }}', "template: __alert_A:1: invalid syntax"),
    ("{{ 1 2 }}", None),
    ("{{ .Labels 2 }}", None),
    ("{{ nil }}", None),
    ("{{ | 3 }}", 'template: __alert_A:1: unexpected "|" in command'),
    ("{{ }}", "template: __alert_A:1: missing value for command"),
    ("{{ ( }}", "template: __alert_A:1: unclosed left paren"),
    ("{{ ) }}", 'template: __alert_A:1: unexpected ")" in command'),
    ("{{ 1 }", 'template: __alert_A:1: unexpected "}" in operand'),
    ('{{ "abc }}', "template: __alert_A:1: unterminated quoted string"),
    ("{{ .a.b | x }}", 'template: __alert_A:1: function "x" not defined'),
    ("{{ len }}", None),
    ("{{ else }}", "template: __alert_A:1: unexpected {{else}}"),
    ("{{ if }}{{ end }}", "template: __alert_A:1: missing value for if"),
    ("{{ with $x := 3 }}{{ end }}{{ $x }}", 'template: __alert_A:1: undefined variable "$x"'),
    ("{{ range . }}{{ continue }}{{ end }}", None),
    ("{{ 0x1G }}", 'template: __alert_A:1: bad number syntax: "0x1G"'),
    ("{{ @ }}", 'template: __alert_A:1: unexpected "@" in command'),
    ("{{ $a.b.c }}", 'template: __alert_A:1: undefined variable "$a"'),
    ("{{ .a$ }}", "template: __alert_A:1: bad character U+0024 '$'"),
    ("{{ if 1 }}\n\n{{ else if 2 }}{{ end", "template: __alert_A:3: unclosed action"),
    ("{{ range $i, 3 }}{{end}}", "template: __alert_A:1: range can only initialize variables"),
    ("{{ with 1 }}{{ else if 2 }}{{ end }}{{ end }}", "template: __alert_A:1: unexpected <if> in input"),
    ('{{ "x".y }}', 'template: __alert_A:1: unexpected . after term "\\"x\\""'),
    ("{{ (1).y }}", None),
    ("{{ 1.5e3 }}{{ 'a' }}{{ 0x10 }}{{ 1_000 }}{{ 08 }}", 'template: __alert_A:1: integer overflow: "08"'),
    ("{{ 'ab' }}", "template: __alert_A:1: malformed character constant: 'ab'"),
    ("{{ 99999999999999999999 }}", 'template: __alert_A:1: integer overflow: "99999999999999999999"'),
    ("{{/* unclosed ", "template: __alert_A:1: unclosed comment"),
    ("{{/* x */ }}", "template: __alert_A:1: comment ends before closing delimiter"),
    ("{{ $x := 1 }}{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}", 'template: __alert_A:1: undefined variable "$y"'),
    ("{{ template x }}", 'template: __alert_A:1: unexpected "x" in template clause'),
    ('{{ define "a" }}{{ $labels }}{{ end }}', 'template: __alert_A:1: undefined variable "$labels"'),
    ("{{ range .x }}{{ else }}{{ break }}{{ end }}", "template: __alert_A:1: {{break}} outside {{range}}"),
    ("{{ if true }}{{ else }}{{ else if false }}{{ end }}", "template: __alert_A:1: expected end; found {{else}}"),
    ("{{ 3 \n 4 }}", None),
    ("a\n{{ .x \n", "template: __alert_A:3: unclosed action started at __alert_A:2"),
    (
        '{{ block "b" . }}x{{ end }}{{ define "b" }}y{{ end }}',
        'template: __alert_A:1: template: multiple definition of template "b"',
    ),
    ("{{ -3 }} {{ +4 }} {{ - }}", 'template: __alert_A:1: illegal number syntax: "-"'),
    ("{{ .x = 3 }}", 'template: __alert_A:1: unexpected "=" in operand'),
    ("{{ $x = }}", "template: __alert_A:1: missing value for command"),
    ('{{ index "a-b" }}{{ "\\u00e9" }}{{ "\\xff" }}', None),
    ("{{ $ }}{{ $.Labels }}", None),
    ("{{ 1__0 }}", 'template: __alert_A:1: illegal number syntax: "1__0"'),
    ("{{ 1e400 }}", 'template: __alert_A:1: illegal number syntax: "1e400"'),
    ("{{ 0x1p1024 }}", 'template: __alert_A:1: illegal number syntax: "0x1p1024"'),
    ("{{ 0b2 }}", 'template: __alert_A:1: bad number syntax: "0b2"'),
    ("{{ 0x }}", 'template: __alert_A:1: illegal number syntax: "0x"'),
    ("{{ 1e+ }}", 'template: __alert_A:1: illegal number syntax: "1e+"'),
    ("{{ 0x1.p1 }}", None),
    ("{{ 0x.8p1 }}", None),
    ("{{ 1e1_0 }}", None),
    ("{{ 0o }}", 'template: __alert_A:1: illegal number syntax: "0o"'),
    ("{{ 0b }}", 'template: __alert_A:1: illegal number syntax: "0b"'),
    ("{{ 09 }}", 'template: __alert_A:1: integer overflow: "09"'),
    ("{{ 0_x1 }}", 'template: __alert_A:1: bad number syntax: "0_x"'),
    ("{{ 1_.5 }}", 'template: __alert_A:1: illegal number syntax: "1_.5"'),
    ("{{ 1._5 }}", 'template: __alert_A:1: illegal number syntax: "1._5"'),
    ("{{ 0x_1 }}", None),
    ("{{ 0x1_ }}", 'template: __alert_A:1: illegal number syntax: "0x1_"'),
    ("{{ '\\x41' }}", None),
    ("{{ '\\u00e9' }}", None),
    ("{{ '\\'' }}", None),
    ("{{ '\"' }}", None),
    ("{{ '' }}", "template: __alert_A:1: invalid syntax"),
    ("{{ '\\400' }}", "template: __alert_A:1: invalid syntax"),
    ("{{ -'a' }}", 'template: __alert_A:1: illegal number syntax: "-"'),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_matches_go(text: str, expected: str | None) -> None:
    if expected is None:
        parse_template(text, alert_name="A")
        return
    with pytest.raises(GoTemplateError) as caught:
        parse_template(text, alert_name="A")
    assert str(caught.value) == expected


def test_table_matches_promtool() -> None:
    assert promtool_parse_errors([text for text, _ in PARSE_CASES]) == [expected for _, expected in PARSE_CASES]


def test_error_carries_message_line_and_offset_into_user_text() -> None:
    text = "ok so far\n{{ .Labels.x | nosuch }}"
    with pytest.raises(GoTemplateError) as caught:
        parse_template(text, alert_name="HighLatency")
    error = caught.value
    assert error.message == 'function "nosuch" not defined'
    assert error.name == "__alert_HighLatency"
    assert error.line == 2
    assert text[error.offset :].startswith("nosuch")
    assert str(error) == 'template: __alert_HighLatency:2: function "nosuch" not defined'


def test_prefix_variables_are_defined() -> None:
    parse_template("{{ $labels.a }}{{ $externalLabels.b }}{{ $externalURL }}{{ $value }}{{ $ }}")


# Fragments glued at random: most results are broken templates, which is the point -- every
# accepted or rejected template, and every error message, must be promtool's.
FUZZ_PIECES = [
    "{{", "}}", "{{-", "-}}", " ", "\n", "$x", "$", "$labels", ".", ".Labels", ".a", "$x :=", "$x =",
    "|", "(", ")", "if", "else", "end", "range", "with", "define", "template", "block", "break",
    "continue", "nil", "true", "1", "-1", "1.5", "0x1F", "'a'", '"s"', '"a\\qb"', "`r`", "humanize",
    "printf", "eq", "foo", ",", "/*", "*/", "{{/* c */}}", "text", "@", "3e", "1_0", "..", "$x.y",
]  # fmt: skip


def _fuzz_templates(count: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def test_random_fragments_parse_like_promtool() -> None:
    templates = _fuzz_templates(500, seed=7)
    ours = []
    for text in templates:
        try:
            parse_template(text, alert_name="A")
            ours.append(None)
        except GoTemplateError as err:
            ours.append(str(err))
    assert ours == promtool_parse_errors(templates)
