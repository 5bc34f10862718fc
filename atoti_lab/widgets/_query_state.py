"""The query state of a pivot widget: to and from JSON, checked against a cube, and run.

The state is what the ``state`` trait of :class:`~atoti_lab.widgets.pivot.Pivot` holds, plain
JSON so that it syncs with the browser and is saved with the notebook::

    {
        "cube": "Sales",
        "rows": [["Products", "Category", "Category"]],       # levels: [dimension, hierarchy, level]
        "columns": [["Shops", "Country", "Country"]],
        "measures": ["Revenue"],
        "filters": [                                          # ANDed
            {"level": ["Shops", "Country", "Country"], "op": "==", "value": "France"},
            {"level": ["Products", "Category", "Category"], "op": "isin", "values": ["Books", "Toys"]},
        ],
        "view": "pivot-table",
        "totals": False,
        "sort": {"measure": "Revenue", "members": ["France"], "descending": True},  # or None
        "expanded": [],                                       # drilled-down members, see _expansions
    }

``sort`` orders the rows by the values of one column of the grid (a measure under a column tuple,
``members`` being its column-level values, ``[]`` without column levels); the innermost row level
is sorted within its parent. The browser applies it to the result (``js/src/grid/sort.ts``): the
query and ``data`` do not change. Drill down expands a member in place (``expanded``, see
:mod:`atoti_lab.widgets._expansions`); member filters (``isin``) are plain edits of ``filters``.

:func:`normalize_state` accepts looser input (level handles, names, partial tuples) and returns
the canonical form; it never raises, so that a bad state coming from the browser is kept and
reported by :func:`resolve_state`, which raises :class:`StateError` with a message naming what
is wrong. :func:`run_state` runs the query and returns Arrow tables for the widget.

>>> import atoti_lab as tt
>>> from atoti_lab import samples
>>> session = tt.Session.start()
>>> cube = samples.sales_cube(session)
>>> l, m = cube.levels, cube.measures
>>> state = normalize_state(cube, {"rows": [l["Category"]], "measures": ["Revenue"], "filters": [l["Country"] == "France"]})
>>> state["rows"], state["filters"]
([['Products', 'Category', 'Category']], [{'level': ['Shops', 'Country', 'Country'], 'op': '==', 'value': 'France'}])
>>> result = run_state(cube, resolve_state(cube, state))
>>> result.table.column_names
['Category', 'Revenue']
>>> session.close()
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .._condition import Condition
from .._engine.expr.condition import And, Compare, IsIn
from ..level import Level
from ..measure import Measure
from ._expansions import AxisPlan, Expansion, ExpansionError, plan_axis, resolve_expansions, run_parts
from .table import FORMAT_KEY, INDEX_COLUMNS_KEY

if TYPE_CHECKING:
    import pandas as pd

    from ..cube import Cube

__all__ = [
    "CHART_VIEWS",
    "PIVOT_KEY",
    "VIEWS",
    "PivotResult",
    "ResolvedState",
    "StateError",
    "cube_model",
    "default_state",
    "filters_to_json",
    "level_members",
    "normalize_state",
    "resolve_state",
    "run_state",
]

CHART_VIEWS = (
    "clustered-column-chart",
    "stacked-column-chart",
    "clustered-bar-chart",
    "stacked-bar-chart",
    "line-chart",
    "area-chart",
    "pie-chart",
    "scatter-plot",
    "heatmap",
)
"""The chart views (ECharts in the browser, ``js/src/charts/options.ts``; SVG in snapshots)."""

VIEWS = ("pivot-table", *CHART_VIEWS)
"""The views the widget can show; switching between them keeps the query."""

VIEW_ALIASES = {
    # atoti's widget names for the same charts (its front end draws them with Plotly)
    "plotly-clustered-column-chart": "clustered-column-chart",
    "plotly-stacked-column-chart": "stacked-column-chart",
    "plotly-clustered-bar-chart": "clustered-bar-chart",
    "plotly-stacked-bar-chart": "stacked-bar-chart",
    "plotly-line-chart": "line-chart",
    "plotly-area-chart": "area-chart",
    "plotly-pie-chart": "pie-chart",
    "plotly-scatter-plot": "scatter-plot",
    "plotly-heatmap": "heatmap",
    "table": "pivot-table",
}

PIVOT_KEY = b"atoti_lab.pivot"
"""Schema metadata of the widget's Arrow tables: JSON ``{"rows": n, "columns": n, "measures": [...],
"totals": bool, "run": n, "elapsed_ms": x, "expansion_levels": [i, ...]}``: the first ``rows``
columns are the row levels, the next ``columns`` the column levels, then the measures.
``expansion_levels`` (only with expanded members) are the level columns that only expansions
add: a null there means "not expanded", not "total"."""

FILTER_OPS = ("==", "isin")

LevelKey = tuple[str, str, str]


class StateError(ValueError):
    """The state names something the cube does not have, or is malformed."""


def default_state(cube_name: str = "") -> dict[str, Any]:
    return {
        "cube": cube_name,
        "rows": [],
        "columns": [],
        "measures": [],
        "filters": [],
        "view": "pivot-table",
        "totals": False,
        "sort": None,
        "expanded": [],
    }


# ---------------------------------------------------------------------------------------------
# JSON values


def json_value(value: Any) -> Any:
    """A member value as JSON: dates as ISO text, numpy scalars as Python numbers."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, (int, float)):
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (int, float)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Normalisation (never raises)


def _level_key(cube: Cube, value: Any) -> Any:
    """``[dimension, hierarchy, level]`` for a level handle, a name or a tuple; else ``value`` as is."""
    if isinstance(value, Level):
        return [value.dimension, value.hierarchy, value.name]
    if isinstance(value, str) or (
        isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value)
    ):
        key = value if isinstance(value, str) else tuple(value)
        try:
            level = cube.levels[key]
        except (KeyError, TypeError):
            return list(value) if isinstance(value, (list, tuple)) else value
        return [level.dimension, level.hierarchy, level.name]
    return value


def _measure_name(value: Any) -> Any:
    if isinstance(value, Measure):
        return value.name
    return value


def _flatten(conditions: Any) -> list[Any]:
    if conditions is None:
        return []
    if (
        isinstance(conditions, (Condition, Mapping))
        or not isinstance(conditions, Iterable)
        or isinstance(conditions, str)
    ):
        conditions = [conditions]
    out: list[Any] = []
    for item in conditions:
        if isinstance(item, Condition) and isinstance(item._node, And):
            out.extend(Condition(part) for part in item._node.parts)
        else:
            out.append(item)
    return out


def filters_to_json(cube: Cube, conditions: Any) -> list[Any]:
    """Filters as JSON: conditions ``level == value`` and ``level.isin(...)`` (ANDed with ``&``).

    Raises:
        StateError: For another kind of condition (``!=``, ``<``, ``|``, ``~`` ...).
    """
    out = []
    for item in _flatten(conditions):
        if isinstance(item, Condition):
            node = item._node
            if isinstance(node, And):
                out.extend(filters_to_json(cube, [Condition(p) for p in node.parts]))
                continue
            if isinstance(node, Compare) and node.op == "==" and _is_level_ref(node.subject):
                out.append({"level": _ref_key(node.subject), "op": "==", "value": json_value(node.value)})
                continue
            if isinstance(node, IsIn) and _is_level_ref(node.subject):
                out.append(
                    {"level": _ref_key(node.subject), "op": "isin", "values": [json_value(v) for v in node.values]}
                )
                continue
            msg = (
                f"The widget's filters are conditions `level == value` or `level.isin(...)` on levels, "
                f"combined with `&`; got {item!r}."
            )
            raise StateError(msg)
        if isinstance(item, Mapping):
            out.append(_normalize_filter(cube, item))
            continue
        msg = f"A filter is a condition on a level such as l['Country'] == 'France'; got {item!r}."
        raise StateError(msg)
    return out


def _is_level_ref(subject: Any) -> bool:
    return all(hasattr(subject, a) for a in ("dimension", "hierarchy", "level"))


def _ref_key(ref: Any) -> list[str]:
    return [ref.dimension, ref.hierarchy, ref.level]


def _normalize_filter(cube: Cube, item: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(item)
    if "level" in out:
        out["level"] = _level_key(cube, out["level"])
    if out.get("op") == "==" and "value" in out:
        out["value"] = json_value(out["value"])
    if out.get("op") == "isin" and isinstance(out.get("values"), (list, tuple)):
        out["values"] = [json_value(v) for v in out["values"]]
    return out


def normalize_state(cube: Cube, state: Mapping[str, Any] | None) -> dict[str, Any]:
    """The canonical JSON form of ``state``; what cannot be made sense of is kept for the error."""
    raw = dict(state or {})
    out = default_state(cube.name)
    out.update(raw)
    out["cube"] = cube.name if not raw.get("cube") else raw["cube"]
    for axis in ("rows", "columns"):
        value = out[axis]
        if isinstance(value, (Level, str)):
            value = [value]
        if isinstance(value, (list, tuple)):
            out[axis] = [_level_key(cube, v) for v in value]
    value = out["measures"]
    if isinstance(value, (Measure, str)):
        value = [value]
    if isinstance(value, (list, tuple)):
        out["measures"] = [_measure_name(v) for v in value]
    try:
        out["filters"] = filters_to_json(cube, out["filters"])
    except StateError:
        # Keep a readable form of what is not supported; resolve_state reports it.
        out["filters"] = [
            {"unsupported": repr(item)} if isinstance(item, Condition) else item for item in _flatten(out["filters"])
        ]
    if isinstance(out.get("expanded"), (list, tuple)):
        out["expanded"] = [_normalize_expansion(cube, e) for e in out["expanded"]]
    if isinstance(out.get("view"), str):
        out["view"] = VIEW_ALIASES.get(out["view"], out["view"])
    if isinstance(out.get("totals"), (int, float)) and not isinstance(out["totals"], bool):
        out["totals"] = bool(out["totals"])
    return _json_safe(out)


def _normalize_expansion(cube: Cube, item: Any) -> Any:
    if not isinstance(item, Mapping) or not isinstance(item.get("members"), (list, tuple)):
        return item
    members = [
        {**m, "level": _level_key(cube, m.get("level")), "value": json_value(m.get("value"))}
        if isinstance(m, Mapping)
        else m
        for m in item["members"]
    ]
    return {**item, "members": members}


def _json_safe(value: Any) -> Any:
    """``value`` with anything JSON cannot hold replaced by its repr (the state must sync)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    converted = json_value(value)
    return converted if converted is not value else repr(value)


# ---------------------------------------------------------------------------------------------
# Resolution (raises StateError)


@dataclass(frozen=True)
class ResolvedState:
    """A state checked against the cube: handles ready for ``cube.query``."""

    rows: tuple[Level, ...]
    columns: tuple[Level, ...]
    measures: tuple[Measure, ...]
    filter: Condition | None
    totals: bool
    row_grouping: tuple[LevelKey, ...]
    """The levels of the result's row headers: the row levels and the levels above them."""
    column_grouping: tuple[LevelKey, ...]
    view: str = "pivot-table"
    expansions: tuple[Expansion, ...] = ()

    @property
    def levels(self) -> tuple[Level, ...]:
        return self.rows + self.columns

    def query_kwargs(self) -> dict[str, Any]:
        """The arguments of the ``cube.query`` call this state stands for (``mode="raw"``)."""
        return {
            "levels": list(self.levels),
            "filter": self.filter,
            "include_totals": self.totals,
            "mode": "raw",
        }


def _some(names: list[str], limit: int = 30) -> str:
    """At most ``limit`` names, for error messages."""
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{f', ... ({len(names) - limit} more)' if len(names) > limit else ''}]"


def _describe_key(key: Any) -> str:
    return json.dumps(key, default=str)


def _resolve_level(cube: Cube, key: Any, where: str) -> Level:
    if isinstance(key, str):
        key = [key]
    if not isinstance(key, (list, tuple)) or not key or not all(isinstance(k, str) for k in key) or len(key) > 3:
        msg = f"Bad level {_describe_key(key)} in {where}: a level is [dimension, hierarchy, level]."
        raise StateError(msg)
    try:
        return cube.levels[tuple(key)]
    except KeyError:
        known = _some(sorted({f"{d}/{h}/{lvl}" for d, h, lvl in cube.levels}))
        msg = f"Unknown level {_describe_key(list(key))} in {where}: cube {cube.name!r} has no such level. Known levels: {known}."
        raise StateError(msg) from None


def _levels(cube: Cube, value: Any, where: str) -> list[Level]:
    if not isinstance(value, (list, tuple)):
        msg = f"{where} must be a list of levels, got {value!r}."
        raise StateError(msg)
    out: list[Level] = []
    for key in value:
        level = _resolve_level(cube, key, where)
        if any(level._ref == seen._ref for seen in out):
            continue  # the same level twice: once is enough
        out.append(level)
    return out


def _hierarchy_levels(cube: Cube, level: Level) -> list[str]:
    return list(cube.hierarchies[level.dimension, level.hierarchy])


def _grouping(cube: Cube, levels: Sequence[Level]) -> tuple[LevelKey, ...]:
    """The levels the query groups by, in result order: per hierarchy (first appearance), its levels down to the deepest asked."""
    depth: dict[tuple[str, str], int] = {}
    for level in levels:
        names = _hierarchy_levels(cube, level)
        key = (level.dimension, level.hierarchy)
        depth[key] = max(depth.get(key, -1), names.index(level.name))
    out: list[LevelKey] = []
    for (dimension, hierarchy), d in depth.items():
        names = list(cube.hierarchies[dimension, hierarchy])
        out.extend((dimension, hierarchy, name) for name in names[: d + 1])
    return tuple(out)


def resolve_state(cube: Cube, state: Mapping[str, Any]) -> ResolvedState:
    """Check ``state`` (canonical or not) against ``cube``.

    Raises:
        StateError: Naming the unknown level, measure, view or malformed filter.
    """
    if not isinstance(state, Mapping):
        msg = f"The state must be a dict, got {state!r}."
        raise StateError(msg)
    unknown = sorted(set(state) - set(default_state()))
    if unknown:
        msg = f"Unknown state keys {unknown}; the keys are {sorted(default_state())}."
        raise StateError(msg)
    if state.get("cube") not in (None, "", cube.name):
        msg = f"The state is for cube {state['cube']!r} but the widget shows cube {cube.name!r}."
        raise StateError(msg)
    view = state.get("view", "pivot-table")
    if view not in VIEWS:
        msg = f"Unknown view {view!r}; the views are {list(VIEWS)}."
        raise StateError(msg)
    rows = _levels(cube, state.get("rows", []), "rows")
    columns = _levels(cube, state.get("columns", []), "columns")
    row_hierarchies = {(lvl.dimension, lvl.hierarchy) for lvl in rows}
    for level in columns:
        if (level.dimension, level.hierarchy) in row_hierarchies:
            msg = (
                f"Hierarchy {level.dimension}/{level.hierarchy} is on both rows and columns; "
                "a hierarchy goes on one axis."
            )
            raise StateError(msg)
    measures_value = state.get("measures", [])
    if not isinstance(measures_value, (list, tuple)):
        msg = f"measures must be a list of measure names, got {measures_value!r}."
        raise StateError(msg)
    measures: list[Measure] = []
    for name in measures_value:
        if not isinstance(name, str):
            msg = f"Bad measure {name!r} in measures: a measure is given by its name."
            raise StateError(msg)
        if name not in cube.measures:
            known = _some(sorted(cube.measures))
            msg = f"Unknown measure {name!r} in measures: cube {cube.name!r} has no such measure. Known measures: {known}."
            raise StateError(msg)
        if all(m.name != name for m in measures):
            measures.append(cube.measures[name])
    condition = _resolve_filters(cube, state.get("filters", []))
    _check_sort(state.get("sort"))
    try:
        expansions = resolve_expansions(
            cube, state.get("expanded", []), {"rows": rows, "columns": columns}, _resolve_level
        )
    except ExpansionError as e:
        raise StateError(str(e)) from None
    totals = state.get("totals", False)
    if not isinstance(totals, bool):
        msg = f"totals must be true or false, got {totals!r}."
        raise StateError(msg)
    return ResolvedState(
        rows=tuple(rows),
        columns=tuple(columns),
        measures=tuple(measures),
        filter=condition,
        totals=totals,
        row_grouping=_grouping(cube, rows),
        column_grouping=_grouping(cube, columns),
        view=view,
        expansions=expansions,
    )


def _check_sort(sort: Any) -> None:
    if sort is None:
        return
    if (
        not isinstance(sort, Mapping)
        or not isinstance(sort.get("measure"), str)
        or not isinstance(sort.get("members", []), (list, tuple))
        or not isinstance(sort.get("descending", True), bool)
    ):
        msg = f"Bad sort {sort!r}: a sort is {{'measure': name, 'members': [column members], 'descending': bool}} or null."
        raise StateError(msg)


def _resolve_filters(cube: Cube, filters: Any) -> Condition | None:
    if not isinstance(filters, (list, tuple)):
        msg = f"filters must be a list, got {filters!r}."
        raise StateError(msg)
    condition: Condition | None = None
    for i, item in enumerate(filters):
        where = f"filter {i + 1}"
        if isinstance(item, Condition):
            item = filters_to_json(cube, [item])[0]
        if not isinstance(item, Mapping) or "level" not in item or "op" not in item:
            msg = f"Bad {where}: {item!r}; a filter is {{'level': [dimension, hierarchy, level], 'op': '==' or 'isin', ...}}."
            raise StateError(msg)
        level = _resolve_level(cube, item["level"], where)
        op = item["op"]
        if op == "==":
            if "value" not in item:
                msg = f"Bad {where}: an '==' filter needs a 'value'."
                raise StateError(msg)
            part = level == item["value"]
        elif op == "isin":
            values = item.get("values")
            if not isinstance(values, (list, tuple)):
                msg = f"Bad {where}: an 'isin' filter needs a list of 'values'."
                raise StateError(msg)
            part = level.isin(*values)
        else:
            msg = f"Bad {where}: unknown operator {op!r}; the operators are {list(FILTER_OPS)}."
            raise StateError(msg)
        condition = part if condition is None else condition & part
    return condition


# ---------------------------------------------------------------------------------------------
# Members of a level, for the member filter

MEMBER_LIMIT = 1000
"""At most this many members are listed in a member filter."""


def level_members(cube: Cube, key: Any, limit: int = MEMBER_LIMIT) -> tuple[list[Any], int]:
    """The members of a level (all of them in the cube, sorted, as JSON), at most
    ``limit``, and how many more there are.

    Raises:
        StateError: For an unknown or malformed level.
    """
    level = _resolve_level(cube, key, "the member list")
    df = cube.query(levels=[level], mode="raw")
    seen: dict[Any, None] = {}
    for value in df.iloc[:, -1].tolist() if len(df) else []:  # the level is the last column
        value = json_value(value)
        if value is not None:
            seen.setdefault(value, None)
    try:  # in a hierarchy the query lists them under their parents: sort the distinct values
        members = sorted(seen)
    except TypeError:
        members = list(seen)
    return members[:limit], max(0, len(members) - limit)


# ---------------------------------------------------------------------------------------------
# The data model shown in the widget's side panel


def cube_model(cube: Cube) -> dict[str, Any]:
    """The cube's dimensions, hierarchies, levels and measures, as JSON for the side panel."""
    dimensions: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    for (dimension, name), definition in list(cube._model.hierarchies.items()):
        entry = by_name.get(dimension)
        if entry is None:
            entry = by_name[dimension] = {"name": dimension, "hierarchies": []}
            dimensions.append(entry)
        entry["hierarchies"].append(
            {
                "name": name,
                "slicing": definition.slicing,
                "visible": definition.visible,
                "levels": [{"name": lvl.name, "type": str(lvl.data_type)} for lvl in definition.levels],
            }
        )
    measures = [
        {
            "name": m.name,
            "folder": m.folder,
            "formatter": m.formatter,
            "type": str(m.data_type),
            "visible": m.visible,
            "description": m.description,
        }
        for m in list(cube._model.measures.values())
    ]
    return {"cube": cube.name, "dimensions": dimensions, "measures": measures}


# ---------------------------------------------------------------------------------------------
# Running a state


@dataclass
class PivotResult:
    table: pa.Table
    """The result of ``cube.query(*measures, levels=rows + columns, ..., mode="raw")`` as Arrow."""
    cross_totals: pa.Table | None = None
    """With totals on both axes: the cells ``cube.query`` does not give (column totals of row
    subtotals), same columns as ``table``, null levels standing for totals. Else None."""
    elapsed_ms: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


def frame_to_table(df: pd.DataFrame, level_names: Sequence[str], formatters: Mapping[str, str | None]) -> pa.Table:
    """The raw result frame as Arrow: level columns as they are, formatters as field metadata."""
    arrays = []
    fields = []
    for i, name in enumerate(df.columns):
        column = df.iloc[:, i]
        try:
            array = pa.array(column, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            array = pa.array(
                [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in column], pa.string()
            )
        if pa.types.is_large_string(array.type):
            array = array.cast(pa.string())
        metadata = None
        if i >= len(level_names):
            fmt = formatters.get(str(name))
            if fmt:
                metadata = {FORMAT_KEY: fmt.encode()}
        arrays.append(array)
        fields.append(pa.field(str(name), array.type, nullable=True, metadata=metadata))
    schema = pa.schema(fields, metadata={INDEX_COLUMNS_KEY: json.dumps(list(level_names)).encode()})
    return pa.Table.from_arrays(arrays, schema=schema)


def _with_pivot_metadata(table: pa.Table, info: Mapping[str, Any]) -> pa.Table:
    metadata = dict(table.schema.metadata or {})
    metadata[PIVOT_KEY] = json.dumps(info).encode()
    return table.replace_schema_metadata(metadata)


def run_state(cube: Cube, resolved: ResolvedState, *, run: int = 0) -> PivotResult:
    """Run the query of ``resolved`` on ``cube``.

    Raises:
        Whatever ``cube.query`` raises (ValueError for a query the engine cannot run).
    """
    start = time.perf_counter()
    measures = list(resolved.measures)
    levels = list(resolved.levels)
    if not measures and not levels:
        empty = pa.table({})
        info = {"rows": 0, "columns": 0, "measures": [], "totals": resolved.totals, "run": run, "elapsed_ms": 0.0}
        return PivotResult(_with_pivot_metadata(empty, info), None, 0.0, info)
    formatters = {m.name: m.formatter for m in measures}
    if resolved.expansions:
        return _run_expanded(cube, resolved, formatters, start, run)
    df = cube.query(*measures, **resolved.query_kwargs())
    n_levels = len(df.columns) - len(measures)
    level_names = [str(c) for c in df.columns[:n_levels]]
    n_rows, n_columns = len(resolved.row_grouping), len(resolved.column_grouping)
    if n_rows + n_columns != n_levels:  # the engine grouped differently: all levels on rows
        n_rows, n_columns = n_levels, 0
    table = frame_to_table(df, level_names, formatters)
    cross = None
    if resolved.totals and n_rows and n_columns:
        cross = _cross_totals(cube, resolved, table, n_rows, n_columns, formatters)
    elapsed = (time.perf_counter() - start) * 1000
    info = _run_info(resolved, n_rows, n_columns, run, elapsed)
    table = _with_pivot_metadata(table, info)
    if cross is not None:
        cross = _with_pivot_metadata(cross, info)
    return PivotResult(table, cross, elapsed, info)


def _run_expanded(
    cube: Cube, resolved: ResolvedState, formatters: Mapping[str, str | None], start: float, run: int
) -> PivotResult:
    """``run_state`` with expanded members: the base cells plus each expansion's children."""
    plans: dict[str, AxisPlan] = {}
    for axis, asked, grouping in (
        ("rows", resolved.rows, resolved.row_grouping),
        ("columns", resolved.columns, resolved.column_grouping),
    ):
        plans[axis] = plan_axis(cube, asked, grouping, [e for e in resolved.expansions if e.axis == axis])
    rows, columns = plans["rows"], plans["columns"]
    measures = list(resolved.measures)
    table = run_parts(
        cube,
        measures,
        rows,
        columns,
        resolved.filter,
        resolved.totals,
        lambda df, names: frame_to_table(df, names, formatters),
    )
    n_rows, n_columns = len(rows.grouping), len(columns.grouping)
    cross = None
    if resolved.totals and resolved.row_grouping and resolved.column_grouping:
        # Row subtotals per column for the asked levels (expanded children have none of their own).
        base = cube.query(*measures, **resolved.query_kwargs())
        names = [str(c) for c in base.columns[: len(base.columns) - len(measures)]]
        base_table = frame_to_table(base, names, formatters)
        part = _cross_totals(
            cube, resolved, base_table, len(resolved.row_grouping), len(resolved.column_grouping), formatters
        )
        if part.num_rows:
            from ._expansions import pad_and_sort

            base_levels = resolved.row_grouping + resolved.column_grouping
            cross = pad_and_sort([(part, base_levels)], rows.grouping + columns.grouping)
            cross = cross.cast(table.schema)
    elapsed = (time.perf_counter() - start) * 1000
    info = _run_info(resolved, n_rows, n_columns, run, elapsed)
    info["expansion_levels"] = [*rows.expansion_levels, *(n_rows + i for i in columns.expansion_levels)]
    names = [k[2] for k in rows.grouping + columns.grouping]
    metadata = {**(table.schema.metadata or {}), INDEX_COLUMNS_KEY: json.dumps(names).encode()}
    table = _with_pivot_metadata(table.replace_schema_metadata(metadata), info)
    if cross is not None:
        cross = _with_pivot_metadata(cross.replace_schema_metadata(metadata), info)
    return PivotResult(table, cross, elapsed, info)


def _run_info(resolved: ResolvedState, n_rows: int, n_columns: int, run: int, elapsed_ms: float) -> dict[str, Any]:
    """What the browser learns of a run, beside its cells (the pivot metadata of the Arrow table)."""
    return {
        "rows": n_rows,
        "columns": n_columns,
        "measures": [m.name for m in resolved.measures],
        "totals": resolved.totals,
        "run": run,
        "elapsed_ms": round(elapsed_ms, 3),
    }


def _cross_totals(
    cube: Cube,
    resolved: ResolvedState,
    table: pa.Table,
    n_rows: int,
    n_columns: int,
    formatters: Mapping[str, str | None],
) -> pa.Table:
    """The cells with a total on some row levels and a member on the first column level.

    ``include_totals`` gives the prefix totals of rows + columns: the column totals of each row,
    and row subtotals only in the total column. The pivot also shows the row subtotals under each
    column: one query per depth of the row levels, totals on, keeping the rows whose first column
    level is a member.
    """
    row_levels = [cube.levels[key] for key in resolved.row_grouping]
    parts = []
    for depth in range(n_rows):
        levels = row_levels[:depth] + list(resolved.columns)
        df = cube.query(*resolved.measures, levels=levels, filter=resolved.filter, include_totals=True, mode="raw")
        n_levels = len(df.columns) - len(resolved.measures)
        if n_levels != depth + n_columns:
            continue
        df = df[df.iloc[:, depth].notna()] if len(df) else df
        part = frame_to_table(df, [str(c) for c in df.columns[:n_levels]], formatters)
        # Put the missing row levels back (as nulls) so the part has the columns of `table`.
        arrays = []
        for i, f in enumerate(table.schema):
            if i < depth:
                arrays.append(part.column(i).cast(f.type))
            elif i < n_rows:
                arrays.append(pa.nulls(part.num_rows, f.type))
            else:
                arrays.append(part.column(i - n_rows + depth).cast(f.type))
        parts.append(pa.Table.from_arrays(arrays, schema=table.schema))
    if not parts:
        return table.schema.empty_table()
    return pa.concat_tables(parts)
