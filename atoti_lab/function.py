"""Functions building measures: ``tt.where``, ``tt.switch``."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from ._condition import Condition
from ._engine.expr.condition import ColumnRef, Compare, IsIn, IsNull, LevelRef, Or
from ._engine.expr.measure import Lit, Node, Op
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["switch", "where"]


def _condition_node(condition: Any) -> Any:
    if not isinstance(condition, Condition):
        raise TypeError(f"where() takes conditions on measures or levels, such as m['Sales'] > 0 or l['Country'] == 'France'; got {condition!r}.")
    return condition._node


def _value(value: Any) -> Any:
    return Lit(None) if value is None else to_node(value)


def where(condition: Condition | Mapping[Condition, Any], true_value: Any = None, false_value: Any = None, /, *,
          default: Any = None) -> MeasureDescription:
    """`true_value` where `condition` holds, else `false_value` (empty when None).

    The mapping form takes several conditions in order: the first that holds gives the value,
    ``default`` where none does: ``tt.where({m["x"] > 10: "big", ...}, default=...)``.
    """
    if isinstance(condition, Mapping):
        if true_value is not None or false_value is not None:
            raise TypeError("With a mapping of conditions to values, pass the fallback as default=.")
        node = _value(default)
        for cond, value in reversed(list(condition.items())):
            node = Op("where", (_condition_node(cond), _value(value), node))
        return MeasureDescription(node)
    return MeasureDescription(Op("where", (_condition_node(condition), _value(true_value), _value(false_value))))


def _case_condition(subject: Any, key: Any) -> Any:
    """The condition under which `subject` matches a case key: one constant, None, or a set of them."""
    keys = tuple(key) if isinstance(key, (AbstractSet, tuple)) else (key,)
    for k in keys:
        if k is not None and not isinstance(k, (bool, int, float, str)) and not hasattr(k, "isoformat"):
            raise TypeError(f"switch() case keys are constants (or sets of constants), got {k!r}.")
    values = tuple(k for k in keys if k is not None)
    parts: list[Any] = []
    if len(values) == 1:
        parts.append(Compare(subject, "==", values[0]))
    elif values:
        parts.append(IsIn(subject, values))
    if len(values) < len(keys):
        parts.append(IsNull(subject))
    if not parts:
        raise ValueError("switch() case keys cannot be an empty set.")
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def _case_value(value: Any, where: str) -> Node:
    if value is None:
        return Lit(None)
    try:
        return to_node(value)
    except TypeError:
        raise TypeError(
            f"switch() {where} must be numbers or numeric measures, got {value!r}: measures of strings or "
            "booleans are not supported yet."
        ) from None


def switch_node(subject: Any, cases: Mapping[Any, Any], default: Any = None) -> Node:
    """The IR of a switch on `subject` (a measure node or a LevelRef): nested ``where`` nodes, the
    first matching case outermost, so the first case whose keys match gives the value."""
    if not isinstance(cases, Mapping) or not cases:
        raise TypeError(f"switch() takes a non-empty mapping of case keys to values, got {cases!r}.")
    node = _case_value(default, "default")
    for key, value in reversed(list(cases.items())):
        node = Op("where", (_case_condition(subject, key), _case_value(value, "case values"), node))
    return node


def switch(subject: Any, cases: Mapping[Any, Any], /, *, default: Any = None) -> MeasureDescription:
    """The value of the first case whose key equals `subject`, cell by cell; `default` (empty when
    None) where no case matches.

    A key is a constant, None (matching empty cells) or a frozenset of them; values are numbers or
    measures::

        m["Band"] = tt.switch(m["Rating"], {1: 10.0, frozenset({2, 3}): m["Bonus"]}, default=0.0)
    """
    if isinstance(subject, Condition):
        raise TypeError("switch() compares a measure or a level with its case keys; use tt.where() for conditions.")
    subject_node = getattr(subject, "_subject", None)
    if subject_node is None:
        raise TypeError(f"switch() takes a measure or a level as subject, got {subject!r}.")
    if isinstance(subject_node, ColumnRef):
        raise TypeError(f"switch() takes a measure or a level as subject, not the column {subject_node}.")
    if not isinstance(subject_node, LevelRef):
        # Measure values are numbers: a key of another kind could never match.
        for key in cases if isinstance(cases, Mapping) else ():
            for k in tuple(key) if isinstance(key, (AbstractSet, tuple)) else (key,):
                if k is not None and (isinstance(k, bool) or not isinstance(k, (int, float))):
                    raise TypeError(f"switch() on a measure takes numbers (or None) as case keys, got {k!r}.")
    return MeasureDescription(switch_node(subject_node, cases, default))
