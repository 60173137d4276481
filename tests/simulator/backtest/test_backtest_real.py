"""Backtests against the real Prometheus 2.42 over a backfilled shipped scenario: the alert timelines and pages
must equal `alertkit simulate`'s on the same scenario, with local evaluation and with --remote-eval."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ORIGIN, ORIGIN_MS, ROOT, SCENARIO

from compiler.cli import main as alertkit
from compiler.memory_build import ProjectSources
from simulator.backtest.client import PrometheusAPI
from simulator.backtest.fetch import fetch_raw
from simulator.backtest.plan import evaluation_grid, fetches, rule_exprs, rule_output_names
from simulator.commands.rules_source import RulesSource
from simulator.scenarios.generators import generate_series
from simulator.scenarios.loader import load_scenario
from simulator.simulate import simulate

PROJECT = [
    "--alerts",
    str(ROOT / "alerts"),
    "--runbooks",
    str(ROOT / "runbooks"),
    "--config",
    str(ROOT / "alertkit.yaml"),
]
FAR_FUTURE_MS = 4_000_000_000_000


@pytest.fixture(scope="module")
def project():
    return RulesSource(ProjectSources.under(ROOT), None)


@pytest.fixture(scope="module")
def simulated(project):
    """simulate's result on the scenario, with the pages of every alert.

    Every alert, observed or not: `simulate` pages only the alerts reading the scenario's metrics, while a backtest
    pages whatever fires on the store, as Prometheus would (FeaturePipelineStale fires on this store, which holds no
    feature-pipeline gauge: a missing gauge alerts)."""
    from simulator.alertmanager.config import load_alertmanager_config
    from simulator.alertmanager.timeline import page_scenario

    scenario = load_scenario(SCENARIO)
    result = simulate(scenario, project.groups())
    config = load_alertmanager_config(project.alertmanager_text())
    result.paging = page_scenario(config, result.timelines, [], scenario.evaluation_interval_ms, scenario.duration_ms)
    return scenario, result


def expected_alerts(result) -> list[dict]:
    """simulate's timelines as the backtest's JSON writes them (Unix seconds)."""

    def at(t_ms):
        return None if t_ms is None else (ORIGIN_MS + t_ms) // 1000

    return [
        {
            "alertname": tl.alertname,
            "labels": dict(sorted(tl.labels.items())),
            "intervals": [[at(i.pending_at_ms), at(i.firing_at_ms), at(i.resolved_at_ms)] for i in tl.intervals],
        }
        for tl in result.timelines
    ]


def backtest_json(url: str, *extra: str) -> dict:
    to = str((ORIGIN_MS + load_scenario(SCENARIO).duration_ms) // 1000)
    result = CliRunner().invoke(
        alertkit, ["backtest", "--prometheus", url, "--from", ORIGIN, "--to", to, "--json", *PROJECT, *extra]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads((ROOT / "docs" / "schemas" / "backtest.schema.json").read_text()))
    return document


def alerts_of(document: dict) -> list[dict]:
    return [
        {
            "alertname": a["alertname"],
            "labels": a["labels"],
            "intervals": [[i["pending_at_s"], i["firing_at_s"], i["resolved_at_s"]] for i in a["intervals"]],
        }
        for a in document["revisions"][0]["alerts"]
    ]


@pytest.mark.parametrize("mode", [[], ["--remote-eval"]], ids=["local", "remote-eval"])
def test_backtest_timelines_and_pages_equal_simulate(prometheus, simulated, mode):
    _scenario, result = simulated
    document = backtest_json(prometheus, *mode)
    expected = expected_alerts(result)
    assert any(a["intervals"] and a["intervals"][0][1] is not None for a in expected), "the scenario must fire"
    assert alerts_of(document) == expected
    assert result.paging is not None
    simulated_pages = [
        [(ORIGIN_MS + n.at_ms) / 1000, n.receiver] for n in result.paging.notifications if n.kind == "page"
    ]
    assert simulated_pages, "the scenario must page"
    assert [[p["at_s"], p["receiver"]] for p in document["revisions"][0]["pages"]] == simulated_pages
    assert document["remote_eval"] == bool(mode)


def test_fetched_samples_are_the_generated_samples_exactly(prometheus, project):
    """export-openmetrics -> promtool backfill -> Prometheus -> range-selector fetch loses nothing and changes
    no bit, across chunk boundaries."""
    scenario = load_scenario(SCENARIO)
    groups = project.groups()
    grid = evaluation_grid(ORIGIN_MS, ORIGIN_MS + scenario.duration_ms, 60_000)
    outputs = rule_output_names(groups)
    plan = fetches(rule_exprs(groups), grid, outputs)
    # A small point bound forces many chunks per selector.
    raw = fetch_raw(PrometheusAPI(prometheus), plan, outputs, now_ms=FAR_FUTURE_MS, max_points=20_000)
    assert raw.stats.chunks > 2 * len(plan)
    generated = {s.labels: s for s in generate_series(scenario)}
    assert raw.series, "nothing fetched"
    for labels, (t, v) in raw.series.items():
        assert np.array_equal(t, generated[labels].t_ms + ORIGIN_MS), labels
        assert np.array_equal(v.view(np.uint64), generated[labels].values.view(np.uint64)), labels


def test_cached_chunks_are_reused_and_give_the_same_report(prometheus, tmp_path):
    cache = tmp_path / "cache"
    first = backtest_json(prometheus, "--cache", str(cache))
    files = sorted(cache.iterdir())
    assert len(files) == first["chunks"] and first["chunks_from_cache"] == 0
    assert all(f.suffix == ".json" for f in files)
    again = backtest_json(prometheus, "--cache", str(cache))
    assert again["chunks_from_cache"] == again["chunks"] == len(files)
    del first["chunks_from_cache"], again["chunks_from_cache"]
    assert again == first
    assert sorted(cache.iterdir()) == files


def test_a_bearer_token_is_sent_but_never_shown(prometheus, tmp_path, monkeypatch):
    token = "s3cr3t-token-value-7f1c"
    monkeypatch.setenv("BACKTEST_TOKEN", token)
    document = backtest_json(prometheus, "--bearer-token-env", "BACKTEST_TOKEN")
    assert token not in json.dumps(document)
