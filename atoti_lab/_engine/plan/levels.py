"""Levels as lookup tables over the codes of a base-table column.

A level's members are reached from a fact row through one column of the base table (its *source*):
the level's own column when it belongs to the base table, otherwise the base column that starts the
join path to the level's table. Following the joins once per *source code* (not per row) gives
``member_of_code``: source code -> member index, members sorted in the level's order. Kernels then
combine these small arrays; no per-row join result is ever materialised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import types as T
from ..model.cube import LevelDef, Order
from ..store.database import Join, Store
from ..store.dictionary import Dictionary, to_physical, to_python
from ..store.encoded import codes_by_row, column_codes
from ..store.table import TableSnapshot


@dataclass(frozen=True)
class LevelMembers:
    source: str  # base-table column whose codes index member_of_code
    member_of_code: np.ndarray  # int64, one entry per code of the source column's dictionary
    values: list[Any]  # member values in level order


class PathError(ValueError):
    pass


def join_path(store: Store, base: str, table: str) -> list[Join]:
    """The joins leading from `base` to `table` (empty when they are the same table)."""
    if table == base:
        return []
    paths: list[list[Join]] = []

    def walk(cur: str, path: list[Join]) -> None:
        for join in store.joins_from(cur):
            if join.target == table:
                paths.append([*path, join])
            else:
                walk(join.target, [*path, join])

    walk(base, [])
    if not paths:
        raise PathError(f"Table {table!r} is not joined to the cube's base table {base!r}.")
    if len(paths) > 1:
        raise PathError(f"Table {table!r} is reachable from {base!r} through several joins; keep only one.")
    return paths[0]


class LevelResolver:
    """Builds LevelMembers, caching them until the tables they depend on change."""

    def __init__(self, store: Store, base: str) -> None:
        self.store = store
        self.base = base
        self._cache: dict[LevelDef, tuple[Any, LevelMembers]] = {}  # the latest members per level
        self._snaps: dict[str, TableSnapshot] = {}

    def new_snapshots(self) -> None:
        """Forget the snapshots of the previous query (call under the store's read lock)."""
        self._snaps.clear()

    def snapshot(self, table: str) -> TableSnapshot:
        snap = self._snaps.get(table)
        if snap is None:
            snap = self._snaps[table] = self.store.tables[table].snapshot()
        return snap

    def members(self, level: LevelDef) -> LevelMembers:
        path = join_path(self.store, self.base, level.column.table)
        source = path[0].mapping[0][0] if path else level.column.column
        base_store = self.store.tables[self.base]
        source_dict, _ = column_codes(base_store, source, self.snapshot(self.base))
        # Valid while the source dictionary and the joined tables are unchanged (codes never change).
        key = (len(source_dict), tuple(self.store.tables[j.target].version for j in path),
               tuple(self.store.tables[j.target].row_count for j in path))
        found = self._cache.get(level)
        if found is not None and found[0] == key:
            return found[1]
        final_dict, final_codes = self.follow(path, source, source_dict, level.column.column)
        keys = [final_dict.key(int(c)) for c in final_codes] if len(final_codes) else []
        values = [to_python(final_dict.data_type, k) for k in keys]
        if level.transform is not None:
            values = [date_part(v, level.transform) for v in values]
        members, member_of_code = _index(values, level.order)
        result = LevelMembers(source, member_of_code, members)
        self._cache[level] = (key, result)
        return result

    def follow(self, path: list[Join], source: str, source_dict: Dictionary, column: str) -> tuple[Dictionary, np.ndarray]:
        """For each code of the base `source` column: the code of the level column's value."""
        codes = np.arange(len(source_dict), dtype=np.int64)
        cur_dict = source_dict
        for i, join in enumerate(path):
            if len(join.mapping) != 1:
                raise NotImplementedError("Cubes over joins mapping several columns are not supported yet.")
            t_col = join.mapping[0][1]
            target = self.store.tables[join.target]
            t_snap = self.snapshot(join.target)
            t_dict, t_codes = codes_by_row(target, t_col, t_snap)
            row_of_tcode = np.full(len(t_dict), -1, np.int64)
            row_of_tcode[t_codes] = np.arange(len(t_codes))
            tcode = np.fromiter((t_dict.code_of_key(cur_dict.key(int(c))) for c in codes), dtype=np.int64,
                                count=len(codes))
            rows = np.where(tcode >= 0, row_of_tcode[np.maximum(tcode, 0)] if len(row_of_tcode) else -1, -1)
            wanted = path[i + 1].mapping[0][0] if i + 1 < len(path) else column
            cur_dict, by_row = codes_by_row(target, wanted, t_snap)
            codes = np.where(rows >= 0, by_row[np.maximum(rows, 0)] if len(by_row) else -1, -1)
            if (codes < 0).any():
                # Facts without a matching row show the column's default value, as in atoti.
                default = target.columns[wanted].default
                codes[codes < 0] = cur_dict.codes_of_keys([to_physical(cur_dict.data_type, default)])[0]
        return cur_dict, codes


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


_NUMERIC_PARTS = {
    "y": lambda v: v.year, "u": lambda v: v.year, "M": lambda v: v.month, "L": lambda v: v.month,
    "d": lambda v: v.day, "D": lambda v: v.timetuple().tm_yday, "w": lambda v: v.isocalendar()[1],
    "Q": lambda v: (v.month - 1) // 3 + 1, "q": lambda v: (v.month - 1) // 3 + 1,
    "H": lambda v: getattr(v, "hour", 0), "m": lambda v: getattr(v, "minute", 0),
    "s": lambda v: getattr(v, "second", 0),
}


def _check_pattern(pattern: str) -> tuple[str, int]:
    letter, width = pattern[:1], len(pattern)
    if not pattern or pattern.strip(letter) or letter not in {*_NUMERIC_PARTS, "E", "e"}:
        raise ValueError(
            f"Unsupported date pattern {pattern!r}: use one Java DateTimeFormatter letter, repeated, "
            "such as 'y', 'yyyy', 'QQQ', 'M', 'MM', 'MMM', 'd', 'w', 'EEEE', 'H'."
        )
    return letter, width


def date_part(value: Any, pattern: str) -> Any:
    """The part of a date a Java DateTimeFormatter pattern names, typed as atoti types it: one
    letter gives a number (y -> 2024), repeated letters a zero-padded string (MM -> "03"), and
    names are strings (MMM -> "Mar", QQQ -> "Q1", EEEE -> "Monday")."""
    letter, width = _check_pattern(pattern)
    if value is None:
        return None
    if not isinstance(value, (dt.date, dt.datetime)):
        raise TypeError(f"Date hierarchy levels need date values, got {value!r}.")
    if letter in "ML" and width >= 3:
        name = _MONTHS[value.month - 1]
        return name if width >= 4 else name[:3]
    if letter in "Qq" and width >= 3:
        q = (value.month - 1) // 3 + 1
        return f"Q{q}" if width == 3 else f"{q}{['st', 'nd', 'rd', 'th'][q - 1]} quarter"
    if letter in "Ee":
        name = _DAYS[value.weekday()]
        return name if width >= 4 else name[:3]
    number = _NUMERIC_PARTS[letter](value)
    if width == 1:
        return number
    if letter in "yu" and width == 2:
        return f"{number % 100:02d}"
    return f"{number:0{width}d}"


def date_part_type(pattern: str) -> str:
    letter, width = _check_pattern(pattern)
    return T.INT if width == 1 and letter in _NUMERIC_PARTS else T.STRING


def _sort_key(value: Any) -> tuple:
    return (value is not None, value if value is not None else 0)


def _index(values: list[Any], order: Order) -> tuple[list[Any], np.ndarray]:
    """Distinct values sorted in the level's order, and each value's position among them."""
    distinct = list(dict.fromkeys(values))
    try:
        distinct.sort(key=_sort_key, reverse=not order.ascending)
    except TypeError:
        distinct.sort(key=lambda v: _sort_key(str(v)), reverse=not order.ascending)
    if order.first_elements:
        first = [v for v in order.first_elements if v in set(distinct)]
        rest = [v for v in distinct if v not in set(first)]
        distinct = first + rest
    position = {v: i for i, v in enumerate(distinct)}
    return distinct, np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))
