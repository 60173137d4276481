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
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
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
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 0x3FE
    below = ~(f1 > _HALF_SQRT2)  # the assembly's cmpnlt: f1 <= sqrt(2)/2 doubles f1
    k = exponent.astype(np.float64) - np.where(below, 1.0, 0.0)
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
    from .binops import go_atan  # Go's Cephes atan; imported late: binops imports this module

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
    float("2.4801587301587301587e-5"),
    float("1.9841269841269841270e-4"),
    float("1.3888888888888888889e-3"),
    float("8.3333333333333333333e-3"),
    float("4.1666666666666666667e-2"),
    float("1.6666666666666666667e-1"),
    0.5,
    1.0,
)


def _cpu_has_fma() -> bool:
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features  # type: ignore[no-redef]
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


# --- trigonometry ------------------------------------------------------------------------------
# Go's Sin/Cos/Tan (pure Go on amd64, after Cephes): reduce by Pi/4 with Pi/4 split in three
# parts (Payne-Hanek reduction from 2^29 on), then a polynomial in z^2 chosen by octant. The
# coefficients are Cephes's, as Go documents them in sin.go and tan.go.

_PI4_A = 7.85398125648498535156e-1
_PI4_B = 3.77489470793079817668e-8
_PI4_C = 2.69515142907905952645e-15
_FOUR_OVER_PI = float("1.27323954473516268615107010698011489627567716592365")
_REDUCE_THRESHOLD = float(1 << 29)
_SIN = (
    1.58962301576546568060e-10,
    -2.50507477628578072866e-8,
    2.75573136213857245213e-6,
    -1.98412698295895385996e-4,
    8.33333333332211858878e-3,
    -1.66666666666666307295e-1,
)
_COS = (
    -1.13585365213876817300e-11,
    2.08757008419747316778e-9,
    -2.75573141792967388112e-7,
    2.48015872888517045348e-5,
    -1.38888888888730564116e-3,
    4.16666666666665929218e-2,
)
_TAN_P = (-1.30936939181383777646e4, 1.15351664838587416140e6, -1.79565251976484877988e7)
_TAN_Q = (1.36812963470692954678e4, -1.32089234440210967447e6, 2.50083801823357915839e7, -5.38695755929454629881e7)
_MASK64 = (1 << 64) - 1


def _four_over_pi_digits(count: int = 20) -> list[int]:
    """4/pi as base-2^64 digits (digit 0 is the integer part), from Machin's formula in integers."""
    bits = 64 * count + 64
    one = 1 << bits

    def arctan_inverse(n: int) -> int:  # atan(1/n) * 2^bits
        total, term, k, sign = 0, one // n, 1, 1
        while term:
            total += sign * (term // k)
            term //= n * n
            k += 2
            sign = -sign
        return total

    pi = 16 * arctan_inverse(5) - 4 * arctan_inverse(239)
    scaled = (4 << (2 * bits)) // pi >> (bits - 64 * (count - 1))  # floor(4/pi * 2^(64*(count-1)))
    return [(scaled >> (64 * (count - 1 - i))) & _MASK64 for i in range(count)]


_M_PI4 = _four_over_pi_digits()


def _trig_reduce(x: float) -> tuple[int, float]:
    """Go's trigReduce (Payne-Hanek by Pi/4, 192 bits of 4/pi) for x >= 2^29: (octant, z)."""
    ix = int(np.float64(x).view(np.uint64))
    exp = ((ix >> 52) & 0x7FF) - 1023 - 52
    ix = (ix & ((1 << 52) - 1)) | (1 << 52)
    digit, shift = (exp + 61) // 64, (exp + 61) % 64

    def word(i: int) -> int:
        return ((_M_PI4[i] << shift) & _MASK64) | (_M_PI4[i + 1] >> (64 - shift))

    z0, z1, z2 = word(digit), word(digit + 1), word(digit + 2)
    z2_hi = (z2 * ix) >> 64
    z1_hi, z1_lo = (z1 * ix) >> 64, (z1 * ix) & _MASK64
    z0_lo = (z0 * ix) & _MASK64
    lo = z1_lo + z2_hi
    hi = (z0_lo + z1_hi + (lo >> 64)) & _MASK64
    lo &= _MASK64
    octant = hi >> 61
    hi = ((hi << 3) & _MASK64) | (lo >> 61)
    leading = 64 - hi.bit_length()
    exponent = 1023 - (leading + 1)
    hi = ((hi << (leading + 1)) & _MASK64) | (lo >> (64 - (leading + 1)))
    hi = (hi >> 12) | ((exponent & 0x7FF) << 52)
    z = float(np.uint64(hi).view(np.float64))
    if octant & 1:
        octant = (octant + 1) & 7
        z -= 1
    return octant, z * (math.pi / 4)


def _octant_and_remainder(x: np.ndarray):
    """For x >= 0: the octant j (0..7) and z = x - j*Pi/4 as Go's sin/cos/tan compute them."""
    small = x < _REDUCE_THRESHOLD
    safe = np.where(small, x, 0.0)
    j = (safe * _FOUR_OVER_PI).astype(np.uint64)
    y = j.astype(np.float64)
    odd = (j & np.uint64(1)) == 1
    j = np.where(odd, j + np.uint64(1), j)
    y = np.where(odd, y + 1, y)
    j = (j & np.uint64(7)).astype(np.int64)
    z = ((safe - y * _PI4_A) - y * _PI4_B) - y * _PI4_C
    for index in np.flatnonzero(~small & np.isfinite(x)):
        j.flat[index], z.flat[index] = _trig_reduce(float(x.flat[index]))
    return j, z


def _sin_poly(z, zz):
    s = _SIN
    return z + z * zz * (((((s[0] * zz + s[1]) * zz + s[2]) * zz + s[3]) * zz + s[4]) * zz + s[5])


def _cos_poly(zz):
    c = _COS
    return 1.0 - 0.5 * zz + zz * zz * (((((c[0] * zz + c[1]) * zz + c[2]) * zz + c[3]) * zz + c[4]) * zz + c[5])


def go_sin(values: np.ndarray) -> np.ndarray:
    """Go math.Sin."""
    v = np.asarray(values, dtype=np.float64)
    x = np.abs(v)
    j, z = _octant_and_remainder(np.where(np.isfinite(x), x, 0.0))
    negative = (v < 0) ^ (j > 3)
    j = np.where(j > 3, j - 4, j)
    zz = z * z
    y = np.where((j == 1) | (j == 2), _cos_poly(zz), _sin_poly(z, zz))
    y = np.where(negative, -y, y)
    y = np.where(np.isinf(v), np.nan, y)
    return np.where((v == 0) | np.isnan(v), v, y)


def go_cos(values: np.ndarray) -> np.ndarray:
    """Go math.Cos."""
    v = np.asarray(values, dtype=np.float64)
    x = np.abs(v)
    j, z = _octant_and_remainder(np.where(np.isfinite(x), x, 0.0))
    negative = j > 3
    j = np.where(j > 3, j - 4, j)
    negative = negative ^ (j > 1)
    zz = z * z
    y = np.where((j == 1) | (j == 2), _sin_poly(z, zz), _cos_poly(zz))
    y = np.where(negative, -y, y)
    return np.where(np.isfinite(v), y, np.nan)


def go_tan(values: np.ndarray) -> np.ndarray:
    """Go math.Tan."""
    v = np.asarray(values, dtype=np.float64)
    x = np.abs(v)
    j, z = _octant_and_remainder(np.where(np.isfinite(x), x, 0.0))
    zz = z * z
    p, q = _TAN_P, _TAN_Q
    ratio = zz * ((p[0] * zz + p[1]) * zz + p[2]) / ((((zz + q[0]) * zz + q[1]) * zz + q[2]) * zz + q[3])
    y = np.where(zz > 1e-14, z + z * ratio, z)
    y = np.where((j & 2) == 2, -1 / y, y)
    y = np.where(v < 0, -y, y)
    y = np.where(np.isinf(v), np.nan, y)
    return np.where((v == 0) | np.isnan(v), v, y)


# Hart & Cheney #2029 (Go's sinh.go) and Cephes tanh (tanh.go) for small arguments.
_SINH_P = (
    -0.6307673640497716991184787251e6,
    -0.8991272022039509355398013511e5,
    -0.2894211355989563807284660366e4,
    -0.2630563213397497062819489e2,
)
_SINH_Q = (-0.6307673640497716991212077277e6, 0.1521517378790019070696485176e5, -0.173678953558233699533450911e3)
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)
_TANH_MAXLOG = 8.8029691931113054295988e01


def go_sinh(values: np.ndarray) -> np.ndarray:
    """Go math.Sinh: Exp-based above 0.5, a rational approximation below."""
    v = np.asarray(values, dtype=np.float64)
    x = np.abs(v)
    p, q = _SINH_P, _SINH_Q
    sq = x * x
    small = (((p[3] * sq + p[2]) * sq + p[1]) * sq + p[0]) * x / (((sq + q[2]) * sq + q[1]) * sq + q[0])
    e = go_exp(x)
    medium = (e - 1 / e) * 0.5  # Go 1.19's form; later releases use (Exp(x) - Exp(-x)) / 2
    large = e * 0.5
    result = np.where(x > 21, large, np.where(x > 0.5, medium, small))
    result = np.where(v < 0, -result, result)
    return np.where(np.isnan(v), v, result)


def go_tanh(values: np.ndarray) -> np.ndarray:
    """Go math.Tanh."""
    v = np.asarray(values, dtype=np.float64)
    z = np.abs(v)
    s = go_exp(2 * z)
    medium = 1 - 2 / (s + 1)
    medium = np.where(v < 0, -medium, medium)
    sq = v * v
    p, q = _TANH_P, _TANH_Q
    small = v + v * sq * ((p[0] * sq + p[1]) * sq + p[2]) / (((sq + q[0]) * sq + q[1]) * sq + q[2])
    result = np.where(z >= 0.625, medium, np.where(v == 0, v, small))
    result = np.where(z > 0.5 * _TANH_MAXLOG, np.where(v < 0, -1.0, 1.0), result)
    return np.where(np.isnan(v), v, result)


# --- log1p and the inverse hyperbolic functions -----------------------------------------------
# Go's Log1p is fdlibm's s_log1p (pure Go on amd64): 1+x = 2^k (1+f) with a correction term c
# for the rounding of 1+x, then the same series in s = f/(2+f) as Log. Asinh/Acosh/Atanh are
# fdlibm's formulas on top of Log, Log1p and Sqrt.

_SQRT2_M1 = 4.142135623730950488017e-01
_SQRT2_HALF_M1 = -2.928932188134524755992e-01
_LN2 = 6.93147180559945286227e-01
_NEAR_ZERO = 1.0 / (1 << 28)
_LARGE = float(1 << 28)


def go_log1p(values: np.ndarray) -> np.ndarray:
    """Go math.Log1p."""
    x = np.asarray(values, dtype=np.float64)
    absx = np.abs(x)
    near_one = (absx < _SQRT2_M1) & (x > _SQRT2_HALF_M1)  # k = 0, f = x exactly
    big = absx >= 2.0**53
    u = np.where(big, x, 1.0 + x)
    bits = u.view(np.uint64)
    k = (bits >> np.uint64(52)).astype(np.int64) - 1023
    correction = np.where(k > 0, 1.0 - (u - x), x - (u - 1.0)) / u
    c = np.where(big, 0.0, correction)
    mantissa = bits & np.uint64(0x000FFFFFFFFFFFFF)
    below_sqrt2 = mantissa < np.uint64(0x0006A09E667F3BCD)
    normalized = np.where(
        below_sqrt2,
        (mantissa | np.uint64(0x3FF0000000000000)).view(np.float64),
        (mantissa | np.uint64(0x3FE0000000000000)).view(np.float64),
    )
    iu = np.where(below_sqrt2, mantissa, (np.uint64(0x0010000000000000) - mantissa) >> np.uint64(2))
    k = np.where(below_sqrt2, k, k + 1)
    f = np.where(near_one, x, normalized - 1.0)
    k = np.where(near_one, 0, k).astype(np.float64)
    c = np.where(near_one, 0.0, c)
    iu_zero = np.where(near_one, False, iu == 0)
    hfsq = 0.5 * f * f
    # |f| tiny (mantissa bits all zero): a short series, or k*ln2 when f is exactly 0.
    r_short = hfsq * (1.0 - 0.66666666666666666 * f)
    exact_power = k * _LN2_HI + (c + k * _LN2_LO)
    short = np.where(k == 0, f - r_short, k * _LN2_HI - ((r_short - (k * _LN2_LO + c)) - f))
    short = np.where(f == 0, np.where(k == 0, 0.0, exact_power), short)
    s = f / (2.0 + f)
    z = s * s
    l1, l2, l3, l4, l5, l6, l7 = _LOG_L
    r = z * (l1 + z * (l2 + z * (l3 + z * (l4 + z * (l5 + z * (l6 + z * l7))))))
    general = np.where(
        k == 0, f - (hfsq - s * (hfsq + r)), k * _LN2_HI - ((hfsq - (s * (hfsq + r) + (k * _LN2_LO + c))) - f)
    )
    result = np.where(iu_zero, short, general)
    result = np.where(absx < 2.0**-29, np.where(absx < 2.0**-54, x, x - x * x * 0.5), result)
    result = np.where(x == np.inf, np.inf, result)
    result = np.where(x == -1, -np.inf, result)
    return np.where((x < -1) | np.isnan(x), np.nan, result)


def go_asinh(values: np.ndarray) -> np.ndarray:
    """Go math.Asinh."""
    v = np.asarray(values, dtype=np.float64)
    x = np.abs(v)
    large = go_log(x) + _LN2
    above_two = go_log(2 * x + 1 / (np.sqrt(x * x + 1) + x))
    middle = go_log1p(x + x * x / (1 + np.sqrt(1 + x * x)))
    result = np.where(x > _LARGE, large, np.where(x > 2, above_two, np.where(x < _NEAR_ZERO, x, middle)))
    result = np.where(v < 0, -result, result)
    return np.where(np.isnan(v) | np.isinf(v), v, result)


def go_acosh(values: np.ndarray) -> np.ndarray:
    """Go math.Acosh."""
    x = np.asarray(values, dtype=np.float64)
    t = x - 1
    result = go_log1p(t + np.sqrt(2 * t + t * t))
    result = np.where(x > 2, go_log(2 * x - 1 / (x + np.sqrt(x * x - 1))), result)
    result = np.where(x >= _LARGE, go_log(x) + _LN2, result)
    result = np.where(x == 1, 0.0, result)
    return np.where((x < 1) | np.isnan(x), np.nan, result)


def go_atanh(values: np.ndarray) -> np.ndarray:
    """Go math.Atanh."""
    v = np.asarray(values, dtype=np.float64)
    x = np.abs(v)
    twice = x + x
    below_half = 0.5 * go_log1p(twice + twice * x / (1 - x))
    above_half = 0.5 * go_log1p(twice / (1 - x))
    result = np.where(x < _NEAR_ZERO, x, np.where(x < 0.5, below_half, above_half))
    result = np.where(v < 0, -result, result)
    result = np.where(v == 1, np.inf, np.where(v == -1, -np.inf, result))
    return np.where((v < -1) | (v > 1) | np.isnan(v), np.nan, result)


# --- max / min ---------------------------------------------------------------------------------


def go_max(x, y) -> np.ndarray:
    """Go math.Max: +Inf if either is +Inf (checked before NaN: Max(NaN, +Inf) = +Inf), else NaN if
    either is NaN, and Max(+0, -0) = +0 in either order."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    both_zero = (x == 0) & (y == 0)
    result = np.where(both_zero, np.where(np.signbit(x) & np.signbit(y), -0.0, 0.0), np.maximum(x, y))
    return np.where((x == np.inf) | (y == np.inf), np.inf, result)


def go_min(x, y) -> np.ndarray:
    """Go math.Min: -Inf if either is -Inf (checked before NaN: Min(NaN, -Inf) = -Inf), else NaN if
    either is NaN, and Min(+0, -0) = -0 in either order."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    both_zero = (x == 0) & (y == 0)
    result = np.where(both_zero, np.where(np.signbit(x) | np.signbit(y), -0.0, 0.0), np.minimum(x, y))
    return np.where((x == -np.inf) | (y == -np.inf), -np.inf, result)


# --- formatting --------------------------------------------------------------------------------


def go_format_f(value: float) -> str:
    """Go's %f: six decimals, with NaN, +Inf and -Inf spelled Go's way."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:f}"
