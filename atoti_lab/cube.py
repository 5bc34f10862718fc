"""Cube: hierarchies, levels and measures over a base table and the tables joined to it."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._condition import Condition
from ._engine import types as T
from ._engine.expr.condition import ColumnRef, subjects
from ._engine.expr.measure import Agg, Col
from ._engine.live.queries import DEFAULT_INTERVAL
from ._engine.model.cube import CubeModel, HierarchyDef, LevelDef, MeasureDef
from ._engine.plan.arrays import aggregate_type
from ._engine.plan.levels import date_part_type
from ._engine.plan.query import QueryError, QueryRunner, QuerySpec
from ._engine.result.formatter import default_pattern
from ._engine.result.to_pandas import to_frame
from .column import Column
from .hierarchy import Dimensions, Hierarchies, Levels
from .level import Level
from .measure import Measure, Measures

if TYPE_CHECKING:
    from .session import Session
    from .table import Table


class AggregatesCache:
    """``cube.aggregates_cache.capacity``: how many query results are kept (0 disables the cache)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity


class Cube:
    """A cube: ``session.create_cube(table)``."""

    def __init__(self, session: Session, model: CubeModel) -> None:
        self._session = session
        self._model = model
        self._runner = QueryRunner(session._database, model)
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self.aggregates_cache = AggregatesCache(int(os.environ.get("ATOTI_LAB_QUERY_CACHE", "100")))

    @property
    def name(self) -> str:
        return self._model.name

    @property
    def hierarchies(self) -> Hierarchies:
        return Hierarchies(self)

    @property
    def levels(self) -> Levels:
        return Levels(self)

    @property
    def measures(self) -> Measures:
        return Measures(self)

    @property
    def dimensions(self) -> Dimensions:
        return Dimensions(self)

    def __repr__(self) -> str:
        return f"Cube({self.name!r}, hierarchies={len(self._model.hierarchies)}, measures={len(self._model.measures)})"

    def create_date_hierarchy(self, name: str, *, column: Column, levels: Mapping[str, str] | None = None) -> None:
        """A hierarchy whose levels are parts of a date column, e.g. ``{"Year": "y", "Month": "M"}``."""
        if not isinstance(column, Column):
            raise TypeError(f"column must be a table column, got {column!r}.")
        if column.data_type not in (T.LOCAL_DATE, T.LOCAL_DATE_TIME, T.ZONED_DATE_TIME):
            raise ValueError(
                f"Cannot create a date hierarchy from column {column._ref}: it is {column.data_type}, "
                "not temporal (LocalDate, LocalDateTime or ZonedDateTime)."
            )
        levels = dict(levels or {"Year": "y", "Month": "M", "Day": "d"})
        for pattern in levels.values():
            date_part_type(pattern)
        defs = tuple(LevelDef(level, column._ref, pattern, data_type=date_part_type(pattern))
                     for level, pattern in levels.items())
        hierarchies = Hierarchies(self)
        hierarchies._level_def(column.name, column)  # the column must be reachable from the base table
        self._model.set_hierarchy(HierarchyDef(column._ref.table, name, defs))

    # -- queries --------------------------------------------------------------------------------
    def query(
        self,
        *measures: Measure,
        context: Mapping[str, Any] | None = None,
        filter: Condition | None = None,
        include_empty_rows: bool = False,
        include_totals: bool = False,
        levels: Sequence[Level] | Level = (),
        mode: str = "pretty",
        scenario: str | None = "Base",
        timeout: Any = None,
        explain: bool = False,
        live: bool = False,
        interval: float = DEFAULT_INTERVAL,
        **kwargs: Any,
    ) -> Any:
        """The values of `measures` for each member combination of `levels` (atoti's Cube.query).

        ``live=True`` (our addition) returns a LiveQuery instead of a DataFrame: its ``result``
        follows the commits to the tables, updated at most once per ``interval`` seconds."""
        if mode not in ("pretty", "raw"):
            raise ValueError(f"mode must be 'pretty' or 'raw', got {mode!r}.")
        if isinstance(levels, Level):
            levels = [levels]
        for i, m in enumerate(measures):
            if not isinstance(m, Measure):
                raise TypeError(f"Measure {i + 1} of the query is not a measure of the cube: {m!r}.")
            if m._cube._model is not self._model:
                raise ValueError(f"Measure {m.name!r} belongs to another cube.")
        for i, lvl in enumerate(levels):
            if not isinstance(lvl, Level):
                raise TypeError(f"Level {i + 1} of the query is not a level: {lvl!r}.")
        node = None
        if filter is not None:
            if not isinstance(filter, Condition):
                raise TypeError(f"filter must be a condition on levels, such as l['Country'] == 'France'; got {filter!r}.")
            node = filter._node
            bad = [s for s in subjects(node) if isinstance(s, ColumnRef)]
            if bad:
                raise TypeError(f"Query filters are conditions on levels or measures, not on column {bad[0]}.")
        spec = QuerySpec(
            measures=tuple(m.name for m in measures),
            levels=tuple(lvl._ref for lvl in levels),
            filter=node,
            include_totals=include_totals,
            include_empty_rows=include_empty_rows,
        )

        def widget() -> Any:
            from .widgets.pivot import Pivot

            return Pivot.from_query(self, measures, levels, filter=filter, include_totals=include_totals)

        def frame(cells: Any) -> pd.DataFrame:
            # Formatters are read per result: a measure's formatter can change while a query is live.
            formatters = {name: self._model.measures[name].formatter for name in spec.measures}
            return to_frame(cells, mode=mode, formatters=formatters, context={"widget": widget})

        if live:
            from ._engine.live.queries import LiveQuery as EngineQuery
            from .live_query import LiveQuery

            try:
                engine = EngineQuery(self._session._database, self._model, spec, interval)
            except QueryError as e:
                raise ValueError(str(e)) from None
            return LiveQuery(engine, frame)
        return frame(self._cells(spec))

    def subscribe(self, *measures: Measure, callback: Any, **query: Any) -> Any:
        """A live query of `measures` (same arguments as ``query``) calling ``callback(result)``
        after each update; stop it with ``stop()`` (our addition)."""
        live = self.query(*measures, live=True, **query)
        live.subscribe(callback)
        return live

    def _cells(self, spec: QuerySpec) -> Any:
        db = self._session._database
        key = (spec, self._model.version, db.version)
        capacity = self.aggregates_cache.capacity
        if capacity > 0 and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            cells = self._runner.run(spec)
        except QueryError as e:
            raise ValueError(str(e)) from None
        if capacity > 0:
            self._cache[key] = cells
            while len(self._cache) > capacity:
                self._cache.popitem(last=False)
        return cells


class Cubes(Mapping[str, Cube]):
    """``session.cubes``: the cubes of a session, by name."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getitem__(self, name: str) -> Cube:
        cubes = self._session._cubes
        if name not in cubes:
            raise KeyError(f"No cube named {name!r}; the cubes are {sorted(cubes)}.")
        return cubes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._session._cubes))

    def __len__(self) -> int:
        return len(self._session._cubes)

    def __delitem__(self, name: str) -> None:
        del self._session._cubes[name]


def build_model(session: Session, base: Table, name: str, mode: str) -> CubeModel:
    """The hierarchies and measures atoti creates for a new cube in `mode`."""
    if mode not in ("auto", "manual", "no_measures"):
        raise ValueError(f"mode must be 'auto', 'manual' or 'no_measures', got {mode!r}.")
    db = session._database
    model = CubeModel(name=name, base_table=base.name)
    tables = [(base.name, set())]
    # Tables joined to the base table, directly or through others; mapped target columns repeat a
    # source column, so they make no hierarchy of their own.
    todo = [base.name]
    while todo:
        cur = todo.pop(0)
        for join in db.joins_from(cur):
            mapped = {t for _, t in join.mapping}
            tables.append((join.target, mapped))
            todo.append(join.target)
    for table_name, mapped in tables:
        store = db.tables[table_name]
        if mode == "manual":
            break  # atoti: manual mode creates no hierarchy (only the count measure)
        for column, spec in store.columns.items():
            if column in mapped or spec.kind == "array":
                continue
            if spec.kind == "dict" or column in store.keys:
                level = LevelDef(column, ColumnRef(table_name, column), None, data_type=spec.data_type)
                model.hierarchies[(table_name, column)] = HierarchyDef(table_name, column, (level,))
    model.measures["contributors.COUNT"] = MeasureDef("contributors.COUNT", Agg("count", None), T.LONG,
                                                      formatter=default_pattern(T.LONG))
    if mode == "auto":
        base_store = db.tables[base.name]
        for column, spec in base_store.columns.items():
            if spec.kind not in ("num", "array") or column in base_store.keys:
                continue
            operand = Col(ColumnRef(base.name, column))
            if spec.kind == "array":  # element-wise SUM and MEAN, as atoti creates them
                for func in ("sum", "mean"):
                    array_type = aggregate_type(func, spec.data_type)
                    model.measures[f"{column}.{func.upper()}"] = MeasureDef(f"{column}.{func.upper()}",
                                                                            Agg(func, operand), array_type)
                continue
            sum_type = T.LONG if spec.data_type in (T.INT, T.LONG) else T.DOUBLE
            model.measures[f"{column}.SUM"] = MeasureDef(f"{column}.SUM", Agg("sum", operand), sum_type,
                                                         formatter=default_pattern(sum_type))
            model.measures[f"{column}.MEAN"] = MeasureDef(f"{column}.MEAN", Agg("mean", operand), T.DOUBLE,
                                                          formatter=default_pattern(T.DOUBLE))
    return model
