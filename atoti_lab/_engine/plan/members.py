"""Which members of a level satisfy a condition on it (filters, and level conditions in measures)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..expr.condition import Compare, IsIn, IsNull, Node


class MemberTestError(ValueError):
    pass


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def coerce(sample: Any, value: Any) -> Any:
    """Filter values written as text for date levels are accepted, as in atoti."""
    import datetime as dt

    if not isinstance(value, str) or sample is None or isinstance(sample, str):
        return value
    try:
        if isinstance(sample, dt.datetime):
            return dt.datetime.fromisoformat(value)
        if isinstance(sample, dt.date):
            return dt.date.fromisoformat(value)
        if isinstance(sample, bool):
            return {"true": True, "false": False}.get(value.lower(), value)
        if isinstance(sample, (int, np.integer)):
            return int(value)
        if isinstance(sample, (float, np.floating)):
            return float(value)
    except ValueError:
        return value  # matches nothing, as a value of another type would
    return value


def test_members(node: Node, values: list[Any]) -> np.ndarray:
    """Which member values satisfy a condition on one level."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(node, IsNull):
        return np.array([v is None for v in values], np.bool_)
    if isinstance(node, IsIn):
        wanted = {coerce(sample, v) for v in node.values}
        return np.array([v in wanted for v in values], np.bool_)
    assert isinstance(node, Compare)
    target = coerce(sample, node.value)
    op = OPS[node.op]
    out = []
    for v in values:
        if node.op in ("==", "!="):
            out.append(op(v, target))
        else:
            try:
                out.append(v is not None and target is not None and bool(op(v, target)))
            except TypeError:
                raise MemberTestError(f"Cannot compare the members of {node.subject} with {node.value!r}.") from None
    return np.array(out, np.bool_)
