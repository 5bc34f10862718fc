"""Aggregation functions: ``tt.agg.sum(table["Qty"] * table["Price"])`` ..."""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Agg, Lit, Nav, Op, ScopedAgg, is_row_expression
from ._engine.plan.statistics import INTERPOLATIONS, QUANTILE_MODES
from ._experimental import require
from ._operation import to_node, wrap
from .measure import MeasureDescription

__all__ = [
    "count_distinct", "distinct", "long", "max", "max_member", "mean", "median", "min", "min_member", "prod", "quantile", "short",
    "single_value", "square_sum", "std", "sum", "sum_product", "var",
]

_VARIANCE_MODES = ("sample", "population")


def _agg(func: str, operand: Any, scope: Any, **params: Any) -> MeasureDescription:
    node = to_node(operand)
    if is_row_expression(node) and not isinstance(node, Lit):
        if scope is not None:
            raise TypeError(f"tt.agg.{func}() of table columns starts from the facts: it takes no scope.")
        return MeasureDescription(Agg(func, node, tuple(sorted(params.items()))))
    if scope is None:
        raise TypeError(
            f"tt.agg.{func}() of a measure needs scope= (tt.OriginScope, tt.CumulativeScope or tt.SiblingsScope), "
            f"got {operand!r} without one."
        )
    scope_node = getattr(scope, "_node", None)
    if scope_node is None:
        raise TypeError(f"scope must be tt.OriginScope, tt.CumulativeScope or tt.SiblingsScope, got {scope!r}.")
    return MeasureDescription(ScopedAgg(func, node, scope_node, tuple(sorted(params.items()))))


def sum(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Sum of the values of the rows of each cell."""
    return _agg("sum", operand, scope)


def mean(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Mean of the (non-missing) values of the rows of each cell."""
    return _agg("mean", operand, scope)


def min(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    return _agg("min", operand, scope)


def max(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    return _agg("max", operand, scope)


def square_sum(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    return _agg("square_sum", operand, scope)


def count_distinct(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Number of distinct values among the rows of each cell."""
    return _agg("count_distinct", operand, scope)


def distinct(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """The array of the distinct values of a column among the rows of each cell (or of a measure
    over the locations of `scope`), in the values' natural order.

    Experimental in atoti 0.9: call it inside ``with tt.experimental({"agg.distinct"}):``.
    """
    require("agg.distinct")
    from ._engine.expr.measure import Col
    from .level import Level

    if isinstance(operand, Level):  # the level's members under each cell: its column's values
        definition = operand._def
        if definition.transform is not None:
            raise TypeError(f"tt.agg.distinct() of level {operand.name!r}, derived from its column, is not supported; "
                            "pass the column.")
        return MeasureDescription(Agg("distinct", Col(definition.column)))
    node = to_node(operand)
    if is_row_expression(node) and not isinstance(node, (Col, Lit)):
        raise TypeError(f"tt.agg.distinct() takes a single table column, not the expression {operand!r}.")
    return _agg("distinct", operand, scope)


def prod(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Product of the values of the rows of each cell."""
    return _agg("prod", operand, scope)


def long(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Sum of the positive values of the rows of each cell."""
    return _agg("long", operand, scope)


def short(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Sum of the negative values of the rows of each cell."""
    return _agg("short", operand, scope)


def single_value(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """The value shared by every row of the cell (missing values aside); empty when they differ."""
    from ._engine import types as T

    data_type = getattr(operand, "data_type", None)
    if scope is None and isinstance(data_type, str) and not T.is_numeric(data_type) and not T.is_array(data_type):
        # Strings, dates, booleans: compared as dictionary codes (see _engine/plan/distinct.py).
        return _agg("single_member", operand, scope)
    return _agg("single_value", operand, scope)


def sum_product(*factors: Any, scope: Any = None) -> MeasureDescription:
    """Sum, over the rows of each cell, of the product of the factors."""
    if not factors:
        raise TypeError("tt.agg.sum_product() needs at least one factor.")
    product = to_node(factors[0])
    for factor in factors[1:]:
        product = Op("*", (product, to_node(factor)))
    return _agg("sum", wrap(product), scope)


def _check_mode(func: str, mode: Any) -> None:
    if mode not in _VARIANCE_MODES:
        raise ValueError(f"tt.agg.{func}(): mode must be one of {', '.join(map(repr, _VARIANCE_MODES))}, got {mode!r}.")


def var(operand: Any, /, *, mode: str = "sample", scope: Any = None) -> MeasureDescription:
    """Variance of the values of the rows of each cell: "sample" (divides by n - 1) or "population" (by n)."""
    _check_mode("var", mode)
    return _agg("var", operand, scope, mode=mode)


def std(operand: Any, /, *, mode: str = "sample", scope: Any = None) -> MeasureDescription:
    """Standard deviation of the values of the rows of each cell ("sample" or "population")."""
    _check_mode("std", mode)
    return _agg("std", operand, scope, mode=mode)


def median(operand: Any, /, *, scope: Any = None) -> MeasureDescription:
    """Median of the values of the rows of each cell (the 0.5 quantile, "inc" mode, linear)."""
    return _agg("median", operand, scope)


def quantile(operand: Any, /, q: float, *, mode: str = "inc", interpolation: str = "linear",
             scope: Any = None) -> MeasureDescription:
    """The q-quantile of the values of the rows of each cell.

    mode places the quantile among the n sorted values (1-based rank): "simple" n*q, "centered"
    n*q + 0.5, "exc" (n+1)*q, "inc" (n-1)*q + 1; interpolation decides between the two values
    around a fractional rank: "linear", "lower", "higher", "nearest" or "midpoint".
    """
    if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 <= q <= 1:
        raise ValueError(f"tt.agg.quantile(): q must be a number between 0 and 1, got {q!r}.")
    if mode not in QUANTILE_MODES:
        raise ValueError(f"tt.agg.quantile(): mode must be one of {', '.join(map(repr, QUANTILE_MODES))}, got {mode!r}.")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"tt.agg.quantile(): interpolation must be one of {', '.join(map(repr, INTERPOLATIONS))}, "
                         f"got {interpolation!r}.")
    return _agg("quantile", operand, scope, q=float(q), mode=mode, interpolation=interpolation)


def _extremum_member(kind: str, measure: Any, level: Any) -> MeasureDescription:
    from .level import Level

    if not isinstance(level, Level):
        raise TypeError(f"tt.agg.{kind}() takes a level (e.g. l['City']) as its second argument, got {level!r}.")
    node = to_node(measure)
    if is_row_expression(node):
        raise TypeError(f"tt.agg.{kind}() takes a measure, not {measure!r}: aggregate columns first (tt.agg.sum(...)).")
    params = (("data_type", level.data_type), ("level", level._ref))
    return MeasureDescription(Nav(kind, node, params))


def max_member(measure: Any, /, level: Any) -> MeasureDescription:
    """The member of `level` at which `measure` is largest, among the members under each cell
    (a cell on the level or below it: its own member); ties go to the first member in level order."""
    return _extremum_member("max_member", measure, level)


def min_member(measure: Any, /, level: Any) -> MeasureDescription:
    """The member of `level` at which `measure` is smallest (see max_member)."""
    return _extremum_member("min_member", measure, level)
