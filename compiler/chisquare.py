"""The chi-square distribution's upper-tail critical value, computed from a p-value and degrees of freedom.

For k degrees of freedom the survival function is the regularized upper incomplete gamma function,
P(X > x) = Q(k/2, x/2). The critical value c solves Q(k/2, c/2) = p; Q falls monotonically from 1 to 0 in x,
so bisection finds it to full float precision. Q is evaluated as in Numerical Recipes (6.2): the series for the
lower function P when x < a + 1, the continued fraction (modified Lentz) for Q otherwise, both in log space so
tiny p-values (1e-12) keep their precision.
"""

from __future__ import annotations

import math
from functools import lru_cache

_MAX_ITERATIONS = 1000
_EPSILON = 1e-16
_TINY = 1e-300


def _lower_series(a: float, x: float) -> float:
    """P(a, x) by its power series, accurate for x < a + 1."""
    term = 1.0 / a
    total = term
    denominator = a
    for _ in range(_MAX_ITERATIONS):
        denominator += 1.0
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPSILON:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_continued_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction (modified Lentz), accurate for x >= a + 1."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    fraction = d
    for index in range(1, _MAX_ITERATIONS):
        an = -index * (index - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1.0) < _EPSILON:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * fraction


def regularized_upper_gamma(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a) for a > 0, x >= 0."""
    if a <= 0:
        raise ValueError(f"shape must be positive, got {a}")
    if x <= 0:
        return 1.0
    if x < a + 1.0:
        return 1.0 - _lower_series(a, x)
    return _upper_continued_fraction(a, x)


def chi_square_survival(x: float, degrees_of_freedom: int) -> float:
    """P(X > x) for X chi-square distributed with the given degrees of freedom."""
    return regularized_upper_gamma(degrees_of_freedom / 2.0, x / 2.0)


@lru_cache(maxsize=1024)  # pure, and every srm alert asks for the same few (p, k) pairs
def chi_square_critical_value(p_value: float, degrees_of_freedom: int) -> float:
    """The x with P(X > x) = p_value: a statistic above it is significant at level p_value."""
    if not 0.0 < p_value < 1.0:
        raise ValueError(f"p-value must be within (0, 1), got {p_value}")
    if degrees_of_freedom < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {degrees_of_freedom}")
    low, high = 0.0, 1.0
    while chi_square_survival(high, degrees_of_freedom) > p_value:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if chi_square_survival(middle, degrees_of_freedom) > p_value:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0
