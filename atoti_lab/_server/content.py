"""User content: the web app's dashboards and saved widgets, in SQLite.

``SessionConfig(user_content_storage=path)`` keeps them in a SQLite file at `path`, so they survive
a restart of the session with the same path; without it they live in memory. Items are
``{id, name, data, created, updated}`` where `data` is any JSON value the app stores (a dashboard's
widgets and their query states, a widget's state).

>>> store = ContentStore(None)
>>> item = store.create("dashboards", "Sales", {"widgets": []})
>>> store.get("dashboards", item["id"])["name"]
'Sales'
>>> store.close()
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "ContentStore", "storage_path"]

KINDS = ("dashboards", "widgets")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS content (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    owner TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS content_kind ON content (kind, id);
"""


def storage_path(config: Any) -> Path | None:
    """The SQLite file of ``SessionConfig.user_content_storage`` (a path, or a config with ``url``), or None."""
    if config is None:
        return None
    url = getattr(config, "url", config)
    if not isinstance(url, (str, Path)):
        raise TypeError(f"user_content_storage must be a path or tt.UserContentStorageConfig(url=path), got {config!r}.")
    text = str(url)
    for prefix in ("sqlite:///", "file://"):
        text = text.removeprefix(prefix)
    if "://" in text:
        raise ValueError(f"user_content_storage {text!r}: only local paths (a SQLite file) are supported.")
    path = Path(text).expanduser()
    if path.suffix == "" or path.is_dir():
        # atoti takes a directory; keep our database inside it.
        path = path / "content.sqlite"
    return path


class ContentStore:
    """Dashboards and widgets in one SQLite database (a file, or memory when `path` is None)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the server's worker threads, serialized by a lock: the app's
        # writes are small and rare, and one connection keeps a memory database alive.
        self._db = sqlite3.connect(":memory:" if path is None else str(path), check_same_thread=False,
                                   isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _check(kind: str) -> None:
        if kind not in KINDS:
            raise KeyError(f"No user content of kind {kind!r}; the kinds are {list(KINDS)}.")

    @staticmethod
    def _item(row: tuple[Any, ...]) -> dict[str, Any]:
        id, name, data, owner, created, updated = row
        return {"id": id, "name": name, "data": json.loads(data), "owner": owner, "created": created,
                "updated": updated}

    def list(self, kind: str) -> list[dict[str, Any]]:
        self._check(kind)
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, data, owner, created, updated FROM content WHERE kind = ? ORDER BY id", (kind,)
            ).fetchall()
        return [self._item(row) for row in rows]

    def get(self, kind: str, id: int) -> dict[str, Any]:
        self._check(kind)
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, data, owner, created, updated FROM content WHERE kind = ? AND id = ?", (kind, id)
            ).fetchone()
        if row is None:
            raise KeyError(f"No {kind[:-1]} with id {id}.")
        return self._item(row)

    def create(self, kind: str, name: str, data: Any, owner: str | None = None) -> dict[str, Any]:
        self._check(kind)
        now = time.time()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO content (kind, name, data, owner, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, name, json.dumps(data), owner, now, now),
            )
            id = cursor.lastrowid
        assert id is not None
        return self.get(kind, id)

    def update(self, kind: str, id: int, name: str | None, data: Any = ...) -> dict[str, Any]:
        current = self.get(kind, id)
        with self._lock:
            self._db.execute(
                "UPDATE content SET name = ?, data = ?, updated = ? WHERE kind = ? AND id = ?",
                (current["name"] if name is None else name,
                 json.dumps(current["data"] if data is ... else data), time.time(), kind, id),
            )
        return self.get(kind, id)

    def delete(self, kind: str, id: int) -> None:
        self.get(kind, id)  # KeyError when missing
        with self._lock:
            self._db.execute("DELETE FROM content WHERE kind = ? AND id = ?", (kind, id))
