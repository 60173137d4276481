"""What `alertkit diff` reuses between the two sides is provably the same: closures of rule groups, and
results equal to simulating each side alone."""

from __future__ import annotations

from pathlib import Path

from compiler.snapshot import snapshot_project
from simulator.alertmanager.config import load_alertmanager_config
from simulator.report import to_json_document
from simulator.review.evaluation import Revision, Simulations, closure_digests, group_closures
from simulator.rules.loader import parse_rule_text
from simulator.scenarios.loader import parse_scenario
from simulator.simulate import add_paging, rule_groups_from_texts, simulate

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "project"

RULES = """groups:
- name: writer
  rules:
  - record: job:up:sum
    expr: sum(up)
- name: reader
  rules:
  - alert: Down
    expr: job:up:sum < 1
- name: alone
  rules:
  - alert: Other
    expr: other > 0
- name: alerts_reader
  rules:
  - alert: Many
    expr: count(ALERTS) > 3
- name: any_reader
  rules:
  - record: all:count
    expr: count({__name__=~".+"})
"""


def _groups(text: str):
    groups, problems = parse_rule_text(text, "rules.yml")
    assert not problems
    return groups


def test_closures_follow_recording_rules_alerts_and_any_name_selectors() -> None:
    closures = group_closures(_groups(RULES))
    writer, reader, alone, alerts_reader, any_reader = range(5)
    assert closures[writer] == {writer}
    assert closures[reader] == {reader, writer}
    assert closures[alone] == {alone}
    # ALERTS is written by every group with an alerting rule, so its reader depends on all of them.
    assert closures[alerts_reader] == {alerts_reader, reader, alone, writer}
    # A selector of any name reads every group's output.
    assert closures[any_reader] == {writer, reader, alone, alerts_reader, any_reader}


def test_a_change_in_a_read_group_changes_its_readers_digest_only() -> None:
    before = closure_digests(_groups(RULES))
    after = closure_digests(_groups(RULES.replace("sum(up)", "max(up)")))
    changed = {index for index, (old, new) in enumerate(zip(before, after)) if old != new}
    assert changed == {0, 1, 3, 4}  # writer, reader, and the two that read everything's output; not `alone`


def _revision(label: str, root: Path, replace: tuple[str, str] | None = None) -> Revision:
    snapshot = snapshot_project(root)
    rule_texts = {path: text for path, text in snapshot.files.items() if path.startswith("prometheus/")}
    if replace is not None:
        rule_texts = {path: text.replace(*replace) for path, text in rule_texts.items()}
    scenarios = {f"scenarios/{p.name}": p.read_text() for p in sorted((root / "scenarios").glob("*.yaml"))}
    return Revision(label, rule_texts, snapshot.paging_alertmanager_text, scenarios)


def test_reused_results_equal_simulating_each_side_alone() -> None:
    base = _revision("base", FIXTURE)
    head = _revision("head", FIXTURE, ("> 0.2)", "> 0.23)"))
    simulations = Simulations()
    runs = [simulations.run(base), simulations.run(head)]
    assert runs[1].stats.groups_reused > 0 and runs[1].stats.series_reused == len(head.scenario_texts)
    for revision, run in zip((base, head), runs):
        groups = rule_groups_from_texts(revision.rule_texts)
        assert revision.alertmanager_text is not None
        config = load_alertmanager_config(revision.alertmanager_text)
        for path, text in revision.scenario_texts.items():
            alone = simulate(parse_scenario(text, path), groups)
            add_paging(alone, config)
            assert to_json_document([run.results[path]]) == to_json_document([alone])
