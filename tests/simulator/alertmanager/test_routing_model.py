"""The routing and inhibition models against the real amtool 0.25 and against inhibit.go's rules.

Routing: the model's receivers must equal `amtool config routes test` on generated route trees (continue,
=, !=, =~, !~, legacy match/match_re, nesting), and amtool's --verify.receivers must accept them. amtool
missing is a failure, not a skip.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from simulator.alertmanager.config import AlertmanagerConfigError, load_alertmanager_config, parse_matcher
from simulator.alertmanager.inhibit import inhibited
from simulator.alertmanager.routing import match_routes, receivers_for

LABELS = {"team": ["a", "b", ""], "severity": ["page", "ticket", "info"], "service": ["x", "y1", "yz"]}
TREES = 6
LABEL_SETS_PER_TREE = 8


def amtool_receivers(config: Path, labels: dict[str, str], verify: list[str] | None = None) -> tuple[str, int]:
    amtool = shutil.which("amtool")
    assert amtool, "amtool is required (make test installs it from Debian's prometheus-alertmanager package)"
    args = [f"{name}={value}" for name, value in labels.items() if value]
    extra = [f"--verify.receivers={','.join(verify)}"] if verify is not None else []
    completed = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *extra, *args], capture_output=True, text=True
    )
    return completed.stdout.strip().splitlines()[0], completed.returncode


def _matcher(rng: random.Random) -> str:
    name = rng.choice(sorted(LABELS))
    value = rng.choice(LABELS[name])
    op = rng.choice(["=", "!=", "=~", "!~"])
    if op in ("=~", "!~"):
        value = rng.choice([value, f"{value}|z", "y.*", ".*a", "(page|info)"])
    return f'{name}{op}"{value}"'


def _route(rng: random.Random, depth: int, counter: list[int]) -> dict:
    counter[0] += 1
    route: dict = {"receiver": f"r{counter[0]}"}
    style = rng.random()
    if style < 0.15:
        route["match"] = {"team": rng.choice(LABELS["team"][:2])}
    elif style < 0.25:
        route["match_re"] = {"service": rng.choice(["y.*", "x|yz"])}
    else:
        route["matchers"] = [_matcher(rng) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.4:
        route["continue"] = True
    if depth < 2 and rng.random() < 0.5:
        route["routes"] = [_route(rng, depth + 1, counter) for _ in range(rng.randint(1, 3))]
    return route


def generated_tree(seed: int) -> dict:
    rng = random.Random(seed)
    counter = [0]
    routes = [_route(rng, 0, counter) for _ in range(rng.randint(2, 4))]
    receivers = [{"name": "root"}] + [{"name": f"r{i}"} for i in range(1, counter[0] + 1)]
    return {"route": {"receiver": "root", "routes": routes}, "receivers": receivers}


@pytest.mark.parametrize("seed", range(TREES))
def test_model_routes_generated_trees_as_amtool_does(seed, tmp_path):
    document = generated_tree(seed)
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    config = load_alertmanager_config(path.read_text())
    rng = random.Random(1000 + seed)
    for _ in range(LABEL_SETS_PER_TREE):
        labels = {name: rng.choice(values) for name, values in LABELS.items()}
        model = receivers_for(config, labels)

        printed, _ = amtool_receivers(path, labels)
        assert printed == ",".join(model), (labels, document)
        _, status = amtool_receivers(path, labels, verify=model)
        assert status == 0


def test_a_matching_child_stops_the_scan_unless_it_continues():
    config = load_alertmanager_config(
        """
route:
  receiver: root
  routes:
  - {receiver: first, matchers: ['team="a"'], continue: true}
  - {receiver: second, matchers: ['team=~"a|b"'], routes: [{receiver: inner, matchers: ['severity="page"']}]}
  - {receiver: third, matchers: ['team="a"']}
receivers: [{name: root}, {name: first}, {name: second}, {name: third}, {name: inner}]
"""
    )
    assert receivers_for(config, {"team": "a", "severity": "page"}) == ["first", "inner"]
    assert receivers_for(config, {"team": "a"}) == ["first", "second"]  # no child matched: the node itself
    assert receivers_for(config, {"team": "ab"}) == ["root"]  # regexes are anchored
    route = match_routes(config.route, {"team": "b", "severity": "page"})[0]
    assert route.key() == '{}/{team=~"a|b"}/{severity="page"}'


def test_matchers_parse_as_alertmanager_parses_them():
    assert (parse_matcher('a="x\\"y"').value, parse_matcher("a = b ").value) == ('x"y', "b")
    assert parse_matcher('a=~"x\\\\d"').value == "x\\d"
    with pytest.raises(AlertmanagerConfigError, match="unescaped double quote"):
        parse_matcher('a="x"y"')
    with pytest.raises(AlertmanagerConfigError, match="bad matcher format"):
        parse_matcher("1a=b")


INHIBIT = """
route: {receiver: r}
receivers: [{name: r}]
inhibit_rules:
- {source_matchers: ['alertname="Cause"'], target_matchers: ['alertname="Symptom"'], equal: [service]}
- {source_matchers: ['severity="page"'], target_matchers: ['severity=~"page|ticket"'], equal: [service]}
"""


def _names(firing: list[dict[str, str]]) -> list[str]:
    config = load_alertmanager_config(INHIBIT)
    return [firing[item.target]["alertname"] for item in inhibited(config.inhibit_rules, firing)]


def test_inhibition_needs_equal_labels_and_counts_missing_on_both_sides_as_equal():
    cause = {"alertname": "Cause", "service": "ranker"}
    assert _names([cause, {"alertname": "Symptom", "service": "ranker"}]) == ["Symptom"]
    assert _names([cause, {"alertname": "Symptom", "service": "search"}]) == []
    assert _names([{"alertname": "Cause"}, {"alertname": "Symptom"}]) == ["Symptom"]  # "" == ""
    assert _names([{"alertname": "Symptom", "service": "ranker"}]) == []


def test_an_alert_matching_both_sides_is_not_muted_by_another_that_does():
    page = {"alertname": "P1", "severity": "page", "service": "ranker"}
    other_page = {"alertname": "P2", "severity": "page", "service": "ranker"}
    ticket = {"alertname": "T", "severity": "ticket", "service": "ranker"}
    assert _names([page, other_page]) == []  # both match source and target: neither mutes the other
    assert _names([page, ticket]) == ["T"]


def test_an_empty_group_by_inherits_the_parents_grouping_as_alertmanager_0_25_does():
    # Found by the drill differential against the real Alertmanager 0.25: `group_by: []` is not "group by nothing".
    config = load_alertmanager_config(
        "route:\n  receiver: r\n  group_by: [alertname, team]\n  routes:\n  - receiver: r\n    group_by: []\n"
        "receivers:\n- name: r\n"
    )
    child = config.route.routes[0]
    assert child.group_by == ("alertname", "team") and not child.group_by_all
