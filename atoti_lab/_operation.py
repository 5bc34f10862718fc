"""Arithmetic on columns and measures: ``table["Qty"] * table["Price"]``, ``m["A"] / m["B"]``.

An operation whose leaves are columns is a row expression (to aggregate with ``tt.agg``); one
involving measures is a measure description (to store in ``cube.measures``).
"""

from __future__ import annotations

from typing import Any

from ._engine.expr.measure import Lit, Node, Op, is_row_expression


def to_node(value: Any) -> Node:
    """The IR node of a column, a measure, an operation or a number."""
    node = getattr(value, "_operand_node", None)
    if node is not None:
        return node
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Expected a column, a measure or a number, got {value!r}.")
    return Lit(value)


def wrap(node: Node) -> Operand:
    if is_row_expression(node):
        return ColumnOperation(node)
    from .measure import MeasureDescription

    return MeasureDescription(node)


class Operand:
    """What supports + - * / // ** % and unary minus and abs()."""

    @property
    def _operand_node(self) -> Node:
        raise NotImplementedError

    def _binary(self, op: str, other: Any, reverse: bool = False) -> Operand:
        try:
            other_node = to_node(other)
        except TypeError:
            return NotImplemented  # type: ignore[return-value]
        args = (other_node, self._operand_node) if reverse else (self._operand_node, other_node)
        return wrap(Op(op, args))

    def __add__(self, o: Any) -> Operand: return self._binary("+", o)
    def __radd__(self, o: Any) -> Operand: return self._binary("+", o, True)
    def __sub__(self, o: Any) -> Operand: return self._binary("-", o)
    def __rsub__(self, o: Any) -> Operand: return self._binary("-", o, True)
    def __mul__(self, o: Any) -> Operand: return self._binary("*", o)
    def __rmul__(self, o: Any) -> Operand: return self._binary("*", o, True)
    def __truediv__(self, o: Any) -> Operand: return self._binary("/", o)
    def __rtruediv__(self, o: Any) -> Operand: return self._binary("/", o, True)
    def __floordiv__(self, o: Any) -> Operand: return self._binary("//", o)
    def __rfloordiv__(self, o: Any) -> Operand: return self._binary("//", o, True)
    def __mod__(self, o: Any) -> Operand: return self._binary("%", o)
    def __rmod__(self, o: Any) -> Operand: return self._binary("%", o, True)
    def __pow__(self, o: Any) -> Operand: return self._binary("**", o)
    def __rpow__(self, o: Any) -> Operand: return self._binary("**", o, True)
    def __neg__(self) -> Operand: return wrap(Op("neg", (self._operand_node,)))
    def __abs__(self) -> Operand: return wrap(Op("abs", (self._operand_node,)))


class Expression(Operand):
    """An operand built from others: it holds its IR node."""

    def __init__(self, node: Node) -> None:
        self._node = node

    @property
    def _operand_node(self) -> Node:
        return self._node

    def __repr__(self) -> str:
        from ._engine.expr.measure import describe

        return f"{type(self).__name__}({describe(self._node)})"


class ColumnOperation(Expression):
    """A row-level expression of columns, e.g. ``table["Qty"] * table["Price"]``."""
