"""Arrow IPC on the wire: tables go to and from the server as Arrow IPC streams.

Shared by the server (``app``) and the client (``atoti_lab._client``); imports nothing but pyarrow
and pandas.

>>> import pyarrow as pa
>>> data = pa.table({"Id": ["a", "b"], "Qty": [1, 2]})
>>> from_ipc(to_ipc(data)).equals(data)
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "ARROW_STREAM",
    "WireError",
    "from_ipc",
    "ipc_chunks",
    "raw_frame",
    "schema_metadata",
    "to_ipc",
]

ARROW_STREAM = "application/vnd.apache.arrow.stream"
"""The media type of an Arrow IPC stream."""

# Record batches sent by ipc_chunks: large enough to amortize per-batch costs, small enough that
# a load of millions of rows streams instead of being built in memory twice.
_CHUNK_ROWS = 64 * 1024


class WireError(ValueError):
    """Bytes that are not a readable Arrow IPC stream."""


def to_ipc(table: pa.Table, metadata: Mapping[str, str] | None = None) -> bytes:
    """`table` as one Arrow IPC stream (with `metadata` added to its schema)."""
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=_CHUNK_ROWS)
    return sink.getvalue().to_pybytes()


def ipc_chunks(table: pa.Table) -> Iterator[bytes]:
    """`table` as an Arrow IPC stream, one piece per record batch (for chunked uploads).

    The pieces concatenate to the same stream :func:`to_ipc` writes: the schema message, the
    record batch messages, the end-of-stream marker. Nothing holds more than one batch's bytes.
    """
    if any(pa.types.is_dictionary(f.type) for f in table.schema):
        # Dictionary batches would have to precede the record batches: send plain values.
        table = pa.table({f.name: _plain(table.column(f.name)) for f in table.schema},
                         metadata=table.schema.metadata)
    yield table.schema.serialize().to_pybytes()
    for batch in table.to_batches(max_chunksize=_CHUNK_ROWS):
        yield batch.serialize().to_pybytes()
    yield _END_OF_STREAM


_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def from_ipc(data: bytes | memoryview, *, what: str = "The request body") -> pa.Table:
    """The table in an Arrow IPC stream; a :class:`WireError` naming `what` when it is not one."""
    if not data:
        raise WireError(f"{what} is empty: expected an Arrow IPC stream.")
    try:
        with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
            return reader.read_all()
    except (pa.ArrowInvalid, pa.ArrowException, OSError, ValueError) as error:
        raise WireError(f"{what} is not a valid Arrow IPC stream ({error}).") from None


def schema_metadata(table: pa.Table) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}


def raw_frame(table: pa.Table) -> pd.DataFrame:
    """A query result sent as Arrow back into the frame ``cube.query(mode="raw")`` gives.

    Integer measures stay int64 when every cell has a value and become pandas' nullable Int64
    otherwise; level columns hold Python objects (None on total rows).
    """
    columns: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_integer(column.type):
            if column.null_count:
                values = column.to_numpy(zero_copy_only=False)
                mask = pd.isna(values)
                filled = np.where(mask, 0, values).astype(np.int64)
                columns[name] = pd.arrays.IntegerArray(filled, mask)
            else:
                columns[name] = column.to_numpy().astype(np.int64, copy=False)
        elif pa.types.is_floating(column.type):
            columns[name] = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        else:
            values = np.empty(len(column), dtype=object)
            values[:] = column.to_pylist()
            columns[name] = values
    return pd.DataFrame(columns, columns=table.column_names)
