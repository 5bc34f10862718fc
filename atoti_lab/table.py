"""Table: a handle on one table of a session (rows live in the engine's store)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._condition import Condition
from ._engine.expr.condition import And, ColumnRef, Compare
from ._engine.load import arrow as arrow_source
from ._engine.load import csv as csv_source
from ._engine.load import parquet as parquet_source
from ._engine.load import paths as source_paths
from ._engine.load.report import LoadIssue, LoadReport
from ._engine.store.database import Join
from .column import Column
from .data_load import CsvLoad, ParquetLoad
from .errors import LoadWarning

if TYPE_CHECKING:
    from ._engine.store.database import Store
    from ._engine.store.table import TableStore
    from .session import Session


class Table:
    """A table of a session: ``session.tables["Sales"]``."""

    def __init__(self, session: Session, name: str) -> None:
        self._session = session
        self._name = name

    # -- description ----------------------------------------------------------------------------
    @property
    def _db(self) -> Store:
        return self._session._database

    @property
    def _store(self) -> TableStore:
        try:
            return self._db.tables[self._name]
        except KeyError:
            raise KeyError(f"Table {self._name!r} no longer exists in the session.") from None

    @property
    def name(self) -> str:
        return self._name

    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns: a later row with the same key values replaces the earlier one."""
        return self._store.keys

    @property
    def columns(self) -> list[str]:
        return list(self._store.columns)

    def __getitem__(self, name: str) -> Column:
        if name not in self._store.columns:
            raise KeyError(f"Table {self._name!r} has no column {name!r}; its columns are {self.columns}.")
        return Column(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self._store.columns

    def __len__(self) -> int:
        return self.row_count

    @property
    def row_count(self) -> int:
        with self._db.read():
            return self._store.row_count

    @property
    def loading_report(self) -> LoadReport | None:
        """The report of the latest load into this table (rows loaded, rows rejected and why)."""
        reports = self._db.reports.get(self._name) or []
        return reports[-1] if reports else None

    @property
    def loading_reports(self) -> list[LoadReport]:
        return list(self._db.reports.get(self._name) or [])

    def __repr__(self) -> str:
        return f"Table(name={self._name!r}, keys={list(self.keys)}, columns={self.columns})"

    # -- reading --------------------------------------------------------------------------------
    def _frame(self, rows: np.ndarray | None, columns: Sequence[str], *, index: bool) -> pd.DataFrame:
        with self._db.read():
            data = self._store.to_arrow(rows, columns)
        df = data.to_pandas()
        if index and self.keys and all(k in df.columns for k in self.keys):
            df = df.set_index(list(self.keys))
        return df

    def head(self, n: int = 5) -> pd.DataFrame:
        """The first `n` rows, indexed by the key columns."""
        with self._db.read():
            rows = np.arange(min(n, self._store.row_count))
            return self._frame(rows, self.columns, index=True)

    def query(self, *columns: Column | str, filter: Condition | None = None, max_rows: int | None = None,
              timeout: object | None = None) -> pd.DataFrame:
        """Rows (all columns, or the given ones) that satisfy `filter`."""
        names = [c.name if isinstance(c, Column) else c for c in columns] or self.columns
        for name in names:
            self[name]  # named error for unknown columns
        rows = self._db.matching_rows(self._name, self._filter_node(filter))
        if max_rows is not None:
            rows = rows[:max_rows]
        return self._frame(rows, names, index=False)

    def _filter_node(self, condition: Condition | None):
        if condition is None:
            return None
        if not isinstance(condition, Condition):
            raise TypeError(f"Expected a condition on the columns of {self._name!r}, got {condition!r}.")
        return condition._node

    # -- loading --------------------------------------------------------------------------------
    def _target(self) -> dict[str, str]:
        return {name: spec.data_type for name, spec in self._store.columns.items()}

    def _load_arrow(self, data: pa.Table, source: str, issues: Sequence[LoadIssue] = ()) -> int:
        batch = arrow_source.conform(data, self._target(), keys=self.keys, source=source)
        report = LoadReport(source, issues=list(issues))
        n = self._db.load(self._name, batch, report)
        self._session._log.info("Loaded %d rows into %r from %s", n, self._name, source)
        if issues:
            shown = "\n".join(f"  {issue}" for issue in issues[:20])
            more = f"\n  ... and {len(issues) - 20} more" if len(issues) > 20 else ""
            message = (
                f"{len(issues)} row(s) of {source} could not be loaded into table {self._name!r} "
                f"(see table.loading_report):\n{shown}{more}"
            )
            self._session._log.warning(message)
            warnings.warn(message, LoadWarning, stacklevel=4)
        return n

    def load(self, data: pd.DataFrame | pa.Table | CsvLoad | ParquetLoad | np.ndarray) -> None:
        """Load rows: a pandas DataFrame, a pyarrow Table, ``tt.CsvLoad`` or ``tt.ParquetLoad``."""
        in_memory = arrow_source.in_memory(data)
        if in_memory is not None:
            self._load_arrow(*in_memory)
        elif isinstance(data, CsvLoad):
            self._load_csv(data)
        elif isinstance(data, ParquetLoad):
            self._load_parquet(data)
        elif isinstance(data, np.ndarray):
            self.load_numpy(data)
        else:
            raise TypeError(
                f"Cannot load a {type(data).__name__}: expected a pandas DataFrame, a pyarrow Table, "
                "tt.CsvLoad or tt.ParquetLoad."
            )

    def load_pandas(self, dataframe: pd.DataFrame) -> None:
        self.load(dataframe)

    def load_arrow(self, table: pa.Table) -> None:
        self.load(table)

    def load_numpy(self, array: np.ndarray) -> None:
        data = arrow_source.from_numpy(array, self.columns)
        self._load_arrow(data, "NumPy array")

    def load_csv(self, path: Path | str, **kwargs: Any) -> None:
        self._load_csv(CsvLoad(path, **kwargs))

    def load_parquet(self, path: Path | str, **kwargs: Any) -> None:
        self._load_parquet(ParquetLoad(path, **kwargs))

    def _load_csv(self, spec: CsvLoad) -> None:
        files = source_paths.expand(spec.path)
        data, issues = csv_source.read_csv(files, csv_options(spec), self._target())
        self._load_arrow(data, str(spec.path), issues)

    def _load_parquet(self, spec: ParquetLoad) -> None:
        files = source_paths.expand(spec.path)
        data = parquet_source.read_parquet(files, columns=spec.columns, data_types=self._target())
        self._load_arrow(data, str(spec.path))

    def __iadd__(self, rows: Any) -> Table:
        """``table += ("a", 1)`` adds a row; ``table += [("a", 1), ("b", 2)]`` adds several."""
        self.append(*(rows if isinstance(rows, list) else [rows]))
        return self

    def append(self, *rows: Any) -> None:
        data = arrow_source.table_from_rows(list(rows), self._target())
        self._load_arrow(data, "appended rows")

    def drop(self, filter: Condition | None = None) -> int:
        """Delete the rows satisfying `filter` (all rows when None). Returns how many were deleted."""
        removed = self._db.drop(self._name, self._filter_node(filter))
        self._session._log.info("Dropped %d rows from %r", removed, self._name)
        return removed

    # -- joins ----------------------------------------------------------------------------------
    def join(self, target: Table, mapping: Condition | None = None, /, *, target_optionality: str = "optional") -> None:
        """Join this table (many rows) to `target` (one row) on equal column values."""
        if not isinstance(target, Table):
            raise TypeError(f"Can only join a table to another table, got {target!r}.")
        if target_optionality not in ("optional", "mandatory"):
            raise ValueError(f"target_optionality must be 'optional' or 'mandatory', got {target_optionality!r}.")
        if mapping is None:
            pairs = [(k, k) for k in target.keys if k in self._store.columns]
            if not pairs:
                raise ValueError(
                    f"No mapping given and table {self._name!r} has none of the key columns "
                    f"{list(target.keys)} of {target.name!r}: pass a mapping such as "
                    f"table[...] == other[...]."
                )
        else:
            pairs = _mapping_pairs(mapping, self._name, target.name)
        self._db.add_join(Join(self._name, target.name, tuple(pairs), target_optionality))


def _mapping_pairs(mapping: Condition, source: str, target: str) -> list[tuple[str, str]]:
    node = mapping._node if isinstance(mapping, Condition) else None
    parts = node.parts if isinstance(node, And) else (node,)
    pairs = []
    for part in parts:
        if isinstance(part, And):
            pairs += _mapping_pairs(Condition(part), source, target)
            continue
        if not (isinstance(part, Compare) and part.op == "==" and isinstance(part.value, ColumnRef)):
            raise ValueError(
                "A join mapping must be equalities between columns combined with `&`, "
                f"e.g. source[\"id\"] == target[\"id\"]; got {mapping!r}."
            )
        a, b = part.subject, part.value
        if (a.table, b.table) == (target, source):
            a, b = b, a
        if (a.table, b.table) != (source, target):
            raise ValueError(f"The mapping {mapping!r} must compare columns of {source!r} with columns of {target!r}.")
        pairs.append((a.column, b.column))
    return pairs


def csv_options(spec: CsvLoad) -> csv_source.CsvOptions:
    return csv_source.CsvOptions(
        separator=spec.separator,
        encoding=spec.encoding,
        process_quotes=spec.process_quotes,
        array_separator=spec.array_separator,
        date_patterns=dict(spec.date_patterns),
        columns=spec.columns if isinstance(spec.columns, Mapping) else list(spec.columns),
        true_values=tuple(spec.true_values),
        false_values=tuple(spec.false_values),
    )
