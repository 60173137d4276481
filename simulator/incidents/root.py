"""The root alert of an incident: the one its alerts' `symptom_of` links point at, else the earliest to fire.

The links are read from what Alertmanager loads, never from the compiler: `symptom_of: Cause` compiles into an
inhibit rule whose source matchers name alertname="Cause" and whose target matchers name alertname="Symptom"
(compiler/routing_causes.py writes it; docs/alertmanager.md). Other inhibit rules (severity=page mutes
severity=ticket) name no alert on both sides and are not causal links.
"""

from __future__ import annotations

from simulator.alertmanager.config import AlertmanagerConfig, InhibitRule

from .model import Firing

ALERTNAME = "alertname"


def causal_links(config: AlertmanagerConfig | None) -> set[tuple[str, str]]:
    """(cause, symptom) alertname pairs of the inhibit rules that link one named alert to another."""
    if config is None:
        return set()
    links = set()
    for rule in config.inhibit_rules:
        cause, symptom = _named(rule, "source"), _named(rule, "target")
        if cause and symptom and cause != symptom:
            links.add((cause, symptom))
    return links


def _named(rule: InhibitRule, side: str) -> str | None:
    matchers = rule.source_matchers if side == "source" else rule.target_matchers
    names = [m.value for m in matchers if m.name == ALERTNAME and m.op == "="]
    return names[0] if len(names) == 1 else None


def root_alert(firings: list[Firing], links: set[tuple[str, str]]) -> tuple[Firing, str]:
    """The root firing and why: a cause (by symptom_of) of another alert of the incident that is itself no
    symptom of one, the earliest such; else the earliest to fire. `firings` are in firing order."""
    names = {f.alertname for f in firings}
    symptoms = {symptom for cause, symptom in links if cause in names and symptom in names}
    for firing in firings:
        if firing.alertname in symptoms:
            continue
        muted = sorted(symptom for cause, symptom in links if cause == firing.alertname and symptom in names)
        if muted:
            return (
                firing,
                f"symptom_of: {', '.join(muted)} {'is a symptom' if len(muted) == 1 else 'are symptoms'} of it",
            )
    return firings[0], "the earliest to fire (no symptom_of link among the incident's alerts)"
