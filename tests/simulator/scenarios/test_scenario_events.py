"""Scenario `events:` (issue 9): changes made to the system, validated and placed in time order; they change no
generated series."""

from __future__ import annotations

import numpy as np

from simulator.scenarios import generate_series, parse_scenario
from simulator.scenarios.model import Event

BASE = "name: s\nduration: 6h\n"
EVENTS = """\
events:
  - {type: schema_change, at: 3h, version: v7, labels: {feature: item_embedding}}
  - {type: deploy, at: 1h, version: v2.3.1, description: release}
  - {type: feature_flag, at: 1h, flag: boost}
"""


def test_events_are_placed_in_time_order_with_their_lines():
    scenario = parse_scenario(BASE + EVENTS, "s.yaml")
    assert scenario.events == (
        Event("deploy", 3_600_000, "release", "v2.3.1", None, (), 5),
        Event("feature_flag", 3_600_000, "", None, "boost", (), 6),
        Event("schema_change", 10_800_000, "", "v7", None, (("feature", "item_embedding"),), 4),
    )
    assert [e.title for e in scenario.events] == ["deploy v2.3.1", "feature_flag boost", "schema_change v7"]


def test_events_change_no_series():
    with_events = generate_series(parse_scenario(BASE + EVENTS))
    without = generate_series(parse_scenario(BASE))
    assert [s.labels for s in with_events] == [s.labels for s in without]
    assert all(np.array_equal(a.values, b.values) for a, b in zip(with_events, without))
