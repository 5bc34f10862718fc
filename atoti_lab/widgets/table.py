"""ResultTable: a result table as an anywidget, with a static HTML snapshot.

The data travels as Arrow IPC stream bytes in the ``data`` trait, so a saved notebook (with
widget state) replays the table without a kernel; ``_repr_mimebundle_`` also adds a
``text/html`` snapshot for viewers that cannot run widgets (GitHub, nbviewer).

>>> import pandas as pd
>>> from atoti_lab.widgets.table import ResultTable
>>> df = pd.DataFrame({"City": ["Paris", "London"], "Amount": [1234.5, 99.0]}).set_index("City")
>>> widget = ResultTable.from_pandas(df, title="Sales", formats={"Amount": "DOUBLE[#,##0.0]"})
>>> widget.num_rows
2
>>> "1,234.5" in widget.snapshot_html()
True

Display formats follow atoti's formatter strings (``DOUBLE[#,##0.00]``, ``INT[#,###]``,
``DOUBLE[0.0%]``, ``DATE[yyyy-MM-dd]``). Numbers go through the kernel's formatter
(``atoti_lab/_engine/result/formatter.py``), the one Python formatter; the live view's
``js/src/format.ts`` gives the same text, checked on the shared cases of
``js/test/fixtures/format_cases.json``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import html
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anywidget
import pyarrow as pa
import traitlets

from .._engine.result.formatter import format_value, validate_pattern
from ._static import StaticSnapshot, static_asset

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ResultTable", "arrow_to_ipc", "frame_to_arrow", "ipc_to_arrow"]

INDEX_COLUMNS_KEY = b"atoti_lab.index_columns"
"""Schema metadata: JSON list of the columns that are the result's index (levels)."""
FORMAT_KEY = b"atoti_lab.format"
"""Field metadata: the display format of a column."""

DEFAULT_MAX_ROWS = 1000
SNAPSHOT_MAX_ROWS = 100


# ---------------------------------------------------------------------------------------------
# Arrow encoding


def frame_to_arrow(df: pd.DataFrame) -> pa.Table:
    """A pandas frame as an Arrow table, its index reset into leading columns.

    A default (unnamed ``RangeIndex``) index is dropped; other index levels become columns
    listed in the schema metadata (``atoti_lab.index_columns``) and are shown as row headers.
    """
    import pandas as pd

    index = df.index
    default_index = isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0 and index.step == 1
    frame = df.copy(deep=False)
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(str(part) for part in col) for col in frame.columns]
    frame.columns = [str(col) for col in frame.columns]
    index_columns: list[str] = []
    if not default_index:
        before = list(frame.columns)
        frame = frame.reset_index()
        index_columns = [str(col) for col in frame.columns[: len(frame.columns) - len(before)]]
        frame.columns = [str(col) for col in frame.columns]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if index_columns:
        metadata = dict(table.schema.metadata or {})
        metadata[INDEX_COLUMNS_KEY] = json.dumps(index_columns).encode()
        table = table.replace_schema_metadata(metadata)
    return table


def arrow_to_ipc(table: pa.Table) -> bytes:
    """Arrow IPC *stream* bytes of ``table``."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def ipc_to_arrow(data: bytes | memoryview | None) -> pa.Table:
    """Decode Arrow IPC stream (or file) bytes; empty input gives an empty table."""
    if not data:
        return pa.table({})
    buffer = pa.py_buffer(data)
    try:
        return pa.ipc.open_stream(buffer).read_all()
    except pa.ArrowInvalid:
        return pa.ipc.open_file(buffer).read_all()


# ---------------------------------------------------------------------------------------------
# The widget


class ResultTable(StaticSnapshot, anywidget.AnyWidget):
    """A table of query results, rendered from Arrow IPC bytes by ``static/table.js``.

    Traits (synced with the browser):
        data: Arrow IPC stream bytes of the table.
        title: shown above the table.
        formats: column name -> display format (``"DOUBLE[#,##0.00]"``); optional.
        max_rows: at most this many rows are rendered (``0``: all).
    """

    _esm = static_asset("table.js")
    _css = static_asset("table.css")

    data = traitlets.Bytes(b"").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    formats = traitlets.Dict(value_trait=traitlets.Unicode(), key_trait=traitlets.Unicode()).tag(sync=True)
    max_rows = traitlets.Int(DEFAULT_MAX_ROWS).tag(sync=True)

    @classmethod
    def from_arrow(
        cls,
        table: pa.Table | pa.RecordBatch,
        title: str = "",
        formats: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> ResultTable:
        """A widget showing an Arrow table (or record batch)."""
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        return cls(data=arrow_to_ipc(table), title=title, formats=dict(formats or {}), **kwargs)

    @classmethod
    def from_pandas(
        cls,
        df: pd.DataFrame,
        title: str = "",
        formats: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> ResultTable:
        """A widget showing a pandas frame; its index is reset into columns (see :func:`frame_to_arrow`)."""
        return cls.from_arrow(frame_to_arrow(df), title=title, formats=formats, **kwargs)

    def to_arrow(self) -> pa.Table:
        """The table held in ``data``."""
        data = self.data
        cached = getattr(self, "_decoded", None)
        if cached is not None and cached[0] is data:
            return cached[1]
        table = ipc_to_arrow(data)
        self._decoded = (data, table)
        return table

    @property
    def num_rows(self) -> int:
        return self.to_arrow().num_rows

    def snapshot_html(self, max_rows: int = SNAPSHOT_MAX_ROWS) -> str:
        """A static HTML rendering of the table (escaped), as shown where widgets cannot run."""
        return render_html(self.to_arrow(), title=self.title, formats=self.formats, max_rows=max_rows)

    def __repr__(self) -> str:
        table = self.to_arrow()
        title = f"{self.title!r}, " if self.title else ""
        return f"ResultTable({title}{table.num_rows} rows x {table.num_columns} columns)"


# ---------------------------------------------------------------------------------------------
# Static HTML snapshot (mirrors js/src/widgets/table.ts)

_NUMERIC_KINDS = {"int", "float", "decimal", "duration"}


def render_html(
    table: pa.Table,
    *,
    title: str = "",
    formats: Mapping[str, str] | None = None,
    max_rows: int = SNAPSHOT_MAX_ROWS,
) -> str:
    """An HTML ``<table>`` of ``table`` with the same formatting as the widget."""
    esc = html.escape
    parts = ['<div class="atoti-lab atl-snapshot">']
    if title:
        parts.append(f"<p><strong>{esc(title)}</strong></p>")
    if table.num_columns == 0:
        parts.append("<p><em>No data</em></p></div>")
        return "".join(parts)
    index_columns = set(_index_columns(table.schema))
    shown = table.num_rows if max_rows <= 0 else min(table.num_rows, max_rows)
    head = table.slice(0, shown)
    columns = []
    for i, field in enumerate(table.schema):
        is_index = field.name in index_columns
        kind = _kind(field.type)
        fmt = (formats or {}).get(field.name)
        if fmt is None and field.metadata and FORMAT_KEY in field.metadata:
            fmt = field.metadata[FORMAT_KEY].decode()
        formatter = make_formatter(field.type, fmt, raw=is_index)
        columns.append((is_index, kind in _NUMERIC_KINDS, [formatter(v) for v in _pylist(head.column(i))]))

    parts.append('<table border="1" class="dataframe atl-table">')
    parts.append('<thead><tr style="text-align: right;">')
    parts.extend(f"<th>{esc(field.name)}</th>" for field in table.schema)
    parts.append("</tr></thead><tbody>")
    for row in range(shown):
        parts.append("<tr>")
        for is_index, numeric, texts in columns:
            text = esc(texts[row])
            if is_index:
                parts.append(f"<th>{text}</th>")
            elif numeric:
                parts.append(f'<td style="text-align: right;">{text}</td>')
            else:
                parts.append(f"<td>{text}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    n, m = table.num_rows, table.num_columns
    rows = f"Showing {shown:,} of {n:,} rows" if shown < n else f"{n:,} {'row' if n == 1 else 'rows'}"
    parts.append(f"<p>{rows} \u00d7 {m:,} columns</p></div>")
    return "".join(parts)


def _index_columns(schema: pa.Schema) -> list[str]:
    raw = (schema.metadata or {}).get(INDEX_COLUMNS_KEY)
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        return []
    return [str(name) for name in names] if isinstance(names, list) else []


def _pylist(column: pa.ChunkedArray) -> list[Any]:
    try:
        return column.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):  # e.g. dates out of Python's range
        return [None if v is None else str(v) for v in column.cast(pa.string(), safe=False).to_pylist()]


def _kind(t: pa.DataType) -> str:
    while pa.types.is_dictionary(t):
        t = t.value_type
    checks = (
        ("int", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("decimal", pa.types.is_decimal),
        ("bool", pa.types.is_boolean),
        ("string", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or _is_string_view(t)),
        ("date", pa.types.is_date),
        ("timestamp", pa.types.is_timestamp),
        ("time", pa.types.is_time),
        ("duration", pa.types.is_duration),
        ("list", lambda t: pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)),
    )
    for kind, check in checks:
        if check(t):
            return kind
    return "other"


def _is_string_view(t: pa.DataType) -> bool:
    check = getattr(pa.types, "is_string_view", None)
    return bool(check and check(t))


# ---------------------------------------------------------------------------------------------
# Formatting (numbers by the kernel's formatter; dates and defaults as js/src/format.ts)

Formatter = Callable[[Any], str]

_DATE_WRAPPERS = {"DATE", "LOCALDATE", "LOCALDATETIME", "ZONEDDATETIME", "TIME", "LOCALTIME"}
_NUMBER_WRAPPERS = {"DOUBLE", "FLOAT", "INT", "LONG", "DECIMAL", "NUMBER", "SHORT"}
_WRAPPED = re.compile(r"^([A-Za-z_]+)\[(.*)\]$", re.DOTALL)
_DATE_FIELDS = ("yyyy", "yy", "MMMM", "MMM", "MM", "M", "dd", "d", "HH", "H", "hh", "h", "mm", "ss", "SSS", "a")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CTX = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_UP)
_DEFAULT_INT = "INT[#,##0]"
_DEFAULT_FLOAT = "DOUBLE[#,##0.00]"


def parse_format(spec: str | None, kind: str | None = None) -> tuple[str, Any] | None:
    """``("number", pattern)`` with the kernel formatter's ``DOUBLE[...]`` pattern, or
    ``("date", tokens)``; ``None`` if empty or unsupported (the value's default display then)."""
    if not spec:
        return None
    body = spec.strip()
    wrapper = None
    match = _WRAPPED.match(body)
    if match:
        wrapper, body = match.group(1).upper(), match.group(2)
    as_date = wrapper in _DATE_WRAPPERS if wrapper is not None else kind in {"date", "timestamp", "time"}
    if as_date:
        tokens = parse_date_pattern(body)
        return ("date", tokens) if tokens is not None else None
    if wrapper is not None and wrapper not in _NUMBER_WRAPPERS:
        return None
    pattern = f"DOUBLE[{body}]"
    try:
        validate_pattern(pattern)
    except ValueError:
        return None
    return ("number", pattern)


def parse_date_pattern(text: str) -> list[tuple[str, str]] | None:
    """Tokens ``("literal", s)`` / ``("field", f)``; ``None`` for an unsupported letter."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "'":
            end = text.find("'", i + 1)
            literal = "'" if end == i + 1 else text[i + 1 : len(text) if end == -1 else end]
            tokens.append(("literal", literal))
            i = len(text) if end == -1 else end + 1
            continue
        if c.isascii() and c.isalpha():
            j = i
            while j < len(text) and text[j] == c:
                j += 1
            run = text[i:j]
            field = run if run in _DATE_FIELDS else ("yyyy" if c == "y" and len(run) > 4 else None)
            if field is None:
                return None
            tokens.append(("field", field))
            i = j
            continue
        tokens.append(("literal", c))
        i += 1
    return tokens


def _non_finite(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    return "\u221e" if x > 0 else "-\u221e"


def format_number(value: Any, pattern: str) -> str:
    """``value`` under a number ``pattern`` (``DOUBLE[...]``), by the kernel's formatter (atoti's
    rules: the exact value rounded half to even); NaN and infinities as the front end shows them."""
    if isinstance(value, float) and not math.isfinite(value):
        return _non_finite(value)
    return format_value(value, pattern)


def format_float_default(x: float) -> str:
    """``#,##0.00``, but 3 significant digits for ``0 < |x| < 0.01``."""
    if not math.isfinite(x):
        return _non_finite(x)
    if x != 0 and abs(x) < 0.01:
        d = abs(decimal.Decimal(repr(x)))
        q = d.quantize(decimal.Decimal(1).scaleb(d.adjusted() - 2), context=_CTX)
        text = format(q, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return f"-{text}" if x < 0 else text
    return format_number(x, _DEFAULT_FLOAT)


def js_number_string(x: float) -> str:
    """``String(x)`` of JavaScript (used for raw index values)."""
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if x == 0:
        return "0"
    _sign, digit_tuple, exp = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), len(digits) + exp
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = f"0.{'0' * -n}{digits}"
    else:
        e = n - 1
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        text = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return ("-" if x < 0 else "") + text


def _date_parts(value: Any) -> tuple[int, int, int, int, int, int, int]:
    if isinstance(value, _dt.datetime):
        return (value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond // 1000)
    if isinstance(value, _dt.date):
        return (value.year, value.month, value.day, 0, 0, 0, 0)
    if isinstance(value, _dt.time):
        return (1970, 1, 1, value.hour, value.minute, value.second, value.microsecond // 1000)
    msg = f"not a date: {value!r}"
    raise TypeError(msg)


def format_date_parts(parts: tuple[int, ...], tokens: list[tuple[str, str]]) -> str:
    year, month, day, hour, minute, second, ms = parts
    out = []
    for kind, token in tokens:
        if kind == "literal":
            out.append(token)
            continue
        h12 = (hour + 11) % 12 + 1
        out.append(
            {
                "yyyy": f"-{-year:04d}" if year < 0 else f"{year:04d}",
                "yy": f"{year % 100:02d}",
                "MMMM": _MONTHS[month - 1],
                "MMM": _MONTHS[month - 1][:3],
                "MM": f"{month:02d}",
                "M": str(month),
                "dd": f"{day:02d}",
                "d": str(day),
                "HH": f"{hour:02d}",
                "H": str(hour),
                "hh": f"{h12:02d}",
                "h": str(h12),
                "mm": f"{minute:02d}",
                "ss": f"{second:02d}",
                "SSS": f"{ms:03d}",
                "a": "AM" if hour < 12 else "PM",
            }[token]
        )
    return "".join(out)


_DATE_TOKENS = parse_date_pattern("yyyy-MM-dd")
_DATETIME_TOKENS = parse_date_pattern("yyyy-MM-dd HH:mm:ss")
_DATETIME_MS_TOKENS = parse_date_pattern("yyyy-MM-dd HH:mm:ss.SSS")
_CLOCK_TOKENS = parse_date_pattern("HH:mm:ss")
_CLOCK_MS_TOKENS = parse_date_pattern("HH:mm:ss.SSS")


def _duration_ms(value: Any) -> tuple[bool, int]:
    """(negative, |milliseconds| truncated) of a timedelta / pandas Timedelta."""
    nanos = getattr(value, "value", None)  # pandas.Timedelta: integer nanoseconds
    if not isinstance(nanos, int):
        nanos = (value // _dt.timedelta(microseconds=1)) * 1000
    return nanos < 0, abs(nanos) // 1_000_000


def format_duration(value: Any) -> str:
    """``[-][Nd ]HH:mm:ss[.SSS]``."""
    negative, ms = _duration_ms(value)
    days, rest = divmod(ms, 86_400_000)
    parts = (0, 1, 1, rest // 3_600_000, rest % 3_600_000 // 60_000, rest % 60_000 // 1000, rest % 1000)
    clock = format_date_parts(parts, _CLOCK_MS_TOKENS if parts[6] else _CLOCK_TOKENS)
    return f"{'-' if negative else ''}{f'{days}d ' if days else ''}{clock}"


def make_formatter(arrow_type: pa.DataType, fmt: str | None = None, *, raw: bool = False) -> Formatter:
    """A formatter for the Python values (``to_pylist``) of a column of ``arrow_type``."""
    inner = _value_formatter(arrow_type, fmt, raw)

    def formatter(value: Any) -> str:
        if value is None:
            return ""
        try:
            return inner(value)
        except Exception:  # noqa: BLE001  (a display must never fail)
            return str(value)

    return formatter


def _value_formatter(arrow_type: pa.DataType, fmt: str | None, raw: bool) -> Formatter:
    t = arrow_type
    while pa.types.is_dictionary(t):
        t = t.value_type
    kind = _kind(t)
    parsed = parse_format(fmt, kind)
    if kind in {"int", "float", "decimal"}:
        if parsed and parsed[0] == "number":
            pattern = parsed[1]
            return lambda v: format_number(v, pattern)
        if raw:
            if kind == "float":
                return lambda v: js_number_string(float(v))
            return lambda v: format(v, "f") if isinstance(v, decimal.Decimal) else str(v)
        if kind == "int":
            return lambda v: format_number(int(v), _DEFAULT_INT)
        if kind == "decimal":
            scale = max(t.scale, 0)
            exact = f"DOUBLE[#,##0{'.' + '0' * scale if scale else ''}]"
            return lambda v: format_number(v, exact)
        return lambda v: format_float_default(float(v))
    if kind in {"date", "timestamp"}:
        if parsed and parsed[0] == "date":
            tokens = parsed[1]
            return lambda v: format_date_parts(_date_parts(v), tokens)
        if kind == "date":
            return lambda v: format_date_parts(_date_parts(v), _DATE_TOKENS)

        def timestamp(v: Any) -> str:
            parts = _date_parts(v)
            return format_date_parts(parts, _DATETIME_MS_TOKENS if parts[6] else _DATETIME_TOKENS)

        return timestamp
    if kind == "time":
        tokens = parsed[1] if parsed and parsed[0] == "date" else None

        def time(v: Any) -> str:
            parts = _date_parts(v)
            if tokens is not None:
                return format_date_parts(parts, tokens)
            return format_date_parts(parts, _CLOCK_MS_TOKENS if parts[6] else _CLOCK_TOKENS)

        return time
    if kind == "duration":
        return format_duration
    if kind == "bool":
        return lambda v: "true" if v else "false"
    if kind == "string":
        return str
    if kind == "list":
        element = make_formatter(t.value_type, fmt, raw=raw)

        def items(v: Any) -> str:
            shown = [element(x) for x in list(v)[:10]]
            if len(v) > 10:
                shown.append("\u2026")
            return f"[{', '.join(shown)}]"

        return items
    return str
