"""Turn a path or a glob pattern into the sorted list of files it names.

>>> expand("data/2024-*.csv")  # doctest: +SKIP
[PosixPath('data/2024-01.csv'), PosixPath('data/2024-02.csv')]
"""

from __future__ import annotations

import glob
import os
from pathlib import Path


def expand(path_or_glob: str | os.PathLike[str]) -> list[Path]:
    """The files named by `path_or_glob`, sorted.

    A path to an existing file gives that file, even if its name holds glob characters. A directory
    gives the files directly inside it, except hidden ones and markers such as ``_SUCCESS`` (how
    Spark and friends write multi-file datasets). Anything else is a glob (``*``, ``?``, ``[..]``,
    and ``**`` spanning directories). Raises FileNotFoundError naming the pattern when nothing
    matches.
    """
    text = os.path.expanduser(os.fspath(path_or_glob))
    path = Path(text)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = [child for child in path.iterdir() if child.is_file() and not child.name.startswith((".", "_"))]
        if not files:
            raise FileNotFoundError(f"No files in directory {text!r}.")
        return sorted(files)
    if glob.has_magic(text):
        matches = [Path(m) for m in glob.glob(text, recursive=True) if os.path.isfile(m)]
        if matches:
            return sorted(matches)
        raise FileNotFoundError(f"No files match the pattern {text!r}.")
    raise FileNotFoundError(f"No such file: {text!r}.")
