"""Store: the tables of a session, their joins, transactions and commit notifications.

Concurrency: queries read under the shared side of an RWLock; every change runs inside a
transaction that holds the exclusive side, so a reader sees the data before or after a load or a
transaction, never half of it. A transaction is all or nothing: on an exception every table it
touched is put back (rows, dictionaries, key index). Nested transactions are savepoints: an
exception leaving an inner one undoes the inner part only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..expr.condition import Node
from ..load.report import LoadReport
from .columns import ColumnSpec
from .filter import row_masks
from .rwlock import RWLock
from .table import TableChange, TableStore, Undo

log = logging.getLogger("atoti_lab.store")


@dataclass(frozen=True)
class Join:
    """A many-to-one join from `source` rows to `target` rows on equal column values."""

    source: str
    target: str
    mapping: tuple[tuple[str, str], ...]  # (source column, target column)
    target_optionality: str = "optional"


@dataclass(frozen=True)
class Commit:
    """What a committed transaction changed.

    `changes` describes the rows of each changed table (see TableChange); it is filled only while
    someone watches changes (Store.watch_changes), so plain loads pay nothing for it.
    """

    tables: frozenset[str]
    version: int
    changes: Mapping[str, TableChange] = field(default_factory=dict)


@dataclass
class _Transaction:
    owner: int
    levels: list[dict[str, Undo]] = field(default_factory=lambda: [{}])
    changed: set[str] = field(default_factory=set)
    # Row changes, when tracked; per savepoint level, the length of each change log at its start.
    changes: dict[str, TableChange] | None = None
    marks: list[dict[str, tuple[int, int]]] = field(default_factory=lambda: [{}])


class Store:
    def __init__(self) -> None:
        self.tables: dict[str, TableStore] = {}
        self.joins: list[Join] = []
        self.lock = RWLock()
        self.version = 0
        self.reports: dict[str, list[LoadReport]] = {}
        self._txn: _Transaction | None = None
        self._listeners: list[Callable[[Commit], None]] = []
        self._listeners_lock = threading.Lock()
        self._change_watchers: list[Callable[[Commit], None]] = []

    # -- schema -------------------------------------------------------------------------------
    def create_table(self, name: str, columns: Sequence[ColumnSpec], keys: Sequence[str]) -> TableStore:
        if name in self.tables:
            raise ValueError(f"A table named {name!r} already exists.")
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"Table {name!r} would have duplicate columns: {dup}.")
        unknown = [k for k in keys if k not in names]
        if unknown:
            raise ValueError(f"Key columns {unknown} are not columns of table {name!r} (columns: {names}).")
        for k in keys:
            spec = next(c for c in columns if c.name == k)
            if spec.kind == "array":
                raise ValueError(f"Column {k!r} of type {spec.data_type} cannot be a key.")
        with self.lock.write():
            table = TableStore(name, columns, keys)
            self.tables[name] = table
            self.reports[name] = []
        return table

    def drop_table(self, name: str) -> None:
        """Forget a table (used to undo a table creation whose first load failed)."""
        with self.lock.write():
            self.tables.pop(name, None)
            self.reports.pop(name, None)
            self.joins = [j for j in self.joins if name not in (j.source, j.target)]

    def add_join(self, join: Join) -> None:
        source, target = self.tables[join.source], self.tables[join.target]
        if not join.mapping:
            raise ValueError(f"The join from {join.source!r} to {join.target!r} maps no columns.")
        for s, t in join.mapping:
            if s not in source.columns:
                raise ValueError(f"Table {join.source!r} has no column {s!r}.")
            if t not in target.columns:
                raise ValueError(f"Table {join.target!r} has no column {t!r}.")
            st, tt = source.columns[s].data_type, target.columns[t].data_type
            if st != tt:
                raise ValueError(
                    f"Cannot join {join.source}[{s!r}] ({st}) to {join.target}[{t!r}] ({tt}): types differ."
                )
        if join.target == join.source or self._reaches(join.target, join.source):
            raise ValueError(f"Joining {join.source!r} to {join.target!r} would create a cycle.")
        with self.lock.write():
            self.joins = [j for j in self.joins if (j.source, j.target) != (join.source, join.target)] + [join]
            self.version += 1

    def _reaches(self, start: str, goal: str) -> bool:
        todo, seen = [start], set()
        while todo:
            cur = todo.pop()
            if cur == goal:
                return True
            seen.add(cur)
            todo += [j.target for j in self.joins if j.source == cur and j.target not in seen]
        return False

    def joins_from(self, table: str) -> list[Join]:
        return [j for j in self.joins if j.source == table]

    # -- reading ------------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[None]:
        with self.lock.read():
            yield

    def matching_rows(self, table: str, condition: Node | None) -> np.ndarray:
        """Row ids of `table` satisfying `condition` (all rows when None)."""
        store = self.tables[table]
        with self.read():
            snap = store.snapshot()
            if condition is None:
                return np.arange(snap.row_count)
            masks = row_masks(store, snap, condition)
        return np.flatnonzero(np.concatenate(masks)) if masks else np.empty(0, np.int64)

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.lock.acquire_write()
        txn = self._txn
        outer = txn is None
        if txn is None:
            txn = self._txn = _Transaction(threading.get_ident())
            if self._change_watchers:
                txn.changes = {}
        else:
            txn.levels.append({})
            if txn.changes is not None:
                txn.marks.append({name: c.sizes() for name, c in txn.changes.items()})
        commit: Commit | None = None
        try:
            yield
        except BaseException:
            level = txn.levels.pop()
            for name, undo in level.items():
                if name in self.tables:
                    self.tables[name].rollback(undo)
            if txn.changes is not None:
                # The savepoint's rows are put back: forget what it recorded.
                marks = txn.marks.pop()
                for name, change in txn.changes.items():
                    change.truncate(marks.get(name, (0, 0)))
            if outer:
                self._txn = None
            raise
        else:
            if outer:
                self._txn = None
                if txn.changed:
                    self.version += 1
                    for name in txn.changed:
                        if name in self.tables:
                            self.tables[name].version = self.version
                    changes: dict[str, TableChange] = {}
                    if txn.changes is not None:
                        for name in txn.changed:
                            # A change made by a path that records nothing: say so.
                            changes[name] = txn.changes.get(name) or TableChange(reset=True)
                    commit = Commit(frozenset(txn.changed), self.version, changes)
                    self._tell_watchers(commit)
            else:
                txn.levels.pop()
                if txn.changes is not None:
                    txn.marks.pop()
        finally:
            self.lock.release_write()
        if commit is not None:
            self._notify(commit)

    def in_transaction(self) -> bool:
        return self._txn is not None and self._txn.owner == threading.get_ident()

    def _undo_for(self, table: TableStore) -> list[Undo]:
        txn = self._txn
        assert txn is not None, "writes happen inside a transaction"
        for level in txn.levels:
            if table.name not in level:
                level[table.name] = table.begin_undo()
        return [level[table.name] for level in txn.levels]

    def _changed(self, table: str) -> None:
        assert self._txn is not None
        self._txn.changed.add(table)

    def _change_log(self, table: str) -> TableChange | None:
        """Where this transaction records the rows it adds and removes in `table` (None: untracked)."""
        txn = self._txn
        assert txn is not None
        if txn.changes is None:
            return None
        return txn.changes.setdefault(table, TableChange())

    def load(self, table: str, batch: pa.Table, report: LoadReport | None = None) -> int:
        """Upsert (keyed) or append a conformed Arrow batch. Returns the number of rows written."""
        store = self.tables[table]
        with self.transaction():
            undos = self._undo_for(store)
            prepared = store.prepare(batch)
            inner = undos[-1]
            before = len(inner.overwrites)
            n = store.apply(prepared, inner, self._change_log(table))
            for outer in undos[:-1]:
                outer.overwrites.extend(inner.overwrites[before:])
            if n:
                self._changed(table)
            if report is not None:
                report.rows_loaded = n
                self.reports[table].append(report)
        return n

    def drop(self, table: str, condition: Node | None) -> int:
        store = self.tables[table]
        with self.transaction():
            self._undo_for(store)
            snap = store.snapshot()
            if condition is None:
                masks = [np.ones(n, np.bool_) for n in snap.lengths]
            else:
                masks = row_masks(store, snap, condition)
            removed = store.drop_rows(masks, self._change_log(table))
            if removed:
                self._changed(table)
        return removed

    # -- notifications ------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Commit], None]) -> Callable[[], None]:
        with self._listeners_lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def watch_changes(self, callback: Callable[[Commit], None]) -> Callable[[], None]:
        """Call `callback` with every commit *and its row changes*, in commit order, while the
        commit still holds the write lock: a reader that takes the read lock afterwards has been
        told about every commit its snapshot contains. The callback must be quick (queue the
        commit, wake a thread) and must not touch the store."""
        # Never in the middle of a transaction: its changes would be partial.
        with self.lock.write(), self._listeners_lock:
            self._change_watchers = [*self._change_watchers, callback]

        def unwatch() -> None:
            # No store lock: a live query may stop from any thread, even one reading the store.
            with self._listeners_lock:
                self._change_watchers = [w for w in self._change_watchers if w is not callback]

        return unwatch

    def _tell_watchers(self, commit: Commit) -> None:
        for callback in self._change_watchers:
            try:
                callback(commit)
            except Exception:  # the commit is done; a broken watcher must not undo it
                log.exception("Change watcher %r failed", callback)

    def _notify(self, commit: Commit) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for callback in listeners:
            try:
                callback(commit)
            except Exception:  # a broken listener must not fail the commit that woke it
                log.exception("Commit listener %r failed", callback)
