"""What the plots are made of: the envelope that keeps long windows small, conditions without a number, and
false positives outside every incident."""

from pathlib import Path

import numpy as np

from simulator.htmlreport.panels import PlotPlanner, envelope
from simulator.htmlreport.svgplot import render_svg
from simulator.scenarios.loader import load_scenario
from simulator.simulate import rule_groups_from_texts, simulate_with_evaluation

FIXTURE_SCENARIO = Path(__file__).resolve().parents[1] / "simulator" / "fixtures" / "project" / "scenarios"


def test_a_short_curve_is_drawn_as_is():
    t = np.arange(10, dtype=np.int64)
    v = np.linspace(0, 1, 10)
    drawn_t, drawn_v = envelope(t, v, buckets=5)
    assert drawn_t is t and drawn_v is v


def test_the_envelope_keeps_every_slice_extreme_in_time_order_and_the_gaps():
    t = np.arange(1000, dtype=np.int64) * 60_000
    v = np.sin(np.arange(1000) / 7.0)
    v[500] = 9.0  # a one-step spike
    v[600:700] = np.nan  # the series is absent for a while
    drawn_t, drawn_v = envelope(t, v, buckets=100)
    assert len(drawn_t) <= 200 and np.all(np.diff(drawn_t) > 0)
    assert 9.0 in drawn_v and np.nanmin(drawn_v) == np.nanmin(v) and np.nanmax(drawn_v) == 9.0
    assert np.isnan(drawn_v[(drawn_t >= 600 * 60_000) & (drawn_t < 700 * 60_000)]).all()
    assert not np.isnan(drawn_v[drawn_t < 600 * 60_000]).any()


RULES = """
groups:
  - name: probes
    rules:
      - alert: NoSuchService
        expr: absent(ranker_requests_total{service="nope"})
"""


def test_a_condition_without_a_number_and_a_false_positive():
    """absent() has no threshold: the plot shows where it returns a series. An alert firing in a quiet scenario
    is plotted around its first firing, as a false positive."""
    groups = rule_groups_from_texts({"probes.yml": RULES})
    result, evaluation = simulate_with_evaluation(load_scenario(FIXTURE_SCENARIO / "quiet.yaml"), groups)
    plots = PlotPlanner(result, evaluation).plots()
    assert [(p.incident, p.alertname, p.role) for p in plots] == [(None, "NoSuchService", "false positive")]
    [plot] = plots
    first = result.false_positives[0].firing_at_ms
    assert plot.origin_ms == first and plot.deadline_ms is None
    [panel] = plot.windows[0].panels
    assert panel.condition.op is None and panel.condition.expr == 'absent(ranker_requests_total{service="nope"})'
    [curve] = panel.curves
    assert set(np.unique(curve.values[~np.isnan(curve.values)])) == {1.0}
    assert b'>absent(ranker_requests_total{service="nope"}) (present)</text>' in render_svg(plot)
