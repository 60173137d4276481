"""One real Prometheus for the backtest tests: a shipped scenario that fires (null-rate-spike, 1 day), exported
with `alertkit export-openmetrics`, backfilled with promtool and served on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from promserver import backfill, running_prometheus

from compiler.cli import main as alertkit
from simulator.backtest.plan import parse_time

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = ROOT / "scenarios" / "null-rate-spike.yaml"
# The scenario's t=0 in the store: a multiple of the evaluation interval, so the backtest's grid is the
# simulator's grid shifted.
ORIGIN = "2026-01-05T00:00:00Z"
ORIGIN_MS = parse_time(ORIGIN)


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("openmetrics") / "scenario.om"
    result = CliRunner().invoke(alertkit, ["export-openmetrics", str(SCENARIO), "--start", ORIGIN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def prometheus(exported, tmp_path_factory):
    """The URL of the real Prometheus over the backfilled scenario (stopped at the end of the session)."""
    workdir = tmp_path_factory.mktemp("prometheus")
    backfill(exported, workdir / "data")
    with running_prometheus(workdir / "data", workdir) as url:
        yield url
