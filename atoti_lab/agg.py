"""Aggregation functions: ``tt.agg.sum(table["Qty"] * table["Price"])`` ..."""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Agg, is_row_expression
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["count_distinct", "max", "mean", "min", "square_sum", "sum"]


def _agg(func: str, operand: Any, scope: Any) -> MeasureDescription:
    if scope is not None:
        raise NotImplementedError(f"tt.agg.{func}(..., scope=...) is not supported yet.")
    node = to_node(operand)
    if not is_row_expression(node):
        raise TypeError(
            f"tt.agg.{func}() takes a table column or an expression of columns (a measure needs scope=...), "
            f"got {operand!r}."
        )
    return MeasureDescription(Agg(func, node))


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
