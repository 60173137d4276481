"""Binary operators over the evaluation grid, as Prometheus 2.42 evaluates them.

Every function takes and returns values over the whole grid (model.py): the element arithmetic is
numpy over steps, and vector matching loops over series (or pairs of matching series), never over
steps. Because series come and go, a match between two series is a presence mask over the steps.

Source: promql/engine.go at v2.42.0 (VectorBinop, VectorAnd/Or/Unless, resultMetric,
VectorscalarBinop, scalarBinop, vectorElemBinop, signatureFunc, shouldDropMetricName, and the
"same labelset" check in rangeEval), and Go's math.Pow / math.Mod / math.Atan2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gomath import go_exp, go_log
from .model import (
    METRIC_NAME,
    Labels,
    PromQLError,
    ScalarOverGrid,
    VectorOverGrid,
    labels_get,
    labels_only,
    labels_set,
    labels_without,
)
from .vectors import take_rows

ARITHMETIC_OPS = frozenset({"+", "-", "*", "/", "%", "^", "atan2"})
COMPARISON_OPS = frozenset({"==", "!=", ">", "<", ">=", "<="})
SET_OPS = frozenset({"and", "or", "unless"})

# engine.go shouldDropMetricName: only these drop __name__. Trap: atan2 is arithmetic but is
# not in the list, so `x atan2 y` keeps the left-hand metric name in 2.42.
_OPS_DROPPING_METRIC_NAME = frozenset({"+", "-", "*", "/", "%", "^"})

CARD_ONE_TO_ONE = "one-to-one"
CARD_MANY_TO_ONE = "many-to-one"
CARD_ONE_TO_MANY = "one-to-many"
CARD_MANY_TO_MANY = "many-to-many"


@dataclass
class VectorMatching:
    """How the two sides of a vector/vector operation are matched (parser.VectorMatching)."""

    card: str  # "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many"
    on: bool  # True: match on `labels`; False: ignoring `labels`
    labels: list[str]
    include: list[str]  # group_left/group_right extra labels, copied from the "one" side


# ---------------------------------------------------------------------------------------------
# Element arithmetic: Go's math, vectorized.
# ---------------------------------------------------------------------------------------------


def go_mod(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Go's math.Mod: the exact remainder with the sign of the dividend (4 % -3 = 1).

    C's fmod has the same definition and special cases (x % 0, ±Inf % y and NaN give NaN;
    x % ±Inf = x), and both are exact, so numpy's fmod gives Go's bits.
    """
    with np.errstate(all="ignore"):
        return np.fmod(x, y)


def _is_odd_int(y: np.ndarray) -> np.ndarray:
    """Go's isOddInt in math/pow.go; floats of 2**53 and more are all even."""
    fraction, integral = np.modf(y)
    return (fraction == 0) & (np.abs(integral) < 2.0**53) & (np.fmod(integral, 2.0) != 0)


_POW_BLOCK = 1 << 15


def go_pow(x, y) -> np.ndarray:
    """Go's math.Pow (math/pow.go as built into promtool 2.42), elementwise.

    Trap: Go does not call the C library. Integer powers come from repeated squaring of the
    frexp mantissa, so 1.1^7 = 1.9487171000000012 as Go computes it, and a fractional part is
    Go's Exp(yf*Log(x)) (both amd64 assembly, replayed in gomath.py), so
    8^(1/3) = 1.9999999999999998 where Python says 2.0. y = ±0.5 is Sqrt.
    The special cases run in Go's order: Pow(NaN, 0) = 1, Pow(1, NaN) = 1.
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    shape = x.shape
    x, y = x.ravel(), y.ravel()
    with np.errstate(all="ignore"):
        fraction, integral = np.modf(np.abs(y))
        special = (
            (y == 0)
            | (x == 1)
            | np.isnan(x)
            | np.isnan(y)
            | (x == 0)
            | np.isinf(x)
            | np.isinf(y)
            | (np.abs(y) == 0.5)
            | ((fraction != 0) & (x < 0))
            | (integral >= 2.0**63)
        )
        out = np.empty(x.shape)
        general = np.flatnonzero(~special)
        # Blocks small enough for the CPU cache: the squaring loop makes many passes.
        for start in range(0, len(general), _POW_BLOCK):
            block = general[start : start + _POW_BLOCK]
            out[block] = _pow_by_squaring(x[block], y[block], integral[block], fraction[block])
        if special.any():
            out[special] = _pow_special_cases(x[special], y[special])
    return out.reshape(shape)


def _pow_special_cases(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The switch at the top of Go's pow, in its order (1-D arrays)."""
    out = np.full(x.shape, np.nan)
    done = np.zeros(x.shape, dtype=bool)

    def settle(mask: np.ndarray, value) -> None:
        mask = mask & ~done
        out[mask] = value[mask] if isinstance(value, np.ndarray) else value
        done[mask] = True

    settle((y == 0) | (x == 1), 1.0)
    settle(np.isnan(x) | np.isnan(y), np.nan)
    odd_y = _is_odd_int(y)
    settle((x == 0) & (y < 0), np.where(odd_y, np.copysign(np.inf, x), np.inf))
    settle((x == 0) & (y > 0), np.where(odd_y, x, 0.0))
    settle(np.isinf(y), np.where(x == -1, 1.0, np.where((np.abs(x) < 1) == (y > 0), 0.0, np.inf)))
    negative_inf_base = (x == -np.inf) & ~done
    if negative_inf_base.any():
        # Pow(-Inf, y) = Pow(-0, -y)
        out[negative_inf_base] = go_pow(np.full(negative_inf_base.sum(), -0.0), -y[negative_inf_base])
        done |= negative_inf_base
    settle((x == np.inf) & (y < 0), 0.0)
    settle((x == np.inf) & (y > 0), np.inf)
    settle(y == 0.5, np.sqrt(x))
    settle(y == -0.5, 1 / np.sqrt(x))
    fraction, integral = np.modf(np.abs(y))
    settle((fraction != 0) & (x < 0), np.nan)
    settle(integral >= 2.0**63, np.where(x == -1, 1.0, np.where((np.abs(x) < 1) == (y > 0), 0.0, np.inf)))
    return out


def _pow_by_squaring(x, y, integral, fraction) -> np.ndarray:
    """The general case of Go's pow: a1 * 2**ae built from the bits of the integer exponent."""
    round_up = fraction > 0.5
    fraction = np.where(round_up, fraction - 1, fraction)
    integral = np.where(round_up, integral + 1, integral)
    with np.errstate(all="ignore"):
        a1 = np.where(fraction != 0, go_exp(fraction * go_log(x)), 1.0)
    x1, xe = np.frexp(x)
    xe = xe.astype(np.int64)
    ae = np.zeros(x.shape, dtype=np.int64)
    bits = integral.astype(np.int64)
    if bits.size and (bits == bits[0]).all():
        a1, ae = _multiply_in_squarings(a1, x1, xe, ae, int(bits[0]))
        bits = np.zeros_like(bits)
    while (active := bits != 0).any():
        # Go breaks out when xe leaves ±4096: the final Ldexp under/overflows anyway.
        escaping = active & ((xe < -(1 << 12)) | (xe > (1 << 12)))
        ae = np.where(escaping, ae + xe, ae)
        bits = np.where(escaping, 0, bits)
        active &= ~escaping
        odd = active & ((bits & 1) == 1)
        a1 = np.where(odd, a1 * x1, a1)
        ae = np.where(odd, ae + xe, ae)
        x1 = np.where(active, x1 * x1, x1)
        xe = np.where(active, xe << 1, xe)
        renormalize = active & (x1 < 0.5)
        x1 = np.where(renormalize, x1 + x1, x1)
        xe = np.where(renormalize, xe - 1, xe)
        bits = np.where(active, bits >> 1, bits)
    negative = y < 0
    a1 = np.where(negative, 1 / a1, a1)
    ae = np.where(negative, -ae, ae)
    return np.ldexp(a1, np.clip(ae, -100_000, 100_000).astype(np.int32))


def _multiply_in_squarings(a1, x1, xe, ae, bits: int):
    """The squaring loop of Go's pow for one integer exponent shared by every element."""
    escaped = np.zeros(a1.shape, dtype=bool)
    while bits != 0:
        # Go breaks out when xe leaves ±4096: the final Ldexp under/overflows anyway.
        escaping = ~escaped & ((xe < -(1 << 12)) | (xe > (1 << 12)))
        if escaping.any():
            ae = np.where(escaping, ae + xe, ae)
            escaped |= escaping
        if bits & 1:
            a1 = np.where(escaped, a1, a1 * x1)
            ae = np.where(escaped, ae, ae + xe)
        x1 = x1 * x1
        xe = xe << 1
        renormalize = x1 < 0.5
        x1 = np.where(renormalize, x1 + x1, x1)
        xe = np.where(renormalize, xe - 1, xe)
        bits >>= 1
    return a1, ae


# math/atan.go: the Cephes rational approximation Go uses (pure Go on amd64).
_ATAN_P = (
    -8.750608600031904122785e-01,
    -1.615753718733365076637e01,
    -7.500855792314704667340e01,
    -1.228866684490136173410e02,
    -6.485021904942025371773e01,
)
_ATAN_Q = (
    +2.485846490142306297962e01,
    +1.650270098316988542046e02,
    +4.328810604912902668951e02,
    +4.853903996359136964868e02,
    +1.945506571482613964425e02,
)
_ATAN_MOREBITS = 6.123233995736765886130e-17  # pi/2 = PIO2 + Morebits
_TAN_3PI_8 = 2.41421356237309504880


def _xatan(x: np.ndarray) -> np.ndarray:
    p0, p1, p2, p3, p4 = _ATAN_P
    q0, q1, q2, q3, q4 = _ATAN_Q
    z = x * x
    z = z * ((((p0 * z + p1) * z + p2) * z + p3) * z + p4) / (((((z + q0) * z + q1) * z + q2) * z + q3) * z + q4)
    return x * z + x


def _satan(x: np.ndarray) -> np.ndarray:
    """Go's satan for x > 0: reduce to [0, 0.66] and call xatan."""
    with np.errstate(all="ignore"):
        small = _xatan(x)
        large = np.pi / 2 - _xatan(1 / x) + _ATAN_MOREBITS
        middle = np.pi / 4 + _xatan((x - 1) / (x + 1)) + 0.5 * _ATAN_MOREBITS
    return np.where(x <= 0.66, small, np.where(x > _TAN_3PI_8, large, middle))


def go_atan(x: np.ndarray) -> np.ndarray:
    """Go's math.Atan (Cephes), which can differ from the C library in the last bit."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x == 0, x, np.where(x > 0, _satan(np.abs(x)), -_satan(np.abs(x))))


def go_atan2(y, x) -> np.ndarray:
    """Go's math.Atan2: its special cases in order, then Atan(y/x) moved into the quadrant."""
    y, x = np.broadcast_arrays(np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64))
    with np.errstate(all="ignore"):
        q = go_atan(y / x)
        general = np.where(x < 0, np.where(q <= 0, q + np.pi, q - np.pi), q)
        x_positive_inf = np.where(np.isinf(y), np.copysign(np.pi / 4, y), np.copysign(0.0, y))
        x_negative_inf = np.where(np.isinf(y), np.copysign(3 * np.pi / 4, y), np.copysign(np.pi, y))
        return np.select(
            [
                np.isnan(y) | np.isnan(x),
                y == 0,
                x == 0,
                x == np.inf,
                x == -np.inf,
                np.isinf(y),
            ],
            [
                np.nan,
                np.where((x >= 0) & ~np.signbit(x), np.copysign(0.0, y), np.copysign(np.pi, y)),
                np.copysign(np.pi / 2, y),
                x_positive_inf,
                x_negative_inf,
                np.copysign(np.pi / 2, y),
            ],
            general,
        )


def vector_elem_binop(op: str, lhs, rhs) -> tuple[np.ndarray, np.ndarray]:
    """engine.go vectorElemBinop over arrays: (value, keep).

    Arithmetic always keeps; a comparison keeps where it holds and returns the LHS value.
    IEEE rules apply: x/0 = ±Inf, 0/0 = NaN, and every comparison with NaN is false except !=.
    """
    lhs = np.asarray(lhs, dtype=np.float64)
    rhs = np.asarray(rhs, dtype=np.float64)
    shape = np.broadcast_shapes(lhs.shape, rhs.shape)
    always = np.ones(shape, dtype=bool)
    with np.errstate(all="ignore"):
        if op == "+":
            return _shaped(lhs + rhs, shape), always
        if op == "-":
            return _shaped(lhs - rhs, shape), always
        if op == "*":
            return _shaped(lhs * rhs, shape), always
        if op == "/":
            return _shaped(lhs / rhs, shape), always
        if op == "%":
            return _shaped(go_mod(lhs, rhs), shape), always
        if op == "^":
            return _shaped(go_pow(lhs, rhs), shape), always
        if op == "atan2":
            return _shaped(go_atan2(lhs, rhs), shape), always
        if op in COMPARISON_OPS:
            return np.broadcast_to(lhs, shape), np.broadcast_to(_compare(op, lhs, rhs), shape)
    raise PromQLError(f"operator {op!r} not allowed for operations between vectors")


def _shaped(result: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """An arithmetic result at the broadcast shape; already of that shape, it stays the fresh,
    writable array it is (callers may mask it in place instead of copying it)."""
    return result if result.shape == shape else np.broadcast_to(result, shape)


def _compare(op: str, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    if op == "==":
        return lhs == rhs
    if op == "!=":
        return lhs != rhs
    if op == ">":
        return lhs > rhs
    if op == "<":
        return lhs < rhs
    if op == ">=":
        return lhs >= rhs
    return lhs <= rhs


def should_drop_metric_name(op: str) -> bool:
    """engine.go shouldDropMetricName: + - * / % ^ drop __name__; comparisons and atan2 keep it."""
    return op in _OPS_DROPPING_METRIC_NAME


# ---------------------------------------------------------------------------------------------
# Scalar op scalar, vector op scalar.
# ---------------------------------------------------------------------------------------------


def scalar_binop(op: str, lhs: ScalarOverGrid, rhs: ScalarOverGrid, return_bool: bool) -> ScalarOverGrid:
    """engine.go scalarBinop at every step; comparisons give 1 or 0 and need `bool`."""
    if op in COMPARISON_OPS:
        if not return_bool:
            # promql/parser: comparisons between scalars must use the bool modifier.
            raise PromQLError("comparisons between scalars must use BOOL modifier")
        with np.errstate(all="ignore"):
            return ScalarOverGrid(_compare(op, lhs.values, rhs.values).astype(np.float64))
    if op not in ARITHMETIC_OPS:
        raise PromQLError(f"operator {op!r} not allowed for scalar operations")
    value, _ = vector_elem_binop(op, lhs.values, rhs.values)
    return ScalarOverGrid(np.array(value, dtype=np.float64))


def vector_scalar_binop(
    op: str, vec: VectorOverGrid, scalar: ScalarOverGrid, scalar_on_left: bool, return_bool: bool
) -> VectorOverGrid:
    """engine.go VectorscalarBinop: the scalar applied to every element of the vector.

    Trap: a filtering comparison with the scalar on the left (1 < x) still returns the vector's
    value, not the scalar's. With bool, every element is kept with value 1 or 0 and loses
    __name__.
    """
    if op in SET_OPS:
        raise PromQLError(f"set operator {op!r} not allowed in binary scalar expression")
    steps = vec.values.shape[1]
    vector_values = vec.values
    scalar_values = np.broadcast_to(scalar.values[None, :], vector_values.shape)
    if scalar_on_left:
        value, keep = vector_elem_binop(op, scalar_values, vector_values)
    else:
        value, keep = vector_elem_binop(op, vector_values, scalar_values)
    if op in COMPARISON_OPS:
        value = vector_values
    if return_bool:
        value = keep.astype(np.float64)
        keep = np.ones(vector_values.shape, dtype=bool)
    emit = vec.present & keep
    drop_name = should_drop_metric_name(op) or return_bool
    rows = ResultRows(steps)
    for i, row_labels in enumerate(vec.labels):
        out_labels = labels_without(row_labels, {METRIC_NAME}) if drop_name else row_labels
        rows.add(out_labels, value[i], emit[i])
    return rows.finish()


# ---------------------------------------------------------------------------------------------
# Vector op vector.
# ---------------------------------------------------------------------------------------------


def match_signature(labels: Labels, matching: VectorMatching) -> Labels:
    """engine.go signatureFunc: on(...) labels, else all labels but __name__ and ignoring(...)."""
    if matching.on:
        return labels_only(labels, frozenset(matching.labels))
    return labels_without(labels, frozenset(matching.labels) | {METRIC_NAME})


def result_metric(many: Labels, one: Labels, op: str, matching: VectorMatching) -> Labels:
    """engine.go resultMetric: the labels of one output element.

    `many` is the side whose elements are iterated (the left side, or the right side for
    group_right); `one` is the other side. One-to-one with on(...) keeps only the on labels;
    with ignoring(...) the listed labels are removed; group_x(...) labels are copied from the
    one side, or deleted when it lacks them.
    """
    result = many
    if should_drop_metric_name(op):
        result = labels_without(result, {METRIC_NAME})
    if matching.card == CARD_ONE_TO_ONE:
        if matching.on:
            result = labels_only(result, frozenset(matching.labels))
        else:
            result = labels_without(result, frozenset(matching.labels))
    for name in matching.include:
        result = labels_set(result, name, labels_get(one, name))
    return result


def vector_binop(
    op: str, lhs: VectorOverGrid, rhs: VectorOverGrid, matching: VectorMatching, return_bool: bool
) -> VectorOverGrid:
    """A binary operation between two instant vectors at every step (engine.go VectorBinop and
    VectorAnd/VectorOr/VectorUnless).

    Raises PromQLError, with the message Prometheus gives, when a matching conflict exists at
    some step; the error names the earliest such step in its `step_index` attribute.
    """
    if op in SET_OPS:
        return _set_operation(op, lhs, rhs, matching)
    if matching.card == CARD_MANY_TO_MANY:
        raise PromQLError("many-to-many only allowed for set operators")
    return _matched_binop(op, lhs, rhs, matching, return_bool)


def _set_operation(op: str, lhs: VectorOverGrid, rhs: VectorOverGrid, matching: VectorMatching) -> VectorOverGrid:
    """and: matched LHS; or: all LHS plus unmatched RHS; unless: unmatched LHS; labels unchanged.

    Prometheus's short-circuits on an empty side give the same answers as the matching below.
    """
    steps = lhs.values.shape[1]
    lhs_signatures = [match_signature(labels, matching) for labels in lhs.labels]
    rhs_signatures = [match_signature(labels, matching) for labels in rhs.labels]
    rows = ResultRows(steps)
    if op == "or":
        lhs_present_by_signature = _present_by_signature(lhs_signatures, lhs.present, steps)
        for i, labels in enumerate(lhs.labels):
            rows.add(labels, lhs.values[i], lhs.present[i])
        nowhere = np.zeros(steps, dtype=bool)
        for j, labels in enumerate(rhs.labels):
            unmatched = rhs.present[j] & ~lhs_present_by_signature.get(rhs_signatures[j], nowhere)
            rows.add(labels, rhs.values[j], unmatched)
        return rows.finish()
    rhs_present_by_signature = _present_by_signature(rhs_signatures, rhs.present, steps)
    nowhere = np.zeros(steps, dtype=bool)
    for i, labels in enumerate(lhs.labels):
        matched = rhs_present_by_signature.get(lhs_signatures[i], nowhere)
        keep = lhs.present[i] & (matched if op == "and" else ~matched)
        rows.add(labels, lhs.values[i], keep)
    return rows.finish()


def _present_by_signature(signatures: list[Labels], present: np.ndarray, steps: int) -> dict[Labels, np.ndarray]:
    """For each signature: at which steps some series with that signature is present."""
    by_signature: dict[Labels, np.ndarray] = {}
    for i, signature in enumerate(signatures):
        current = by_signature.get(signature)
        by_signature[signature] = present[i].copy() if current is None else current | present[i]
    return by_signature


@dataclass
class _Pairs:
    """The (many row, one row) pairs that share a matching signature."""

    many_rows: np.ndarray
    one_rows: np.ndarray
    signature_ids: np.ndarray  # per pair: which signature it matched on
    signature_count: int


def _matched_binop(
    op: str, lhs: VectorOverGrid, rhs: VectorOverGrid, matching: VectorMatching, return_bool: bool
) -> VectorOverGrid:
    """engine.go VectorBinop for arithmetic and comparisons: every matching pair of series is
    computed as one (pairs, steps) array, then the conflicts Prometheus reports are counted."""
    steps = lhs.values.shape[1]
    # VectorBinop returns nothing when either side is empty at a step, before any check.
    both_sides_present = lhs.present.any(axis=0) & rhs.present.any(axis=0)
    # For one-to-many, Prometheus swaps the sides and iterates the right-hand ("many") side.
    swapped = matching.card == CARD_ONE_TO_MANY
    many, one = (rhs, lhs) if swapped else (lhs, rhs)
    one_rows_by_signature: dict[Labels, list[int]] = {}
    for j, labels in enumerate(one.labels):
        one_rows_by_signature.setdefault(match_signature(labels, matching), []).append(j)

    errors = FirstError()
    _check_one_side_unique(one, one_rows_by_signature, matching, swapped, both_sides_present, errors)
    pairs = _matching_pairs(many, one_rows_by_signature, matching)
    if pairs is None:
        errors.raise_if_any()
        return VectorOverGrid.empty(steps)

    matched = take_rows(many.present, pairs.many_rows) & take_rows(one.present, pairs.one_rows) & both_sides_present
    many_values, one_values = take_rows(many.values, pairs.many_rows), take_rows(one.values, pairs.one_rows)
    left, right = (one_values, many_values) if swapped else (many_values, one_values)
    value, keep = vector_elem_binop(op, left, right)
    if return_bool:
        value, emit = keep.astype(np.float64), matched
    else:
        emit = matched & keep

    emitting = np.flatnonzero(emit.any(axis=1))
    out_index: dict[Labels, int] = {}
    pair_out = np.empty(len(emitting), dtype=np.int64)
    for position, p in enumerate(emitting):
        out_labels = result_metric(many.labels[pairs.many_rows[p]], one.labels[pairs.one_rows[p]], op, matching)
        if return_bool:
            out_labels = labels_without(out_labels, {METRIC_NAME})
        pair_out[position] = out_index.setdefault(out_labels, len(out_index))
    emit = emit[emitting]
    per_output = _add_conflicts(
        errors, matching, pairs.signature_ids[emitting], pairs.signature_count, pair_out, len(out_index), emit
    )
    errors.raise_if_any()
    if not out_index:
        return VectorOverGrid.empty(steps)
    # At most one pair emits into an output cell (else an error was raised above), and -0.0
    # leaves any float unchanged under +, so adding up the pairs' rows places each value.
    out_values = _sum_rows_by(pair_out, _emitted_values(value, emitting, emit, op, return_bool), len(out_index))
    return VectorOverGrid(list(out_index), out_values, per_output > 0)


def _emitted_values(value: np.ndarray, emitting: np.ndarray, emit: np.ndarray, op: str, return_bool: bool):
    """The emitting pairs' values, -0.0 where a pair does not emit. An arithmetic result is a
    fresh array of this call's own, so it is masked in place rather than copied (a whole-grid
    matrix is 100 MB at 90 days x 500 series); a comparison's values are its input's."""
    emitted = take_rows(value, emitting)
    if emit.all():
        return emitted
    if emitted is value and op not in COMPARISON_OPS and not return_bool and value.flags.writeable:
        np.copyto(value, -0.0, where=~emit)
        return value
    return np.where(emit, emitted, -0.0)


def _matching_pairs(
    many: VectorOverGrid, one_rows_by_signature: dict[Labels, list[int]], matching: VectorMatching
) -> _Pairs | None:
    many_rows, one_rows, signature_ids = [], [], []
    ids: dict[Labels, int] = {}
    for i, labels in enumerate(many.labels):
        signature = match_signature(labels, matching)
        for j in one_rows_by_signature.get(signature, ()):
            many_rows.append(i)
            one_rows.append(j)
            signature_ids.append(ids.setdefault(signature, len(ids)))
    if not many_rows:
        return None
    return _Pairs(np.array(many_rows), np.array(one_rows), np.array(signature_ids), len(ids))


def _add_conflicts(
    errors: FirstError,
    matching: VectorMatching,
    pair_signature: np.ndarray,
    signature_count: int,
    pair_out: np.ndarray,
    out_count: int,
    emit: np.ndarray,
) -> np.ndarray:
    """Count, per step, what Prometheus checks while it appends results; returns the number of
    pairs emitting into each output row (the output's presence where it is 1).

    One-to-one: two results for one signature. Many-to-one: two results with the same labels
    for one signature. Any card: two results with the same labels (rangeEval's check, last).
    """
    if _all_distinct(pair_signature) and _all_distinct(pair_out):
        # No two pairs share a signature or an output: no conflict is possible, and each output
        # row's count is its one pair's emit (no (pairs, steps) int arrays to build).
        return _sum_rows_by(pair_out, emit, out_count)
    emit_counts = emit.astype(np.int32)
    if matching.card == CARD_ONE_TO_ONE:
        per_signature = _sum_rows_by(pair_signature, emit_counts, signature_count)
        errors.add(
            (per_signature > 1).any(axis=0),
            1,
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
        )
    else:
        keys = pair_signature.astype(np.int64) * max(out_count, 1) + pair_out
        _, group_result = np.unique(keys, return_inverse=True)
        per_group_result = _sum_rows_by(group_result.ravel(), emit_counts, int(group_result.max(initial=-1)) + 1)
        errors.add(
            (per_group_result > 1).any(axis=0),
            1,
            "multiple matches for labels: grouping labels must ensure unique matches",
        )
    per_output = _sum_rows_by(pair_out, emit_counts, out_count)
    errors.add((per_output > 1).any(axis=0), 2, SAME_LABELSET_MESSAGE)
    return per_output


def _sum_rows_by(keys: np.ndarray, rows: np.ndarray, key_count: int) -> np.ndarray:
    """Sum the rows of a (n, steps) array that share a key: a (key_count, steps) array.

    Used for counts, and for values where at most one row per key is not -0.0 at each step.
    """
    if key_count == len(keys) and (key_count == 0 or (keys[0] == 0 and (np.diff(keys) == 1).all())):
        return rows  # one row per key, in key order: the rows themselves
    totals = np.zeros((key_count, rows.shape[1]), dtype=rows.dtype)
    if len(keys) == 0:
        return totals
    if len(np.unique(keys)) == len(keys):
        totals[keys] = rows
        return totals
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    totals[sorted_keys[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return totals


def _all_distinct(keys: np.ndarray) -> bool:
    return len(np.unique(keys)) == len(keys)


def _check_one_side_unique(
    one: VectorOverGrid,
    one_rows_by_signature: dict[Labels, list[int]],
    matching: VectorMatching,
    swapped: bool,
    both_sides_present: np.ndarray,
    errors: FirstError,
) -> None:
    """Two series of the "one" side sharing a signature at a step: many-to-many, an error.

    Prometheus checks the one side in row order, so at a step the reported pair is the first
    row that repeats a signature together with the earlier row it repeats.
    """
    one_side = "left" if swapped else "right"
    for signature_rows in one_rows_by_signature.values():
        if len(signature_rows) < 2:
            continue
        present = one.present[signature_rows]
        duplicated = (present.sum(axis=0) > 1) & both_sides_present
        if not duplicated.any():
            continue
        step = int(np.argmax(duplicated))
        first, second = [signature_rows[k] for k in np.flatnonzero(present[:, step])[:2]]
        matched_labels = _match_labels(one.labels[second], matching)
        message = (
            f"found duplicate series for the match group {_go_labels_string(matched_labels)} on the "
            f"{one_side} hand-side of the operation: [{_go_labels_string(one.labels[second])}, "
            f"{_go_labels_string(one.labels[first])}];many-to-many matching not allowed: matching "
            "labels must be unique on one side"
        )
        errors.add(duplicated, 0, message, order=second)


def _match_labels(labels: Labels, matching: VectorMatching) -> Labels:
    """labels.MatchLabels: like the signature, for the error message."""
    return match_signature(labels, matching)


def _go_labels_string(labels: Labels) -> str:
    """labels.Labels.String() in 2.42: {__name__="x", a="b"}, __name__ inside the braces."""
    inner = ", ".join(f"{name}={_go_quote(value)}" for name, value in labels)
    return "{" + inner + "}"


def _go_quote(value: str) -> str:
    """strconv.Quote for the printable strings label values normally are."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


# ---------------------------------------------------------------------------------------------
# Result assembly and errors.
# ---------------------------------------------------------------------------------------------

# engine.go rangeEval: checked on every function/operator result at every step.
SAME_LABELSET_MESSAGE = "vector cannot contain metrics with the same labelset"


class ResultRows:
    """Output rows keyed by label set, in order of first appearance.

    The same label set can come from different input rows at different steps (one-to-one
    matching on(job) maps {job="a",i="1"} and {job="a",i="2"} both to {job="a"}), so rows are
    merged by label set; two contributions at the same step are recorded as a collision.
    Contributions are kept as the caller's arrays (which nobody writes to) and laid out once, in
    finish(): a whole-grid result then costs one output matrix, not a copy per row plus a stacked one.
    """

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.index: dict[Labels, int] = {}
        self.contributions: list[list[tuple[np.ndarray, np.ndarray]]] = []  # per row: (values, emit)
        self.present: list[np.ndarray] = []
        self.collisions = np.zeros(steps, dtype=bool)

    def add(self, labels: Labels, values: np.ndarray, emit: np.ndarray) -> None:
        if not emit.any():
            return
        k = self.index.get(labels)
        if k is None:
            self.index[labels] = len(self.contributions)
            self.contributions.append([(values, emit)])
            self.present.append(emit.copy())
            return
        self.collisions |= self.present[k] & emit
        self.contributions[k].append((values, emit))
        self.present[k] |= emit

    def finish(self, check_collisions: bool = True) -> VectorOverGrid:
        if check_collisions and self.collisions.any():
            errors = FirstError()
            errors.add(self.collisions, 2, SAME_LABELSET_MESSAGE)
            errors.raise_if_any()
        if not self.contributions:
            return VectorOverGrid.empty(self.steps)
        values = np.zeros((len(self.contributions), self.steps))  # 0 where no contribution emits
        for row, parts in zip(values, self.contributions):
            for part_values, emit in parts:  # in order: a later contribution wins, as in Prometheus
                np.copyto(row, part_values, where=emit)
        return VectorOverGrid(list(self.index), values, np.vstack(self.present))


class FirstError:
    """The error Prometheus would raise first: earliest step, then check order within a step."""

    def __init__(self) -> None:
        self.best: tuple[int, int, int, str] | None = None

    def add(self, at_steps: np.ndarray, priority: int, message: str, order: int = 0) -> None:
        if not at_steps.any():
            return
        candidate = (int(np.argmax(at_steps)), priority, order, message)
        if self.best is None or candidate[:3] < self.best[:3]:
            self.best = candidate

    def raise_if_any(self) -> None:
        if self.best is None:
            return
        error = PromQLError(self.best[3])
        error.step_index = self.best[0]
        raise error
