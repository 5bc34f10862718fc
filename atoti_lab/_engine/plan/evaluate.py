"""Measures over cells: leaf aggregates finalised from accumulators, then arithmetic per cell.

A cell's value is a (value, present) pair: an empty cell (no rows, only missing values, a division
by zero) is absent, and absence propagates through arithmetic, as atoti shows empty cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .. import types as T
from ..expr.condition import And, Compare, IsIn, IsNull, LevelRef, Not, Or
from ..expr.measure import Agg, Col, Lit, MeasureRef, Nav, Node, Op, ScopedAgg, children, is_navigation
from . import arrays
from .functions import CELL_FUNCTIONS
from .functions import result_type as cell_result_type


@dataclass
class Vec:
    values: np.ndarray  # float64 or int64
    present: np.ndarray  # bool

    @staticmethod
    def constant(value: float | None, n: int) -> Vec:
        if value is None:  # an empty cell, e.g. where()'s default
            return Vec(np.full(n, np.nan), np.zeros(n, np.bool_))
        dtype = np.int64 if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else np.float64
        return Vec(np.full(n, value, dtype), np.ones(n, np.bool_))


def is_integer_type(data_type: str) -> bool:
    return data_type in (T.INT, T.LONG)


def result_type(node: Node, column_type: Callable[[object], str], measure_type: Callable[[str], str]) -> str:
    """The data type of a measure's values (raises for combinations that make no sense)."""
    if isinstance(node, Lit):
        if node.value is None:
            return T.LONG  # an empty value takes the type of what it stands beside
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, np.number)):
            raise TypeError(f"Only numbers can be used in measure arithmetic, got {node.value!r}.")
        return T.LONG if isinstance(node.value, (int, np.integer)) else T.DOUBLE
    if isinstance(node, Col):
        dtype = column_type(node.ref)
        if T.is_array(dtype):  # arrays hook
            return dtype
        if not T.is_numeric(dtype):
            raise TypeError(f"Column {node.ref.table}[{node.ref.column!r}] is {dtype}: only numeric columns can be aggregated.")
        return dtype
    if isinstance(node, MeasureRef):
        return measure_type(node.name)
    if isinstance(node, Agg):
        if node.func == "distinct":  # distinct.py
            from .distinct import distinct_type

            if not isinstance(node.operand, Col):
                raise TypeError("tt.agg.distinct() takes a single table column.")
            return distinct_type(column_type(node.operand.ref))
        if node.func == "single_member":  # single_value of a column that is not numeric (distinct.py)
            if not isinstance(node.operand, Col):
                raise TypeError("tt.agg.single_value() of strings, dates... takes a single table column.")
            return column_type(node.operand.ref)
        if node.operand is None or node.func in ("count", "count_distinct"):
            return T.LONG
        inner = result_type(node.operand, column_type, measure_type)
        if T.is_array(inner):  # arrays hook: element-wise SUM / MEAN
            return arrays.aggregate_type(node.func, inner)
        if node.func in ("sum", "prod", "long", "short"):
            return T.LONG if is_integer_type(inner) else T.DOUBLE
        if node.func in ("min", "max", "single_value"):
            return inner
        return T.DOUBLE  # mean, square_sum, var, std, median, quantile
    if isinstance(node, Nav):
        inner = result_type(node.measure, column_type, measure_type)
        if node.kind in ("max_member", "min_member"):  # the level's members (extremum.py)
            if not (T.is_numeric(inner) or inner == T.BOOLEAN):
                raise TypeError(f"tt.agg.{node.kind}() compares numbers, but its measure is {inner}.")
            return node.param("data_type")
        if node.kind == "rank":
            return T.LONG
        others = [result_type(v, column_type, measure_type) for v in children(node)[1:]]
        return inner if all(t == inner for t in others) else T.DOUBLE
    if isinstance(node, ScopedAgg):
        inner = result_type(node.operand, column_type, measure_type)
        if node.func == "distinct":
            from .distinct import distinct_type

            return distinct_type(inner)
        if node.func in ("count", "count_distinct"):
            return T.LONG
        if node.func in ("sum", "prod", "long", "short"):
            return T.LONG if is_integer_type(inner) else T.DOUBLE
        if node.func in ("min", "max"):
            return inner
        return T.DOUBLE
    if node.op == "date_diff":
        return T.LONG
    if node.op == "string.concat":
        from .strings import concat_type

        return concat_type(node, lambda a: result_type(a, column_type, measure_type))
    if node.op in arrays.OPS:  # arrays hook: tt.array functions, element access and slices
        return arrays.function_type(node, lambda a: result_type(a, column_type, measure_type))
    if node.op == "where":
        types = [result_type(a, column_type, measure_type) for a in node.args[1:]]
        for operand in children(node.args[0]):
            result_type(operand, column_type, measure_type)  # validates what the condition reads
        return T.LONG if all(is_integer_type(t) for t in types) else T.DOUBLE
    if node.op in CELL_FUNCTIONS or node.op == "irr":
        return cell_result_type(node, lambda a: result_type(a, column_type, measure_type))
    types = [result_type(a, column_type, measure_type) for a in node.args]
    for t in types:
        if not (T.is_numeric(t) or T.is_array(t) or t == T.BOOLEAN):  # e.g. max_member's members
            raise TypeError(f"Only numbers can be used in measure arithmetic, got a measure of {t} values.")
    if any(T.is_array(t) for t in types):  # arrays hook: element-wise arithmetic
        return arrays.arithmetic_type(node.op, types)
    if node.op in ("ceil", "floor", "round"):
        return T.LONG
    if node.op in _FUNCTIONS or node.op in ("/", "**"):
        return T.DOUBLE
    if all(is_integer_type(t) for t in types):
        return T.LONG if node.op not in ("abs", "neg") else types[0]
    return T.DOUBLE


# Leaf aggregations kept as each cell's sorted values (not decomposable into accumulators).
ORDER_STATISTICS = ("median", "quantile")


def accumulator_parts(func: str) -> tuple[str, ...]:
    """The kernel accumulators a leaf aggregation is finalised from, in order."""
    if func == "mean":
        return ("sum",)
    if func in ("var", "std"):
        return ("sum", "square_sum")
    if func == "single_value":
        return ("min", "max")
    return (func,)


def finalize(func: str, arrays: list[np.ndarray], present: np.ndarray | None, rows: np.ndarray,
             integer: bool, params: Mapping[str, Any] | None = None) -> Vec:
    """A leaf aggregate's cell values from its accumulators (`arrays`, see accumulator_parts;
    `present`: counts of present operand values, None when the operand is never missing)."""
    count = present if present is not None else rows
    if func == "count":
        return Vec(rows.astype(np.int64), rows > 0)  # a cell without rows is empty, not 0
    total = arrays[0]
    has = count > 0
    if func == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return Vec(np.where(has, total / np.maximum(count, 1), np.nan), has)
    if func in ("var", "std"):
        from .statistics import variance_of_moments

        var = variance_of_moments(count, total.astype(np.float64), arrays[1], (params or {}).get("mode", "sample"))
        values = var if func == "var" else np.sqrt(var)
        return Vec(values, has & np.isfinite(values))
    if func in ("min", "max", "single_value"):
        values = total.astype(np.int64) if integer and total.dtype.kind == "f" else total
        if func == "single_value":
            has = has & (arrays[0] == arrays[1])  # every present value the same
        return Vec(values, has)
    return Vec(total, has)


class Context(Protocol):
    """Where a measure is evaluated: a set of cells (see plan/context.py)."""

    n: int

    def leaf(self, agg: Agg) -> Vec: ...
    def measure(self, name: str) -> Vec: ...
    def navigate(self, node: Any) -> Vec: ...
    def level_test(self, cond: Any) -> np.ndarray: ...


def evaluate(node: Node, ctx: Context) -> Vec:
    """Cell values of `node` on the cells of `ctx`."""
    if isinstance(node, Agg):
        return ctx.leaf(node)
    if isinstance(node, MeasureRef):
        return ctx.measure(node.name)
    if isinstance(node, Lit):
        return Vec.constant(node.value, ctx.n)
    if isinstance(node, Col):
        raise TypeError("A column must be aggregated (e.g. tt.agg.sum(table['x'])) before it is used in a measure.")
    if not isinstance(node, Op):
        return ctx.navigate(node)
    if node.op in ("date_diff", "irr"):  # they read the levels of the cell (navigation.py)
        return ctx.navigate(node)
    if node.op == "where":
        cond, if_true, if_false = node.args
        test = truth(cond, ctx)
        a, b = evaluate(if_true, ctx), evaluate(if_false, ctx)
        values = np.where(test, a.values, b.values)
        return Vec(values, np.where(test, a.present, b.present))
    if node.op in arrays.OPS:  # arrays hook: tt.array functions, element access and slices
        return arrays.evaluate(node, lambda a: evaluate(a, ctx), ctx.n)
    if node.op == "string.concat":
        from .strings import concat

        return concat(node, lambda a: evaluate(a, ctx), ctx.n)
    args = [evaluate(a, ctx) for a in node.args]
    return apply(node.op, args)


_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
            ">=": np.greater_equal}


def truth(cond: Any, ctx: Context) -> np.ndarray:
    """Cells where a condition holds. On measures, a comparison with an empty cell is false; on
    levels, the context tells (a level that the cell does not express is null)."""
    if isinstance(cond, And):
        return np.logical_and.reduce([truth(p, ctx) for p in cond.parts])
    if isinstance(cond, Or):
        return np.logical_or.reduce([truth(p, ctx) for p in cond.parts])
    if isinstance(cond, Not):
        return ~truth(cond.part, ctx)
    if isinstance(cond.subject, LevelRef):
        return ctx.level_test(cond)
    subject = evaluate(cond.subject, ctx)
    if isinstance(cond, IsNull):
        return ~subject.present
    if isinstance(cond, IsIn):
        return subject.present & np.isin(subject.values, [v for v in cond.values if v is not None])
    if not isinstance(cond, Compare):
        raise TypeError(f"Not a condition on measures: {cond!r}.")
    if isinstance(cond.value, (Agg, MeasureRef, Op, Lit)) or is_navigation(cond.value):
        other = evaluate(cond.value, ctx)
        right, present = other.values, subject.present & other.present
    else:
        right, present = cond.value, subject.present
    with np.errstate(invalid="ignore"):
        return np.asarray(_COMPARE[cond.op](subject.values, right), np.bool_) & present


def _erf(x: np.ndarray) -> np.ndarray:
    import math

    return np.vectorize(math.erf, otypes=[np.float64])(x)


_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ceil": np.ceil, "floor": np.floor, "round": np.round, "exp": np.exp, "log": np.log, "log10": np.log10,
    "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "erf": _erf, "erfc": lambda x: 1.0 - _erf(x),
}


def apply(op: str, args: list[Vec]) -> Vec:
    if any(a.values.ndim == 2 for a in args):  # arrays hook: element-wise arithmetic (arrays.py)
        return arrays.apply(op, args)
    if op in CELL_FUNCTIONS:
        return Vec(*CELL_FUNCTIONS[op](args))
    present = args[0].present.copy()
    for a in args[1:]:
        present &= a.present
    x = args[0].values
    with np.errstate(all="ignore"):
        if op == "neg":
            return Vec(-x, present)
        if op == "abs":
            return Vec(np.abs(x), present)
        if op in _FUNCTIONS:
            values = _FUNCTIONS[op](x.astype(np.float64))
            if op in ("ceil", "floor", "round"):
                values = np.where(np.isfinite(values), values, 0).astype(np.int64)
                return Vec(values, present)
            return Vec(values, present & np.isfinite(values))
        y = args[1].values
        if op == "+":
            values = x + y
        elif op == "-":
            values = x - y
        elif op == "*":
            values = x * y
        elif op == "/":
            # Floating-point division, as atoti's Java computes it: x/0 is ±Infinity and 0/0 is NaN,
            # values of a cell (tt.math.isnan tells them apart), not empty cells.
            values = x.astype(np.float64) / y
        elif op == "//":
            present &= y != 0
            values = np.floor_divide(x, np.where(y == 0, 1, y))
        elif op == "%":
            present &= y != 0
            values = np.mod(x, np.where(y == 0, 1, y))
        elif op == "**":
            values = np.power(x.astype(np.float64), y)
        else:
            raise ValueError(f"Unknown operator {op!r}.")
    # NaN and ±Infinity stay values through arithmetic (IEEE 754, as in Java): only an empty
    # operand or an integer division by zero makes an empty cell.
    return Vec(values, present)


def leaf_aggregates(node: Node, measures: Mapping[str, Node]) -> list[Agg]:
    """Leaf aggregations `node` needs, following references to other measures."""
    out: list[Agg] = []
    seen: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, Agg):
            if n not in out:
                out.append(n)
        elif isinstance(n, MeasureRef):
            if n.name not in seen:
                seen.add(n.name)
                walk(measures[n.name])
        else:
            for a in children(n):
                walk(a)

    walk(node)
    return out
