"""Differential test: generated route trees, inhibit rules and alert timelines, through the model and through the
real Alertmanager 0.25 (a drill at speed 600). Bounded: a few examples, derandomized, ~40 s in all.

Alerts fire after the window opens (so every group starts with group_wait) and group_wait is never a whole number
of evaluation intervals, so no group tick coincides with a POST (a tie the real server orders by chance).
"""

from __future__ import annotations

import yaml
from amserver import running_alertmanager
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from simulator.alertmanager.drill import (
    AlertmanagerClient,
    WebhookRecorder,
    compare,
    drill_config,
    model_config,
    model_notifications,
    plan_drill,
    receiver_latency_s,
    run_drill,
    shortest_group_interval_ms,
    uncertain_windows,
)
from simulator.report import render_drill_text
from simulator.rules.model import AlertInterval, AlertTimeline

M = 60_000
SPEED = 300
SPAN_MS = 40 * M
LABEL_VALUES = {"alertname": ["A", "B", "C"], "team": ["x", "y"], "severity": ["page", "ticket"]}
MATCHERS = ['team="x"', 'severity="page"', 'alertname=~"A|B"', 'team!="y"', 'alertname="C"']
GROUP_BY = [["alertname"], ["team"], ["alertname", "team"], ["..."], []]


@st.composite
def route(draw, depth: int, receivers: list[str]) -> dict:
    node: dict = {"receiver": draw(st.sampled_from(receivers))}
    if depth > 0:
        node["matchers"] = draw(st.lists(st.sampled_from(MATCHERS), min_size=1, max_size=2, unique=True))
        node["continue"] = draw(st.booleans())
    if depth == 0 or draw(st.booleans()):
        node["group_by"] = draw(st.sampled_from(GROUP_BY))
        node["group_wait"] = draw(st.sampled_from(["30s", "45s", "90s"]))
        node["group_interval"] = draw(st.sampled_from(["2m", "3m", "5m"]))
        node["repeat_interval"] = draw(st.sampled_from(["10m", "15m", "20m"]))
    if depth < 2:
        children = draw(st.lists(route(depth + 1, receivers), max_size=3 - depth))
        if children:
            node["routes"] = children
    return node


@st.composite
def alertmanager_config(draw) -> str:
    receivers = ["r0", "r1", "r2"]
    document = {
        "route": draw(route(0, receivers)),
        "inhibit_rules": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "source_matchers": st.just(['alertname="A"']),
                        "target_matchers": st.sampled_from([['alertname="B"'], ['severity="ticket"']]),
                        "equal": st.sampled_from([["team"], []]),
                    }
                ),
                max_size=1,
            )
        ),
        "receivers": [
            {
                "name": name,
                "webhook_configs": [{"url": f"http://127.0.0.1:1/{name}", "send_resolved": draw(st.booleans())}],
            }
            for name in receivers
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


@st.composite
def timelines(draw) -> list[AlertTimeline]:
    label_sets = draw(
        st.lists(
            st.fixed_dictionaries({name: st.sampled_from(values) for name, values in LABEL_VALUES.items()}),
            min_size=1,
            max_size=4,
            unique_by=lambda labels: tuple(sorted(labels.items())),
        )
    )
    found = []
    for labels in label_sets:
        fired = draw(st.integers(2, 20)) * M
        lasts = draw(st.one_of(st.none(), st.integers(2, 15)))
        intervals = [AlertInterval(fired - M, fired, None if lasts is None else fired + lasts * M)]
        if lasts is not None and draw(st.booleans()):
            again = fired + (lasts + draw(st.integers(3, 10))) * M
            intervals.append(AlertInterval(again, again + M, None))
        found.append(AlertTimeline(labels["alertname"], dict(labels), intervals))
    return found


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example is a real drill
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(config_text=alertmanager_config(), alerts=timelines())
def test_model_equals_real_alertmanager(config_text, alerts, tmp_path_factory):
    # A drill whose posts fell behind the plan (a busy shared machine) proves nothing: run it again, up to 3 times.
    for _attempt in range(3):
        with WebhookRecorder() as recorder:
            text = drill_config(config_text, SPEED, recorder.url)
            config = model_config(text, SPEED)
            recorder.latency_s = receiver_latency_s(config, SPEED)
            plan = plan_drill(alerts, config, M, 0, SPAN_MS, SPEED)
            with running_alertmanager(text, tmp_path_factory.mktemp("am")) as url:
                run = run_drill(plan, AlertmanagerClient(url), recorder, 0)
        if run.max_post_lag_s < 0.05:
            break
    assert run.max_post_lag_s < 0.05, f"the drill fell behind by {run.max_post_lag_s:.3f} s: machine too busy"
    real = [n for n in run.notifications if n.at_ms <= plan.end_ms]
    problems = compare(
        model_notifications(plan), real, SPEED, shortest_group_interval_ms(config), uncertain_windows(plan)
    )
    assert problems == [], render_drill_text(model_notifications(plan), real, problems, "") + config_text
