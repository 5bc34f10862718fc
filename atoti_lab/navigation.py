"""Measures that navigate hierarchies: ``tt.parent_value``, ``tt.total``, ``tt.shift``, ``tt.at``...

Each builds a navigation node over a measure; the engine evaluates it at other locations of the
cube (see _engine/plan/navigation.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ._condition import Condition
from ._engine.expr.condition import LevelRef, subjects
from ._engine.expr.measure import Lit, Nav, Node, Op, is_row_expression
from ._engine.plan.navigation import parse_period
from ._operation import to_node
from .hierarchy import Hierarchy
from .level import Level
from .measure import MeasureDescription

__all__ = ["at", "date_diff", "date_shift", "filter", "first", "last", "parent_value", "rank", "shift", "total"]


def _measure(value: Any, fn: str) -> Node:
    if isinstance(value, (Level, Hierarchy, Condition, str)):
        raise TypeError(f"tt.{fn}() takes a measure first, got {value!r}.")
    node = to_node(value)
    if is_row_expression(node) and not isinstance(node, Lit):
        raise TypeError(f"tt.{fn}() takes a measure, not a column expression: aggregate it first (tt.agg.sum(...)).")
    return node


def _hierarchy(value: Any, fn: str) -> tuple[str, str]:
    if isinstance(value, Level):
        raise TypeError(f"tt.{fn}() takes a hierarchy (h[{value.hierarchy!r}]), got level {value.name!r}.")
    if not isinstance(value, Hierarchy):
        raise TypeError(f"tt.{fn}() takes a hierarchy, got {value!r}.")
    return value._key


def _level(value: Any, fn: str) -> LevelRef:
    if not isinstance(value, Level):
        raise TypeError(f"tt.{fn}() takes a level (e.g. l['Date']), got {value!r}.")
    return value._ref


def _nav(kind: str, measure: Node, **params: Any) -> MeasureDescription:
    return MeasureDescription(Nav(kind, measure, tuple(sorted(params.items()))))


def total(measure: Any, /, *hierarchies: Hierarchy) -> MeasureDescription:
    """The measure at the top (all) member of each of `hierarchies`."""
    if not hierarchies:
        raise TypeError("tt.total() needs at least one hierarchy.")
    return _nav("total", _measure(measure, "total"), hierarchies=tuple(_hierarchy(h, "total") for h in hierarchies))


def parent_value(measure: Any, /, *, degrees: Mapping[Hierarchy, int], apply_filters: bool = False,
                 total_value: Any = None, dense: bool = False) -> MeasureDescription:
    """The measure at the member `degrees[h]` levels above each cell's member on every hierarchy h;
    `total_value` where that goes above the top of all of them."""
    if not degrees:
        raise ValueError("tt.parent_value() needs degrees={hierarchy: levels up}.")
    pairs = []
    for h, n in degrees.items():
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"parent_value degrees must be positive integers, got {n!r} for {h!r}.")
        pairs.append((_hierarchy(h, "parent_value"), n))
    fallback = to_node(total_value) if total_value is not None else None
    return _nav("parent_value", _measure(measure, "parent_value"), degrees=tuple(pairs),
                apply_filters=bool(apply_filters), total_value=fallback, dense=bool(dense))


def shift(measure: Any, on: Hierarchy, /, *, offset: int = 1, partitioning: Level | None = None,
          mode: Literal["measure", "hierarchy"] = "measure") -> MeasureDescription:
    """The measure at the member `offset` places away on `on` (in member order).

    mode="measure" counts only the members where the measure has a value (and is empty where the
    measure is); mode="hierarchy" counts every member."""
    if mode not in ("measure", "hierarchy"):
        raise ValueError(f"shift mode must be 'measure' or 'hierarchy', got {mode!r}.")
    part = _level(partitioning, "shift") if partitioning is not None else None
    return _nav("shift", _measure(measure, "shift"), on=_hierarchy(on, "shift"), offset=int(offset),
                partitioning=part, mode=mode)


def date_shift(measure: Any, on: Hierarchy, /, *, offset: str,
               method: Literal["exact", "previous", "next", "interpolate"] = "exact") -> MeasureDescription:
    """The measure at the date `offset` (a period such as "-1M" or "P1Y") away from each cell's date."""
    parse_period(offset)
    if method not in ("exact", "previous", "next", "interpolate"):
        raise ValueError(f"date_shift method must be exact, previous, next or interpolate, got {method!r}.")
    return _nav("date_shift", _measure(measure, "date_shift"), on=_hierarchy(on, "date_shift"), offset=offset,
                method=method)


def at(measure: Any, coordinates: Mapping[Level, Any], /) -> MeasureDescription:
    """The measure at the given members (a constant, or the current member of another level)."""
    if not coordinates:
        raise ValueError("tt.at() needs coordinates={level: member}.")
    pairs = tuple((_level(lvl, "at"), value._ref if isinstance(value, Level) else value)
                  for lvl, value in coordinates.items())
    return _nav("at", _measure(measure, "at"), coordinates=pairs)


def rank(measure: Any, hierarchy: Hierarchy, /, *, ascending: bool = True,
         apply_filters: bool = True) -> MeasureDescription:
    """Each member's rank among its siblings on `hierarchy` by the measure's value (ties: member order)."""
    return _nav("rank", _measure(measure, "rank"), hierarchy=_hierarchy(hierarchy, "rank"),
                ascending=bool(ascending), apply_filters=bool(apply_filters))


def first(measure: Any, on: Level, /, *, partitioning: Level | None = None) -> MeasureDescription:
    """The measure's value at the first member of `on` that has one (per partition)."""
    part = _level(partitioning, "first") if partitioning is not None else None
    return _nav("first", _measure(measure, "first"), on=_level(on, "first"), partitioning=part)


def last(measure: Any, on: Level, /, *, partitioning: Level | None = None) -> MeasureDescription:
    """The measure's value at the last member of `on` that has one (per partition)."""
    part = _level(partitioning, "last") if partitioning is not None else None
    return _nav("last", _measure(measure, "last"), on=_level(on, "last"), partitioning=part)


def filter(measure: Any, filter: Condition, /) -> MeasureDescription:
    """The measure computed only on the members satisfying `filter` (a condition on levels)."""
    if not isinstance(filter, Condition) or not all(isinstance(s, LevelRef) for s in subjects(filter._node)):
        raise TypeError(f"tt.filter() takes a condition on levels, such as l['Country'] == 'France'; got {filter!r}.")
    return _nav("filter", _measure(measure, "filter"), condition=filter._node)


_UNITS = ("seconds", "minutes", "hours", "days", "weeks", "months", "years")


def date_diff(from_date: Any, to_date: Any, /, *,
              unit: Literal["seconds", "minutes", "hours", "days", "weeks", "months", "years"] = "days") -> MeasureDescription:
    """Whole `unit`s from `from_date` to `to_date` (each a date level, or a constant date)."""
    if unit not in _UNITS:
        raise ValueError(f"date_diff unit must be one of {_UNITS}, got {unit!r}.")

    def operand(value: Any) -> Any:
        if isinstance(value, Level):
            return value._ref
        import datetime as dt

        if isinstance(value, (dt.date, dt.datetime)):
            return Lit(value)
        raise TypeError(f"tt.date_diff() takes date levels or dates, got {value!r}.")

    return MeasureDescription(Op("date_diff", (operand(from_date), operand(to_date), Lit(unit))))
