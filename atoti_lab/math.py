"""Math functions of measures, cell by cell: ``tt.math.sqrt(m["Variance"])``."""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Op
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["abs", "ceil", "cos", "erf", "erfc", "exp", "floor", "isnan", "log", "log10", "max", "min", "round", "sin",
           "sqrt", "tan"]


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


def isnan(measure: Any, /) -> MeasureDescription:
    """True where the value is NaN, False elsewhere (empty where the measure is empty).

    >>> m["Ratio is NaN"] = tt.math.isnan(m["Ratio"])  # doctest: +SKIP
    """
    return _unary("isnan", measure)


def _extremum(op: str, measures: tuple[Any, ...]) -> MeasureDescription:
    if not measures:
        raise TypeError(f"tt.math.{op}() takes at least one measure.")
    if len(measures) == 1:
        return MeasureDescription(to_node(measures[0]))
    return MeasureDescription(Op(op, tuple(to_node(x) for x in measures)))


def min(*measures: Any) -> MeasureDescription:
    """The smallest of the measures (or numbers), cell by cell; empty where one of them is.

    >>> m["Capped"] = tt.math.min(m["Qty.SUM"], m["Limit"], 100)  # doctest: +SKIP
    """
    return _extremum("min", measures)


def max(*measures: Any) -> MeasureDescription:
    """The largest of the measures (or numbers), cell by cell; empty where one of them is."""
    return _extremum("max", measures)
