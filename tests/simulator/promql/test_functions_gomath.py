"""The Go math replays behind ln/log2/log10/exp: the exact fused multiply-add they rely on."""

import random
from fractions import Fraction

import numpy as np
import pytest

from simulator.promql.gomath import fused_multiply_add, go_exp, go_log


def _exact_fma(a: float, b: float, c: float) -> float:
    return float(Fraction(a) * Fraction(b) + Fraction(c))  # Fraction → float rounds once, to nearest


def test_fused_multiply_add_rounds_once():
    # (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly; an unfused multiply rounds the product to 1.
    a, b = 1 + 2.0**-52, 1 - 2.0**-52
    assert fused_multiply_add(np.array([a]), b, -1.0)[0] == -(2.0**-104)
    assert a * b - 1.0 == 0.0


def test_fused_multiply_add_matches_exact_rational_arithmetic():
    rnd = random.Random(3)
    triples = [
        (rnd.uniform(-10, 10) * 2.0 ** rnd.randint(-30, 30), rnd.uniform(-10, 10), rnd.uniform(-1e3, 1e3))
        for _ in range(2000)
    ]
    a, b, c = (np.array(column) for column in zip(*triples))
    got = fused_multiply_add(a, b, c)
    expected = np.array([_exact_fma(x, y, z) for x, y, z in triples])
    assert got.tobytes() == expected.tobytes()


def test_special_values_of_log_and_exp():
    log = go_log(np.array([0.0, -1.0, np.inf, np.nan, 1.0]))
    assert log[0] == -np.inf and np.isnan(log[1]) and log[2] == np.inf and np.isnan(log[3]) and log[4] == 0.0
    exp = go_exp(np.array([-np.inf, np.inf, np.nan, 0.0, 710.0, -800.0]))
    assert exp[0] == 0.0 and exp[1] == np.inf and np.isnan(exp[2]) and exp[3] == 1.0
    assert exp[4] == np.inf and exp[5] == 0.0


def test_go_max_and_min_order_signed_zeros_like_go():
    from simulator.promql.gomath import go_max, go_min

    assert str(go_max(-0.0, 0.0)) == "0.0" and str(go_max(0.0, -0.0)) == "0.0"
    assert str(go_min(-0.0, 0.0)) == "-0.0" and str(go_min(0.0, -0.0)) == "-0.0"
    assert np.isnan(go_max(np.nan, 1.0)) and np.isnan(go_min(1.0, np.nan))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_kahan_forms_agree():
    # kahan_sum_inc (TwoSum) must give Neumaier's bits wherever the total stays finite, and a
    # non-finite total wherever Neumaier's compensation could differ.
    from simulator.promql.range_functions import kahan_sum_inc, neumaier_sum_inc

    rng = np.random.default_rng(9)
    pool = np.concatenate(
        [
            rng.normal(size=3000) * 10.0 ** rng.integers(-20, 20, 3000),
            [np.inf, -np.inf, np.nan, 1.7e308, -1.7e308, 0.0, -0.0],
        ]
    )
    total_a = total_b = np.zeros(500)
    comp_a = comp_b = np.zeros(500)
    for _ in range(60):
        inc = rng.choice(pool, 500)

        total_a, comp_a = kahan_sum_inc(inc, total_a, comp_a)
        total_b, comp_b = neumaier_sum_inc(inc, total_b, comp_b)
        assert total_a.tobytes() == total_b.tobytes()
        finite = np.isfinite(total_a)
        assert comp_a[finite].tobytes() == comp_b[finite].tobytes()
        # Where the total is not finite, total + compensation is not finite either way.
        assert not np.isfinite(total_a[~finite] + comp_a[~finite]).any()
        assert not np.isfinite(total_b[~finite] + comp_b[~finite]).any()
