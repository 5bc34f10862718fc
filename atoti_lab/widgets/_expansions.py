"""Drill down in place: expanded members of the pivot and the queries that fill them in.

The ``expanded`` key of the widget state lists the members expanded on each axis::

    "expanded": [
        {"axis": "rows", "members": [{"level": ["Geo", "Geo", "Country"], "value": "France"}]},
        {"axis": "rows", "members": [{"level": ["Geo", "Geo", "Country"], "value": "France"},
                                     {"level": ["Geo", "Geo", "City"], "value": "Paris"}]},
    ]

``members`` is the path of the expanded member: the values of the header cells of its row (or
column) down to it, the last one being the member expanded. Its children (the next level of its
hierarchy) are shown under it while its siblings stay as they are.

The result stays one long table: the axis shows the union of the levels (the asked ones plus the
child levels of expansions), and a null in a level that only expansions add means "not expanded"
rather than "total" (``expansion_levels`` in the ``atoti_lab.pivot`` metadata says which). Each
expansion costs one query that asks exactly its children's cells (its path as a filter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..level import Level

if TYPE_CHECKING:
    from .._condition import Condition
    from ..cube import Cube

LevelKey = tuple[str, str, str]
HierarchyKey = tuple[str, str]

AXES = ("rows", "columns")


class ExpansionError(ValueError):
    """A malformed ``expanded`` entry (the state module turns it into a StateError)."""


@dataclass(frozen=True)
class Expansion:
    axis: str
    path: tuple[tuple[Level, Any], ...]
    """(level, member) from the outermost header down to the expanded member."""
    child: Level
    """The level shown under the expanded member."""

    @property
    def hierarchy(self) -> HierarchyKey:
        level = self.path[-1][0]
        return (level.dimension, level.hierarchy)

    def condition(self) -> Condition:
        out = None
        for level, value in self.path:
            part = level == value
            out = part if out is None else out & part
        assert out is not None
        return out


def _key(level: Level) -> LevelKey:
    return (level.dimension, level.hierarchy, level.name)


def _hierarchy_levels(cube: Cube, hierarchy: HierarchyKey) -> list[str]:
    return list(cube.hierarchies[hierarchy])


def resolve_expansions(
    cube: Cube,
    value: Any,
    axes: Mapping[str, Sequence[Level]],
    resolve_level: Any,
) -> tuple[Expansion, ...]:
    """Check the ``expanded`` list; entries whose hierarchy is no longer on their axis are dropped
    (the state kept them after a level was moved from Python), malformed ones raise."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        msg = f"expanded must be a list of {{'axis': 'rows' or 'columns', 'members': [...]}}, got {value!r}."
        raise ExpansionError(msg)
    out: list[Expansion] = []
    for i, item in enumerate(value):
        where = f"expanded entry {i + 1}"
        if (
            not isinstance(item, Mapping)
            or item.get("axis") not in AXES
            or not isinstance(item.get("members"), (list, tuple))
        ):
            msg = f"Bad {where}: {item!r}; an entry is {{'axis': 'rows' or 'columns', 'members': [{{'level': [...], 'value': v}}, ...]}}."
            raise ExpansionError(msg)
        if not item["members"]:
            msg = f"Bad {where}: 'members' is empty; it is the path of the expanded member."
            raise ExpansionError(msg)
        path = []
        for member in item["members"]:
            if not isinstance(member, Mapping) or "level" not in member or "value" not in member:
                msg = f"Bad {where}: {member!r} is not {{'level': [dimension, hierarchy, level], 'value': v}}."
                raise ExpansionError(msg)
            if member["value"] is None:
                msg = f"Bad {where}: a total (null) cannot be expanded."
                raise ExpansionError(msg)
            path.append((resolve_level(cube, member["level"], where), member["value"]))
        on_axis = {(lvl.dimension, lvl.hierarchy) for lvl in axes[item["axis"]]}
        if any((lvl.dimension, lvl.hierarchy) not in on_axis for lvl, _ in path):
            continue  # stale: a level of the path left the axis
        last = path[-1][0]
        names = _hierarchy_levels(cube, (last.dimension, last.hierarchy))
        at = names.index(last.name)
        if at + 1 >= len(names):
            msg = f"Bad {where}: {last.name} is the deepest level of its hierarchy; its members cannot be expanded."
            raise ExpansionError(msg)
        child = cube.levels[last.dimension, last.hierarchy, names[at + 1]]
        out.append(Expansion(item["axis"], tuple(path), child))
    return tuple(out)


@dataclass(frozen=True)
class Part:
    """One query's share of an axis: its levels, its filter and the level whose nulls it drops."""

    levels: tuple[LevelKey, ...]
    condition: Condition | None = None
    child: LevelKey | None = None


@dataclass(frozen=True)
class AxisPlan:
    grouping: tuple[LevelKey, ...]
    """The levels the axis shows (asked ones, the levels above them, children of expansions)."""
    expansion_levels: tuple[int, ...]
    """Indices into ``grouping`` of the levels only expansions add."""
    parts: tuple[Part, ...]


def plan_axis(
    cube: Cube, asked: Sequence[Level], base_grouping: Sequence[LevelKey], expansions: Sequence[Expansion]
) -> AxisPlan:
    order: list[HierarchyKey] = []
    for level in asked:
        h = (level.dimension, level.hierarchy)
        if h not in order:
            order.append(h)
    names = {h: _hierarchy_levels(cube, h) for h in order}
    base_depth = {h: -1 for h in order}
    for d, h_, name in base_grouping:
        base_depth[d, h_] = max(base_depth[d, h_], names[d, h_].index(name))

    def grouping_of(depth: Mapping[HierarchyKey, int]) -> tuple[LevelKey, ...]:
        return tuple((h[0], h[1], n) for h in order for n in names[h][: depth[h] + 1])

    final_depth = dict(base_depth)
    parts = [Part(tuple(base_grouping))]
    for expansion in expansions:
        depth = dict(base_depth)
        for level, _ in expansion.path:
            h = (level.dimension, level.hierarchy)
            depth[h] = max(depth[h], names[h].index(level.name))
        h = expansion.hierarchy
        child_at = names[h].index(expansion.child.name)
        if child_at <= base_depth[h]:
            continue  # the child level is shown anyway
        depth[h] = max(depth[h], child_at)
        for k, v in depth.items():
            final_depth[k] = max(final_depth[k], v)
        parts.append(Part(grouping_of(depth), expansion.condition(), _key(expansion.child)))
    grouping = grouping_of(final_depth)
    base = set(base_grouping)
    return AxisPlan(grouping, tuple(i for i, k in enumerate(grouping) if k not in base), tuple(parts))


def _and(*conditions: Condition | None) -> Condition | None:
    out = None
    for c in conditions:
        if c is not None:
            out = c if out is None else out & c
    return out


def run_parts(
    cube: Cube,
    measures: Sequence[Any],
    rows: AxisPlan,
    columns: AxisPlan,
    state_filter: Condition | None,
    totals: bool,
    to_table: Any,
) -> pa.Table:
    """The cells of every (row part, column part) pair, on the union of levels, sorted by member.

    ``to_table(df, level_names)`` turns a raw result frame into Arrow (formatters attached).
    """
    final = rows.grouping + columns.grouping
    pieces: list[tuple[pa.Table, tuple[LevelKey, ...]]] = []
    for rp in rows.parts:
        for cp in columns.parts:
            levels = rp.levels + cp.levels
            df = cube.query(
                *measures,
                levels=[cube.levels[k] for k in levels],
                filter=_and(state_filter, rp.condition, cp.condition),
                include_totals=totals,
                mode="raw",
            )
            n_levels = len(df.columns) - len(measures)
            if n_levels != len(levels):
                msg = f"The engine grouped an expansion query by {n_levels} levels instead of {len(levels)}."
                raise ValueError(msg)
            for child in (rp.child, cp.child):
                if child is not None and len(df):  # its null rows are totals the base part already has
                    df = df[df.iloc[:, levels.index(child)].notna()]
            pieces.append((to_table(df, [k[2] for k in levels]), levels))
    return pad_and_sort(pieces, final)


def pad_and_sort(pieces: Sequence[tuple[pa.Table, tuple[LevelKey, ...]]], final: Sequence[LevelKey]) -> pa.Table:
    """Put each piece on the ``final`` levels (nulls where it has none) and sort by member, nulls first."""
    n_final = len(final)
    types: dict[LevelKey, pa.DataType] = {}
    for table, levels in pieces:
        for i, key in enumerate(levels):
            t = table.schema.field(i).type
            if key not in types or pa.types.is_null(types[key]):
                types[key] = t
    base_table, base_levels = pieces[0]
    measure_fields = list(base_table.schema)[len(base_levels) :]
    fields = [pa.field(k[2], types.get(k, pa.string()), nullable=True) for k in final] + measure_fields
    schema = pa.schema(fields, metadata=base_table.schema.metadata)
    out = []
    for table, levels in pieces:
        arrays = []
        for j, key in enumerate(final):
            if key in levels:
                arrays.append(table.column(levels.index(key)).cast(fields[j].type))
            else:
                arrays.append(pa.nulls(table.num_rows, fields[j].type))
        for m, f in enumerate(measure_fields):
            arrays.append(table.column(len(levels) + m).cast(f.type))
        out.append(pa.Table.from_arrays(arrays, schema=schema))
    table = pa.concat_tables(out)
    if n_final and table.num_rows > 1:
        # Rows in member order (ascending, a parent or total before its children): the front end
        # and the snapshot recover member order from consecutive rows.
        named = pa.table({f"l{i}": _sortable(table.column(i)) for i in range(n_final)})
        order = pc.sort_indices(named, sort_keys=[(f"l{i}", "ascending", "at_start") for i in range(n_final)])
        table = table.take(order)
    return table


def _sortable(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as plain values (Arrow sorts tables by dictionary columns only once decoded)."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column
