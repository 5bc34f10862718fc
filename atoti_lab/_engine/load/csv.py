"""CSV files -> one typed pyarrow Table, plus a LoadIssue per rejected row or value.

Column types are settled once: from ``data_types`` where given, else inferred from the first
1,000 rows as atoti does. Each file is then read on one of two paths:

* fast: ``pyarrow.csv`` with every column's Arrow type given up front. Any surprise (a row with the
  wrong number of fields, a value that does not parse, bytes invalid for the encoding) aborts it;
* careful: the stdlib ``csv`` reader, which knows each record's physical line, followed by
  vectorised conversions that turn unparsable values into nulls so they can be reported and their
  rows dropped.

Clean files, the usual case, never leave the fast path.

>>> table, issues = read_csv([Path("sales.csv")], CsvOptions())  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import csv as _csv
import datetime as dt
import gc
import io
import mmap
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import types as T
from .report import LoadIssue

SAMPLE_ROWS = 1000  # rows used to infer the types of columns without a given type
DEFAULT_ARRAY_SEPARATOR = ";"  # for columns typed as arrays when no array_separator is given

_SURROGATE = re.compile("[\udc80-\udcff]")  # undecodable bytes, kept by "surrogateescape"
_LINE_BREAK = re.compile("\r\n|\r|\n")  # what both readers take as the end of a line
_SEPARATOR_CANDIDATES = (",", ";", "\t", "|")


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV files; the meanings follow atoti's ``CsvLoad``."""

    separator: str | None = ","  # None: inferred from the first lines
    encoding: str = "utf-8"
    process_quotes: bool | None = True  # None: on when the first lines hold a double quote
    array_separator: str | None = None
    date_patterns: Mapping[str, str] = field(default_factory=dict)  # column -> Java pattern
    # A mapping keeps and renames header columns; a sequence names the columns of a headerless file.
    columns: Mapping[str, str] | Sequence[str] = field(default_factory=dict)
    true_values: Sequence[str] = ()  # on top of "true", case-insensitive
    false_values: Sequence[str] = ()  # on top of "false", case-insensitive
    null_values: Sequence[str] = ("",)


@dataclass(frozen=True)
class _Parse:
    """How text becomes values; shared by inference and both read paths."""

    patterns: Mapping[str, str]  # column -> strptime format
    java_patterns: Mapping[str, str]  # column -> the pattern as given, for messages
    array_separator: str
    infer_arrays: bool  # only when the user gave an array_separator
    true_values: frozenset[str]  # lower case
    false_values: frozenset[str]
    null_values: tuple[str, ...]


@dataclass(frozen=True)
class _Plan:
    """Everything decided once for all the files of a read."""

    separator: str
    quotes: bool
    codec: str  # Python codec used by the careful path
    arrow_encoding: str
    names: tuple[str, ...]  # output column names, in output order
    types: Mapping[str, str]  # output name -> atoti type
    parse: _Parse


@dataclass(frozen=True)
class _Layout:
    """Where the output columns sit in one file."""

    width: int  # fields per record
    header_line: int  # physical line ending the header; 0 without header
    picks: tuple[int, ...]  # file field index of each output column


class _Fallback(Exception):
    """This route cannot read the file exactly: take the next, slower one."""


def read_csv(
    paths: Sequence[Path],
    options: CsvOptions,
    data_types: Mapping[str, str] | None = None,
) -> tuple[pa.Table, list[LoadIssue]]:
    """Read and concatenate CSV files (a header in each, unless ``options.columns`` is a sequence).

    Returns the table, typed with ``types.ARROW_TYPES`` (String columns dictionary-encoded), and
    one LoadIssue per rejected row or value; the rows that load are kept. ``data_types`` may name
    columns absent from the files: they are ignored, so a table's full schema can be passed.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"No such CSV file: {str(path)!r}.")
    codec = _python_codec(options.encoding)
    separator = options.separator or _sniff_separator(paths[0], codec)
    if len(separator) != 1:
        raise ValueError(f"The CSV separator must be one character, got {separator!r}.")
    quotes = options.process_quotes
    if quotes is None:
        quotes = '"' in _head_text(paths[0], codec)
    dialect = _dialect(separator, quotes)

    headerless = not isinstance(options.columns, Mapping)
    peeks = []
    wanted = SAMPLE_ROWS
    for path in paths:  # headers of all files, sample rows only until there are enough
        peeks.append(_peek(path, codec, dialect, has_header=not headerless, max_rows=wanted))
        wanted -= len(peeks[-1][2])
    first_header = next((header for header, _, _ in peeks if header is not None), None)
    if headerless:
        names = tuple(options.columns)
        _check_unique(names, "columns")
    elif first_header is None:
        return pa.table({}), []  # only empty files: nothing to read, not even a header
    elif options.columns:
        mapping: Mapping[str, str] = options.columns  # type: ignore[assignment]
        missing = [c for c in mapping if c not in first_header]
        if missing:
            raise ValueError(
                f"Columns {missing} of the `columns` mapping are not in the header of "
                f"{str(paths[0])!r}: {first_header}."
            )
        names = tuple(mapping.values())
        _check_unique(names, "columns")
    else:
        names = tuple(first_header)
        _check_unique(names, f"the header of {str(paths[0])!r}")

    unknown = [c for c in options.date_patterns if c not in names]
    if unknown:
        raise ValueError(f"date_patterns names {unknown}, which are not columns: {list(names)}.")
    parse = _Parse(
        patterns={c: java_to_strptime(p) for c, p in options.date_patterns.items()},
        java_patterns=dict(options.date_patterns),
        array_separator=options.array_separator or DEFAULT_ARRAY_SEPARATOR,
        infer_arrays=options.array_separator is not None,
        true_values=frozenset(v.lower() for v in ("true", *options.true_values)),
        false_values=frozenset(v.lower() for v in ("false", *options.false_values)),
        null_values=tuple(options.null_values),
    )
    layouts = [
        None if header is None and not headerless else _layout(path, header, line, names, options)
        for path, (header, line, _) in zip(paths, peeks)
    ]
    sample = [
        [row[i] for i in layout.picks]
        for layout, (_, _, rows) in zip(layouts, peeks)
        if layout is not None
        for row in rows
        if len(row) == layout.width
    ]
    given = {name: T.normalize(t, where=f"column {name!r}") for name, t in (data_types or {}).items() if name in names}
    column_types = {
        name: given.get(name) or infer_type([row[i] for row in sample], name, parse) for i, name in enumerate(names)
    }
    plan = _Plan(
        separator=separator,
        quotes=quotes,
        codec=codec,
        arrow_encoding="utf8" if codec == "utf-8-sig" else options.encoding,
        names=names,
        types=column_types,
        parse=parse,
    )

    tables: list[pa.Table] = []
    issues: list[LoadIssue] = []
    for path, layout in zip(paths, layouts):
        if layout is None:
            continue  # an empty file: no header, no rows
        try:
            tables.append(_read_fast(path, layout, plan))
        except (_Fallback, pa.ArrowException, UnicodeError):
            table, file_issues = _read_careful(path, layout, plan)
            tables.append(table)
            issues.extend(file_issues)
    if not tables:
        tables.append(_empty(plan))
    return pa.concat_tables(tables).unify_dictionaries(), issues


# --- settings and file layout ---------------------------------------------------------------


def _python_codec(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"Unknown encoding {encoding!r}.") from None
    return "utf-8-sig" if name == "utf-8" else name  # a BOM is not part of the first column name


def _head_text(path: Path, codec: str, size: int = 1 << 16) -> str:
    with open(path, "rb") as file:
        return file.read(size).decode(codec, errors="replace")


def _sniff_separator(path: Path, codec: str) -> str:
    """The candidate found the same, highest, number of times on each of the first lines."""
    lines = [line for line in _head_text(path, codec).splitlines()[:20] if line]
    if len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut short by the read size
    best, best_count = ",", 0
    for candidate in _SEPARATOR_CANDIDATES:
        counts = {line.count(candidate) for line in lines}
        if len(counts) == 1 and (count := counts.pop()) > best_count:
            best, best_count = candidate, count
    return best


def _dialect(separator: str, quotes: bool) -> dict[str, Any]:
    return {
        "delimiter": separator,
        "quotechar": '"',
        "doublequote": True,
        "quoting": _csv.QUOTE_MINIMAL if quotes else _csv.QUOTE_NONE,
        "strict": False,
    }


def _check_unique(names: Sequence[str], where: str) -> None:
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ValueError(f"Duplicate column names in {where}: {duplicates}.")


def _peek(
    path: Path, codec: str, dialect: Mapping[str, Any], *, has_header: bool, max_rows: int
) -> tuple[list[str] | None, int, list[list[str]]]:
    """The header (if the file has one), the line ending it, and up to `max_rows` clean rows."""
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    with open(path, encoding=codec, errors="surrogateescape", newline="") as file:
        reader = _csv.reader(file, **dialect)
        try:
            for row in reader:
                if not row:
                    continue
                if has_header and header is None:
                    header, header_line = row, reader.line_num
                    if _SURROGATE.search("".join(header)):
                        header = [_printable(name) for name in header]
                elif len(rows) >= max_rows:
                    break
                elif not _SURROGATE.search("".join(row)):
                    rows.append(row)
        except _csv.Error:
            pass  # the careful path reports it; the rows so far still make a sample
    return header, header_line, rows


def _layout(
    path: Path,
    header: list[str] | None,
    header_line: int,
    names: Sequence[str],
    options: CsvOptions,
) -> _Layout:
    if header is None:  # headerless: the given names, in file order
        return _Layout(width=len(names), header_line=0, picks=tuple(range(len(names))))
    wanted = list(options.columns) if options.columns else list(names)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ValueError(f"The header of {str(path)!r} lacks the columns {missing}: {header}.")
    if not options.columns:
        extra = [c for c in header if c not in names]
        if extra:
            raise ValueError(
                f"The header of {str(path)!r} has columns {extra} that the first file lacks; expected {list(names)}."
            )
    picks = tuple(header.index(c) for c in wanted)
    return _Layout(width=len(header), header_line=header_line, picks=picks)


def _output_type(data_type: str) -> pa.DataType:
    if data_type == T.STRING:
        return pa.dictionary(pa.int32(), pa.string())
    return T.ARROW_TYPES[data_type]


def _schema(plan: _Plan) -> pa.Schema:
    return pa.schema([(name, _output_type(plan.types[name])) for name in plan.names])


def _empty(plan: _Plan) -> pa.Table:
    return _schema(plan).empty_table()


# --- fast path ------------------------------------------------------------------------------


def _read_fast(path: Path, layout: _Layout, plan: _Plan) -> pa.Table:
    if layout.header_line > 1:
        raise _Fallback  # blank lines or a multi-line header: skip_rows would miscount
    # Columns needing our own parsing (date patterns, arrays) are read as strings first.
    post = [name for name in plan.names if name in plan.parse.patterns or T.is_array(plan.types[name])]
    synthetic = [f"f{i}" for i in range(layout.width)]  # immune to odd or duplicate header names
    read_types = {
        synthetic[pick]: pa.string() if name in post else _output_type(plan.types[name])
        for name, pick in zip(plan.names, layout.picks)
    }
    # pyarrow matches booleans case-sensitively: give it the usual spellings of each word.
    true_values, false_values = (
        sorted({w for v in words for w in (v, v.upper(), v.capitalize())})
        for words in (plan.parse.true_values, plan.parse.false_values)
    )

    def abort(_row: object) -> str:
        return "error"  # the row's line number is only known to the careful path

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=synthetic,
            skip_rows=1 if layout.header_line else 0,
            encoding=plan.arrow_encoding,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=plan.separator,
            quote_char='"' if plan.quotes else False,
            double_quote=True,
            # Quote-aware block splitting costs ~15%: only pay it when a quote may hide a newline.
            newlines_in_values=plan.quotes and _may_hold(path, plan.codec, b'"'),
            ignore_empty_lines=True,
            invalid_row_handler=abort,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=read_types,
            include_columns=[synthetic[pick] for pick in layout.picks],
            null_values=list(plan.parse.null_values),
            true_values=true_values,
            false_values=false_values,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    table = table.rename_columns(list(plan.names))
    for name in post:
        parsed, bad = parse_column(table.column(name).combine_chunks(), plan.types[name], name, plan.parse)
        if bad.any():
            raise _Fallback
        table = table.set_column(table.schema.get_field_index(name), name, parsed)
    return table


def _may_hold(path: Path, codec: str, needle: bytes) -> bool:
    """Whether the file's bytes contain `needle` (always True where bytes don't map to text)."""
    if needle.decode("ascii").encode(codec.removesuffix("-sig")) != needle:
        return True  # not an ASCII-compatible encoding: a byte search proves nothing
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(needle) != -1


# --- careful path ---------------------------------------------------------------------------


def _read_careful(path: Path, layout: _Layout, plan: _Plan) -> tuple[pa.Table, list[LoadIssue]]:
    """Split records with Arrow when line numbers can be recovered, else with the stdlib reader."""
    data = path.read_bytes()
    try:
        strings, lines, issues = _split_by_arrow(path, data, layout, plan)
    except _Fallback:
        strings, lines, issues = _split_by_python(path, data, layout, plan)
    return _convert(str(path), strings, lines, issues, plan)


def _split_by_arrow(
    path: Path, data: bytes, layout: _Layout, plan: _Plan
) -> tuple[dict[str, pa.Array], np.ndarray, list[LoadIssue]]:
    """Arrow's serial reader, every column as text, rows with the wrong field count set aside.

    Arrow numbers those rows by record; records map to physical lines one to one as long as no
    record spans several lines, which the record count checks (else _Fallback).
    """
    if layout.header_line > 1 or not _ascii_compatible(plan.codec):
        raise _Fallback
    try:
        data.decode(plan.codec)
    except UnicodeDecodeError:
        raise _Fallback from None  # undecodable bytes are located by the stdlib reader
    set_aside: list[tuple[int, str, int]] = []

    def keep_aside(row: Any) -> str:
        set_aside.append((row.number, row.text, row.actual_columns))
        return "skip"

    synthetic = [f"f{i}" for i in range(layout.width)]
    picked = [synthetic[pick] for pick in layout.picks]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=synthetic,
                skip_rows=1 if layout.header_line else 0,
                encoding=plan.arrow_encoding,
                use_threads=False,  # row numbers are only known to the serial reader
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=plan.separator,
                quote_char='"' if plan.quotes else False,
                double_quote=True,
                newlines_in_values=plan.quotes,
                ignore_empty_lines=True,
                invalid_row_handler=keep_aside,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(picked, pa.string()),
                include_columns=picked,
                strings_can_be_null=False,  # nulls are decided by parse_column
            ),
        )
    except (pa.ArrowException, UnicodeError):
        raise _Fallback from None
    records = _nonempty_lines(data)  # the physical line of each record, header included
    first = 1 if layout.header_line else 0
    if first + table.num_rows + len(set_aside) != len(records) or any(n is None for n, _, _ in set_aside):
        raise _Fallback  # a record spans several lines
    numbers = np.array([number for number, _, _ in set_aside], dtype=np.int64)
    good = np.setdiff1d(np.arange(first + 1, len(records) + 1), numbers, assume_unique=True)
    source = str(path)
    issues = [
        LoadIssue(source, int(records[number - 1]), None, text, f"expected {layout.width} fields, found {found}")
        for number, text, found in set_aside
    ]
    strings = {name: table.column(column).combine_chunks() for name, column in zip(plan.names, picked)}
    return strings, records[good - 1], issues


def _ascii_compatible(codec: str) -> bool:
    return '\r\n,"'.encode(codec.removesuffix("-sig")) == b'\r\n,"'


def _nonempty_lines(data: bytes) -> np.ndarray:
    """1-based numbers of the physical lines holding a character; lines end at \\r\\n, \\r or \\n."""
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(raw)
    lf = np.flatnonzero(raw == 10)
    cr = np.flatnonzero(raw == 13)
    after_cr = np.zeros(len(lf), dtype=bool)
    after_cr[lf > 0] = raw[lf[lf > 0] - 1] == 13
    lone_cr = cr[(cr + 1 >= size) | (raw[np.minimum(cr + 1, size - 1)] != 10)] if size else cr
    break_start = np.concatenate([np.where(after_cr, lf - 1, lf), lone_cr])
    break_end = np.concatenate([lf, lone_cr])
    order = np.argsort(break_start, kind="stable")
    line_start = np.concatenate([[0], break_end[order] + 1])
    line_end = np.concatenate([break_start[order], [size]])
    return np.flatnonzero(line_end > line_start) + 1


def _split_by_python(
    path: Path, data: bytes, layout: _Layout, plan: _Plan
) -> tuple[dict[str, pa.Array], np.ndarray, list[LoadIssue]]:
    """The stdlib reader: slower, but it knows the physical lines of every record."""
    source = str(path)
    try:
        text, has_bad_bytes = data.decode(plan.codec), False
    except UnicodeDecodeError:
        text, has_bad_bytes = data.decode(plan.codec, errors="surrogateescape"), True
    raw = _RawLines(text)
    issues: list[LoadIssue] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = _csv.reader(io.StringIO(text, newline=""), **_dialect(plan.separator, plan.quotes))
    width, previous = layout.width, 0  # `previous`: the physical line ending the last record
    header_pending = layout.header_line > 0
    limit = _csv.field_size_limit()
    _csv.field_size_limit(max(limit, 2**31 - 1))  # pyarrow takes large fields; so must we
    collect = gc.isenabled()
    gc.disable()  # millions of small lists: the collector would rescan them again and again
    try:
        while True:
            try:
                for row in reader:
                    if len(row) == width and not header_pending:
                        rows.append(row)
                        lines.append(previous + 1)
                    elif row and header_pending:
                        header_pending = False
                    elif row:
                        reason = f"expected {width} fields, found {len(row)}"
                        issues.append(LoadIssue(source, previous + 1, None, raw(previous + 1, reader.line_num), reason))
                    previous = reader.line_num
                break
            except _csv.Error as error:
                start, previous = previous + 1, reader.line_num
                issues.append(LoadIssue(source, start, None, raw(start, previous), f"malformed CSV: {error}"))
        if has_bad_bytes:
            kept = [i for i, row in enumerate(rows) if not _SURROGATE.search("".join(row))]
            for i in sorted(set(range(len(rows))) - set(kept)):
                issues.append(_bad_bytes_issue(source, lines[i], rows[i], layout, plan, raw))
            rows, lines = [rows[i] for i in kept], [lines[i] for i in kept]
        fields = list(zip(*rows)) if rows else [()] * width
        strings = {name: pa.array(fields[pick], type=pa.string()) for name, pick in zip(plan.names, layout.picks)}
    finally:
        _csv.field_size_limit(limit)
        if collect:
            gc.enable()
    return strings, np.asarray(lines, dtype=np.int64), issues


def _convert(
    source: str, strings: Mapping[str, pa.Array], lines: np.ndarray, issues: list[LoadIssue], plan: _Plan
) -> tuple[pa.Table, list[LoadIssue]]:
    """Parse each text column; report the values that fail and drop their rows."""
    columns: dict[str, pa.Array] = {}
    rejected = np.zeros(len(lines), dtype=bool)
    for name in plan.names:
        data_type = plan.types[name]
        parsed, bad = parse_column(strings[name], data_type, name, plan.parse)
        reason = _failure_reason(data_type, name, plan.parse)
        for i in np.flatnonzero(bad):
            issues.append(LoadIssue(source, int(lines[i]), name, strings[name][int(i)].as_py(), reason))
        rejected |= bad
        columns[name] = pc.dictionary_encode(parsed) if data_type == T.STRING else parsed
    table = pa.table(columns, schema=_schema(plan)).filter(pa.array(~rejected))
    order = {name: i for i, name in enumerate(plan.names)}
    issues.sort(key=lambda issue: (issue.line or 0, order.get(issue.column or "", -1)))
    return table, issues


def _bad_bytes_issue(source: str, line: int, row: list[str], layout: _Layout, plan: _Plan, raw: _RawLines) -> LoadIssue:
    """Name the column holding the bad bytes when it is one that is loaded."""
    reason = f"invalid bytes for encoding {plan.codec.removesuffix('-sig')!r}"
    for pick, name in zip(layout.picks, plan.names):
        if _SURROGATE.search(row[pick]):
            return LoadIssue(source, line, name, _printable(row[pick]), reason)
    return LoadIssue(source, line, None, raw(line, line), reason)


def _printable(text: str) -> str:
    """Show undecodable bytes as ``\\xNN`` escapes rather than as lone surrogates."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


class _RawLines:
    """The raw text of physical lines, split only when a first issue needs it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def __call__(self, first: int, last: int) -> str:
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self._text)
        return _printable("\n".join(self._lines[first - 1 : last]))


# --- date patterns --------------------------------------------------------------------------

_JAVA_TOKEN = re.compile(r"'((?:[^']|'')*)'|([A-Za-z])\2*|(.)", re.DOTALL)
_JAVA_FIELDS: dict[str, Callable[[int], str]] = {
    "y": lambda n: "%y" if n == 2 else "%Y",
    "u": lambda n: "%y" if n == 2 else "%Y",
    "M": lambda n: "%B" if n >= 4 else "%b" if n == 3 else "%m",
    "L": lambda n: "%B" if n >= 4 else "%b" if n == 3 else "%m",
    "d": lambda n: "%d",
    "D": lambda n: "%j",
    "E": lambda n: "%A" if n >= 4 else "%a",
    "a": lambda n: "%p",
    "H": lambda n: "%H",
    "k": lambda n: "%H",
    "h": lambda n: "%I",
    "K": lambda n: "%I",
    "m": lambda n: "%M",
    "s": lambda n: "%S",
    "S": lambda n: "%f",
    "X": lambda n: "%z",
    "x": lambda n: "%z",
    "Z": lambda n: "%z",
    "O": lambda n: "%z",
}
_DATE_DIRECTIVES = set("YymbBdjaA")
_TIME_DIRECTIVES = set("HIMSfp")
_VECTOR_DIRECTIVES = set("YmdHMS")  # numeric fields Arrow's strptime reads like Python's


def java_to_strptime(pattern: str) -> str:
    """Translate a Java ``DateTimeFormatter`` pattern (``"dd/MM/yyyy HH:mm"``) to strptime's."""
    out = []
    for match in _JAVA_TOKEN.finditer(pattern):
        quoted, letter, other = match.groups()
        if letter:
            field_ = _JAVA_FIELDS.get(letter)
            if field_ is None:
                raise ValueError(f"Unsupported letter {letter!r} in date pattern {pattern!r}.")
            out.append(field_(len(match.group(0))))
        elif quoted is not None:
            out.append((quoted.replace("''", "'") if quoted else "'").replace("%", "%%"))
        else:
            out.append(other.replace("%", "%%"))
    return "".join(out)


def _directives(fmt: str) -> set[str]:
    return set(re.findall(r"%(.)", fmt.replace("%%", ""))) - {"%"}


def _pattern_type(fmt: str) -> str:
    directives = _directives(fmt)
    if "z" in directives:
        return T.ZONED_DATE_TIME
    has_date, has_time = directives & _DATE_DIRECTIVES, directives & _TIME_DIRECTIVES
    if has_time and not has_date:
        return T.LOCAL_TIME
    return T.LOCAL_DATE_TIME if has_time else T.LOCAL_DATE


# --- type inference -------------------------------------------------------------------------

# One spelling of each shape, anchored with fullmatch in Python and ^...$ for Arrow's RE2.
_INT_RE = r"[+-]?[0-9]+"
_NUMBER_RE = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_FLOAT_RE = _NUMBER_RE + r"|[+-]?(?i:inf|infinity|nan)"
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME_RE = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
_DATE_TIME_RE = _DATE_RE + r"(?:[T ]" + _TIME_RE + ")?"
_ZONED_RE = _DATE_RE + r"[T ]" + _TIME_RE + r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _all(pattern: str, values: Sequence[str]) -> bool:
    regex = re.compile(pattern)
    return all(regex.fullmatch(v) for v in values)


def _all_parse(parser: Callable[[str], object], values: Sequence[str]) -> bool:
    try:
        for value in values:
            parser(value)
    except ValueError:
        return False
    return True


def infer_type(values: Sequence[str], name: str, parse: _Parse) -> str:
    """The atoti type of a CSV column from sample values, as atoti infers it.

    Every non-null value must fit the type; columns with no value at all are Strings.
    """
    if name in parse.patterns:
        return _pattern_type(parse.patterns[name])
    nulls = set(parse.null_values)
    sample = [v.strip() for v in values if v not in nulls]
    if not sample:
        return T.STRING
    if all(v.lower() in parse.true_values or v.lower() in parse.false_values for v in sample):
        return T.BOOLEAN
    if _all(_INT_RE, sample):
        numbers = [int(v) for v in sample]
        low, high = min(numbers), max(numbers)
        if _INT32[0] <= low and high <= _INT32[1]:
            return T.INT
        return T.LONG if _INT64[0] <= low and high <= _INT64[1] else T.DOUBLE
    if _all(_NUMBER_RE, sample):
        return T.DOUBLE
    separator = parse.array_separator
    if parse.infer_arrays and any(separator in v for v in sample):
        elements = [e.strip() for v in sample for e in v.split(separator)]
        if _all(_INT_RE, elements):
            return T.LONG_ARRAY
        if _all(_NUMBER_RE, elements):
            return T.DOUBLE_ARRAY
        return T.STRING
    if _all(_DATE_RE, sample) and _all_parse(dt.date.fromisoformat, sample):
        return T.LOCAL_DATE
    if _all(_DATE_TIME_RE, sample) and _all_parse(_fromisoformat, sample):
        return T.LOCAL_DATE_TIME
    if _all(_ZONED_RE, sample) and _all_parse(_fromisoformat, sample):
        return T.ZONED_DATE_TIME
    if _all(_TIME_RE, sample) and _all_parse(dt.time.fromisoformat, sample):
        return T.LOCAL_TIME
    return T.STRING


# --- parsing string columns -----------------------------------------------------------------


def parse_column(values: pa.Array, data_type: str, name: str, parse: _Parse) -> tuple[pa.Array, np.ndarray]:
    """Parse strings into `data_type`; also return a mask of the values that did not parse.

    Values in ``parse.null_values`` become nulls. Failures become nulls too, which is how they are
    told apart from the values that were missing in the first place.
    """
    if parse.null_values:
        is_null = pc.is_in(values, value_set=pa.array(parse.null_values, pa.string()))
        values = _where(pc.invert(is_null), values)
    if data_type == T.STRING:
        return values, np.zeros(len(values), dtype=bool)
    text = pc.utf8_trim_whitespace(values)
    if T.is_array(data_type):
        parsed = _parse_array(text, data_type, parse)
    elif name in parse.patterns:
        parsed = _parse_pattern(text, data_type, parse.patterns[name])
    else:
        parsed = _PARSERS[data_type](text, data_type, parse)
    bad = pc.and_(values.is_valid(), parsed.is_null())
    return parsed, bad.to_numpy(zero_copy_only=False)


def _failure_reason(data_type: str, name: str, parse: _Parse) -> str:
    if name in parse.patterns and not T.is_array(data_type):
        return f"does not match the date pattern {parse.java_patterns[name]!r}"
    if T.is_array(data_type):
        return f"not a valid {data_type} (elements separated by {parse.array_separator!r})"
    return f"not a valid {data_type}"


def _where(mask: pa.Array, values: pa.Array) -> pa.Array:
    """`values` where `mask` is true, null elsewhere."""
    return pc.if_else(mask, values, pa.scalar(None, values.type))


def _matches(text: pa.Array, pattern: str) -> pa.Array:
    return pc.match_substring_regex(text, f"^(?:{pattern})$")


def _cast(text: pa.Array, target: pa.DataType, pattern: str, fallback: Callable[[str], object]) -> pa.Array:
    """Arrow's cast, the fast path's parser; if some value defeats it, the values matching
    `pattern` are cast, by Arrow again or else by `fallback` on each distinct value."""
    try:
        return pc.cast(text, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    candidates = _where(_matches(text, pattern), text)
    try:
        return pc.cast(candidates, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _per_distinct(candidates, target, fallback)


def _per_distinct(text: pa.Array, target: pa.DataType, parser: Callable[[str], object]) -> pa.Array:
    """Parse each distinct value once in Python (dates repeat a lot); failures become nulls."""
    encoded = pc.dictionary_encode(text)
    parsed = []
    for value in encoded.dictionary.to_pylist():
        try:
            parsed.append(parser(value))
        except (ValueError, OverflowError, TypeError):
            parsed.append(None)
    return pa.array(parsed, type=target).take(encoded.indices)


def _parse_boolean(text: pa.Array, _type: str, parse: _Parse) -> pa.Array:
    lower = pc.utf8_lower(text)
    is_true = pc.is_in(lower, value_set=pa.array(sorted(parse.true_values), pa.string()))
    is_false = pc.is_in(lower, value_set=pa.array(sorted(parse.false_values), pa.string()))
    none = pa.scalar(None, pa.bool_())
    return pc.if_else(is_true, True, pc.if_else(is_false, False, none))


def _python_int64(text: str) -> int:
    number = int(text)
    if not _INT64[0] <= number <= _INT64[1]:
        raise ValueError(text)
    return number


def _parse_integer(text: pa.Array, data_type: str, _parse: _Parse) -> pa.Array:
    wide = _cast(text, pa.int64(), _INT_RE, _python_int64)
    if data_type == T.INT:  # out of int32's range is a failure, not a wrap-around
        fits = pc.and_(pc.greater_equal(wide, _INT32[0]), pc.less_equal(wide, _INT32[1]))
        wide = _where(fits, wide)
    return pc.cast(wide, T.ARROW_TYPES[data_type])


def _parse_float(text: pa.Array, data_type: str, _parse: _Parse) -> pa.Array:
    wide = _cast(text, pa.float64(), _FLOAT_RE, float)
    return pc.cast(wide, T.ARROW_TYPES[data_type], safe=False)  # float keeps float's precision


def _parse_date(text: pa.Array, _type: str, _parse: _Parse) -> pa.Array:
    return _cast(text, pa.date32(), _DATE_RE, dt.date.fromisoformat)


def _fromisoformat(text: str) -> dt.datetime:
    """``datetime.fromisoformat``, also taking a trailing "Z" on Python 3.10."""
    return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _naive_datetime(text: str) -> dt.datetime:
    value = _fromisoformat(text)
    if value.tzinfo is not None:
        raise ValueError(text)
    return value


def _parse_date_time(text: pa.Array, _type: str, _parse: _Parse) -> pa.Array:
    return _cast(text, T.ARROW_TYPES[T.LOCAL_DATE_TIME], _DATE_TIME_RE, _naive_datetime)


def _parse_time(text: pa.Array, _type: str, _parse: _Parse) -> pa.Array:
    candidates = _where(_matches(text, _TIME_RE), text)
    return _per_distinct(candidates, T.ARROW_TYPES[T.LOCAL_TIME], dt.time.fromisoformat)


def _utc(value: dt.datetime) -> dt.datetime:
    """Zoned values keep their instant; values without an offset are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _parse_zoned(text: pa.Array, _type: str, _parse: _Parse) -> pa.Array:
    target = T.ARROW_TYPES[T.ZONED_DATE_TIME]
    with_offset = _cast(text, target, _ZONED_RE, lambda s: _utc(_fromisoformat(s)))
    naive = _parse_date_time(text, T.LOCAL_DATE_TIME, _parse)
    return pc.coalesce(with_offset, pc.cast(naive, target))


_PARSERS: dict[str, Callable[[pa.Array, str, _Parse], pa.Array]] = {
    T.BOOLEAN: _parse_boolean,
    T.INT: _parse_integer,
    T.LONG: _parse_integer,
    T.FLOAT: _parse_float,
    T.DOUBLE: _parse_float,
    T.LOCAL_DATE: _parse_date,
    T.LOCAL_DATE_TIME: _parse_date_time,
    T.LOCAL_TIME: _parse_time,
    T.ZONED_DATE_TIME: _parse_zoned,
}


def _parse_pattern(text: pa.Array, data_type: str, fmt: str) -> pa.Array:
    """Parse with a strptime format, vectorised where Arrow can be trusted."""
    target = T.ARROW_TYPES[data_type]

    def python(value: str) -> object:
        parsed = dt.datetime.strptime(value, fmt)
        if data_type == T.LOCAL_DATE:
            return parsed.date()
        if data_type == T.LOCAL_TIME:
            return parsed.time()
        if data_type == T.ZONED_DATE_TIME:
            return _utc(parsed)
        return _utc(parsed).replace(tzinfo=None) if parsed.tzinfo else parsed

    if not _directives(fmt) <= _VECTOR_DIRECTIVES:
        return _per_distinct(text, target, python)
    # Arrow's strptime rolls 30/02 over to 02/03: a round trip through strftime catches that,
    # and values it cannot vouch for (unpadded days, say) get Python's stricter parse.
    stamps = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    exact = pc.fill_null(pc.equal(pc.strftime(stamps, format=fmt), text), False)
    # From naive seconds: dates and times truncate, zoned values are taken as UTC.
    vector = pc.cast(pc.cast(_where(exact, stamps), pa.timestamp("us")), target)
    retry = pc.and_(text.is_valid(), pc.invert(exact))
    if not pc.any(retry).as_py():
        return vector
    return pc.coalesce(vector, _per_distinct(_where(retry, text), target, python))


def _parse_array(text: pa.Array, data_type: str, parse: _Parse) -> pa.Array:
    """Split on the array separator; a row with any bad element fails as a whole."""
    element_type = data_type.removesuffix("[]")
    lists = pc.split_pattern(text, pattern=parse.array_separator)
    offsets = lists.offsets.to_numpy()
    elements = _PARSERS[element_type](
        pc.utf8_trim_whitespace(lists.values), element_type, parse
    )  # empty elements ("1;;2") fail: an array holds no nulls
    bad_elements = elements.is_null().to_numpy(zero_copy_only=False)
    parents = np.repeat(np.arange(len(text)), np.diff(offsets))
    invalid = text.is_null().to_numpy(zero_copy_only=False)
    invalid[parents[bad_elements]] = True
    return pa.ListArray.from_arrays(lists.offsets, elements, type=T.ARROW_TYPES[data_type], mask=pa.array(invalid))
