"""Ask the real promtool 2.42 what it makes of templates: the judge our tables are checked against.

promtool must be installed (/usr/bin/promtool); a missing promtool makes these tests fail, never skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from common.gotemplate.goquote import go_quote, go_unquote

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def promtool_parse_errors(templates: list[str]) -> list[str | None]:
    """Each template as an annotation of one alert rule; `promtool check rules` reports the
    parse error of each (None when it parses)."""
    rules = {
        "groups": [
            {
                "name": "g",
                "rules": [
                    {"alert": "A", "expr": "up", "annotations": {f"a{i:04d}": t for i, t in enumerate(templates)}}
                ],
            }
        ]
    }
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "rules.yml").write_text(yaml.safe_dump(rules))
        output = _run(["check", "rules", "rules.yml"], Path(tmp))
    found = {int(m.group(1)): m.group(2) for m in re.finditer(r'annotation "a(\d+)": (.*)', output)}
    return [found.get(i) for i in range(len(templates))]


_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PAIR = re.compile(r"([\w]+)=(" + _QUOTED + ")")
_ALERT = re.compile(r"Labels:\{(.*)\}\s*\n\s*Annotations:\{(.*)\},?[ \t]*\n")


def _pairs(text: str) -> dict[str, str]:
    return {m.group(1): go_unquote(m.group(2)) for m in _PAIR.finditer(text)}


def promtool_expansions(
    templates: list[str],
    values: list[str],
    *,
    labels: dict[str, str] | None = None,
    external_labels: dict[str, str] | None = None,
    external_url: str | None = None,
    extra_series: list[tuple[str, str]] = (),
) -> list[list[str]]:
    """Expand every template for every sample value, as promtool does for a firing alert.

    One alert rule selects one series per value (series notation, e.g. 'NaN', '-1e-05'), all
    carrying ``labels``; the templates are its annotations. Returns expansions[value][template].
    """
    base_labels = labels or {}

    def series_text(case: int) -> str:
        all_labels = {**base_labels, "case": f"{case:04d}"}
        return "v{" + ", ".join(f"{k}={go_quote(v)}" for k, v in all_labels.items()) + "}"

    rules = {
        "groups": [
            {
                "name": "g",
                "rules": [
                    {"alert": "A", "expr": "v", "annotations": {f"a{i:04d}": t for i, t in enumerate(templates)}}
                ],
            }
        ]
    }
    group: dict = {
        "interval": "1m",
        "input_series": [{"series": series_text(i), "values": v} for i, v in enumerate(values)]
        + [{"series": s, "values": v} for s, v in extra_series],
        "alert_rule_test": [{"eval_time": "0m", "alertname": "A", "exp_alerts": []}],
    }
    if external_labels:
        group["external_labels"] = external_labels
    if external_url:
        group["external_url"] = external_url
    test = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [group]}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "rules.yml").write_text(yaml.safe_dump(rules))
        Path(tmp, "test.yml").write_text(yaml.safe_dump(test))
        output = _run(["test", "rules", "test.yml"], Path(tmp))
    by_case: dict[int, dict[str, str]] = {}
    for alert in _ALERT.finditer(output):
        by_case[int(_pairs(alert.group(1))["case"])] = _pairs(alert.group(2))
    if len(by_case) != len(values):
        raise AssertionError(f"promtool reported {len(by_case)} of {len(values)} alerts:\n{output}")
    return [[by_case[c][f"a{i:04d}"] for i in range(len(templates))] for c in range(len(values))]
