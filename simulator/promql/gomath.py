"""Go's math functions as promtool 2.42 runs them on amd64, elementwise over numpy arrays.

Go implements its own elementary functions (some in amd64 assembly) rather than calling the C
library numpy uses, and several differ from it in the last bit. Exactness means replaying
Go's steps: each function here names the Go routine it follows.
"""

from __future__ import annotations

import math

import numpy as np

# Go evaluates constant expressions such as 1/Ln2 and 1/Ln10 exactly before rounding them
# to float64; 1/math.log(10) in float64 can differ by one ulp, so spell them out.
_GO_INV_LN2 = float("1.44269504088896340735992468100189213742664595415299")  # 1/Ln2
_GO_INV_LN10 = float("0.43429448190325182765112891891660508229439700580367")  # 1/Ln10


# The coefficients of the fdlibm/FreeBSD log that Go's math.Log evaluates (Go's
# src/math/log.go documents them; on amd64 log_amd64.s runs the same steps in the same order).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG_L = (
    6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
    2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
    1.479819860511658591e-01,
)
_HALF_SQRT2 = 7.07106781186547524401e-01


def go_log(values: np.ndarray) -> np.ndarray:
    """Go math.Log as promtool runs it on amd64 (log_amd64.s), which can differ from the C
    library's log in the last bit. The mantissa and exponent come straight from the bits
    (as the assembly does), the mantissa is moved to [sqrt(2)/2, sqrt(2)), and
    log(1+f) = k*Ln2Hi - ((hfsq - (s*(hfsq+R) + k*Ln2Lo)) - f) with s = f/(2+f)."""
    x = np.asarray(values, dtype=np.float64)
    bits = x.view(np.uint64)
    f1 = ((bits & np.uint64(0x000FFFFFFFFFFFFF)) | np.uint64(0x3FE0000000000000)).view(np.float64)
    k = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 0x3FE
    below = ~(_HALF_SQRT2 < f1)  # the assembly's cmpnlt: f1 <= sqrt(2)/2 doubles f1
    k = k.astype(np.float64) - np.where(below, 1.0, 0.0)
    f = f1 * np.where(below, 2.0, 1.0) - 1.0
    s = f / (2.0 + f)
    s2 = s * s
    s4 = s2 * s2
    l1, l2, l3, l4, l5, l6, l7 = _LOG_L
    t1 = s2 * (l1 + s4 * (l3 + s4 * (l5 + s4 * l7)))
    t2 = s4 * (l2 + s4 * (l4 + s4 * l6))
    r = t1 + t2
    hfsq = 0.5 * f * f
    result = k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f)
    result = np.where(np.isinf(x) | np.isnan(x), x, result)
    result = np.where(x < 0, np.nan, result)
    return np.where(x == 0, -np.inf, result)


def go_log2(values: np.ndarray) -> np.ndarray:
    """Go math.Log2: Frexp; an exact power of two gives its exponent, else Log(frac)*(1/Ln2) + exp."""
    frac, exp = np.frexp(values)
    general = go_log(frac) * _GO_INV_LN2 + exp
    general = np.where(frac == 0.5, exp - 1.0, general)
    # Frexp leaves 0, Inf and NaN unchanged with exponent 0: Log handles those cases.
    special = (values == 0) | ~np.isfinite(values)
    return np.where(special, go_log(values) * _GO_INV_LN2, general)


def go_log10(values: np.ndarray) -> np.ndarray:
    """Go math.Log10: Log(x) * (1/Ln10)."""
    return go_log(values) * _GO_INV_LN10


def go_cosh(values: np.ndarray) -> np.ndarray:
    """Go math.Cosh: from Exp of |x|, (e + 1/e) * 0.5 (Exp(x) * 0.5 above 21)."""
    x = np.abs(values)
    e = go_exp(x)
    return np.where(x > 21, e * 0.5, (e + 1 / e) * 0.5)


def go_asin(values: np.ndarray) -> np.ndarray:
    """Go math.Asin (pure Go on amd64): through satan, i.e. Atan of a positive argument."""
    from .binops import go_atan  # Go's Cephes atan, engineer B2's port

    magnitude = np.abs(values)
    root = np.sqrt(1 - magnitude * magnitude)
    result = np.where(magnitude > 0.7, math.pi / 2 - go_atan(root / magnitude), go_atan(magnitude / root))
    result = np.where(magnitude > 1, np.nan, result)
    result = np.where(values < 0, -result, result)
    return np.where(values == 0, values, result)


def go_acos(values: np.ndarray) -> np.ndarray:
    """Go math.Acos: Pi/2 - Asin(x)."""
    return math.pi / 2 - go_asin(values)


def go_atan(values: np.ndarray) -> np.ndarray:
    from .binops import go_atan as cephes_atan

    return cephes_atan(values)




# --- exp ---------------------------------------------------------------------------------------
# Go's amd64 Exp (exp_amd64.s, after Shibata's SLEEF method): n = round(x*log2(e)), reduce
# r = (x - n*LN2U - n*LN2L) / 16, a degree-8 Taylor polynomial, four doublings e^(2y) =
# e^y(e^y + 2) applied to e^y - 1, then scale by 2^n built from the exponent bits (subnormal
# results in two steps; 0 below 2^-1074, +Inf from 2^1024). With AVX2+FMA (Go's cpu.X86
# check) the multiply-adds are fused, so we replay them with an exactly emulated fused
# multiply-add.

_LOG2E = float("1.4426950408889634073599246810018920")
_LN2U = float("0.69314718055966295651160180568695068359375")
_LN2L = float("0.28235290563031577122588448175013436025525412068e-12")
_EXP_OVERFLOW = 7.09782712893384e02
_TAYLOR = (  # 1/k! for k = 8 down to 3, then 1/2 and 1
    float("2.4801587301587301587e-5"), float("1.9841269841269841270e-4"), float("1.3888888888888888889e-3"),
    float("8.3333333333333333333e-3"), float("4.1666666666666666667e-2"), float("1.6666666666666666667e-1"),
    0.5, 1.0,
)


def _cpu_has_fma() -> bool:
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    return bool(features.get("AVX2")) and bool(features.get("FMA3"))


# Go's math.useFMA: the fused path is taken when the CPU has AVX2 and FMA.
USE_FMA = _cpu_has_fma()


def _two_sum(a, b):
    """Knuth's error-free sum: a + b == s + err exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = 134217729.0 * a  # 2**27 + 1 (Veltkamp)
    high = c - (c - a)
    return high, a - high


def _two_product(a, b):
    """Dekker's error-free product: a * b == p + err exactly (no overflow or underflow)."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _round_to_odd_sum(a, b):
    """a + b rounded to odd: exact sums stay; otherwise the neighbour with an odd last bit."""
    s, err = _two_sum(a, b)
    odd = (s.view(np.uint64) & np.uint64(1)) == 1
    toward = np.nextafter(s, np.where(err > 0, np.inf, -np.inf))
    return np.where((err == 0) | odd, s, toward)


def fused_multiply_add(a, b, c):
    """a*b + c with one rounding (Boldo and Melquiond's emulation with rounding to odd)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c)))
    high, low = _two_product(a, b)
    total, total_err = _two_sum(c, high)
    return total + _round_to_odd_sum(total_err, low)


def _power_of_two_bits(biased_exponent: np.ndarray) -> np.ndarray:
    """The float whose exponent field is biased_exponent and mantissa zero."""
    return (biased_exponent.astype(np.uint64) << np.uint64(52)).view(np.float64)


def go_exp(values: np.ndarray) -> np.ndarray:
    """Go math.Exp on amd64 (exp_amd64.s), fused or not as Go decides for this CPU."""
    return _go_exp(values, USE_FMA)


def _go_exp(values: np.ndarray, fused: bool) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x)
    safe = np.where(finite & (x <= _EXP_OVERFLOW), x, 0.0)
    # CVTSD2SL rounds to nearest even under the default rounding mode.
    n = np.rint(_LOG2E * safe)
    if fused:
        r = fused_multiply_add(-n, _LN2U, safe)
        r = fused_multiply_add(-n, _LN2L, r)
    else:
        r = safe - n * _LN2U
        r = r - n * _LN2L
    r = r * 0.0625
    poly = np.full_like(r, _TAYLOR[0])
    for coefficient in _TAYLOR[1:]:
        poly = fused_multiply_add(poly, r, coefficient) if fused else poly * r + coefficient
    y = r * poly
    for doubling in range(4):
        factor = y + 2.0
        if fused and doubling == 3:
            y = fused_multiply_add(y, factor, 1.0)
        else:
            y = y * factor
    if not fused:
        y = y + 1.0
    biased = n.astype(np.int64) + 0x3FF
    # Subnormal results (biased exponent -52..0) scale twice: by 2^(biased-1), then 2^-1022.
    subnormal = (biased <= 0) & (biased >= -52)
    first_scale = _power_of_two_bits(np.where(subnormal, biased + 0x3FE, 0x3FF))
    y = np.where(subnormal, y * first_scale, y)
    result = y * _power_of_two_bits(np.where(subnormal, 1, np.clip(biased, 1, 0x7FE)))
    result = np.where(biased < -52, 0.0, np.where(biased >= 0x7FF, np.inf, result))
    result = np.where(x > _EXP_OVERFLOW, np.inf, result)
    return np.where(finite, result, np.where(x == -np.inf, 0.0, x))


# --- time --------------------------------------------------------------------------------------
# PromQL's date functions call time.Unix(int64(v), 0).UTC() and read fields from it. Go's time
# package counts "absolute" seconds from 1 January of year -292277022399 in a uint64, so values
# far outside the human range wrap around instead of failing; we replay that arithmetic.

_INT64_MIN = -(2**63)
# unixToInternal + internalToAbsolute in Go's time package: Unix seconds → absolute seconds.
_UNIX_TO_ABSOLUTE = 9223372028715321600
_SECONDS_PER_DAY = 86400
_EPOCH_ABSOLUTE_DAY = _UNIX_TO_ABSOLUTE // _SECONDS_PER_DAY


def go_float_to_int64(values: np.ndarray) -> np.ndarray:
    """Go's int64(v) on amd64: truncation; NaN, ±Inf and out-of-range values give the
    "integer indefinite" -2^63 of CVTTSD2SQ."""
    v = np.asarray(values, dtype=np.float64)
    in_range = np.isfinite(v) & (v > -(2.0**63)) & (v < 2.0**63)
    return np.where(in_range, np.trunc(np.where(in_range, v, 0.0)), 0.0).astype(np.int64) + np.where(
        in_range, 0, _INT64_MIN
    ).astype(np.int64)


def _absolute_seconds(unix_seconds: np.ndarray) -> np.ndarray:
    """uint64(sec + (unixToInternal + internalToAbsolute)), wrapping like Go's integers."""
    return unix_seconds.astype(np.int64).view(np.uint64) + np.uint64(_UNIX_TO_ABSOLUTE)


def _civil_from_days(days: np.ndarray):
    """Proleptic Gregorian (year, month, day) from days since 1970-01-01 (Hinnant's method)."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


_DAYS_BEFORE_MONTH = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def go_date_field(field: str, unix_seconds: np.ndarray) -> np.ndarray:
    """One field of time.Unix(sec, 0).UTC() as Go computes it (float64 result)."""
    absolute = _absolute_seconds(unix_seconds)
    if field == "hour":
        return ((absolute % np.uint64(86400)) // np.uint64(3600)).astype(np.float64)
    if field == "minute":
        return ((absolute % np.uint64(3600)) // np.uint64(60)).astype(np.float64)
    if field == "day_of_week":  # absWeekday: the absolute epoch is a Monday
        return (((absolute + np.uint64(86400)) % np.uint64(604800)) // np.uint64(86400)).astype(np.float64)
    days = (absolute // np.uint64(_SECONDS_PER_DAY)).astype(np.int64) - _EPOCH_ABSOLUTE_DAY
    year, month, day = _civil_from_days(days)
    if field == "year":
        return year.astype(np.float64)
    if field == "month":
        return month.astype(np.float64)
    if field == "day_of_month":
        return day.astype(np.float64)
    leap = _is_leap(year)
    if field == "day_of_year":
        return (_DAYS_BEFORE_MONTH[month - 1] + day + (leap & (month > 2))).astype(np.float64)
    if field == "days_in_month":
        return (_DAYS_IN_MONTH[month - 1] + (leap & (month == 2))).astype(np.float64)
    raise ValueError(f"unknown date field {field}")
