"""Array (vector) measures: their types, per-cell functions and element-wise arithmetic.

A cell value of an array measure is a ``Vec`` whose ``values`` is a 2-D numpy array of shape
``(n_cells, length)``: one row per cell, every cell of a query holding arrays of the same length
(P&L scenario vectors: a fixed number of scenarios). Rows of absent cells hold zeros and are
masked by ``present``. Integer arrays compute in int64 and floating ones in float64; the result
converts to the measure's element type (int, long, float, double) only when printed.

Functions of arrays are IR ops named ``"array.<function>"``: ``Op("array.quantile", (measure,
Lit(q), Lit(mode), Lit(interpolation)))``; their parameters are ``Lit`` nodes read here, never
evaluated as cell values. Element access and slices are ``array.at`` (index: an int or a measure)
and ``array.slice`` (``Lit((start, stop, step))``).

Element-wise aggregation of array columns (the scan side) is in ``array_scan.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import types as T
from ..expr.measure import ARITHMETIC, FUNCTIONS, UNARY, Lit, Node, Op

# IR op names of tt.array functions; each maps to how its result type follows from its input's.
_SCALAR = "scalar"  # the array's element type (min, max, nth_greatest, element access)
_SAME = "same"  # an array of the input's type (sort, n_greatest, slices, prefix_sum ...)
_OPS: dict[str, str] = {
    "array.sum": "sum",
    "array.mean": T.DOUBLE,
    "array.min": _SCALAR,
    "array.max": _SCALAR,
    "array.prod": "sum",
    "array.len": T.INT,
    "array.var": T.DOUBLE,
    "array.std": T.DOUBLE,
    "array.sort": _SAME,
    "array.n_greatest": _SAME,
    "array.n_lowest": _SAME,
    "array.n_greatest_indices": T.INT_ARRAY,
    "array.n_lowest_indices": T.INT_ARRAY,
    "array.nth_greatest": _SCALAR,
    "array.nth_lowest": _SCALAR,
    "array.quantile": "quantile",
    "array.quantile_index": T.INT,
    "array.replace": "replace",
    "array.negative_values": _SAME,
    "array.positive_values": _SAME,
    "array.prefix_sum": "sum_array",
    "array.at": _SCALAR,
    "array.slice": _SAME,
}
OPS = frozenset(_OPS)

_ELEMENT = {T.INT_ARRAY: T.INT, T.LONG_ARRAY: T.LONG, T.FLOAT_ARRAY: T.FLOAT, T.DOUBLE_ARRAY: T.DOUBLE}
_ARRAY_OF = {v: k for k, v in _ELEMENT.items()}


def element_type(array_type: str) -> str:
    return _ELEMENT[array_type]


def array_of(element: str) -> str:
    return _ARRAY_OF[element]


def _integral(data_type: str) -> bool:
    return data_type in (T.INT, T.LONG, T.INT_ARRAY, T.LONG_ARRAY)


# --- types ------------------------------------------------------------------------------------


def aggregate_type(func: str, inner: str) -> str:
    """The type of tt.agg.`func` over arrays of type `inner` (element-wise SUM and MEAN only)."""
    if func == "sum":
        return T.LONG_ARRAY if _integral(inner) else T.DOUBLE_ARRAY
    if func == "mean":
        return T.DOUBLE_ARRAY
    raise TypeError(f"tt.agg.{func} cannot aggregate arrays ({inner}): use tt.agg.sum or tt.agg.mean, "
                    "which aggregate element by element.")


def arithmetic_type(op: str, types: list[str]) -> str:
    """The type of arithmetic with at least one array operand."""
    if op in FUNCTIONS or op in ("min", "max"):
        raise TypeError(f"{op}() takes numbers, not arrays: use the tt.array functions on arrays.")
    if op not in ARITHMETIC and op not in UNARY:
        raise TypeError(f"{op} does not apply to arrays.")
    if op in ("/", "**") or not all(_integral(t) for t in types):
        return T.DOUBLE_ARRAY
    return T.LONG_ARRAY


def function_type(node: Op, type_of: Callable[[Node], str]) -> str:
    """The type of an ``array.*`` op; a TypeError when its operand is not an array."""
    inner = type_of(node.args[0])
    if not T.is_array(inner):
        raise TypeError(f"tt.{node.op}() takes an array measure, got a measure of type {inner}.")
    if node.op == "array.at" and not isinstance(node.args[1], Lit) and not _integral(type_of(node.args[1])):
        raise TypeError("An array index must be an integer or a measure of integers.")
    rule = _OPS[node.op]
    element = element_type(inner)
    if rule == _SCALAR:
        return element
    if rule == _SAME:
        return inner
    if rule == "sum":
        return T.LONG if _integral(inner) else T.DOUBLE
    if rule == "sum_array":
        return T.LONG_ARRAY if _integral(inner) else T.DOUBLE_ARRAY
    if rule == "quantile":
        interpolation = node.args[3].value
        return element if interpolation in ("lower", "higher", "nearest") else T.DOUBLE
    if rule == "replace":
        new_values = [v for _, v in node.args[1].value]
        if _integral(inner) and any(isinstance(v, float) for v in new_values):
            return T.DOUBLE_ARRAY
        return inner
    return rule


# --- cell values ------------------------------------------------------------------------------


def _vec(values: np.ndarray, present: np.ndarray) -> Any:
    from .evaluate import Vec  # here, not at the top: evaluate imports this module

    return Vec(values, present)


def is_array(vec: Any) -> bool:
    return vec.values.ndim == 2


def apply(op: str, args: list[Any]) -> Any:
    """Arithmetic with at least one array operand, element by element (numbers broadcast).

    As atoti computes arrays, a division by zero gives an infinite or NaN element, not an empty
    cell: only absent operands make an absent result.
    """
    present = args[0].present.copy()
    for a in args[1:]:
        present &= a.present
    values = [a.values if a.values.ndim == 2 else a.values[:, None] for a in args]
    widths = {v.shape[1] for v, a in zip(values, args) if a.values.ndim == 2}
    if len(widths) > 1:
        raise ValueError(f"Arrays of different lengths {sorted(widths)} cannot be combined element by element.")
    x = values[0]
    with np.errstate(all="ignore"):
        if op == "neg":
            return _vec(-x, present)
        if op == "abs":
            return _vec(np.abs(x), present)
        y = values[1]
        if op == "+":
            out = x + y
        elif op == "-":
            out = x - y
        elif op == "*":
            out = x * y
        elif op == "/":
            out = x.astype(np.float64) / y
        elif op == "**":
            out = np.power(x.astype(np.float64), y)
        elif op in ("//", "%"):
            if x.dtype.kind == "i" and y.dtype.kind == "i":
                safe = np.where(y == 0, 1, y)
                out = np.floor_divide(x, safe) if op == "//" else np.mod(x, safe)
                present &= ~(y == 0).any(axis=1)  # integers have no infinity to show
            else:
                out = np.floor_divide(x, y) if op == "//" else np.mod(x, y)
        else:
            raise ValueError(f"Unknown operator {op!r} on arrays.")
    if out.shape[0] != len(present):
        out = np.broadcast_to(out, (len(present), out.shape[1]))
    return _vec(out, present)


def evaluate(node: Op, value: Callable[[Node], Any], n: int) -> Any:
    """Cell values of one ``array.*`` op; `value` evaluates an operand node."""
    vec = value(node.args[0])
    if not is_array(vec):
        raise TypeError(f"tt.{node.op}() takes an array measure.")
    x, present = vec.values, vec.present
    params = [a.value if isinstance(a, Lit) else a for a in node.args[1:]]
    func = node.op[len("array."):]
    width = x.shape[1]
    with np.errstate(all="ignore"):
        if func == "sum":
            return _vec(x.sum(axis=1), present)
        if func == "prod":
            return _vec(x.prod(axis=1), present)
        if func == "len":
            return _vec(np.full(len(x), width, np.int64), present)
        if func in ("mean", "min", "max"):
            if width == 0:  # no element: no mean, minimum or maximum
                return _vec(np.zeros(len(x)), np.zeros(len(x), np.bool_))
            return _vec(getattr(np, func)(x, axis=1), present)
        if func in ("var", "std"):
            ddof = 1 if params[0] == "sample" else 0
            if width - ddof <= 0:
                return _vec(np.zeros(len(x)), np.zeros(len(x), np.bool_))
            out = np.var(x.astype(np.float64), axis=1, ddof=ddof)
            return _vec(np.sqrt(out) if func == "std" else out, present)
        if func == "sort":
            out = np.sort(x, axis=1)
            return _vec(out if params[0] else out[:, ::-1], present)
        if func in ("n_greatest", "n_lowest", "n_greatest_indices", "n_lowest_indices"):
            k = min(_positive(params[0], func), width)
            order = _order(x, greatest=func.startswith("n_greatest"))[:, :k]
            if func.endswith("_indices"):
                return _vec(order.astype(np.int64), present)
            return _vec(np.take_along_axis(x, order, axis=1), present)
        if func in ("nth_greatest", "nth_lowest"):
            k = _positive(params[0], func)
            if k > width:
                return _vec(np.zeros(len(x), x.dtype), np.zeros(len(x), np.bool_))
            order = _order(x, greatest=func == "nth_greatest")[:, k - 1]
            return _vec(x[np.arange(len(x)), order], present)
        if func in ("quantile", "quantile_index"):
            return _quantile(x, present, *params, index=func == "quantile_index")
        if func == "replace":
            out = x.astype(np.float64) if any(isinstance(v, float) for _, v in params[0]) else x.copy()
            for old, new in params[0]:
                hit = np.isnan(x) if isinstance(old, float) and np.isnan(old) else x == old
                out[hit] = new
            return _vec(out, present)
        if func == "negative_values":
            return _vec(np.where(x > 0, 0, x), present)
        if func == "positive_values":
            return _vec(np.where(x < 0, 0, x), present)
        if func == "prefix_sum":
            return _vec(np.cumsum(x, axis=1), present)
        if func == "slice":
            start, stop, step = params[0]
            return _vec(x[:, slice(start, stop, step)], present)
        if func == "at":
            return _at(x, present, params[0], value)
    raise ValueError(f"Unknown array function {node.op!r}.")


def _positive(n: Any, func: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"tt.array.{func}() takes a positive integer n, got {n!r}.")
    return int(n)


def _order(x: np.ndarray, *, greatest: bool) -> np.ndarray:
    """Per row, element indices from lowest (or greatest) value; ties keep the lower index first."""
    if greatest:
        # Sorting the negated values keeps a stable order among equal values (a reversed
        # ascending sort would put the higher index first).
        key = -x.astype(np.float64) if x.dtype.kind == "f" else -x
        return np.argsort(key, axis=1, kind="stable")
    return np.argsort(x, axis=1, kind="stable")


def _at(x: np.ndarray, present: np.ndarray, index: Any, value: Callable[[Node], Any]) -> Any:
    width = x.shape[1]
    if isinstance(index, (int, np.integer)):
        if not -width <= index < width:
            raise IndexError(f"Index {index} is out of the arrays' bounds (length {width}).")
        return _vec(x[:, index], present)
    # An index measure: cells whose index falls outside the array are empty.
    idx = value(index)
    ix = np.asarray(idx.values, np.int64)
    ix = np.where(ix < 0, ix + width, ix)
    ok = present & idx.present & (ix >= 0) & (ix < width)
    safe = np.where(ok, ix, 0)
    out = x[np.arange(len(x)), safe] if width else np.zeros(len(x), x.dtype)
    return _vec(out, ok)


_MODES = ("simple", "centered", "inc", "exc")


def quantile_position(width: int, q: float, mode: str) -> float:
    """The 1-based position of the q quantile among `width` sorted elements (clamped to them)."""
    if mode == "simple":
        k = width * q
    elif mode == "centered":
        k = width * q + 0.5
    elif mode == "exc":
        k = (width + 1) * q
    elif mode == "inc":
        k = (width - 1) * q + 1
    else:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}.")
    return min(max(k, 1.0), float(width))


def _quantile(x: np.ndarray, present: np.ndarray, q: float, mode: str, interpolation: str, *, index: bool) -> Any:
    n, width = x.shape
    if width == 0:
        return _vec(np.zeros(n), np.zeros(n, np.bool_))
    k = quantile_position(width, q, mode)
    lo, hi = int(np.floor(k)), int(np.ceil(k))
    if interpolation == "lower":
        pick = lo
    elif interpolation == "higher":
        pick = hi
    elif interpolation == "nearest":
        pick = hi if k - lo > 0.5 else lo  # a tie goes to the lower position
    else:
        pick = None
    order = np.argsort(x, axis=1, kind="stable")
    rows = np.arange(n)
    if index:
        if pick is None:
            raise ValueError(f"quantile_index takes interpolation 'lower', 'higher' or 'nearest', got {interpolation!r}.")
        return _vec(order[:, pick - 1].astype(np.int64), present)
    y = np.take_along_axis(x, order, axis=1)
    if pick is not None:
        return _vec(y[rows, pick - 1], present)
    a, b = y[:, lo - 1].astype(np.float64), y[:, hi - 1].astype(np.float64)
    if interpolation == "linear":
        return _vec(a + (k - lo) * (b - a), present)
    if interpolation == "midpoint":
        return _vec((a + b) / 2, present)
    raise ValueError(f"interpolation must be 'linear', 'higher', 'lower', 'nearest' or 'midpoint', got {interpolation!r}.")


# --- results ----------------------------------------------------------------------------------


def to_objects(vec: Any, data_type: str) -> np.ndarray:
    """A result column of an array measure: one numpy vector of the element type per row, None
    where the cell is empty (what pandas shows, and what the formatter prints as atoti does)."""
    dtype = T.NUMPY_DTYPES[data_type]
    out = np.empty(len(vec.present), dtype=object)
    values = vec.values
    for i in np.flatnonzero(vec.present):
        out[i] = np.asarray(values[i], dtype=dtype)
    return out


__all__ = ["OPS", "aggregate_type", "apply", "arithmetic_type", "array_of", "element_type", "evaluate",
           "function_type", "is_array", "quantile_position", "to_objects"]
