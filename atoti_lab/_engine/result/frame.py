"""`QueryResult`: the DataFrame ``cube.query`` returns in "pretty" mode.

Its data are the raw values (floats, ints, None), so arithmetic and exports see numbers; its
printed forms (``repr``, ``str``, ``to_string()``, ``_repr_html_``, ``_repr_latex_``) show each
measure's formatted values, as atoti prints them, for as long as the data are the ones the query
returned. A fingerprint of the data (index, columns, values) is taken at creation and checked at
each print: once the frame is modified in place it prints like a plain DataFrame. Frames derived
from it (slices, arithmetic, ``reset_index()``, ``copy()``) are plain ``pd.DataFrame`` objects.

>>> result = QueryResult.from_frame(
...     pd.DataFrame({"Price.SUM": [3510.0, None]}, index=pd.Index(["a", "b"], name="Id")),
...     {"Price.SUM": "DOUBLE[#,###.00]"},
... )
>>> "3,510.00" in repr(result)
True
>>> result["Price.SUM"].sum()
np.float64(3510.0)
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .formatter import format_values, validate_pattern

__all__ = ["QueryResult", "format_frame"]

# Keyword arguments of to_string that are about the raw values: with them, print the raw values.
_RAW_TO_STRING_ARGS = ("formatters", "float_format", "decimal")


def format_frame(frame: pd.DataFrame, formatters: Mapping[Any, str | None], *, rows: int | None = None) -> pd.DataFrame:
    """A frame of the same shape, index and columns holding each cell's formatted text.

    Columns without a formatter print their values as is. With `rows`, only the first and last
    `rows` rows are formatted (the others hold ""): enough for a truncated display.
    """
    n = len(frame)
    partial = rows is not None and n > 2 * rows
    texts: dict[int, list[str]] = {}
    for j, name in enumerate(frame.columns):
        column = frame.iloc[:, j]
        pattern = formatters.get(name)
        if partial:
            assert rows is not None
            texts[j] = [
                *format_values(column.iloc[:rows], pattern),
                *([""] * (n - 2 * rows)),
                *format_values(column.iloc[n - rows :], pattern),
            ]
        else:
            texts[j] = format_values(column, pattern)
    # object dtype: the same print on pandas 2 and 3 (whose default string dtype differs).
    result = pd.DataFrame(texts, index=frame.index, dtype=object)
    result.columns = frame.columns
    return result


def _fingerprint(frame: pd.DataFrame) -> bytes:
    """A digest of everything a print shows: index, columns, dtypes and values.

    Numeric columns are hashed from their bytes (~1 ms per million cells); object and extension
    columns (vectors, None, strings) from their pickle, which holds every element's content.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(pickle.dumps((frame.index, frame.columns), protocol=5))
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        dtype = column.dtype
        digest.update(str(dtype).encode())
        if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
            digest.update(np.ascontiguousarray(column.to_numpy()).view(np.uint8).tobytes())
        else:
            digest.update(pickle.dumps(column.array, protocol=5))
    return digest.digest()


class QueryResult(pd.DataFrame):
    """A query result in atoti's "pretty" mode: raw values, formatted prints.

    Build it with `from_frame`. ``attrs`` is left to users; the formatters live in pandas'
    ``_metadata`` (so pickling keeps them), the query context and the formatted text do not.
    """

    # Pickled with the frame (pandas' __getstate__ saves the attributes _metadata names).
    _metadata = ["_formatters", "_fingerprint"]  # noqa: RUF012 (pandas' own convention)

    # Class-level defaults: a QueryResult built by pandas or by hand prints as a plain frame.
    _formatters: dict[Any, str | None] | None = None
    _fingerprint: bytes | None = None
    # The query's context, for later code (e.g. turning the result into a widget). Not pickled:
    # it belongs to the live session that ran the query.
    _query_context: Mapping[str, Any] | None = None
    _formatted_cache: pd.DataFrame | None = None

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        # Anything derived (slices, arithmetic, reset_index, copy) is a plain DataFrame.
        return pd.DataFrame

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        formatters: Mapping[Any, str | None],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> QueryResult:
        """Wrap `df` (levels as index, one column per measure) with each measure's formatter.

        The data are copied, so later changes to `df` do not reach the result (a copy of ~100k
        cells costs well under a millisecond; sharing would make the fingerprint lie).
        """
        for pattern in formatters.values():
            if pattern is not None:
                validate_pattern(pattern)
        result = cls(df, copy=True)
        object.__setattr__(result, "_formatters", dict(formatters))
        object.__setattr__(result, "_query_context", context)
        object.__setattr__(result, "_fingerprint", _fingerprint(result))
        return result

    # --- the formatted view ------------------------------------------------------------------

    def widget(self) -> Any:
        """This query as a live pivot widget (it re-renders when the data changes)."""
        make = (self._query_context or {}).get("widget")
        if make is None:
            raise ValueError("Only the results of cube.query() (not copies or pickles of them) can open a widget.")
        return make()

    def _pretty_frame(self, rows: int | None = None) -> pd.DataFrame | None:
        """The formatted text to print, or None if the frame was modified since the query."""
        if self._formatters is None or self._fingerprint is None:
            return None
        if _fingerprint(self) != self._fingerprint:
            return None
        if rows is not None and len(self) > 2 * rows:
            return format_frame(self, self._formatters, rows=rows)
        if self._formatted_cache is None:
            object.__setattr__(self, "_formatted_cache", format_frame(self, self._formatters))
        return self._formatted_cache

    def _plain(self) -> pd.DataFrame:
        return pd.DataFrame(self)

    def _display_rows(self, max_rows: int | None, min_rows: int | None) -> int | None:
        """Rows to format at each end when a print shows at most `max_rows` rows (None: all)."""
        if not max_rows or len(self) <= max_rows:
            return None
        return max(max_rows, min_rows or 0)

    def _repr_pretty_frame(self) -> pd.DataFrame | None:
        info_repr = getattr(self, "_info_repr", None)
        if info_repr is not None and info_repr():
            return None  # pandas prints a summary (dtypes, memory): those of the raw data
        rows = self._display_rows(pd.get_option("display.max_rows"), pd.get_option("display.min_rows"))
        return self._pretty_frame(rows)

    def __repr__(self) -> str:
        pretty = self._repr_pretty_frame()
        return repr(self._plain() if pretty is None else pretty)

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_html_(self) -> str | None:
        pretty = self._repr_pretty_frame()
        return (self._plain() if pretty is None else pretty)._repr_html_()

    def _repr_latex_(self) -> str | None:
        pretty = self._repr_pretty_frame()
        return (self._plain() if pretty is None else pretty)._repr_latex_()

    def to_string(self, buf: Any = None, **kwargs: Any) -> str | None:  # type: ignore[override]
        """As ``DataFrame.to_string``, with the formatted values while the frame is unmodified.

        Arguments about raw values (``formatters``, ``float_format``, ``decimal``) print the raw
        values instead.
        """
        pretty = None
        if not any(kwargs.get(name) not in (None, ".") for name in _RAW_TO_STRING_ARGS):
            rows = self._display_rows(kwargs.get("max_rows"), kwargs.get("min_rows"))
            pretty = self._pretty_frame(rows)
        return (self._plain() if pretty is None else pretty).to_string(buf, **kwargs)
