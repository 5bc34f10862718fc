"""Functions building measures: ``tt.where``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._condition import Condition
from ._engine.expr.measure import Lit, Op
from ._operation import to_node
from .measure import MeasureDescription

__all__ = ["where"]


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
