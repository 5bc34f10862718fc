"""Descriptions of file sources for ``Table.load``: ``tt.CsvLoad`` and ``tt.ParquetLoad``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CsvLoad:
    """CSV file(s) to load: a path or a glob, with how to parse them."""

    path: Path | str
    columns: Mapping[str, str] | Sequence[str] = field(default_factory=dict)
    separator: str | None = ","
    encoding: str = "utf-8"
    process_quotes: bool | None = True
    array_separator: str | None = None
    date_patterns: Mapping[str, str] = field(default_factory=dict)
    true_values: Sequence[str] = ()
    false_values: Sequence[str] = ()
    client_side_encryption: object | None = None
    parser_thread_count: int | None = None
    buffer_size_kb: int | None = None


@dataclass(frozen=True)
class ParquetLoad:
    """Parquet file(s) to load: a path or a glob."""

    path: Path | str
    columns: Mapping[str, str] = field(default_factory=dict)
    client_side_encryption: object | None = None
