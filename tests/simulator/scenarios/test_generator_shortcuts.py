"""The generator's shortcuts give the values of the plain formulas, bit for bit."""

import numpy as np

from simulator.scenarios.generators import _binomial, _BinomialPlans, _cumulative


def test_shared_binomial_plans_draw_the_same_counts_as_fresh_plans():
    trials = np.random.default_rng(1).poisson(3000, 5000).astype(np.int64)
    trials[:50] = 3  # rare outcomes: drawn exactly
    plans = _BinomialPlans()
    for seed, p in ((1, 0.002), (2, 0.002), (3, 0.05), (4, 0.002)):
        probabilities = np.full(len(trials), p)
        planned = _binomial(np.random.default_rng(seed), trials, probabilities, plans)
        fresh = _binomial(np.random.default_rng(seed), trials, probabilities)
        # The plain formula, as the generator first wrote it.
        rng = np.random.default_rng(seed)
        mean = trials * probabilities
        z = rng.standard_normal(trials.shape)
        plain = np.clip(np.rint(mean + np.sqrt(mean * (1.0 - probabilities)) * z), 0, trials).astype(np.int64)
        small = np.minimum(mean, trials - mean) < 10.0
        plain[small] = rng.binomial(trials[small], probabilities[small])
        assert np.array_equal(planned, plain) and np.array_equal(fresh, plain)
    assert len(plans._plans) == 2  # p = 0.002 planned once, 0.05 once


def test_integer_running_sums_equal_float_running_sums():
    increments = np.array([3, 0, 7, 2**40, 5], dtype=np.int64)
    assert _cumulative(increments).tolist() == [0.0, 3.0, 3.0, 10.0, 10.0 + 2**40, 15.0 + 2**40]


def test_running_sums_beyond_2_53_fall_back_to_float_accumulation():
    increments = np.array([2**53, 1, 1, 1], dtype=np.int64)
    expected = np.empty(5)
    expected[0] = 0.0
    np.cumsum(increments.astype(np.float64), out=expected[1:])  # 2^53 + 1 rounds back to 2^53
    assert _cumulative(increments).tolist() == expected.tolist() == [0.0, 2.0**53, 2.0**53, 2.0**53, 2.0**53]


def test_features_drawn_on_threads_equal_the_serial_draws(monkeypatch):
    # Every feature has its own named random stream, so threads (and the scratch buffers each
    # thread reuses) change no value: the same samples, bit for bit, on 1 and on 3 threads.
    import dataclasses
    from pathlib import Path

    from series_hash import series_hash

    from simulator.scenarios import generate_series, generators, load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[3] / "scenarios" / "oncall-exercise.yaml")
    features = {f"feature_{i:02d}": 0.002 + i / 1000 for i in range(23)} | {"item_embedding": 0.002}
    scenario = dataclasses.replace(
        scenario,
        duration_ms=6 * 3_600_000,
        baseline=scenario.baseline.model_copy(update={"features": features}),
    )
    hashes = []
    for threads in (1, 3):
        monkeypatch.setattr(generators, "GENERATION_THREADS", threads)
        hashes.append(series_hash(generate_series(scenario)))
    assert hashes[0] == hashes[1]
    monkeypatch.setattr(generators, "_draw_binomial", lambda rng, plan, scratch=None: np.zeros_like(plan.trials))
    assert series_hash(generate_series(scenario)) != hashes[0]  # the features are really in the hash
