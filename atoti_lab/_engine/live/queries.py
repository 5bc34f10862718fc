"""Live queries: a query result kept up to date from the store's commits.

A live query holds its plan (Prepared) and the per-cell leaf accumulators of its scan (ScanResult).
The store tells it, under the commit's write lock, which rows each commit added and removed
(Store.watch_changes); its own thread then, at most once per `interval`:

- scans only those rows with the same plan and adds (or retracts) their accumulators, see
  incremental.py;
- re-plans when new members appear (a level's dictionary grew) and renumbers the held cells;
- recomputes the cells that lost rows, from the table restricted to those cells' members, when
  their aggregates cannot be retracted (a minimum/maximum lost its extreme value, a distinct count,
  a product or a median lost rows);
- starts over with a full query when that is the only exact way: a table joined to the base
  table changed, measures were redefined, a change is not described;

then turns the accumulators into a result with the runner's `finish` and tells its listeners.
Commits never wait for a live query: the watcher only queues the commit; the update runs under
the store's read lock for the scan only, and listeners are called after it is released.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..expr.measure import columns_of
from ..model.cube import CubeModel
from ..plan.levels import join_path
from ..plan.query import CellSet, Prepared, QueryRunner, QuerySpec
from ..plan.scan import ScanResult
from ..store.database import Commit, Store
from ..store.encoded import column_codes
from ..store.table import RowBlock, TableSnapshot, TableStore, block_snapshot
from . import incremental

log = logging.getLogger("atoti_lab.live")

# Seconds between two updates of a live query, at most one per interval: short enough that a
# result is never more than 100 ms behind a commit under a sustained stream (bench/live_queries.py).
DEFAULT_INTERVAL = 0.05

Listener = Callable[[CellSet, int], None]


@dataclass
class UpdateStats:
    """How the updates of a live query went (for tests, benchmarks and curious users)."""

    updates: int = 0
    incremental: int = 0
    partial: int = 0  # updates that recomputed the cells which lost rows from the table
    renumbered: int = 0
    full: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    busy_seconds: float = 0.0  # spent updating (scans, merges, finish), all updates together
    max_update_ms: float = 0.0

    def timed(self, seconds: float) -> None:
        self.busy_seconds += seconds
        self.max_update_ms = max(self.max_update_ms, seconds * 1e3)

    def rescan(self, reason: str) -> None:
        self.full += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


class _NeedStore(Exception):
    """The update needs the store (under its read lock), not only the changed rows."""


class _Rescan(Exception):
    """The held accumulators cannot be updated exactly: query again from the table."""


class LiveQuery:
    def __init__(self, store: Store, model: CubeModel, spec: QuerySpec, interval: float = DEFAULT_INTERVAL) -> None:
        if interval < 0:
            raise ValueError(f"interval must be >= 0 seconds, got {interval!r}.")
        self.store = store
        self.model = model
        self.spec = spec
        self.interval = interval
        self.stats = UpdateStats()
        # Its own runner: the level caches of cube.query are not shared across threads.
        self._runner = QueryRunner(store, model)
        self._listeners: list[Listener] = []
        self._pending: list[Commit] = []
        self._cond = threading.Condition()
        self._updating = threading.Lock()  # one update at a time: the thread's, or refresh()'s
        self._stopped = False
        self._error: BaseException | None = None
        self._unwatch = store.watch_changes(self._on_commit)
        try:
            with store.read():
                self.version = self._latest = store.version
                self._prepared, self._held = self._full()
                self._model_version = model.version
            self.cells = self._runner.finish(self._prepared, self._held)
        except BaseException:
            self._unwatch()
            raise
        self._thread = threading.Thread(target=self._loop, name="atoti_lab-live-query", daemon=True)
        self._thread.start()

    # -- public -----------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(cells, version)` on the live query's thread after each update (keep it
        quick: hand the work to another thread)."""
        with self._cond:
            self._listeners = [*self._listeners, listener]

        def remove() -> None:
            with self._cond:
                self._listeners = [x for x in self._listeners if x is not listener]

        return remove

    def wait(self, version: int | None = None, timeout: float | None = None) -> bool:
        """Block until the result reflects store version `version` (default: the latest commit)."""
        target = self._latest if version is None else version
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self.version < target and not self._stopped:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return self.version >= target

    def refresh(self) -> None:
        """Apply the pending commits now, in this thread, without waiting for the interval."""
        if self._stopped:
            return
        with self._updating:
            self._update()

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped the updates, if one did."""
        return self._error

    def stop(self) -> None:
        with self._cond:
            if self._stopped:
                return
            self._stopped = True
            self._pending.clear()
            self._cond.notify_all()
        self._unwatch()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    # -- commits ----------------------------------------------------------------------------
    def _on_commit(self, commit: Commit) -> None:
        # Called under the store's write lock: queue and wake, nothing else.
        with self._cond:
            if not self._stopped:
                self._latest = commit.version
                self._pending.append(commit)
                self._cond.notify_all()

    def _loop(self) -> None:
        last = 0.0
        while True:
            with self._cond:
                while not self._pending and not self._stopped:
                    self._cond.wait()
                # Coalesce: at most one update per interval; commits arriving meanwhile wait for it.
                due = last + self.interval
                while not self._stopped and time.monotonic() < due:
                    self._cond.wait(due - time.monotonic())
                if self._stopped:
                    return
            last = time.monotonic()
            try:
                with self._updating:
                    self._update()
            except BaseException as e:
                log.exception("Live query %r stopped", self.spec)
                with self._cond:
                    self._error = e
                    self._stopped = True
                    self._cond.notify_all()
                self._unwatch()
                return

    def _update(self) -> None:
        with self._cond:
            commits, self._pending = self._pending, []
        # Commits the current result already reflects (queued while it was computed) are skipped.
        commits = [c for c in commits if c.version > self.version]
        if not commits:
            return
        started = time.perf_counter()
        version = commits[-1].version
        try:
            # The common case reads only the changed rows, which no writer touches: no store lock,
            # so a producer committing back to back cannot hold the live result back.
            self._incremental(commits, locked=False)
        except _NeedStore:
            with self.store.read():
                with self._cond:
                    commits += [c for c in self._pending if c.version > self.version]
                    self._pending = []
                version = self.store.version
                self._apply(commits)
        except _Rescan as reason:
            with self.store.read():
                with self._cond:
                    self._pending = []
                version = self.store.version
                self._rescan(str(reason))
        cells = self._runner.finish(self._prepared, self._held)
        with self._cond:
            self.cells = cells
            self.version = max(self.version, version)
            listeners = self._listeners
            self._cond.notify_all()
        self.stats.updates += 1
        self.stats.timed(time.perf_counter() - started)
        for listener in listeners:
            try:
                listener(cells, version)
            except Exception:  # one broken listener must not stop the others or the query
                log.exception("Live query listener %r failed", listener)

    # -- applying changes ---------------------------------------------
    def _full(self) -> tuple[Prepared, ScanResult]:
        self._runner.resolver.new_snapshots()
        prepared = self._runner.prepare(self.spec)
        self._related = self._related_tables()
        # Scans that read more than the changed rows: values of joined tables, or filters
        # tested row by row (they look members up).
        base = self.model.base_table
        self._reads_store = bool(prepared.masks) or any(
            c.table != base for leaf in prepared.leaves if leaf.operand is not None for c in columns_of(leaf.operand))
        return prepared, self._runner.scan(prepared, count_rows=True)

    def _apply(self, commits: list[Commit]) -> None:
        """Under the read lock: apply the commits, or query again from the table."""
        try:
            self._incremental(commits, locked=True)
        except _Rescan as reason:
            self._rescan(str(reason))

    def _rescan(self, reason: str) -> None:
        self.stats.rescan(reason)
        self._prepared, self._held = self._full()
        self._model_version = self.model.version

    def _incremental(self, commits: list[Commit], locked: bool) -> None:
        """Apply the commits' row changes to the held accumulators. Unless `locked`, raises
        _NeedStore, before changing anything, when that takes more than the changed rows."""
        base = self.model.base_table
        if self.model.version != self._model_version:
            raise _Rescan("the cube's measures or hierarchies changed")
        related = self._related
        added: list[RowBlock] = []
        removed: list[RowBlock] = []
        for commit in commits:
            for table in commit.tables & related:
                change = commit.changes.get(table)
                if table != base:
                    raise _Rescan(f"joined table {table!r} changed")
                if change is None or change.reset:
                    raise _Rescan(f"table {table!r} changed in a way that is not described")
                added += change.added
                removed += change.removed
        if not added and not removed:
            return
        runner, store = self._runner, self.store.tables[base]
        columns = list(store.columns)
        plus = block_snapshot(added, columns)
        minus = block_snapshot(removed, columns)
        if not locked and (self._reads_store or self._grown(store, plus) or (
                minus.row_count and not incremental.exact_after_removals(self._held))):
            raise _NeedStore  # removals may need cells recomputed from the table
        if locked:
            runner.resolver.new_snapshots()
            self._new_members(store, plus)
        prepared, held = self._prepared, self._held
        # Removed rows can be rows added by the same commits (appended, then upserted or dropped):
        # add first, so that what is retracted is always part of what is held.
        if plus.row_count:
            new = runner.scan(prepared, plus, masks=runner.delta_masks(prepared, plus), count_rows=True)
            incremental.add(held, new)
        if minus.row_count:
            gone = runner.scan(prepared, minus, masks=runner.delta_masks(prepared, minus), count_rows=True)
            if incremental.retractable(held, gone):
                incremental.retract(held, gone)
            else:
                assert locked, "checked by exact_after_removals"
                self._recompute(store, np.flatnonzero(gone.accumulated.rows > 0))
        self.stats.incremental += 1

    def _recompute(self, store: TableStore, cells: np.ndarray) -> None:
        """Under the read lock, all commits applied: scan the table again for `cells` only and put
        their exact accumulators in place of the held ones."""
        runner, prepared = self._runner, self._prepared
        snap = store.snapshot()
        fresh = runner.scan(incremental.restricted(prepared, cells), snap,
                            masks=runner.delta_masks(prepared, snap), count_rows=True)
        incremental.patch(self._held, fresh, cells)
        self.stats.partial += 1

    def _grown(self, store: TableStore, plus: TableSnapshot) -> bool:
        """Whether a column the plan looks up has codes it has not seen (new members, or a new
        value that joins to an existing member)."""
        prepared = self._prepared
        grown = False
        for source, lut in prepared.luts.items():
            if source in prepared.masks:
                continue
            # Encodes the new rows of numeric level columns, so that their dictionary has them.
            dictionary, _ = column_codes(store, source, plus)
            grown = grown or len(dictionary) > len(lut)
        return grown

    def _new_members(self, store: TableStore, plus: TableSnapshot) -> None:
        """Re-plan after new codes appeared, and move the held cells to the new plan."""
        prepared = self._prepared
        if not self._grown(store, plus):
            return
        fresh = self._runner.prepare(self.spec)
        moved = incremental.renumber(prepared, fresh, self._held)
        if moved is None:
            raise _Rescan("new members changed which members the query's filters keep")
        self._prepared, self._held = fresh, moved
        self.stats.renumbered += 1

    def _related_tables(self) -> set[str]:
        """The base table and every table joined to it (directly or not)."""
        base = self.model.base_table
        out = {base}
        for table in self.store.tables:
            if table != base:
                try:
                    join_path(self.store, base, table)
                except ValueError:
                    continue
                out.add(table)
        return out


__all__ = ["DEFAULT_INTERVAL", "LiveQuery", "UpdateStats"]
