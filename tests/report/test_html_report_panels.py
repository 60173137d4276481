"""What the plots are made of: the envelope that keeps long windows small, conditions without a number, and
false positives outside every incident."""

from pathlib import Path

import numpy as np
import pytest

from simulator.htmlreport.panels import PlotPlanner, envelope
from simulator.htmlreport.svgplot import condition_title, render_svg
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
      - alert: BusierThanAnHourAgo
        expr: sum(rate(ranker_requests_total[5m])) > sum(rate(ranker_requests_total[5m] offset 1h)) * 1.1
"""


@pytest.fixture(scope="module")
def probe_plots():
    groups = rule_groups_from_texts({"probes.yml": RULES})
    result, evaluation = simulate_with_evaluation(load_scenario(FIXTURE_SCENARIO / "quiet.yaml"), groups)
    return result, {p.alertname: p for p in PlotPlanner(result, evaluation).plots()}


def test_a_condition_without_a_number_and_a_false_positive(probe_plots):
    """absent() has no threshold: the plot shows where it returns a series. An alert firing in a quiet scenario
    is plotted around its first firing, as a false positive."""
    result, plots = probe_plots
    assert sorted(plots) == ["BusierThanAnHourAgo", "NoSuchService"]
    plot = plots["NoSuchService"]
    assert (plot.incident, plot.role) == (None, "false positive")
    first = min(fp.firing_at_ms for fp in result.false_positives if fp.alertname == "NoSuchService")
    assert plot.origin_ms == first and plot.deadline_ms is None
    [panel] = plot.windows[0].panels
    assert panel.condition.op is None and panel.condition.expr == 'absent(ranker_requests_total{service="nope"})'
    [curve] = panel.curves
    assert set(np.unique(curve.values[~np.isnan(curve.values)])) == {1.0}
    assert b'>absent(ranker_requests_total{service="nope"}) (present)</text>' in render_svg(plot)


def test_a_comparison_of_two_expressions_draws_both_sides(probe_plots):
    """`a > b * 1.1`: a is the curve, b * 1.1 the threshold series; the alert (for: 0) fires exactly at the
    evaluations where the curve is above the threshold series."""
    _result, plots = probe_plots
    plot = plots["BusierThanAnHourAgo"]
    [panel] = plot.windows[0].panels
    condition = panel.condition
    assert (condition.expr, condition.op, condition.threshold) == ("sum(rate(ranker_requests_total[5m]))", ">", None)
    assert condition.threshold_expr == "sum(rate(ranker_requests_total[5m] offset 1h)) * 1.1"
    [value], [threshold] = panel.curves, panel.threshold_curves
    assert np.array_equal(value.t_ms, threshold.t_ms)
    above = value.values > threshold.values
    firing = np.zeros(len(value.t_ms), dtype=bool)
    for band in plot.bands:
        if band.state == "firing":
            firing |= (value.t_ms >= band.start_ms) & (value.t_ms < band.end_ms)
    assert above.any() and not above.all()
    assert np.array_equal(above, firing)
    title = condition_title(condition)  # both sides, each cut to half a column
    assert title == "sum(rate(ranker_requests_total[5m])) > sum(rate(ranker_requests_total[5m] offset…"
    assert f">{title.replace('>', '&gt;')}</text>".encode() in render_svg(plot)
