"""Aggregation functions: ``tt.agg.sum(table["Qty"] * table["Price"])`` ..."""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Agg, Lit, ScopedAgg, is_row_expression
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["count_distinct", "max", "mean", "min", "square_sum", "sum"]


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
