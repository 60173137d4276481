"""Which expressions `promtool check rules` (2.42) accepts, many per promtool call.

Every expression becomes one recording rule of one rule file; promtool reports each rule it
refuses as `<file>: <line>:<col>: group "<g>", rule <n>, "<record>": could not parse
expression: <error>`, so one call judges thousands of expressions. promtool missing is a
failure (FileNotFoundError), never a skip.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import yaml

PROMTOOL = "/usr/bin/promtool"
_RULES_PER_GROUP = 500
_REFUSED = re.compile(r'group "g(\d+)", rule (\d+), "[^"]*": (?:could not parse expression: )?(.*)$')


def promtool_verdicts(expressions: list[str]) -> list[str | None]:
    """Per expression, promtool's parse error text, or None when it accepts the expression."""
    groups = [
        {
            "name": f"g{start // _RULES_PER_GROUP}",
            "rules": [{"record": "r", "expr": expr} for expr in expressions[start : start + _RULES_PER_GROUP]],
        }
        for start in range(0, len(expressions), _RULES_PER_GROUP)
    ]
    verdicts: list[str | None] = [None] * len(expressions)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "rules.yml"
        path.write_text(yaml.safe_dump({"groups": groups}, allow_unicode=True, width=1 << 20))
        run = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    for line in (run.stdout + run.stderr).splitlines():
        match = _REFUSED.search(line)
        if match:
            group, rule, error = int(match.group(1)), int(match.group(2)), match.group(3)
            verdicts[group * _RULES_PER_GROUP + rule - 1] = error
    refused = sum(v is not None for v in verdicts)
    if run.returncode != 0 and refused == 0:
        raise AssertionError(f"promtool check rules failed without a per-rule verdict:\n{run.stdout}{run.stderr}")
    if run.returncode == 0 and refused:
        raise AssertionError("promtool succeeded but a rule was reported as refused")
    return verdicts
