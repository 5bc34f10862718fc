"""Watch a folder (watchdog) and load the files matching a glob as they are created or modified.

Flow: watchdog's observer thread only notes which paths changed; one worker thread per watcher
checks each noted file until it looks complete, then loads it. Loads are thus serial per watcher,
and a slow load never delays the observer.

* **Complete?** A file is loaded once its size and modification time have not changed for
  ``settle`` seconds and it does not end in the middle of a record: a CSV whose last line has no
  line break and fewer fields than the header, a Parquet file without its closing magic bytes.
  Such a file is checked again every ``settle`` seconds, and loaded anyway after ``max_wait``
  (its bad last row then shows up in the loading report).
* **One commit per file.** In a keyed table the keys each file loaded are remembered; when the
  file is modified, one transaction drops the rows whose keys are no longer in it and upserts
  its new rows, so a modified file's rows replace its earlier ones. (A table without keys cannot
  tell the rows apart: there the rows of a modified file are appended again.)
* **Errors.** Rows that cannot be parsed are skipped and listed in the table's loading report,
  as for any CSV load. A file that cannot be read at all (columns that do not fit the table, an
  I/O error that lasts ``max_wait``) is recorded in ``errors``, logged and passed to
  ``on_error``; the watcher keeps going. Nothing is printed or warned: these threads run beside a
  notebook whose cell outputs they must not touch.
* **Deleted or moved away.** The rows stay; once the path has stayed empty for ``settle``
  seconds, a new file there starts afresh. A file replaced in one step (a rename over it, which
  the polling observer reports as deleted + created) counts as modified: its rows are replaced.

>>> watcher = FileWatcher(WatchTarget.parse("data/*.csv"), TableRef(store, "Sales"))  # doctest: +SKIP
>>> watcher.start(); watcher.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import csv as _csv
import dataclasses
import fnmatch
import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .. import types as T
from ..load import arrow as arrow_source
from ..load import csv as csv_source
from ..load import parquet as parquet_source
from ..load.report import LoadReport
from .sources import TableRef, keys_condition

PARQUET_SUFFIXES = (".parquet", ".pq")
_TAIL_BYTES = 1 << 16  # how much of a file's end is read to tell whether its last record is whole


# --- what to watch ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchTarget:
    """A path or glob split into the folder to watch and the pattern files below it must match.

    ``"data/*.csv"`` watches ``data`` for ``*.csv``; ``"data/**/*.csv"`` watches ``data`` and its
    subfolders; a folder stands for the files directly inside it (hidden and ``_``-prefixed ones
    aside, as ``read_csv`` reads folders); a file path watches that one file.
    """

    base: str  # the folder as the user spelled it ("" for the current folder)
    parts: tuple[str, ...]  # glob components below `base`
    folder_mode: bool = False

    @classmethod
    def parse(cls, path_or_glob: str | os.PathLike[str]) -> WatchTarget:
        text = os.path.expanduser(os.fspath(path_or_glob))
        if Path(text).is_file():  # as read_csv has it: an existing file is that file, glob characters or not
            return cls(os.path.dirname(text), (glob.escape(os.path.basename(text)),))
        components = Path(text).parts
        magic = next((i for i, part in enumerate(components) if glob.has_magic(part)), None)
        if magic is not None:
            base = str(Path(*components[:magic])) if magic else ""
            return cls(base, tuple(components[magic:]))
        if Path(text).is_dir() or text.endswith(("/", os.sep)):
            return cls(text.rstrip("/" + os.sep) or text, ("*",), folder_mode=True)
        parent = os.path.dirname(text)
        return cls(parent, (glob.escape(os.path.basename(text)),))

    @property
    def folder(self) -> Path:
        """The watched folder, absolute (events and loads do not depend on a later chdir)."""
        return Path(os.path.abspath(self.base or "."))

    @property
    def recursive(self) -> bool:
        return len(self.parts) > 1 or "**" in self.parts

    def relative(self, path: str | os.PathLike[str]) -> tuple[str, ...] | None:
        """`path`'s components below the watched folder, or None when it is outside."""
        try:
            rel = Path(os.path.abspath(path)).relative_to(self.folder)
        except ValueError:
            return None
        return rel.parts or None

    def matches(self, path: str | os.PathLike[str]) -> bool:
        rel = self.relative(path)
        if rel is None:
            return False
        name = rel[-1]
        hidden = name.startswith(".") and not self.parts[-1].startswith(".")
        if hidden or (self.folder_mode and name.startswith("_")):
            return False
        return _match(self.parts, rel)

    def display(self, path: str | os.PathLike[str]) -> str:
        """How the path is shown (loading reports, ``files_loaded``): below the base as given."""
        rel = self.relative(path)
        if rel is None:
            return os.fspath(path)
        return os.path.join(self.base, *rel) if self.base else os.path.join(*rel)

    def scan(self) -> list[Path]:
        """The matching files present now, sorted."""
        folder = self.folder
        if not folder.is_dir():
            return []
        if self.recursive:
            candidates = (Path(root) / name for root, _, names in os.walk(folder) for name in names)
        else:
            candidates = (p for p in folder.iterdir())
        return sorted(p for p in candidates if p.is_file() and self.matches(p))

    def __str__(self) -> str:
        return os.path.join(self.base, *self.parts) if self.base else os.path.join(*self.parts)


def _match(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Glob matching by path component; ``**`` spans any number of folders (none included)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])


# --- loading one file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileLoad:
    """What loading one file did."""

    rows: int  # rows written (upserted or appended)
    dropped: int  # rows of the file's previous version whose keys it no longer has
    issues: int  # rows or values rejected (listed in the table's loading report)
    keys: pa.Table | None  # the file's distinct keys (keyed tables), for its next version


def read_file(path: Path, source: str, options: csv_source.CsvOptions, target: dict[str, str]) -> tuple[pa.Table, list]:
    """A CSV or Parquet file (by suffix) as Arrow, with the issues of the rows left out."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return parquet_source.read_parquet([path], data_types=target), []
    data, issues = csv_source.read_csv([path], options, target)
    return data, [dataclasses.replace(issue, source=source) for issue in issues]


def load_file(
    ref: TableRef,
    path: Path,
    *,
    source: str | None = None,
    options: csv_source.CsvOptions | None = None,
    previous_keys: pa.Table | None = None,
) -> FileLoad:
    """Load a file into a table in one commit, replacing the rows of its previous version.

    `previous_keys` are the keys the file's previous version loaded (None: not loaded before).
    The file is parsed before the transaction starts, so readers wait only for the write.
    """
    source = source or str(path)
    target = ref.target()
    keys = ref.keys
    data, issues = read_file(path, source, options or csv_source.CsvOptions(), target)
    if data.num_columns == 0:  # an empty file: nothing, not even a header
        batch = None
        new_keys = pa.table({k: pa.array([], T.ARROW_TYPES[target[k]]) for k in keys}) if keys else None
    else:
        batch = arrow_source.conform(data, target, keys=keys, source=source)
        new_keys = _distinct_keys(batch, keys) if keys else None
    stale = _stale_keys(previous_keys, new_keys, keys) if keys and previous_keys is not None else []
    report = LoadReport(source, issues=list(issues))
    store = ref.store
    dropped = rows = 0
    with store.transaction():
        if stale:
            dropped = store.drop(ref.name, keys_condition(ref.name, keys, stale))
        if batch is not None:
            rows = store.load(ref.name, batch, report)
        else:
            store.reports.setdefault(ref.name, []).append(report)
    return FileLoad(rows, dropped, len(issues), new_keys)


def _distinct_keys(batch: pa.Table, keys: Sequence[str]) -> pa.Table:
    columns = {}
    for k in keys:
        column = batch.column(k)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns[k] = column
    table = pa.table(columns)
    return table.group_by(list(keys)).aggregate([]) if table.num_rows else table


def _stale_keys(previous: pa.Table, current: pa.Table, keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """Key tuples in `previous` and not in `current`."""
    if previous.num_rows == 0:
        return []
    try:
        stale = previous.join(current, list(keys), join_type="left anti") if current.num_rows else previous
        return list(zip(*(stale.column(k).to_pylist() for k in keys)))
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # key types the hash join lacks
        now = set(zip(*(current.column(k).to_pylist() for k in keys)))
        return [row for row in zip(*(previous.column(k).to_pylist() for k in keys)) if row not in now]


# --- is the file complete? ---------------------------------------------------------------------


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def looks_complete(path: Path, options: csv_source.CsvOptions) -> bool:
    """Whether the file seems fully written: see the module docstring."""
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            if parquet:
                if size < 8:
                    return False
                file.seek(size - 4)
                return file.read(4) == b"PAR1"
            file.seek(0)
            head = file.read(_TAIL_BYTES)
            file.seek(max(0, size - _TAIL_BYTES))
            tail = file.read()
    except OSError:
        return False
    codec = csv_source._python_codec(options.encoding)
    head_lines = head.decode(codec, errors="replace").splitlines()
    if not head_lines:
        return False  # empty so far
    headerless = not isinstance(options.columns, Mapping)
    if headerless:
        width = len(options.columns)
    else:
        if len(head_lines) < 2 and len(head) == size:
            return False  # only (part of) the header so far
        width = _fields(head_lines[0], options)
    if tail.endswith((b"\n", b"\r")):
        return True
    return _fields(tail.decode(codec, errors="replace").splitlines()[-1], options) >= width


def _fields(line: str, options: csv_source.CsvOptions) -> int:
    separator = options.separator
    if not separator:
        separator = max(csv_source._SEPARATOR_CANDIDATES, key=line.count)
    quoting = _csv.QUOTE_MINIMAL if options.process_quotes is not False else _csv.QUOTE_NONE
    try:
        row = next(_csv.reader([line], delimiter=separator, quoting=quoting), [])
    except _csv.Error:
        return 0  # e.g. an unclosed quote: the record goes on
    return len(row)


# --- the watcher ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedFile:
    """One load done by a watcher."""

    path: str
    rows: int  # rows written
    dropped: int  # rows removed because the file no longer has their keys
    rejected: int  # rows or values rejected (see the table's loading report)
    version: int  # the store's version after the load


@dataclass(frozen=True)
class WatchError:
    """A file a watcher could not load."""

    path: str
    error: BaseException

    def __str__(self) -> str:
        return f"{self.path}: {type(self.error).__name__}: {self.error}"


_UNSEEN = (-1, -1, -1)  # the signature of a path not checked yet


@dataclass
class _Pending:
    first_seen: float
    due: float
    signature: tuple[int, int, int] | None = _UNSEEN  # None: the file does not exist
    changed_at: float = 0.0
    retries: int = 0


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FileWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        kind = event.event_type
        # A deletion is noted like any change: whether the file is really gone (and forgotten) or
        # was replaced (the polling observer reports an atomic replace as deleted + created) is
        # decided by the worker once the path has settled.
        if kind in ("created", "modified", "closed", "deleted"):
            self._watcher._notice(os.fsdecode(event.src_path))
        elif kind == "moved":
            self._watcher._notice(os.fsdecode(event.src_path))
            self._watcher._notice(os.fsdecode(event.dest_path))


class FileWatcher:
    """Loads files matching a WatchTarget into a table as they are created or modified.

    ``start()`` begins watching (and, with ``existing=True``, first loads the matching files
    already there, before returning); ``stop()`` ends both threads. ``stop_event``, when given,
    stops the watcher once set (the session's "closed" event).
    """

    def __init__(
        self,
        target: WatchTarget,
        table: TableRef,
        *,
        options: csv_source.CsvOptions | None = None,
        polling: bool = True,
        interval: float = 0.5,
        settle: float = 0.2,
        max_wait: float = 10.0,
        existing: bool = False,
        on_error: Callable[[str, BaseException], Any] | None = None,
        log: logging.Logger | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        if not interval > 0 or settle < 0 or max_wait < 0:
            raise ValueError("interval must be positive, settle and max_wait not negative.")
        self.target = target
        self.table = table
        self.options = options or csv_source.CsvOptions()
        self.polling = polling
        self.interval = float(interval)
        self.settle = float(settle)
        self.max_wait = float(max_wait)
        self.existing = existing
        self.on_error = on_error
        self.log = log or logging.getLogger("atoti_lab.watch")
        self._stop_event = stop_event
        self._cond = threading.Condition()
        self._pending: dict[str, _Pending] = {}
        self._loaded_signature: dict[str, tuple[int, int, int]] = {}
        self._keys: dict[str, pa.Table | None] = {}
        self._loaded: list[LoadedFile] = []
        self._errors: list[WatchError] = []
        self._stopping = threading.Event()
        self._observer: Any = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FileWatcher:
        folder = self.target.folder
        if not folder.is_dir():
            raise FileNotFoundError(f"Cannot watch {str(self.target)!r}: no folder {self.target.base or '.'!r}.")
        self.table.table  # noqa: B018 - raises when the table is gone
        observer = PollingObserver(timeout=self.interval) if self.polling else Observer(timeout=self.interval)
        observer.schedule(_Handler(self), str(folder), recursive=self.target.recursive)
        observer.start()  # before listing the folder: a file arriving in between is not missed
        self._observer = observer
        for path in self.target.scan():
            key = str(path)
            if self.existing:
                self._load(key, _signature(path))
            else:
                signature = _signature(path)
                if signature is not None:
                    self._loaded_signature[key] = signature  # there already: only a change loads it
        self._thread = threading.Thread(target=self._run, name=f"atoti_lab-watch-{self.table.name}", daemon=True)
        self._thread.start()
        self.log.info("Watching %s for table %r", self.target, self.table.name)
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop watching; returns when both threads are done (a load under way completes first)."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        current = threading.current_thread()
        if self._observer is not None:
            self._observer.stop()
            if self._observer is not current and self._observer.is_alive():
                self._observer.join(timeout)
        if self._thread is not None and self._thread is not current and self._thread.is_alive():
            self._thread.join(timeout)

    # -- state --------------------------------------------------------------------------------
    @property
    def files_loaded(self) -> list[LoadedFile]:
        with self._cond:
            return list(self._loaded)

    @property
    def errors(self) -> list[WatchError]:
        with self._cond:
            return list(self._errors)

    @property
    def pending(self) -> list[str]:
        """Files noticed but not loaded yet (being written, or waiting to settle)."""
        with self._cond:
            return [self.target.display(p) for p in self._pending]

    # -- events (observer thread) -------------------------------------------------------------
    def _notice(self, path: str) -> None:
        if not self.target.matches(path):
            return
        key = os.path.abspath(path)
        now = time.monotonic()
        with self._cond:
            entry = self._pending.get(key)
            if entry is None:
                self._pending[key] = _Pending(first_seen=now, due=now)
            else:
                entry.due = min(entry.due, now)
            self._cond.notify_all()

    # -- worker thread ------------------------------------------------------------------------
    def _should_stop(self) -> bool:
        return self._stopping.is_set() or (self._stop_event is not None and self._stop_event.is_set())

    def _run(self) -> None:
        try:
            while not self._should_stop():
                with self._cond:
                    now = time.monotonic()
                    due = min((p.due for p in self._pending.values()), default=now + self.interval)
                    if due > now:
                        self._cond.wait(min(due - now, self.interval))
                        continue
                    ready = sorted(key for key, p in self._pending.items() if p.due <= now)
                for key in ready:
                    if self._should_stop():
                        break
                    self._check(key)
        finally:
            if not self._stopping.is_set():  # stopped by the session closing
                self._stopping.set()
                if self._observer is not None:
                    self._observer.stop()

    def _check(self, key: str) -> None:
        now = time.monotonic()
        signature = _signature(Path(key))
        with self._cond:
            entry = self._pending.get(key)
            if entry is None:
                return
            if signature != entry.signature:
                entry.signature, entry.changed_at, entry.due = signature, now, now + self.settle
                return
            if now - entry.changed_at < self.settle:
                entry.due = entry.changed_at + self.settle
                return
            if signature is None:  # gone for good: its rows stay, a new file there starts afresh
                del self._pending[key]
                self._loaded_signature.pop(key, None)
                self._keys.pop(key, None)
                return
            if signature == self._loaded_signature.get(key):
                del self._pending[key]  # this version is loaded already (a duplicate event)
                return
        if not looks_complete(Path(key), self.options) and now - entry.first_seen < self.max_wait:
            with self._cond:
                entry.due, entry.retries = now + max(self.settle, 0.05), entry.retries + 1
            return
        with self._cond:
            if self._pending.get(key) is entry:
                del self._pending[key]
        self._load(key, signature, entry)

    def _load(self, key: str, signature: tuple[int, int, int] | None, entry: _Pending | None = None) -> None:
        path = Path(key)
        source = self.target.display(key)
        try:
            result = load_file(self.table, path, source=source, options=self.options, previous_keys=self._keys.get(key))
        except OSError as error:
            if not path.exists():
                self.log.info("Watched file %s vanished before it could be loaded", source)
                return
            if entry is not None and time.monotonic() - entry.first_seen < self.max_wait:
                with self._cond:  # e.g. locked by its writer: try again
                    entry.due, entry.retries = time.monotonic() + max(self.settle, 0.05), entry.retries + 1
                    self._pending.setdefault(key, entry)
                return
            self._fail(key, source, signature, error)
            return
        except Exception as error:  # noqa: BLE001 - reported; the watcher goes on
            self._fail(key, source, signature, error)
            return
        loaded = LoadedFile(source, result.rows, result.dropped, result.issues, self.table.store.version)
        with self._cond:
            self._keys[key] = result.keys
            if signature is not None:
                self._loaded_signature[key] = signature
            self._loaded.append(loaded)
        dropped = f", dropped {result.dropped} rows it no longer has" if result.dropped else ""
        self.log.info("Watcher loaded %d rows into %r from %s%s", result.rows, self.table.name, source, dropped)
        if result.issues:
            self.log.warning(
                "%d row(s) of %s could not be loaded into table %r (see table.loading_report)",
                result.issues, source, self.table.name,
            )

    def _fail(self, key: str, source: str, signature: tuple[int, int, int] | None, error: BaseException) -> None:
        with self._cond:
            if signature is not None:
                self._loaded_signature[key] = signature  # not retried until the file changes
            self._errors.append(WatchError(source, error))
        self.log.error("Watcher could not load %s into table %r: %s: %s", source, self.table.name,
                       type(error).__name__, error)
        if self.on_error is not None:
            try:
                self.on_error(source, error)
            except Exception:  # a failing callback must not stop the watcher
                self.log.exception("The on_error callback of the watcher of %r failed", self.table.name)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"FileWatcher({str(self.target)!r} -> {self.table.name!r}, {state}, {len(self._loaded)} loads)"
