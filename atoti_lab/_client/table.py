"""Remote tables of a connected session: ``connected.tables["Sales"]`` behaves like a local table.

``head()`` gives the same DataFrame (indexed by the keys) as the target's own ``table.head()``;
``+=``, ``append``, ``load`` (a pandas DataFrame or a pyarrow Table, streamed as Arrow IPC) and
``drop`` change the target's data through its public Table API, so its live widgets update.
Conditions for ``drop`` are built as locally: ``table["Id"] == "a"``, ``.isin(...)``, ``&``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa

from .._engine import types as T
from .._engine.load import arrow as arrow_source
from .._server.wire import ARROW_STREAM, from_ipc, ipc_chunks
from ..data_load import CsvLoad, ParquetLoad
from . import json_value

if TYPE_CHECKING:
    from typing_extensions import Self

    from . import Http

__all__ = ["RemoteColumn", "RemoteCondition", "RemoteTable", "RemoteTables"]


def _path(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


class RemoteCondition:
    """Clauses combined with ``&`` (AND), sent to the server as JSON."""

    __slots__ = ("_clauses",)

    def __init__(self, clauses: tuple[dict[str, Any], ...]) -> None:
        self._clauses = clauses

    def __and__(self, other: object) -> RemoteCondition:
        if not isinstance(other, RemoteCondition):
            return NotImplemented
        return RemoteCondition(self._clauses + other._clauses)

    def __or__(self, other: object) -> RemoteCondition:
        raise TypeError("Conditions sent to a connected session can only be combined with `&`, not `|`.")

    def __invert__(self) -> RemoteCondition:
        raise TypeError("Conditions sent to a connected session cannot be negated with `~`; use `!=`.")

    def __bool__(self) -> bool:
        raise TypeError("A condition has no truth value: combine conditions with `&`, not with `and`.")

    def __repr__(self) -> str:
        return " & ".join(_describe(c) for c in self._clauses)

    def _json(self) -> list[dict[str, Any]]:
        return list(self._clauses)


def _describe(clause: dict[str, Any]) -> str:
    subject = clause.get("column") or clause.get("level")
    if clause["op"] == "isin":
        return f"{subject!r}.isin{tuple(clause['value'])!r}"
    if clause["op"] == "isnull":
        return f"{subject!r}.isnull()"
    return f"{subject!r} {clause['op']} {clause['value']!r}"


class _RemoteSubject:
    """Comparisons build :class:`RemoteCondition` objects (``==`` does not return a bool)."""

    __slots__ = ()

    def _key(self) -> dict[str, Any]:
        raise NotImplementedError

    def _compare(self, op: str, value: Any) -> RemoteCondition:
        return RemoteCondition(({**self._key(), "op": op, "value": json_value(value)},))

    def __eq__(self, value: object) -> RemoteCondition:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> RemoteCondition:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: Any) -> RemoteCondition:
        return self._compare("<", value)

    def __le__(self, value: Any) -> RemoteCondition:
        return self._compare("<=", value)

    def __gt__(self, value: Any) -> RemoteCondition:
        return self._compare(">", value)

    def __ge__(self, value: Any) -> RemoteCondition:
        return self._compare(">=", value)

    def isin(self, *values: Any) -> RemoteCondition:
        if len(values) == 1 and isinstance(values[0], (list, tuple, set, frozenset)):
            values = tuple(values[0])
        return RemoteCondition(({**self._key(), "op": "isin", "value": [json_value(v) for v in values]},))

    def isnull(self) -> RemoteCondition:
        return RemoteCondition(({**self._key(), "op": "isnull"},))

    __hash__ = None  # type: ignore[assignment]


class RemoteColumn(_RemoteSubject):
    """A column of a remote table: ``table["Price"]`` (its name, type, and conditions for ``drop``)."""

    __slots__ = ("_data_type", "_name", "_table")

    def __init__(self, table: RemoteTable, name: str, data_type: str) -> None:
        self._table = table
        self._name = name
        self._data_type = data_type

    @property
    def name(self) -> str:
        return self._name

    @property
    def data_type(self) -> str:
        return self._data_type

    def _key(self) -> dict[str, Any]:
        return {"column": self._name}

    def __hash__(self) -> int:
        return hash((self._table.name, self._name))

    def __repr__(self) -> str:
        return f"RemoteColumn({self._table.name!r}, {self._name!r}, {self._data_type!r})"


class RemoteTable:
    """A table of the target session: ``connected.tables["Sales"]``."""

    def __init__(self, http: Http, description: Mapping[str, Any]) -> None:
        self._http = http
        self._name: str = description["name"]
        self._keys = tuple(description["keys"])
        self._types: dict[str, str] = {c["name"]: c["dataType"] for c in description["columns"]}

    @property
    def _base(self) -> str:
        return f"tables/{_path(self._name)}"

    # -- description ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def keys(self) -> tuple[str, ...]:
        return self._keys

    @property
    def columns(self) -> list[str]:
        return list(self._types)

    def __getitem__(self, name: str) -> RemoteColumn:
        if name not in self._types:
            raise KeyError(f"Table {self._name!r} has no column {name!r}; its columns are {self.columns}.")
        return RemoteColumn(self, name, self._types[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    @property
    def row_count(self) -> int:
        return int(self._http.get_json(self._base, what=f"count the rows of table {self._name!r}")["rowCount"])

    def __len__(self) -> int:
        return self.row_count

    def __repr__(self) -> str:
        return f"RemoteTable(name={self._name!r}, keys={list(self._keys)}, columns={self.columns})"

    # -- reading --------------------------------------------------------------------------------
    def head(self, n: int = 5) -> pd.DataFrame:
        """The first `n` rows, indexed by the key columns (as the target's ``table.head(n)``)."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(f"head() takes a non-negative number of rows, got {n!r}.")
        response = self._http.request("GET", f"{self._base}/rows", params={"limit": int(n)},
                                      what=f"read the rows of table {self._name!r}")
        df = from_ipc(response.content, what="The server's answer").to_pandas()
        if self._keys and all(k in df.columns for k in self._keys):
            df = df.set_index(list(self._keys))
        return df

    # -- loading --------------------------------------------------------------------------------
    def _send(self, data: pa.Table, what: str) -> dict[str, Any]:
        response = self._http.request(
            "POST", f"{self._base}/rows", what=what,
            content=ipc_chunks(data), headers={"Content-Type": ARROW_STREAM},
        )
        return response.json()

    def load(self, data: pd.DataFrame | pa.Table | pa.RecordBatch) -> None:
        """Load rows into the target's table: a pandas DataFrame or a pyarrow Table, streamed as Arrow IPC.

        The server loads them in one go (``table.load``): all rows or, on an error, none.
        """
        in_memory = arrow_source.in_memory(data)
        if in_memory is None:
            if isinstance(data, (CsvLoad, ParquetLoad)):
                raise TypeError(
                    f"A connected session cannot load {type(data).__name__}: the file would be read on the "
                    "target's host. Read it here (e.g. with pandas) and load the DataFrame."
                )
            raise TypeError(f"Cannot load a {type(data).__name__}: expected a pandas DataFrame or a pyarrow Table.")
        table = in_memory[0]
        self._send(table, f"load {table.num_rows} rows into table {self._name!r}")

    def load_pandas(self, dataframe: pd.DataFrame) -> None:
        self.load(dataframe)

    def load_arrow(self, table: pa.Table) -> None:
        self.load(table)

    def append(self, *rows: Any) -> None:
        """Add rows given as tuples (in column order) or mappings (column -> value)."""
        data = arrow_source.table_from_rows(list(rows), self._types)
        self._send(data, f"add {len(rows)} row(s) to table {self._name!r}")

    def __iadd__(self, rows: Any) -> Self:
        """``table += ("a", 1)`` adds a row; ``table += [("a", 1), ("b", 2)]`` adds several."""
        self.append(*(rows if isinstance(rows, list) else [rows]))
        return self

    def drop(self, filter: RemoteCondition | None = None) -> int:
        """Delete the rows satisfying `filter` (all rows when None). Returns how many were deleted."""
        if filter is not None and not isinstance(filter, RemoteCondition):
            raise TypeError(f"Expected a condition on the columns of {self._name!r}, got {filter!r}.")
        body = [] if filter is None else filter._json()
        answer = self._http.post_json(f"{self._base}/drop", body, what=f"drop rows from table {self._name!r}")
        return int(answer["dropped"])


class RemoteTables(Mapping[str, RemoteTable]):
    """The target session's tables, by name (listed afresh at each use)."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def _list(self) -> list[dict[str, Any]]:
        return self._http.get_json("tables", what="list the tables")

    def __getitem__(self, name: str) -> RemoteTable:
        for description in self._list():
            if description["name"] == name:
                return RemoteTable(self._http, description)
        raise KeyError(f"No table named {name!r}; the tables are {sorted(self)}.")

    def __iter__(self) -> Iterator[str]:
        return iter([d["name"] for d in self._list()])

    def __len__(self) -> int:
        return len(self._list())

    def __contains__(self, name: object) -> bool:
        return any(d["name"] == name for d in self._list())

    def __repr__(self) -> str:
        return f"RemoteTables({list(self)})"


def create_table(http: Http, name: str, *, data_types: Mapping[str, str] | None, keys: Any,
                 default_values: Mapping[str, Any] | None, types: Mapping[str, str] | None) -> RemoteTable:
    if types is not None:
        warnings.warn("The `types` parameter is deprecated, use `data_types` instead.", FutureWarning, stacklevel=3)
        if data_types:
            raise ValueError("Pass either `data_types` or the deprecated `types`, not both.")
        data_types = types
    data_types = {c: T.normalize(t, where=f"column {c!r}") for c, t in (data_types or {}).items()}
    if not data_types:
        raise ValueError(f"Table {name!r} needs at least one column: pass data_types={{column: type}}.")
    if isinstance(keys, str):
        keys = [keys]
    if isinstance(keys, (set, frozenset)):
        keys = [c for c in data_types if c in keys] + sorted(k for k in keys if k not in data_types)
    body: dict[str, Any] = {"name": name, "dataTypes": data_types, "keys": list(keys)}
    if default_values:
        body["defaultValues"] = {c: json_value(v) for c, v in default_values.items()}
    description = http.post_json("tables", body, what=f"create table {name!r}")
    return RemoteTable(http, description)


class SharedTable(RemoteTable):
    """A table another session published under a shared name (``connected.fetch_table(name)``).

    Live and read-only: each read (``head``, ``len``, ``to_arrow``) sees the table's current rows;
    changing it from here raises.
    """

    def __init__(self, http: Http, shared_name: str, description: Mapping[str, Any]) -> None:
        super().__init__(http, description)
        self._shared_name = shared_name

    @property
    def _base(self) -> str:
        return f"shared/{_path(self._shared_name)}"

    def to_arrow(self) -> pa.Table:
        """All the current rows."""
        response = self._http.request("GET", f"{self._base}/rows", what=f"read the shared table {self._shared_name!r}")
        return from_ipc(response.content, what="The server's answer")

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"The shared table {self._shared_name!r} is read-only: change it in the session that owns it.")

    load = load_pandas = load_arrow = append = drop = __iadd__ = _read_only  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SharedTable({self._shared_name!r}, table={self._name!r}, columns={self.columns})"
