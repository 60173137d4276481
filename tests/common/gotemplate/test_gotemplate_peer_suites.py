"""Every alert label/annotation template of the peer suites (real-world rule files in
shared/peer-suites) parses and expands exactly as promtool 2.42 does them."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from gotemplate_oracle import promtool_expansions, promtool_parse_errors

from common.gotemplate import GoTemplateError, TemplateData, expand_alert_template, parse_template

# shared/ sits beside the repository (CI clones main next to it); a clone elsewhere falls back to
# the workplace's copy.
REPO_DEPTH = 3  # tests/common/gotemplate/this file


def _peer_suites() -> Path:
    """shared/peer-suites beside the repository, or beside the directory holding its worktrees."""
    for ancestor in Path(__file__).resolve().parents:
        candidate = ancestor / "shared" / "peer-suites"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[REPO_DEPTH].parent / "shared" / "peer-suites"


PEER_SUITES = _peer_suites()


def _alert_rules(document) -> list[dict]:
    if not isinstance(document, dict):
        return []
    groups = document.get("groups") or (document.get("spec") or {}).get("groups") or []
    rules = []
    for group in groups if isinstance(groups, list) else []:
        rules += [r for r in (group or {}).get("rules") or [] if isinstance(r, dict) and "alert" in r]
    return rules


@cache
def peer_templates() -> list[str]:
    """Distinct label and annotation templates of all alerting rules in the peer suites."""
    found: set[str] = set()
    for path in sorted(PEER_SUITES.rglob("*.y*ml")):
        text = path.read_text()
        if "alert:" not in text:
            continue  # test files and recording rules
        try:
            documents = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        except yaml.YAMLError:
            continue  # a few files are templated YAML that only their own tooling renders
        for rule in (r for doc in documents for r in _alert_rules(doc)):
            for key in ("labels", "annotations"):
                found.update(v for v in (rule.get(key) or {}).values() if isinstance(v, str))
    return sorted(found)


def test_peer_suites_have_templates() -> None:
    assert len(peer_templates()) > 1000, f"peer suites not found or empty at {PEER_SUITES}"


def test_peer_templates_parse_like_promtool() -> None:
    ours = []
    for text in peer_templates():
        try:
            parse_template(text, alert_name="A")
            ours.append(None)
        except GoTemplateError as err:
            ours.append(str(err))
    assert ours == promtool_parse_errors(peer_templates())


def _referenced(pattern: str) -> list[str]:
    return sorted({name for text in peer_templates() for name in re.findall(pattern, text)} - {"case", "__name__"})


def test_peer_templates_expand_like_promtool() -> None:
    # Every label a template reads gets a value shaped like host:port, so stripPort, reReplaceAll
    # and friends have work to do. Nested queries find nothing in promtool's storage (only v{}
    # series exist), matched here by a query stub that returns no samples.
    labels = {
        name: f"{name}-val.example.com:9{i % 10}" for i, name in enumerate(_referenced(r"(?:\$labels|\.Labels)\.(\w+)"))
    }
    external = {name: f"ext_{name}" for name in _referenced(r"(?:\$externalLabels|\.ExternalLabels)\.(\w+)")}
    external["environment"] = "staging"
    url = "https://prom.example/x"
    values = ["0.123456", "98765.4321", "NaN"]
    templates = peer_templates()
    theirs = promtool_expansions(templates, values, labels=labels, external_labels=external, external_url=url)
    mismatches = []
    for case, value in enumerate(values):
        data = TemplateData(
            labels={"__name__": "v", **labels, "case": f"{case:04d}"},
            external_labels=external,
            external_url=url,
            value=float(value),
        )
        for index, text in enumerate(templates):
            ours = expand_alert_template(text, data, alert_name="A", query=lambda _: [])
            if ours != theirs[case][index]:
                mismatches.append((value, text, ours, theirs[case][index]))
    assert mismatches == []
