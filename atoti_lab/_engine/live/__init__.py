"""Live data: files watched as they arrive (watch.py) and ticking or input sources (sources.py).

Everything here writes through the Store's transactions, from background threads: a query in
the notebook sees each load, drop-and-reload or batch whole or not at all.
"""

from __future__ import annotations

from .sources import InputTable, TableRef, TickingSource
from .watch import FileLoad, FileWatcher, LoadedFile, WatchError, WatchTarget, load_file

__all__ = [
    "FileLoad",
    "FileWatcher",
    "InputTable",
    "LoadedFile",
    "TableRef",
    "TickingSource",
    "WatchError",
    "WatchTarget",
    "load_file",
]
