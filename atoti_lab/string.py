"""String functions of measures: ``tt.string.concat(m["City"], m["Country"], separator=", ")``."""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Lit, Node, Op, is_row_expression
from ._engine.plan.strings import CONCAT
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["concat"]


def _operand(value: Any) -> Node:
    if isinstance(value, str):
        return Lit(value)
    try:
        node = to_node(value)
    except TypeError:
        raise TypeError(f"tt.string.concat() takes measures and constants, got {value!r}.") from None
    if is_row_expression(node) and not isinstance(node, Lit):
        raise TypeError(f"tt.string.concat() takes measures, not the column expression {value!r}: aggregate it first.")
    return node


def concat(*measures: Any, separator: str = "") -> MeasureDescription:
    """The values of `measures` (and string or number constants) joined by `separator`, cell by cell;
    empty where one of the measures is empty."""
    if not isinstance(separator, str):
        raise TypeError(f"tt.string.concat(): separator must be a string, got {separator!r}.")
    if not measures:
        raise TypeError("tt.string.concat() needs at least one measure.")
    return MeasureDescription(Op(CONCAT, (Lit(separator), *(_operand(m) for m in measures))))
