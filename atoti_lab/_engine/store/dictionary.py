"""Dictionary: the append-only mapping between a column's values and their integer codes.

Values are held as *physical keys*, cheap hashable forms of the values: the string itself,
days since 1970 for dates, microseconds for date-times and times, the bool for booleans, and
None for a missing value. Codes never change once given, so code vectors stay valid as the
dictionary grows; the sort order of the values (the level's natural order) is computed on demand.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import types as T
from ..memory import pool
from .string_codes import MISSING, StringCodes

_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

# Codes fit in uint16 while the dictionary is small, which halves the bytes a scan reads.
SMALL_CODES = np.dtype(np.uint16)
LARGE_CODES = np.dtype(np.int32)
SMALL_LIMIT = 1 << 16


def code_dtype_for(size: int) -> np.dtype:
    return SMALL_CODES if size <= SMALL_LIMIT else LARGE_CODES


def to_physical(data_type: str, value: Any) -> Any:
    """A Python value -> its physical key (raises TypeError/ValueError on a wrong type)."""
    if value is None:
        return None
    if data_type == T.STRING:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        return value
    if data_type == T.BOOLEAN:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise TypeError(f"expected a boolean, got {value!r}")
    if data_type == T.LOCAL_DATE:
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return (value - _EPOCH_DATE).days
        raise TypeError(f"expected a date, got {value!r}")
    if data_type == T.LOCAL_DATE_TIME:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            return (value.replace(tzinfo=None) - _EPOCH) // dt.timedelta(microseconds=1)
        if isinstance(value, dt.date):
            return (dt.datetime.combine(value, dt.time()) - _EPOCH) // dt.timedelta(microseconds=1)
        raise TypeError(f"expected a datetime, got {value!r}")
    if data_type == T.ZONED_DATE_TIME:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.timezone.utc)
            return (value - _EPOCH_UTC) // dt.timedelta(microseconds=1)
        raise TypeError(f"expected a datetime, got {value!r}")
    if data_type == T.LOCAL_TIME:
        if isinstance(value, str):
            value = dt.time.fromisoformat(value)
        if isinstance(value, dt.time):
            return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        raise TypeError(f"expected a time, got {value!r}")
    # Numeric columns get a dictionary when used as a level or a join key.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"expected a number, got {value!r}")
    if data_type in (T.INT, T.LONG):
        if float(value) != int(value):
            raise ValueError(f"expected an integer, got {value!r}")
        return int(value)
    if data_type in (T.FLOAT, T.DOUBLE):
        return None if value != value else float(value)
    raise TypeError(f"{data_type} values are not dictionary-encoded")


def to_python(data_type: str, key: Any) -> Any:
    """A physical key -> the Python value shown to users."""
    if key is None:
        return None
    if data_type == T.LOCAL_DATE:
        return _EPOCH_DATE + dt.timedelta(days=int(key))
    if data_type == T.LOCAL_DATE_TIME:
        return _EPOCH + dt.timedelta(microseconds=int(key))
    if data_type == T.ZONED_DATE_TIME:
        return _EPOCH_UTC + dt.timedelta(microseconds=int(key))
    if data_type == T.LOCAL_TIME:
        us = int(key)
        return dt.time(us // 3_600_000_000, us // 60_000_000 % 60, us // 1_000_000 % 60, us % 1_000_000)
    return key


def _arrow_keys(data_type: str, values: pa.Array) -> list[Any]:
    """Physical keys of an Arrow array of distinct values (vectorised casts, then one tolist)."""
    if data_type == T.LOCAL_DATE:
        return values.cast(pa.int32()).to_pylist()
    if data_type in (T.LOCAL_DATE_TIME, T.ZONED_DATE_TIME):
        return values.cast(pa.timestamp("us", tz=values.type.tz)).cast(pa.int64()).to_pylist()
    if data_type == T.LOCAL_TIME:
        return values.cast(pa.time64("us")).cast(pa.int64()).to_pylist()
    return values.to_pylist()


class Dictionary:
    """Values <-> codes of one dictionary-encoded column (thread-safe for one writer)."""

    def __init__(self, data_type: str) -> None:
        self.data_type = data_type
        self._code_of: dict[Any, int] = {}
        self._keys: list[Any] = []
        self._lock = threading.Lock()
        self._order_cache: tuple[int, np.ndarray] | None = None
        self._python_cache: tuple[int, np.ndarray] | None = None
        # Vectorised lookups of batches (see encode_arrow), mirroring the first keys; guarded by _lock.
        self._strings: StringCodes | None = None
        self._ints: tuple[int, pd.Index, np.ndarray] | None = None  # (keys mirrored, index, codes)
        self._days: tuple | None = None  # dates: (size, first day, day -> code, days without one)

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, code: int) -> Any:
        return self._keys[code]

    def value(self, code: int) -> Any:
        return to_python(self.data_type, self._keys[code])

    # -- encoding -------------------------------------------------------------------------
    def codes_of_keys(self, keys: Iterable[Any]) -> np.ndarray:
        """Codes of physical keys, adding the unknown ones."""
        with self._lock:
            code_of, all_keys = self._code_of, self._keys
            out = []
            for k in keys:
                c = code_of.get(k)
                if c is None:
                    c = len(all_keys)
                    code_of[k] = c
                    all_keys.append(k)
                out.append(c)
        return np.asarray(out, dtype=np.int64)

    def code_of_value(self, value: Any) -> int:
        return int(self.codes_of_keys([to_physical(self.data_type, value)])[0])

    def code_of_key(self, key: Any) -> int:
        """Code of a physical key, or -1 when absent."""
        return self._code_of.get(key, -1)

    def lookup_value(self, value: Any) -> int:
        """Code of a Python value, or -1 when absent (nothing is added)."""
        try:
            key = to_physical(self.data_type, value)
        except (TypeError, ValueError):
            return -1
        return self._code_of.get(key, -1)

    def encode_arrow(self, array: pa.Array | pa.ChunkedArray, fill: Any) -> np.ndarray:
        """Codes of an Arrow array (uint16 or int32, as the dictionary's size requires); nulls
        become the code of `fill` (a Python value).

        Each distinct value is looked up once: chunks get one shared Arrow dictionary first, so a
        Parquet file's many chunks cost one lookup table, then one gather per chunk.
        """
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        n = sum(len(c) for c in chunks)
        if not chunks or n == 0:
            return np.empty(0, code_dtype_for(len(self)))
        if self.data_type == T.LOCAL_DATE and not any(c.null_count for c in chunks):
            dense = self._encode_days(chunks, n)
            if dense is not None:
                return dense
        if self.data_type == T.STRING and all(c.type in (pa.string(), pa.large_string()) for c in chunks):
            return self._encode_strings(chunks, n, fill)
        encoded = pa.chunked_array(
            [c if pa.types.is_dictionary(c.type) else pc.dictionary_encode(c, memory_pool=pool()) for c in chunks]
        ).unify_dictionaries(memory_pool=pool())
        lut = self.codes_of_keys(_arrow_keys(self.data_type, encoded.chunk(0).dictionary))
        if encoded.null_count:
            lut = np.append(lut, self.codes_of_keys([to_physical(self.data_type, fill)]))
        lut = lut.astype(code_dtype_for(len(self)))
        out = np.empty(n, lut.dtype)
        pos = 0
        for chunk in encoded.chunks:
            indices = chunk.indices
            if indices.null_count:
                indices = pc.fill_null(indices, len(lut) - 1)
            idx = indices.to_numpy(zero_copy_only=False)
            np.take(lut, idx, out=out[pos : pos + len(idx)])
            pos += len(idx)
        return out

    def _encode_days(self, chunks: list[pa.Array], n: int) -> np.ndarray | None:
        """Dates span few distinct days: mark the days present in a bitmap over their range instead
        of hashing each value (several times faster than dictionary_encode on millions of rows)."""
        days = [c.cast(pa.int32()).to_numpy(zero_copy_only=False) for c in chunks]
        lo = min(int(d.min()) for d in days if len(d))
        hi = max(int(d.max()) for d in days if len(d))
        if hi - lo > (1 << 20):
            return None
        known = self._known_days(lo, hi)
        if known is not None:  # the usual streaming case: every day already has a code
            base, lut = known
            out = np.empty(n, code_dtype_for(len(self)))
            pos = 0
            for d in days:
                np.take(lut, d - base, out=out[pos : pos + len(d)])
                pos += len(d)
            return out
        seen = np.zeros(hi - lo + 1, np.bool_)
        for d in days:
            seen[d - lo] = True
        present = np.flatnonzero(seen)
        codes = self.codes_of_int_keys(present.astype(np.int64) + lo)
        lut = np.zeros(hi - lo + 1, code_dtype_for(len(self)))
        lut[present] = codes
        out = np.empty(n, lut.dtype)
        pos = 0
        for d in days:
            np.take(lut, d - lo, out=out[pos : pos + len(d)])
            pos += len(d)
        return out

    def _known_days(self, lo: int, hi: int) -> tuple[int, np.ndarray] | None:
        """(first day, day -> code) covering lo..hi when every day of that range has a code."""
        with self._lock:
            size = len(self._keys)
            cached = self._days
            if cached is None or cached[0] != size:
                days = np.fromiter((k for k in self._keys if k is not None), np.int64)
                codes = np.flatnonzero(np.fromiter((k is not None for k in self._keys), np.bool_, size))
                if not len(days) or int(days.max()) - int(days.min()) > (1 << 20):
                    self._days = (size, 0, None, None)
                    return None
                base = int(days.min())
                lut = np.full(int(days.max()) - base + 1, -1, np.int64)
                lut[days - base] = codes
                complete = np.flatnonzero(lut < 0)  # days without a code (offsets from base), to check ranges
                cached = self._days = (size, base, lut.astype(code_dtype_for(size)) if not len(complete) else lut,
                                       complete)
        _, base, lut, holes = cached
        if lut is None or lo < base or hi >= base + len(lut):
            return None
        if len(holes) and np.searchsorted(holes, lo - base) != np.searchsorted(holes, hi - base, side="right"):
            return None  # a day of the range has no code yet
        return base, lut.astype(code_dtype_for(len(self)), copy=False)

    def _encode_strings(self, chunks: list[pa.Array], n: int, fill: Any) -> np.ndarray:
        """Codes of plain Arrow string chunks, probed from their buffers (StringCodes); only the
        values not seen before go through Python."""
        codes = np.empty(n, np.int64)
        with self._lock:
            table = self._strings
            if table is None or table.n > len(self._keys):
                table = self._strings = StringCodes()
            table.extend(self._keys[table.n :])
            pos = 0
            for chunk in chunks:
                codes[pos : pos + len(chunk)] = table.lookup(chunk)
                pos += len(chunk)
        array = chunks[0] if len(chunks) == 1 else pa.chunked_array(chunks)
        valid = None
        if any(c.null_count for c in chunks):
            valid = np.asarray(array.is_valid())
            codes[~valid] = 0  # not MISSING: nulls are filled below
        missing = np.flatnonzero(codes == MISSING)
        if len(missing):
            new = array.take(pa.array(missing))
            codes[missing] = self.codes_of_keys(new.to_pylist())
        if valid is not None:
            codes[~valid] = self.codes_of_keys([to_physical(self.data_type, fill)])[0]
        return codes.astype(code_dtype_for(len(self)))

    def codes_of_int_keys(self, keys: np.ndarray) -> np.ndarray:
        """Codes of integer physical keys (int64 array), adding the unknown ones. Known keys are
        found through a cached pandas index, rebuilt once the dictionary grew by a quarter."""
        with self._lock:
            cached = self._ints
            size = len(self._keys)
            if cached is None or cached[0] > size or size - cached[0] > max(1024, cached[0] // 4):
                known = np.fromiter((k is not None for k in self._keys), np.bool_, size)
                ints = np.fromiter((k for k in self._keys if k is not None), np.int64, int(known.sum()))
                cached = self._ints = (size, pd.Index(ints), np.flatnonzero(known))
        _, index, codes_of = cached
        at = index.get_indexer(keys)
        out = np.where(at >= 0, codes_of[np.maximum(at, 0)] if len(codes_of) else 0, MISSING)
        missing = np.flatnonzero(out == MISSING)
        if len(missing):
            out[missing] = self.codes_of_keys(keys[missing].tolist())
        return out.astype(np.int64, copy=False)

    def truncate(self, size: int) -> None:
        """Forget the codes given since the dictionary had `size` entries (rollback)."""
        with self._lock:
            self._strings = self._ints = self._days = None  # mirrors may hold forgotten codes
            for k in self._keys[size:]:
                del self._code_of[k]
            del self._keys[size:]

    # -- decoding and order ---------------------------------------------------------------
    def python_values(self) -> np.ndarray:
        """Object array: code -> Python value (cached while the dictionary does not grow)."""
        n = len(self._keys)
        cached = self._python_cache
        if cached is None or cached[0] != n:
            values = np.empty(n, dtype=object)
            values[:] = [to_python(self.data_type, k) for k in self._keys[:n]]
            cached = self._python_cache = (n, values)
        return cached[1]

    def sort_order(self) -> np.ndarray:
        """Codes sorted by value (None first): the natural order of the members."""
        n = len(self._keys)
        cached = self._order_cache
        if cached is None or cached[0] != n:
            keys = self._keys[:n]
            order = sorted(range(n), key=lambda c: (keys[c] is not None, keys[c] if keys[c] is not None else 0))
            cached = self._order_cache = (n, np.asarray(order, dtype=np.int64))
        return cached[1]

    def ranks(self) -> np.ndarray:
        """code -> position in the natural order."""
        order = self.sort_order()
        ranks = np.empty(len(order), dtype=np.int64)
        ranks[order] = np.arange(len(order))
        return ranks
