"""Watch a folder and load the files that arrive in it: ``session.watch(...)`` and its handle."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._engine.live.sources import TableRef
from ._engine.live.watch import FileWatcher, LoadedFile, WatchError, WatchTarget
from ._engine.load import csv as csv_source
from .data_load import CsvLoad
from .table import Table
from .table import csv_options as _parse_options

if TYPE_CHECKING:
    from .session import Session

__all__ = ["LoadedFile", "WatchError", "Watcher", "watch"]


class Watcher:
    """A running watch of a folder; stop it with ``stop()`` or use it as a context manager.

    ``files_loaded`` lists each load done (path, rows written, rows dropped, rows rejected),
    ``errors`` the files that could not be loaded at all, ``pending`` the files noticed but not
    loaded yet (still being written, or settling).
    """

    def __init__(self, engine: FileWatcher, table: Table) -> None:
        self._engine = engine
        self._table = table

    @property
    def table(self) -> Table:
        return self._table

    @property
    def path(self) -> str:
        """The watched path or glob."""
        return str(self._engine.target)

    @property
    def running(self) -> bool:
        return self._engine.running

    @property
    def files_loaded(self) -> list[LoadedFile]:
        return self._engine.files_loaded

    @property
    def errors(self) -> list[WatchError]:
        return self._engine.errors

    @property
    def pending(self) -> list[str]:
        return self._engine.pending

    def stop(self) -> None:
        """Stop watching. A load under way completes first; files arriving later are ignored."""
        self._engine.stop()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"Watcher({self.path!r} -> table {self._table.name!r}, {state}, "
            f"{len(self.files_loaded)} files loaded, {len(self.errors)} errors)"
        )


def watch(
    session: Session,
    path_or_glob: Path | str,
    table: Table | str,
    *,
    existing: bool = False,
    polling: bool = True,
    interval: float = 0.5,
    settle: float = 0.2,
    max_wait: float = 10.0,
    csv_options: Mapping[str, Any] | CsvLoad | None = None,
    on_error: Callable[[str, BaseException], Any] | None = None,
) -> Watcher:
    """Load the files matching `path_or_glob` into `table` as they are created or modified.

    Args:
        path_or_glob: A glob such as ``"data/*.csv"`` (``**`` spans subfolders), a folder (the
            files directly in it) or one file. Files ending in ``.parquet`` or ``.pq`` are read as
            Parquet, the others as CSV.
        table: The table to load into (or its name).
        existing: Also load the matching files already there, before returning. False by
            default: as in atoti's tutorial, the files present are usually read first with
            ``session.read_csv(...)``, and the watcher then takes the new ones.
        polling: Poll the folder every `interval` seconds (works on every file system, network
            and container mounts included); False uses the OS's notifications (inotify,
            FSEvents, ReadDirectoryChangesW).
        interval: Seconds between polls, and the most a stop or a session close waits.
        settle: A file is loaded once its size and modification time have not changed for this
            long and its last line is complete (a CSV record with all its fields, a Parquet file
            with its footer); a file still being written is checked again until then, and
            loaded anyway after `max_wait` seconds.
        csv_options: How to parse the CSV files: the parsing arguments of ``tt.CsvLoad``
            (``separator``, ``encoding``, ``date_patterns``, ``columns``, ...), as a mapping or a
            ``tt.CsvLoad`` whose path is ignored.
        on_error: Called with the file's path and the exception when a file cannot be loaded.

    Returns:
        A ``Watcher``: ``stop()`` it (or use ``with``); it stops by itself when the session closes.

    Each file is loaded in one transaction, so a query sees all of a file's rows or none of them.
    In a table with keys, a modified file replaces the rows it loaded before: the rows whose keys
    it no longer has are dropped and the others upserted. (A table without keys cannot tell rows
    apart: there a modified file's rows are appended again.) Rows that cannot be parsed are
    skipped and listed in ``table.loading_report``; a file that cannot be read at all (columns
    that do not fit the table, say) is added to ``watcher.errors`` and the session log. Neither
    stops the watcher. Rows stay in the table when their file is deleted or moved away; a file
    later created at that path is new (one renamed over the old file at once replaces its rows).

    >>> import atoti_lab as tt
    >>> session = tt.Session.start()
    >>> sales = session.read_csv("data/current/*.csv", table_name="Sales", keys=["ID"])  # doctest: +SKIP
    >>> watcher = session.watch("data/current/*.csv", sales)  # doctest: +SKIP
    >>> watcher.stop()  # doctest: +SKIP
    """
    if isinstance(table, str):
        table = session.tables[table]
    if not isinstance(table, Table):
        raise TypeError(f"watch() loads into a table of the session, got {table!r}.")
    if table._session is not session:
        raise ValueError(f"Table {table.name!r} belongs to another session.")
    engine = FileWatcher(
        WatchTarget.parse(path_or_glob),
        TableRef(session._database, table.name),
        options=_options(path_or_glob, csv_options),
        polling=polling,
        interval=interval,
        settle=settle,
        max_wait=max_wait,
        existing=existing,
        on_error=on_error,
        log=session._log,
        stop_event=session._state.get("closed_event"),
    )
    engine.start()
    return Watcher(engine, table)


def _options(path: Path | str, given: Mapping[str, Any] | CsvLoad | None) -> csv_source.CsvOptions:
    if given is None:
        spec = CsvLoad(os.fspath(path))
    elif isinstance(given, CsvLoad):
        spec = given
    elif isinstance(given, Mapping):
        unknown = set(given) - set(CsvLoad.__dataclass_fields__) - {"path"}
        if unknown:
            raise TypeError(f"Unknown CSV options {sorted(unknown)}; see tt.CsvLoad for the accepted ones.")
        spec = CsvLoad(os.fspath(path), **{k: v for k, v in given.items() if k != "path"})
    else:
        raise TypeError(f"csv_options must be a mapping of tt.CsvLoad arguments or a tt.CsvLoad, got {given!r}.")
    return _parse_options(spec)
