"""Parquet files -> one Arrow table with canonical column types.

String columns are read straight into dictionary arrays (``read_dictionary``): decoding millions
of strings is the slow part of reading Parquet, and the store wants codes anyway.

>>> table = read_parquet([Path("sales.parquet")], columns={"city": "City"})  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .. import types as T
from ..memory import pool
from .arrow import cast_column

_PANDAS_INDEX = re.compile(r"__index_level_\d+__")  # an unnamed pandas index saved as a column


def read_parquet(
    paths: Sequence[Path],
    *,
    columns: Mapping[str, str] = {},  # read only, never mutated
    data_types: Mapping[str, str] | None = None,
) -> pa.Table:
    """Read and concatenate Parquet files whose (selected) columns agree in name and type.

    `columns` maps file column names to table column names and keeps only those; `data_types`
    (table column name -> atoti type) overrides inferred types, and may name columns the files
    lack (ignored), so a table's whole schema can be passed.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("No Parquet file to read.")
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"No such Parquet file: {str(path)!r}.")
    schemas = [pq.read_schema(path) for path in paths]
    first = schemas[0]
    available = [name for name in first.names if not _PANDAS_INDEX.fullmatch(name)]
    selected = list(columns) if columns else available
    missing = [name for name in selected if name not in first.names]
    if missing:
        raise ValueError(f"Columns {missing} are not in {str(paths[0])!r}; its columns are {available}.")
    wanted = {name: _data_type(first.field(name).type, name, paths[0]) for name in selected}
    for path, schema in zip(paths[1:], schemas[1:]):
        _check_agrees(path, schema, paths[0], wanted, check_extra=not columns)

    renamed = [columns.get(name, name) for name in selected]
    given = {
        name: T.normalize(t, where=f"column {name!r}") for name, t in (data_types or {}).items() if name in renamed
    }
    tables = []
    for path in paths:
        strings = [n for n in selected if _is_string(first.field(n).type)]
        parquet = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=strings))
        table = ds.dataset(path, format=parquet).to_table(columns=selected, memory_pool=pool())
        tables.append(
            pa.table(
                {
                    new: cast_column(table.column(old), given.get(new, wanted[old]), column=new, source=str(path))
                    for old, new in zip(selected, renamed)
                }
            )
        )
    return pa.concat_tables(tables).unify_dictionaries(memory_pool=pool())


def _is_string(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _data_type(arrow_type: pa.DataType, name: str, path: Path) -> str:
    data_type = T.from_arrow(arrow_type)
    if data_type is None:
        raise ValueError(
            f"Column {name!r} of {str(path)!r} has the Parquet/Arrow type {arrow_type}, which has no atoti data type."
        )
    return data_type


def _check_agrees(
    path: Path, schema: pa.Schema, reference: Path, wanted: Mapping[str, str], *, check_extra: bool
) -> None:
    """Same columns (the selected ones) with the same atoti types as the first file."""
    for name, data_type in wanted.items():
        if name not in schema.names:
            raise ValueError(f"{str(path)!r} has no column {name!r}, which {str(reference)!r} has.")
        other = T.from_arrow(schema.field(name).type)
        if other != data_type:
            raise ValueError(
                f"Column {name!r} is {schema.field(name).type} ({other}) in {str(path)!r} but "
                f"{data_type} in {str(reference)!r}."
            )
    if check_extra:
        extra = [n for n in schema.names if n not in wanted and not _PANDAS_INDEX.fullmatch(n)]
        if extra:
            raise ValueError(f"{str(path)!r} has columns {extra} that {str(reference)!r} does not have.")
