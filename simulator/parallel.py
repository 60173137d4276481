"""Independent scenarios simulated in forked worker processes, results in scenario order.

Used by `alertkit simulate --jobs` and the pytest plugin. Each scenario is independent (its own
series, storage and evaluation; only the read-only rule groups are shared, inherited by fork), so
every result is the one a single process computes (tests/simulator/test_simulate_parallel.py,
tests/simulator/test_pytest_plugin_parallel.py).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

from simulator.scenarios.errors import ScenarioError


def worker_count(jobs: int, scenarios: int) -> int:
    """Processes to use: `jobs`, or with 0 one per core this process may run on; never more than the
    scenarios, and 1 where processes cannot be forked (the workers inherit the rules by fork)."""
    if jobs == 0:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs, scenarios))


# What forked workers inherit: set just before the pool starts, read by _simulate_one.
_shared: tuple = ()


def _simulate_one(index: int):
    """One scenario in a worker: its result, or the ScenarioError to report."""
    from simulator.simulate import add_paging, simulate

    scenarios, groups, paging_config = _shared
    try:
        result = simulate(scenarios[index], groups)
        if paging_config is not None:
            add_paging(result, paging_config)
    except ScenarioError as error:
        return error
    return result


def _samples_per_series(scenario) -> int:
    return scenario.duration_ms // max(scenario.scrape_interval_ms, 1)


def simulate_in_processes(scenarios, groups, paging_config, workers: int) -> Iterator:
    """Each scenario's ScenarioResult (or its ScenarioError), in scenario order, from `workers` forked
    processes."""
    global _shared
    _shared = (scenarios, groups, paging_config)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # The longest first (samples per series), so a long scenario does not start last.
            by_cost = sorted(range(len(scenarios)), key=lambda i: -_samples_per_series(scenarios[i]))
            pending = {i: pool.apply_async(_simulate_one, (i,)) for i in by_cost}
            for index in range(len(scenarios)):
                yield pending[index].get()
    finally:
        _shared = ()
