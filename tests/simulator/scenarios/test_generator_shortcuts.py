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
