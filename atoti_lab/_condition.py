"""Condition: the public wrapper of a condition node, combined with ``&``, ``|`` and ``~``."""

from __future__ import annotations

from typing import Any

from ._engine.expr.condition import And, Node, Not, Or, describe


class Condition:
    """A condition on columns or levels, e.g. ``table["Country"] == "France"``."""

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        self._node = node

    def __and__(self, other: Any) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return Condition(And((self._node, other._node)))

    def __or__(self, other: Any) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return Condition(Or((self._node, other._node)))

    def __invert__(self) -> Condition:
        return Condition(Not(self._node))

    def __bool__(self) -> bool:
        raise TypeError(
            "A condition has no truth value: combine conditions with `&`, `|` and `~`, "
            "not with `and`, `or` and `not`."
        )

    def __repr__(self) -> str:
        return describe(self._node)
