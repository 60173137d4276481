"""Refresh the expected outputs in expansions.yaml from the real promtool 2.42.

Usage: .venv/bin/python tests/common/gotemplate/regenerate_expansions.py
The inputs (suites, values, templates) are edited by hand in the YAML; only the ``expect``
mappings are rewritten. test_expansions_match_promtool fails when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from gotemplate_oracle import promtool_expansions  # noqa: E402

FIXTURE = HERE / "expansions.yaml"

HEADER = """\
# Alert template expansions as promtool 2.42 (Go 1.19 text/template) produces them.
# Inputs are hand-written; every `expect` was written by regenerate_expansions.py from promtool's
# own output and is re-checked against promtool by test_expansions_match_promtool.
# Each suite fires one alert per value (series v{labels..., case="NNNN"}); its templates are the
# alert's annotations. query_results stub the nested `query` function with what promtool's
# engine returns for the suite's extra_series (in promtool's order: series creation order).
"""


def expected_for_suite(suite: dict) -> list[dict[str, str]]:
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
    return [{value: results[v][t] for v, value in enumerate(values)} for t in range(len(templates))]


def main() -> None:
    document = yaml.safe_load(FIXTURE.read_text())
    for suite in document["suites"]:
        for case, expect in zip(suite["cases"], expected_for_suite(suite)):
            case["expect"] = expect
    FIXTURE.write_text(HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100))


if __name__ == "__main__":
    main()
