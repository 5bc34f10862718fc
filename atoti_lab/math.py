"""Math functions of measures, cell by cell: ``tt.math.sqrt(m["Variance"])``."""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Op
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["abs", "ceil", "cos", "erf", "erfc", "exp", "floor", "log", "log10", "max", "min", "round", "sin", "sqrt",
           "tan"]


def _unary(op: str, measure: Any) -> MeasureDescription:
    return MeasureDescription(Op(op, (to_node(measure),)))


def abs(measure: Any, /) -> MeasureDescription:
    return _unary("abs", measure)


def ceil(measure: Any, /) -> MeasureDescription:
    """The smallest integer not below each value."""
    return _unary("ceil", measure)


def floor(measure: Any, /) -> MeasureDescription:
    """The largest integer not above each value."""
    return _unary("floor", measure)


def round(measure: Any, /) -> MeasureDescription:
    """The nearest integer (halves to even, as numpy rounds)."""
    return _unary("round", measure)


def exp(measure: Any, /) -> MeasureDescription:
    return _unary("exp", measure)


def log(measure: Any, /) -> MeasureDescription:
    """Natural logarithm; empty where the value is not positive."""
    return _unary("log", measure)


def log10(measure: Any, /) -> MeasureDescription:
    return _unary("log10", measure)


def sqrt(measure: Any, /) -> MeasureDescription:
    """Square root; empty where the value is negative."""
    return _unary("sqrt", measure)


def sin(measure: Any, /) -> MeasureDescription:
    return _unary("sin", measure)


def cos(measure: Any, /) -> MeasureDescription:
    return _unary("cos", measure)


def tan(measure: Any, /) -> MeasureDescription:
    return _unary("tan", measure)


def erf(measure: Any, /) -> MeasureDescription:
    return _unary("erf", measure)


def erfc(measure: Any, /) -> MeasureDescription:
    return _unary("erfc", measure)


def min(a: Any, b: Any, /) -> MeasureDescription:
    """The smaller of two measures (or a measure and a number), cell by cell."""
    return MeasureDescription(Op("min", (to_node(a), to_node(b))))


def max(a: Any, b: Any, /) -> MeasureDescription:
    """The larger of two measures (or a measure and a number), cell by cell."""
    return MeasureDescription(Op("max", (to_node(a), to_node(b))))
