"""The pure pieces of simulator.incidents on small hand-made inputs: clustering by gap, the root by symptom_of
links, the onset and size of a change in a series, the cause score, and drill records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.errors import InputError
from simulator.alertmanager.config import load_alertmanager_config
from simulator.incidents.causes import PRIOR, PROXIMITY_HALF_LIFE_MS, rank_causes
from simulator.incidents.cluster import cluster
from simulator.incidents.drill_record import parse_record, record_json
from simulator.incidents.model import Firing
from simulator.incidents.onset import Trace, series_change
from simulator.incidents.report import DrillNotification, _drill_pages
from simulator.incidents.root import causal_links, root_alert
from simulator.scenarios.model import Event

MIN = 60_000
HOUR = 60 * MIN


def firing(name, pending, fired, resolved=None, severity="page", **labels) -> Firing:
    all_labels = tuple(sorted({"alertname": name, "severity": severity, **labels}.items()))
    return Firing(name, all_labels, severity, pending * MIN, fired * MIN, None if resolved is None else resolved * MIN)


# --- clustering ------------------------------------------------------------------------------------------


def test_a_firing_within_the_gap_of_the_last_resolution_joins_the_incident():
    a = firing("A", 0, 5, resolved=30)
    b = firing("B", 80, 85, resolved=90)  # 55m after A resolved
    c = firing("C", 140, 151, resolved=160)  # 61m after B resolved
    assert [[f.alertname for f in group] for group in cluster([a, b, c], HOUR, 1000 * MIN)] == [["A", "B"], ["C"]]
    assert len(cluster([a, b, c], 0, 1000 * MIN)) == 3


def test_a_still_firing_alert_holds_its_incident_open_to_the_end():
    a = firing("A", 0, 5)  # never resolves
    late = firing("B", 600, 605, resolved=700)
    assert len(cluster([a, late], MIN, 1000 * MIN)) == 1


# --- the root ---------------------------------------------------------------------------------------------

CONFIG = """
route: {receiver: r}
receivers: [{name: r}]
inhibit_rules:
- {source_matchers: ['severity="page"'], target_matchers: ['severity="ticket"'], equal: [service]}
- {source_matchers: ['alertname="Cause"'], target_matchers: ['alertname="Symptom"'], equal: [service]}
- {source_matchers: ['alertname="Symptom"'], target_matchers: ['alertname="Downstream"'], equal: [service]}
"""


def test_links_are_the_inhibit_rules_naming_an_alert_on_both_sides():
    links = causal_links(load_alertmanager_config(CONFIG))
    assert links == {("Cause", "Symptom"), ("Symptom", "Downstream")}
    assert causal_links(None) == set()


def test_the_root_follows_symptom_of_links_even_when_a_symptom_fires_first():
    links = causal_links(load_alertmanager_config(CONFIG))
    firings = [firing("Downstream", 0, 1), firing("Symptom", 1, 2), firing("Cause", 2, 3)]
    root, reason = root_alert(firings, links)
    assert root.alertname == "Cause"
    assert reason == "symptom_of: Symptom is a symptom of it"


def test_without_a_link_among_its_alerts_the_root_is_the_earliest_to_fire():
    links = causal_links(load_alertmanager_config(CONFIG))
    firings = [firing("Other", 0, 1), firing("Symptom", 1, 2)]
    root, reason = root_alert(firings, links)
    assert (root.alertname, reason.startswith("the earliest to fire")) == ("Other", True)


# --- onset and change -----------------------------------------------------------------------------------


def trace(values, direction=-1) -> Trace:
    times = np.arange(len(values), dtype=np.int64) * MIN
    return Trace("ratio", (("service", "s"),), times, np.asarray(values, dtype=float), direction)


def test_the_onset_is_the_first_step_of_the_departure_that_lasts_until_pending():
    rng = np.random.default_rng(1)
    values = 0.92 + rng.normal(0, 0.001, 240)
    values[150:] -= 0.25  # the change at step 150; the alert went pending at step 153
    values[60] -= 0.1  # an earlier blip, not connected to the departure
    change = series_change(trace(values), 153 * MIN)
    assert change is not None
    assert change.onset_ms == 150 * MIN
    assert change.before == pytest.approx(0.92, abs=0.002)
    assert change.after == pytest.approx(0.67, abs=0.002)
    assert change.relative_change == pytest.approx(-0.25 / 0.92, abs=0.005)


def test_a_flat_baseline_needs_a_change_of_one_percent():
    values = np.full(200, 100.0)
    values[150] = 100.5  # 0.5 %: noise-free but too small to count
    values[151:] = 150.0
    change = series_change(trace(values, direction=1), 155 * MIN)
    assert change is not None and change.onset_ms == 151 * MIN and change.after == 150.0


def test_no_baseline_no_change():
    assert series_change(trace([np.nan] * 200), 150 * MIN) is None


# --- causes -----------------------------------------------------------------------------------------------


def event(kind, at_min, **fields) -> Event:
    labels = tuple(sorted(fields.pop("labels", {}).items()))
    return Event(kind, at_min * MIN, labels=labels, **fields)


def test_the_score_is_prior_times_proximity_times_support():
    firings = [firing("A", 102, 107, service="api"), firing("B", 103, 108, severity="ticket", service="api")]
    [cause] = rank_causes([event("deploy", 70, version="v1")], 100 * MIN, firings, None, MIN)
    assert cause.prior == PRIOR["deploy"]
    assert cause.proximity == pytest.approx(0.5 ** (30 * MIN / PROXIMITY_HALF_LIFE_MS))
    assert cause.support == 1.0
    assert cause.score == pytest.approx(PRIOR["deploy"] * 0.5)


def test_scope_labels_and_severity_weigh_the_agreeing_alerts():
    firings = [firing("Page", 101, 106, service="api"), firing("Ticket", 101, 106, severity="ticket", service="db")]
    causes = rank_causes(
        [event("config_change", 99, labels={"service": "db"}), event("config_change", 98, labels={"service": "api"})],
        100 * MIN,
        firings,
        None,
        MIN,
    )
    # The api change is a minute further away but agrees with the page (weight 1) rather than the ticket (0.3).
    assert [c.at_ms for c in causes] == [98 * MIN, 99 * MIN]
    assert causes[0].support == pytest.approx(1 / 1.3)
    assert causes[1].support == pytest.approx(0.3 / 1.3)
    assert "Page is outside its scope (service=db)" in causes[1].evidence[-1]


def test_events_after_the_start_or_a_day_before_it_are_not_candidates():
    firings = [firing("A", 1500, 1505)]
    events = [event("deploy", 1500 + 2), event("deploy", 1500 - 24 * 60 - 1), event("deploy", 1500 + 1)]
    assert [c.at_ms for c in rank_causes(events, 1500 * MIN, firings, None, MIN)] == [1501 * MIN]


def test_an_alert_pending_before_the_event_does_not_support_it():
    firings = [firing("Early", 90, 95), firing("Late", 101, 106)]
    [cause] = rank_causes([event("feature_flag", 100, flag="f")], 100 * MIN, firings, None, MIN)
    assert cause.agreeing == ("Late",)
    assert "Early was pending before it" in cause.evidence[-1]


# --- drill records ------------------------------------------------------------------------------------------


def test_a_drill_record_round_trips_and_gives_the_first_notification_of_each_group():
    class Recorded:
        def __init__(self, at_ms, receiver, group_key, firing):
            self.at_ms, self.receiver, self.group_key, self.firing = at_ms, receiver, group_key, firing

    labels = ((("alertname", "A"), ("service", "s")),)
    recorded = [Recorded(10, "team-pager", "g", labels), Recorded(20, "team-pager", "g", labels)]
    recorded.append(Recorded(30, "team-pager", "g", ()))  # all resolved
    recorded.append(Recorded(40, "team-pager", "g", labels))
    text = record_json("s", 0, 100, recorded, lambda receiver: receiver.endswith("-pager"))
    record = parse_record(text, "r.json", "s")
    assert (record.from_ms, record.end_ms) == (0, 100)
    assert record.notifications[0] == DrillNotification(10, "team-pager", "g", ("A",), True)
    assert [p.at_ms for p in _drill_pages(record.notifications)] == [10, 40]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", r"r.json:1:2: not JSON"),
        ('{"kind": "x"}', r"r.json: not a drill record \(write one with `alertkit drill --record FILE`\)"),
        (
            '{"kind": "alertkit-drill-notifications", "version": 1, "scenario": "other"}',
            r"r.json: scenario: recorded for 'other', not for scenario 's'",
        ),
        (
            '{"kind": "alertkit-drill-notifications", "version": 1, "scenario": "s", "from_ms": 0, "end_ms": 9,'
            ' "notifications": [{"at_ms": -1}]}',
            r"r.json: notifications\[0\].at_ms: invalid value -1",
        ),
        (
            '{"kind": "alertkit-drill-notifications", "version": 1, "scenario": "s", "from_ms": 0, "end_ms": 9,'
            ' "notifications": [{"at_ms": 1, "receiver": "r", "group_key": "g", "firing": []}]}',
            r"r.json: notifications\[0\].pager: required field is missing",
        ),
    ],
)
def test_a_bad_drill_record_is_refused_with_the_field(document, message):
    with pytest.raises(InputError, match=message):
        parse_record(document, "r.json", "s")


def test_record_json_is_valid_json_with_a_version():
    document = json.loads(record_json("s", 0, 1, [], lambda r: False))
    assert (document["schema"], document["version"]) == ("alertkit-drill-notifications", 1)


@pytest.mark.parametrize("name", ['"kind"', '"schema"'])
def test_a_record_named_by_kind_only_or_by_schema_only_is_read(name):
    """Records written before the `schema` field have only `kind`; a record with only `schema` is read too."""
    text = (
        f'{{{name}: "alertkit-drill-notifications", "version": 1, "scenario": "s", "from_ms": 0, "end_ms": 9,'
        ' "notifications": [{"at_ms": 1, "receiver": "r", "group_key": "g", "firing": ["A"], "pager": true}]}'
    )
    assert parse_record(text, "r.json", "s").notifications == (DrillNotification(1, "r", "g", ("A",), True),)
