"""Backtest throughput against the real Prometheus 2.42: the 4-day model-score-shift scenario exported with
`alertkit export-openmetrics`, backfilled with `promtool tsdb create-blocks-from openmetrics`, served by
/usr/bin/prometheus on 127.0.0.1, then backtested with every reference rule: raw samples fetched per second
(range-selector queries, JSON decoding, merging), samples evaluated per second (the exact evaluator over the
fetched samples), and the same backtest with --remote-eval.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "model-score-shift.yaml"
ORIGIN_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z, a multiple of the evaluation interval
FAR_FUTURE_MS = 4_000_000_000_000
DAY_MS = 86_400_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _prometheus(data: Path, workdir: Path):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: run `make tools`"
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (workdir / "prometheus.log").open("w") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, "prometheus exited"
                try:
                    if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "prometheus did not become ready"
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _window(series, start_ms: int, end_ms: int):
    """The samples in [start, end) of each series."""
    from simulator.backtest.openmetrics import ExportedSeries

    for s in series:
        keep = (s.t_ms >= start_ms) & (s.t_ms < end_ms)
        yield ExportedSeries(s.labels, s.t_ms[keep], s.values[keep])


def run() -> dict:
    from benchmarks.simulate_bench import _compiled_rules
    from simulator.backtest.client import PrometheusAPI
    from simulator.backtest.fetch import fetch_raw
    from simulator.backtest.openmetrics import ExportedSeries, render_openmetrics
    from simulator.backtest.plan import evaluation_grid, fetches, rule_exprs, rule_output_names
    from simulator.backtest.replay import RemoteQueries, replay, store_evaluated_rules
    from simulator.rules.loader import load_rule_files
    from simulator.scenarios import load_scenario
    from simulator.scenarios.generators import generate_series
    from simulator.simulate import rule_files_in

    scenario = load_scenario(SCENARIO)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        groups = load_rule_files(rule_files_in(_compiled_rules(work)))
        start = time.perf_counter()
        series = [ExportedSeries(s.labels, s.t_ms, s.values) for s in generate_series(scenario)]
        # One file per day: promtool 2.42 reads its whole input once per 2h block it writes, so a single file
        # costs (blocks x input); per-day files cost 12 passes over a day each.
        files = []
        for day in range(0, scenario.duration_ms + 1, DAY_MS):
            files.append(work / f"day{day // DAY_MS}.om")
            with files[-1].open("w") as out:
                for piece in render_openmetrics(_window(series, day, day + DAY_MS), ORIGIN_MS):
                    out.write(piece)
        export_s = time.perf_counter() - start
        start = time.perf_counter()
        for path in files:
            subprocess.run(
                ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(path), str(work / "data")],
                check=True,
                capture_output=True,
            )
        backfill_s = time.perf_counter() - start
        grid = evaluation_grid(ORIGIN_MS, ORIGIN_MS + scenario.duration_ms, scenario.evaluation_interval_ms)
        outputs = rule_output_names(groups)
        with _prometheus(work / "data", work) as url:
            api = PrometheusAPI(url)
            start, cpu = time.perf_counter(), time.process_time()
            raw = fetch_raw(api, fetches(rule_exprs(groups), grid, outputs), outputs, now_ms=FAR_FUTURE_MS)
            fetch_s, fetch_cpu = time.perf_counter() - start, time.process_time() - cpu
            start = time.perf_counter()
            timelines = replay(groups, raw.storage(), grid)
            evaluate_s = time.perf_counter() - start

            remote_api = PrometheusAPI(url)
            start = time.perf_counter()
            remote = RemoteQueries(remote_api, outputs, 200_000)
            local_exprs = store_evaluated_rules(groups)[1]
            remote_raw = fetch_raw(remote_api, fetches(local_exprs, grid, outputs), outputs, now_ms=FAR_FUTURE_MS)
            remote_timelines = replay(groups, remote_raw.storage(), grid, remote)
            remote_s = time.perf_counter() - start
    samples = raw.sample_count
    return {
        "scenario": f"{scenario.name} ({len(series)} series, span {scenario.duration_ms // 86_400_000}d)",
        "rules": sum(len(g.rules) for g in groups),
        "evaluations": grid.steps,
        "export_openmetrics_s": round(export_s, 2),
        "promtool_backfill_s": round(backfill_s, 2),
        "series_fetched": len(raw.series),
        "samples_fetched": samples,
        "requests": raw.stats.requests,
        "megabytes_received": round(raw.stats.bytes_received / 1e6, 1),
        "fetch_s": round(fetch_s, 2),
        "fetch_cpu_s": round(fetch_cpu, 2),
        "evaluate_s": round(evaluate_s, 2),
        "samples_fetched_per_s": round(samples / fetch_s),
        "samples_evaluated_per_s": round(samples / evaluate_s),
        "samples_per_s_end_to_end": round(samples / (fetch_s + evaluate_s)),
        "remote_eval_s": round(remote_s, 2),
        "remote_eval_range_queries": remote.stats.queries,
        "remote_eval_samples_fetched": remote_raw.sample_count,
        "same_timelines_local_and_remote": timelines == remote_timelines,
    }


def markdown(result: dict) -> list[str]:
    return [
        "## backtest",
        "",
        f"`alertkit backtest` against the real Prometheus 2.42 on 127.0.0.1: {result['scenario']} exported with "
        "`alertkit export-openmetrics` (one file per day) and backfilled with promtool, every reference rule "
        f"({result['rules']} rules, {result['evaluations']} evaluations).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| export-openmetrics / promtool backfill (setup, not timed below) | {result['export_openmetrics_s']} s / "
        f"{result['promtool_backfill_s']} s |",
        f"| raw samples fetched ({result['series_fetched']} series, {result['requests']} requests, "
        f"{result['megabytes_received']} MB JSON) | {result['samples_fetched']} |",
        f"| fetch | {result['fetch_s']} s (client CPU {result['fetch_cpu_s']} s) |",
        f"| **samples fetched per second** | **{result['samples_fetched_per_s']}** |",
        f"| evaluate (exact evaluator + state machine) | {result['evaluate_s']} s |",
        f"| **samples evaluated per second** | **{result['samples_evaluated_per_s']}** |",
        f"| end to end (fetch + evaluate) per second | {result['samples_per_s_end_to_end']} |",
        f"| --remote-eval: total ({result['remote_eval_range_queries']} range queries, "
        f"{result['remote_eval_samples_fetched']} samples fetched for rules reading rule outputs) | "
        f"{result['remote_eval_s']} s |",
        f"| same alert timelines, local and --remote-eval | {result['same_timelines_local_and_remote']} |",
        "",
        *(
            [f"Measured in a run of this section alone: {m['date']}, load average at start {m['load_average']}."]
            if (m := result.get("machine"))
            else []
        ),
        "",
        "The fetch is bound by Prometheus's JSON encoding and the client's JSON decoding (one range-selector "
        "query per chunk of about 200,000 samples).",
    ]
