"""Live sources in the spirit of Deephaven's time tables and input tables.

* ``TickingSource(table, period_s, make_row)`` appends a row stamped with the time every period,
  from a background thread, until ``stop()``.
* ``InputTable(table, mode)`` takes batches with ``add(rows)``:

  - ``"append_only"``: rows are appended (the table must have no keys);
  - ``"keyed"``: rows replace the rows with the same keys (the table must have keys), and
    ``delete(keys)`` removes rows;
  - ``"blink"``: the table holds only the latest batch: each ``add`` drops every row and loads the
    batch in one transaction, so a query sees the previous batch or the new one, never neither.

Writes go straight to the Store (no loading report per tick: a source ticking for hours would
otherwise pile them up) and each one is a single commit, so readers see whole batches.

>>> ticks = TickingSource(TableRef(store, "Ticks"), 0.1)  # doctest: +SKIP
>>> ticks.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..expr.condition import And, ColumnRef, Compare, IsIn, Node, Or
from ..load import arrow as arrow_source
from ..store.database import Store
from ..store.table import TableStore

MODES = ("append_only", "keyed", "blink")


@dataclass(frozen=True)
class TableRef:
    """A table of a store, by name: what the live sources and the watcher write to."""

    store: Store
    name: str

    @classmethod
    def of(cls, table: Any) -> TableRef:
        """A TableRef, or a public ``Table`` handle (duck-typed: the engine imports no handles)."""
        if isinstance(table, TableRef):
            return table
        store, name = getattr(table, "_db", None), getattr(table, "name", None)
        if isinstance(store, Store) and isinstance(name, str):
            return cls(store, name)
        raise TypeError(f"Expected a table of a session, got {table!r}.")

    @property
    def table(self) -> TableStore:
        try:
            return self.store.tables[self.name]
        except KeyError:
            raise KeyError(f"Table {self.name!r} no longer exists in the session.") from None

    @property
    def keys(self) -> tuple[str, ...]:
        return self.table.keys

    def target(self) -> dict[str, str]:
        """Column name -> atoti type, the schema loads are conformed to."""
        return {name: spec.data_type for name, spec in self.table.columns.items()}

    def batch(self, rows: Any, source: str) -> pa.Table:
        """Rows (tuples or mappings, a DataFrame, an Arrow table) conformed to the table."""
        target = self.target()
        in_memory = arrow_source.in_memory(rows)
        if in_memory is not None:
            data = in_memory[0]
        else:
            data = arrow_source.table_from_rows(list(rows) if not isinstance(rows, (tuple, Mapping)) else rows, target)
        return arrow_source.conform(data, target, keys=self.keys, source=source)


def keys_condition(table: str, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> Node:
    """The rows of `table` whose key columns hold one of the key tuples `rows`.

    One key column gives an ``isin``; several give, per value of the first column, that value and
    the condition on the remaining columns (so the number of tests grows with distinct prefixes).
    """
    ref = ColumnRef(table, keys[0])
    if len(keys) == 1:
        return IsIn(ref, tuple(dict.fromkeys(row[0] for row in rows)))
    groups: dict[Any, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row[1:])
    parts = tuple(And((Compare(ref, "==", first), keys_condition(table, keys[1:], rest))) for first, rest in groups.items())
    return parts[0] if len(parts) == 1 else Or(parts)


class InputTable:
    """Batches of rows pushed into a table from Python: append-only, keyed or blink."""

    def __init__(self, table: Any, mode: str = "append_only") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
        self._ref = TableRef.of(table)
        keys = self._ref.keys
        if mode == "append_only" and keys:
            raise ValueError(
                f"Table {self._ref.name!r} has keys {list(keys)}: an append-only input table needs a table "
                "without keys; use mode='keyed' to replace rows by key."
            )
        if mode == "keyed" and not keys:
            raise ValueError(f"Table {self._ref.name!r} has no keys: a keyed input table needs key columns.")
        self.mode = mode

    @property
    def name(self) -> str:
        return self._ref.name

    def add(self, rows: Any) -> int:
        """Add a batch (tuples or mappings, a DataFrame, an Arrow table) in one commit.

        Returns the number of rows written. In blink mode the batch replaces all the rows.
        """
        batch = self._ref.batch(rows, f"rows added to input table {self.name!r}")
        store = self._ref.store
        if self.mode != "blink":
            return store.load(self.name, batch)
        with store.transaction():
            store.drop(self.name, None)
            return store.load(self.name, batch)

    def delete(self, keys: Sequence[Any]) -> int:
        """Remove the rows with these keys (keyed mode): values for one key column, else tuples."""
        if self.mode != "keyed":
            raise ValueError(f"delete() needs a keyed input table; this one is {self.mode!r}.")
        key_columns = self._ref.keys
        rows = [k if isinstance(k, tuple) else (k,) for k in keys]
        bad = [k for k in rows if len(k) != len(key_columns)]
        if bad:
            raise ValueError(f"Keys of table {self.name!r} have {len(key_columns)} values {list(key_columns)}, got {bad[0]!r}.")
        if not rows:
            return 0
        return self._ref.store.drop(self.name, keys_condition(self.name, key_columns, rows))

    def clear(self) -> int:
        """Remove every row."""
        return self._ref.store.drop(self.name, None)

    def __repr__(self) -> str:
        return f"InputTable({self.name!r}, mode={self.mode!r})"


def _now() -> dt.datetime:
    return dt.datetime.now()


class TickingSource:
    """Appends ``make_row(tick, time)`` to a table every `period_s` seconds, on a background thread.

    `make_row` gets the tick number (0, 1, ...) and the local time (a naive datetime) and returns a
    row (a tuple in column order, or a mapping) or a list of rows; by default the row is
    ``(time,)``. Ticks keep to the period: a tick that runs late does not shift the later ones, and
    ticks missed altogether (a pause longer than a period) are skipped and counted in ``missed``.
    A tick that fails stops the source; its exception is in ``error``.
    """

    def __init__(
        self,
        table: Any,
        period_s: float,
        make_row: Callable[[int, dt.datetime], Any] | None = None,
        *,
        start: bool = True,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        if not period_s > 0:
            raise ValueError(f"period_s must be positive, got {period_s!r}.")
        self._ref = TableRef.of(table)
        self.period_s = float(period_s)
        self._make_row = make_row or (lambda tick, now: (now,))
        self._clock = clock
        self._stop = threading.Event()
        self.ticks = 0
        self.rows_added = 0
        self.missed = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"atoti_lab-ticking-{self._ref.name}", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def _tick(self) -> None:
        produced = self._make_row(self.ticks, self._clock())
        rows = produced if isinstance(produced, list) else [produced]
        batch = self._ref.batch(rows, f"ticking source of table {self._ref.name!r}")
        self.rows_added += self._ref.store.load(self._ref.name, batch)
        self.ticks += 1

    def _run(self) -> None:
        period = self.period_s
        due = time.monotonic() + period
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            try:
                self._tick()
            except BaseException as error:  # noqa: BLE001 - kept for the caller, the thread ends
                self.error = error
                self._stop.set()
                return
            due += period
            late = time.monotonic() - due
            if late >= period:  # whole periods missed: skip them rather than burst to catch up
                skipped = int(late // period)
                self.missed += skipped
                due += skipped * period

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop ticking; returns once the thread has finished its current tick."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> TickingSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"TickingSource({self._ref.name!r}, period_s={self.period_s}, {state}, ticks={self.ticks})"
