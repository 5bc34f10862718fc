"""Condition: the public wrapper of a condition node, combined with ``&``, ``|`` and ``~``."""

from __future__ import annotations

from typing import Any

from ._engine.expr.condition import And, Compare, IsIn, IsNull, Node, Not, Or, describe


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


class ConditionSubject:
    """What comparisons turn into conditions: ``==``, ``!=``, ``<``... ``isin()`` and ``isnull()``
    build a Condition on ``_subject`` (a column or a level) instead of returning a bool."""

    __slots__ = ()

    @property
    def _subject(self) -> Any:
        raise NotImplementedError

    def _operand(self, value: Any) -> Any:
        """How a compared value is stored in the condition (e.g. another column as a reference)."""
        return value

    def _compare(self, op: str, value: Any) -> Condition:
        return Condition(Compare(self._subject, op, self._operand(value)))

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: Any) -> Condition:
        return self._compare("<", value)

    def __le__(self, value: Any) -> Condition:
        return self._compare("<=", value)

    def __gt__(self, value: Any) -> Condition:
        return self._compare(">", value)

    def __ge__(self, value: Any) -> Condition:
        return self._compare(">=", value)

    def isin(self, *values: Any) -> Condition:
        """Where the value is one of `values` (given one by one or as one collection)."""
        if len(values) == 1 and isinstance(values[0], (list, tuple, set, frozenset)):
            values = tuple(values[0])
        return Condition(IsIn(self._subject, tuple(values)))

    def isnull(self) -> Condition:
        """Where the value is missing."""
        return Condition(IsNull(self._subject))

    __hash__ = None  # type: ignore[assignment]  # subclasses define it: == builds conditions
