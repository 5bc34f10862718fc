"""The pivot's row sort for the static snapshots (the same rules as ``js/src/grid/sort.ts``).

The ``sort`` of the widget state orders the rows by one column of the grid (a measure under a
column tuple). It is hierarchical: the rows sharing levels 0..j-1 are split by their member of
level j; the rows with no member there (a total, or a member not expanded) stay first, and the
groups are ordered by the value of their own row (the one with no member below level j), each
group sorted the same way one level down. A level whose groups do not all have their own row
keeps member order. Empty values go last either way; ties keep member order.

>>> rows = [("2023", None), ("2023", "01"), ("2023", "02"), ("2024", None), ("2024", "01")]
>>> sorted_rows(rows, [40, 10, 30, 60, 50], descending=True)
[3, 4, 0, 2, 1]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ._query_state import json_value


def sort_spec(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The state's sort as ``{"measure", "members", "descending"}``, or None (no or bad sort)."""
    sort = (state or {}).get("sort")
    if not isinstance(sort, Mapping) or not isinstance(sort.get("measure"), str):
        return None
    members = sort.get("members", [])
    return {
        "measure": sort["measure"],
        "members": list(members) if isinstance(members, (list, tuple)) else [],
        "descending": sort.get("descending", True) is not False,
    }


def same_members(values: Sequence[Any], members: Sequence[Any]) -> bool:
    """Whether a column tuple is the one a sort names (members as JSON: dates as ISO text)."""
    return len(values) == len(members) and all(json_value(v) == m for v, m in zip(values, members))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _order(values: Sequence[Any], descending: bool) -> list[int]:
    """Indices of ``values`` sorted (stable; empty values last either way)."""
    present = [i for i, v in enumerate(values) if not _missing(v)]
    missing = [i for i, v in enumerate(values) if _missing(v)]
    # `reverse` keeps ties in their first order, as the browser's sort does.
    try:  # numbers (int, float, Decimal), dates...: their own order
        ordered = sorted(present, key=lambda i: values[i], reverse=descending)
    except TypeError:  # mixed kinds: as text
        ordered = sorted(present, key=lambda i: str(values[i]), reverse=descending)
    return ordered + missing


def sorted_rows(tuples: Sequence[Sequence[Any]], values: Sequence[Any], *, descending: bool) -> list[int]:
    """The order of rows ``tuples`` (in member order) sorted by ``values`` (one per row)."""
    depth = max((len(t) for t in tuples), default=0)

    def sort_group(rows: list[int], j: int) -> list[int]:
        if j >= depth or len(rows) < 2:
            return rows
        heads: list[int] = []
        groups: list[list[int]] = []
        previous: Any = object()
        for r in rows:
            v = tuples[r][j]
            if v is None:
                heads.append(r)
                continue
            if not groups or v != previous:
                groups.append([])
            groups[-1].append(r)
            previous = v
        ordered = [sort_group(g, j + 1) for g in groups]
        owners = [next((r for r in g if all(v is None for v in tuples[r][j + 1 :])), None) for g in ordered]
        if all(o is not None for o in owners):
            order = _order([values[o] for o in owners], descending)  # type: ignore[index]
            return heads + [r for i in order for r in ordered[i]]
        return heads + [r for g in ordered for r in g]

    return sort_group(list(range(len(tuples))), 0)
