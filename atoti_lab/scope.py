"""Aggregation scopes: which locations ``tt.agg.*(measure, scope=...)`` aggregates over."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._engine.expr.measure import CumulativeScope as _Cumulative
from ._engine.expr.measure import OriginScope as _Origin
from ._engine.expr.measure import Scope as _ScopeNode
from ._engine.expr.measure import SiblingsScope as _Siblings
from ._engine.plan.navigation import parse_period
from .hierarchy import Hierarchy
from .level import Level

__all__ = ["CumulativeScope", "OriginScope", "SiblingsScope"]


def _level(value: Any, what: str) -> Any:
    if not isinstance(value, Level):
        raise TypeError(f"{what} takes a level (e.g. l['Date']), got {value!r}.")
    return value._ref


class OriginScope:
    """Compute the inner measure at `levels`, then aggregate those values up to each cell."""

    def __init__(self, levels: Iterable[Level] | Level, /) -> None:
        items = [levels] if isinstance(levels, Level) else list(levels)
        if not items:
            raise ValueError("OriginScope needs at least one level.")
        self._node: _ScopeNode = _Origin(tuple(_level(lvl, "OriginScope") for lvl in items))

    def __repr__(self) -> str:
        return f"OriginScope({[str(r.level) for r in self._node.levels]})"  # type: ignore[union-attr]


class CumulativeScope:
    """Running aggregation along the members of `level` (in its order): `window` is a range of
    member offsets (default: all members up to the current one) or a pair of periods such as
    ``("-7D", None)`` on a date level; `partitioning` (a level above `level`) starts over."""

    def __init__(self, level: Level, *, dense: bool = False, partitioning: Level | None = None,
                 window: range | tuple[str | None, str | None] | None = None) -> None:
        ref = _level(level, "CumulativeScope")
        part = _level(partitioning, "CumulativeScope(partitioning=...)") if partitioning is not None else None
        if part is not None and (part.dimension, part.hierarchy) != (ref.dimension, ref.hierarchy):
            raise ValueError(f"The partitioning level {part.level!r} must be in the hierarchy of {ref.level!r}.")
        bounds: tuple[Any, Any] | None = None
        time_window = False
        if isinstance(window, range):
            if window.step != 1 or window.start > 0 or window.stop - 1 < 0:
                raise ValueError(f"A window range must start at 0 or below and end at 0 or above, got {window}.")
            bounds = (window.start, window.stop - 1)
        elif window is not None:
            start, end = window
            for p in (start, end):
                if p is not None:
                    parse_period(p)
            bounds, time_window = (start, end), True
        self._node = _Cumulative(ref, bounds, part, bool(dense), time_window)

    def __repr__(self) -> str:
        return f"CumulativeScope({self._node.level.level!r})"  # type: ignore[union-attr]


class SiblingsScope:
    """Aggregate over the siblings of each cell's member on `hierarchy` (same parent)."""

    def __init__(self, hierarchy: Hierarchy, *, exclude_self: bool = False) -> None:
        if not isinstance(hierarchy, Hierarchy):
            raise TypeError(f"SiblingsScope takes a hierarchy (e.g. h['Date']), got {hierarchy!r}.")
        self._node = _Siblings(hierarchy._key, bool(exclude_self))

    def __repr__(self) -> str:
        return f"SiblingsScope({self._node.hierarchy[1]!r})"  # type: ignore[union-attr]
