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

from simulator.gotemplate.goquote import go_unquote

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


_ANNOTATION = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*")')


def promtool_expansions(
    templates: list[str],
    *,
    series: str,
    value: str,
    external_labels: dict[str, str] | None = None,
    external_url: str | None = None,
    extra_series: list[tuple[str, str]] = (),
) -> list[str]:
    """Expand each template as an annotation of an alert firing on one input series with one
    value (series notation, e.g. 'NaN', '-1e-05'); returns what promtool says it got."""
    rules = {
        "groups": [
            {
                "name": "g",
                "rules": [
                    {
                        "alert": "A",
                        "expr": series.split("{")[0],
                        "annotations": {f"a{i:04d}": t for i, t in enumerate(templates)},
                    }
                ],
            }
        ]
    }
    group: dict = {
        "interval": "1m",
        "input_series": [{"series": series, "values": value}]
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
    match = re.search(r"Annotations:\{(.*)\}\s*\n", output)
    if match is None:
        raise AssertionError(f"promtool reported no alert:\n{output}")
    found = {m.group(1): go_unquote(m.group(2)) for m in _ANNOTATION.finditer(match.group(1))}
    return [found[f"a{i:04d}"] for i in range(len(templates))]
