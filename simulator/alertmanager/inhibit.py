"""Which alerts an inhibit rule mutes: inhibit/inhibit.go Mutes and hasEqual, over alerts firing together.

A target is muted when some rule's target matchers match it and a firing source of that rule has the same
values of every `equal` label (a label missing on both sides counts as equal: both are ""). An alert matching
both sides of a rule is not muted by a source that also matches both sides, itself included.
Timing is not modelled here: every alert given is taken as firing and already received by the inhibitor (the
dispatcher decides that at flush time).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.alertmanager.config import InhibitRule, matches_all


@dataclass(frozen=True)
class Inhibition:
    """An alert muted by a rule, and the first source (in the order given) that mutes it."""

    target: int  # index of the muted alert
    source: int  # index of the alert that mutes it
    rule: int  # index of the rule among inhibit_rules


def find_inhibitor(rules: list[InhibitRule], firing: list[dict[str, str]], target: dict[str, str]) -> Inhibition | None:
    """inhibit.go Mutes for one alert: the first rule (in config order) and source that mute it, or None."""
    for rule_index, rule in enumerate(rules):
        if not matches_all(rule.target_matchers, target):
            continue
        exclude_two_sided = matches_all(rule.source_matchers, target)
        for source_index, source in enumerate(firing):
            if not matches_all(rule.source_matchers, source):
                continue
            if any(source.get(name, "") != target.get(name, "") for name in rule.equal):
                continue
            if exclude_two_sided and matches_all(rule.target_matchers, source):
                continue
            return Inhibition(-1, source_index, rule_index)
    return None


def inhibited(rules: list[InhibitRule], firing: list[dict[str, str]]) -> list[Inhibition]:
    """Every alert of `firing` that the others (or itself) mute, in order."""
    found = []
    for index, labels in enumerate(firing):
        inhibition = find_inhibitor(rules, firing, labels)
        if inhibition is not None:
            found.append(Inhibition(index, inhibition.source, inhibition.rule))
    return found
