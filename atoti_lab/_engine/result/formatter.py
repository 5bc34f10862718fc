"""Measure formatters: atoti's pattern strings turned into the text a query result prints.

atoti gives every measure a formatter string, evaluated by its (Java) server:

* ``DOUBLE[<pattern>]`` and ``INT[<pattern>]``: a ``java.text.DecimalFormat`` pattern
  (``#,###.00``, ``0.00%``, ``$#,##0.00``, ``#,##0.00;(#,##0.00)``, ``0.###E0`` ...), English
  symbols, HALF_EVEN rounding of the exact binary value;
* ``DATE[<pattern>]``: a ``java.time.format.DateTimeFormatter`` pattern (``yyyy-MM-dd``,
  ``dd/MM/yyyy``, ``MMMM yyyy`` ...), English names;
* ``STRING`` or no formatter: the value's Java ``toString`` (``1.5``, ``1.0E10``, ``true``).

Missing values (None, NaN, NaT, pd.NA) print as an empty string, and arrays print as atoti
prints vectors: ``doubleVector[10]{-10.716, ...}`` (length, then the first element).

Each pattern is parsed once (and cached), then applied to a whole column:

>>> format_values([3510.0, -3510.0, 0.5, None], "DOUBLE[#,###.00]")
['3,510.00', '-3,510.00', '.50', '']
>>> format_values([0.12345], "DOUBLE[0.00%]")
['12.35%']
>>> default_pattern("long")
'INT[#,###]'
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["default_pattern", "format_value", "format_values", "validate_pattern"]

_DEFAULT_PATTERNS = {
    "double": "DOUBLE[#,###.00]",
    "float": "DOUBLE[#,###.00]",
    "int": "INT[#,###]",
    "long": "INT[#,###]",
}


def default_pattern(data_type: str) -> str | None:
    """The formatter atoti gives a measure of this result type (None: printed as is).

    >>> default_pattern("double"), default_pattern("int"), default_pattern("String")
    ('DOUBLE[#,###.00]', 'INT[#,###]', None)
    """
    return _DEFAULT_PATTERNS.get(str(data_type).lower())


def validate_pattern(pattern: str) -> None:
    """Raise a ValueError saying what is wrong with `pattern`, if anything."""
    _parse(pattern)


def format_value(value: Any, pattern: str | None) -> str:
    """One value's text under `pattern` (see `format_values`)."""
    return format_values([value], pattern)[0]


def format_values(values: Sequence[Any] | np.ndarray | pd.Series, pattern: str | None) -> list[str]:
    """The text of each value under the atoti formatter `pattern` (None: as is).

    The pattern is parsed once. Numeric numpy arrays take a batch path (NaN masked once, one
    ``format`` call and a few string operations per value, ~50 ms per 100k cells); datetime
    arrays format each distinct value once; object arrays are sorted by kind in one pass.
    """
    fmt = _parse(pattern)
    masked = _masked_numbers(values, fmt)
    if masked is not None:
        return masked
    array = _as_array(values)
    kind = array.dtype.kind
    if kind == "f":
        missing = np.isnan(array)
        if not missing.any():
            return fmt.floats(array.tolist())
        out = np.full(len(array), "", dtype=object)
        present = ~missing
        out[present] = fmt.floats(array[present].tolist())
        return out.tolist()
    if kind in "iu":
        return fmt.ints(array.tolist())
    if kind == "b":
        return ["true" if v else "false" for v in array.tolist()]
    if kind == "M":
        codes, uniques = pd.factorize(array)
        texts = [fmt.temporal(pd.Timestamp(u)) for u in uniques]
        return np.array([*texts, ""], dtype=object)[codes].tolist()  # code -1 (NaT) -> ""
    return _format_objects(array, fmt)


# --- input handling ---------------------------------------------------------------------------


def _masked_numbers(values: Any, fmt: _Format) -> list[str] | None:
    """Nullable numbers (``Int64``, ``Float64``, Arrow): the numeric batch path plus a mask."""
    dtype = getattr(values, "dtype", None)
    kind = getattr(dtype, "kind", "")
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(dtype, np.dtype) or not kind or kind not in "iuf" or numpy_dtype is None:
        return None
    missing = np.asarray(pd.isna(values), dtype=bool)
    data = np.asarray(values.to_numpy(dtype=numpy_dtype, na_value=0))
    if kind == "f":
        missing = missing | np.isnan(data)
    present = ~missing
    texts = fmt.floats(data[present].tolist()) if kind == "f" else fmt.ints(data[present].tolist())
    out = np.full(len(data), "", dtype=object)
    out[present] = texts
    return out.tolist()


def _as_array(values: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
    """A 1-D numpy array of `values`: numeric dtypes kept, everything else as objects."""
    if isinstance(values, (pd.Series, pd.Index)):
        dtype = values.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "biufM":
            return values.to_numpy()
        # Extension and datetime dtypes: objects (Timestamps, pd.NA, NaT) handled one by one.
        return values.to_numpy(dtype=object)
    if isinstance(values, np.ndarray):
        if values.ndim == 1 and values.dtype.kind in "biufOM":
            return values
        if values.ndim == 1:
            return values.astype(object)
        rows = np.empty(len(values), dtype=object)  # a 2-D array: one vector per row
        rows[:] = list(values)
        return rows
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return np.asarray(values, dtype=object)
    # Built element by element: np.asarray would turn a list of vectors into a 2-D array.
    items = list(values)
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def _format_objects(array: np.ndarray, fmt: _Format) -> list[str]:
    out = [""] * len(array)
    float_at: list[int] = []
    floats: list[float] = []
    number_at: list[int] = []
    numbers: list[Any] = []
    memo: dict[Any, str] = {}
    for i, value in enumerate(array.tolist()):
        cls = value.__class__
        # The common kinds first, by exact class: isinstance chains cost more than the formatting.
        if cls is float:
            if not math.isnan(value):
                float_at.append(i)
                floats.append(value)
            continue
        if value is None:
            continue
        if cls is str:
            out[i] = value
            continue
        if cls is bool or cls is np.bool_:
            out[i] = "true" if value else "false"
            continue
        if _is_missing(value):
            continue
        if isinstance(value, (int, float, decimal.Decimal, np.integer, np.floating)):
            number_at.append(i)
            numbers.append(value.item() if isinstance(value, np.generic) else value)
        elif isinstance(value, (np.ndarray, list, tuple)):
            out[i] = fmt.vector(value)
        elif isinstance(value, (dt.date, dt.time, np.datetime64)):
            text = memo.get(value)
            if text is None:
                moment = pd.Timestamp(value) if isinstance(value, np.datetime64) else value
                text = memo[value] = fmt.temporal(moment)
            out[i] = text
        else:
            out[i] = str(value)
    for at, texts in ((float_at, fmt.floats(floats)), (number_at, fmt.numbers(numbers))):
        for i, text in zip(at, texts, strict=True):
            out[i] = text
    return out


# --- Java's toString --------------------------------------------------------------------------


def _java_decimal_text(shortest: str, negative: bool) -> str:
    """Java's Double/Float.toString layout, from the shortest decimal digits of the value."""
    number = decimal.Decimal(shortest).normalize()
    if decimal.Decimal("0.001") <= number < decimal.Decimal(10_000_000):
        text = format(number, "f")
        if "." not in text:
            text += ".0"
    else:
        _, digit_tuple, exponent = number.as_tuple()
        digits = "".join(map(str, digit_tuple))
        power = int(exponent) + len(digits) - 1
        text = f"{digits[0]}.{digits[1:] or '0'}E{power}"
    return "-" + text if negative else text


def _java_double(value: float) -> str:
    """``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(float(value))  # Python's repr is also the shortest round-tripping digits
    return _java_decimal_text(repr(abs(float(value))), value < 0)


def _java_float(value: np.float32) -> str:
    """``Float.toString``: the shortest digits that identify the 32-bit value."""
    if not np.isfinite(value) or value == 0:
        return _java_double(float(value))
    shortest = np.format_float_positional(abs(value), unique=True, trim="-")
    return _java_decimal_text(shortest, bool(value < 0))


def _java_text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, np.float32):
        return _java_float(value)
    if isinstance(value, (float, np.floating)):
        return _java_double(float(value))
    return str(value)


_VECTOR_KINDS = {
    np.dtype(np.float64): "double",
    np.dtype(np.float32): "float",
    np.dtype(np.int64): "long",
    np.dtype(np.int32): "int",
    np.dtype(np.int16): "int",
    np.dtype(np.int8): "int",
    np.dtype(np.bool_): "boolean",
}


def _vector_text(vector: Any) -> str:
    """atoti's vector text: the type, the length, and only the first element.

    atoti's documentation shows ``doubleVector[10]{-10.716, ...}`` and ``intVector[3]{1, ...}``:
    one element whatever the length, so a long vector costs nothing to print.
    """
    array = np.asarray(vector)
    if array.ndim != 1:
        return str(vector)
    kind = _VECTOR_KINDS.get(array.dtype, "object")
    if len(array) == 0:
        return f"{kind}Vector[0]{{}}"
    first = array[0]
    if array.dtype == np.float32:
        text = _java_float(first)
    else:
        text = _java_text(first.item() if isinstance(first, np.generic) else first)
    more = ", ..." if len(array) > 1 else ""
    return f"{kind}Vector[{len(array)}]{{{text}{more}}}"


# --- formats ----------------------------------------------------------------------------------


class _Format:
    """How one pattern prints numbers and temporal values (anything else prints as text)."""

    def numbers(self, values: list[Any]) -> list[str]:
        """Ints, floats and Decimals, mixed (NaN excluded)."""
        return [_java_text(v) for v in values]

    def floats(self, values: list[float]) -> list[str]:
        """Python floats (NaN excluded): the hot path of a DOUBLE column."""
        # Within [1e-3, 1e7) Java's Double.toString and Python's repr print the same digits.
        return [repr(v) if 1e-3 <= abs(v) < 1e7 else _java_double(v) for v in values]

    def ints(self, values: list[int]) -> list[str]:
        return [str(v) for v in values]

    def temporal(self, value: Any) -> str:
        return str(value)

    def vector(self, value: Any) -> str:
        return _vector_text(value)


class _ArrayFormat(_Format):
    """``ARRAY['<separator>']``: every element of a vector, as Java prints it, joined."""

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def vector(self, value: Any) -> str:
        array = np.asarray(value)
        if array.dtype == np.float32:
            return self.separator.join(_java_float(v) for v in array)
        return self.separator.join(_java_text(v) for v in array.tolist())


_TEXT = _Format()


@lru_cache(maxsize=512)
def _parse(pattern: str | None) -> _Format:
    if pattern is None or pattern == "STRING":
        return _TEXT
    if not isinstance(pattern, str):
        # A ValueError, not a TypeError: every bad formatter raises the same kind of error.
        raise ValueError(f"A formatter must be a string such as 'DOUBLE[#,###.00]', not {pattern!r}.")  # noqa: TRY004
    array = re.fullmatch(r"ARRAY\['(.*)'\]", pattern, flags=re.DOTALL)
    if array is not None:  # vectors: all their elements, joined by the separator
        return _ArrayFormat(array.group(1))
    match = re.fullmatch(r"(DOUBLE|INT|DATE)\[(.*)\]", pattern, flags=re.DOTALL)
    if match is None:
        raise ValueError(
            f"Unknown formatter {pattern!r}: expected DOUBLE[...], INT[...] (a DecimalFormat "
            "pattern such as '#,###.00'), DATE[...] (such as 'yyyy-MM-dd') or STRING."
        )
    kind, body = match.groups()
    try:
        if kind == "DATE":
            return _DateFormat(pattern, _parse_date_pattern(body))
        return _parse_number_pattern(body)
    except ValueError as error:
        raise ValueError(f"Invalid formatter {pattern!r}: {error}") from None


# --- numbers (java.text.DecimalFormat) --------------------------------------------------------

_NUMBER_CHARS = "#0,."
_SPECIAL_AFFIX = {"%": "%", "\u2030": "\u2030", "-": "-", "\u00a4": "$"}


def _split_unquoted(pattern: str, separator: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in pattern:
        if char == "'":
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise ValueError("a quote (') is not closed")
    parts.append("".join(current))
    return parts


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """The literal text of the quote starting at ``text[i]`` and the index after it.

    As in Java, ``''`` is a quote character, inside or outside a quoted run.
    """
    if text[i + 1 : i + 2] == "'":
        return "'", i + 2
    out, j = [], i + 1
    while True:
        end = text.find("'", j)
        if end < 0:
            raise ValueError("a quote (') is not closed")
        out.append(text[j:end])
        if text[end + 1 : end + 2] != "'":
            return "".join(out), end + 1
        out.append("'")
        j = end + 2


def _scan_affix(text: str, start: int, stop_at_number: bool) -> tuple[str, int, int]:
    """Read a prefix (up to the number) or a suffix; return (text, multiplier, end index)."""
    out: list[str] = []
    multiplier = 1
    i = start
    while i < len(text):
        char = text[i]
        if char == "'":
            text_part, i = _read_quoted(text, i)
            out.append(text_part)
            continue
        if char in _NUMBER_CHARS:
            if stop_at_number:
                break
            raise ValueError(f"unquoted {char!r} after the number")
        if char in "%\u2030":
            if multiplier != 1:
                raise ValueError("more than one percent or per mille sign")
            multiplier = 100 if char == "%" else 1000
        if char == "\u00a4" and text[i + 1 : i + 2] == "\u00a4":
            out.append("USD")  # the international currency symbol, in an English locale
            i += 2
            continue
        out.append(_SPECIAL_AFFIX.get(char, char))
        i += 1
    return "".join(out), multiplier, i


def _parse_number_pattern(body: str) -> _NumberFormat:
    subpatterns = _split_unquoted(body, ";")
    if len(subpatterns) > 2:
        raise ValueError("more than one ';' (a pattern has a positive and a negative part)")
    positive = subpatterns[0]
    prefix, multiplier, i = _scan_affix(positive, 0, stop_at_number=True)
    number_start = i
    while i < len(positive) and (positive[i] in _NUMBER_CHARS or positive[i] == "E"):
        if positive[i] == "E":
            i += 1
            while i < len(positive) and positive[i] == "0":
                i += 1
            break
        i += 1
    number = positive[number_start:i]
    suffix, suffix_multiplier, _ = _scan_affix(positive, i, stop_at_number=False)
    if suffix_multiplier != 1:
        if multiplier != 1:
            raise ValueError("more than one percent or per mille sign")
        multiplier = suffix_multiplier
    if len(subpatterns) == 2:
        # As in Java, only the negative part's prefix and suffix count; its number is ignored.
        negative = subpatterns[1]
        neg_prefix, neg_mult, j = _scan_affix(negative, 0, stop_at_number=True)
        while j < len(negative) and (negative[j] in _NUMBER_CHARS or negative[j] == "E"):
            j += 1
        neg_suffix, neg_mult2, _ = _scan_affix(negative, j, stop_at_number=False)
        if multiplier == 1:
            multiplier = neg_mult if neg_mult != 1 else neg_mult2
    else:
        neg_prefix, neg_suffix = "-" + prefix, suffix
    layout = _number_layout(number)
    return _NumberFormat(
        prefix=prefix,
        suffix=suffix,
        neg_prefix=neg_prefix,
        neg_suffix=neg_suffix,
        multiplier=multiplier,
        **layout,
    )


def _number_layout(number: str) -> dict[str, Any]:
    """Digit counts of a DecimalFormat number part, computed as Java's applyPattern does."""
    mantissa, e, exponent = number.partition("E")
    if not mantissa.strip(",."):
        raise ValueError("no digit placeholder ('#' or '0')")
    left = zeros = right = 0  # '#' before the zeros, '0's, '#' after the zeros
    decimal_at = -1
    grouping = -1
    for char in mantissa:
        if char == "#":
            if zeros == 0:
                left += 1
            else:
                right += 1
            if grouping >= 0 and decimal_at < 0:
                grouping += 1
        elif char == "0":
            if right > 0:
                raise ValueError("'0' after '#' in the fraction (or '#' between '0's)")
            zeros += 1
            if grouping >= 0 and decimal_at < 0:
                grouping += 1
        elif char == ",":
            grouping = 0
        elif decimal_at >= 0:
            raise ValueError("more than one decimal point")
        else:
            decimal_at = left + zeros + right
    if zeros == 0 and left > 0 and decimal_at >= 0:
        # Java reads "#.###" as "#0.###" and ".###" as ".0##".
        n = decimal_at or 1
        right = left - n
        left = n - 1
        zeros = 1
    total = left + zeros + right
    if (decimal_at < 0 and right > 0) or (decimal_at >= 0 and not left <= decimal_at <= left + zeros) or grouping == 0:
        raise ValueError(f"malformed number {number!r}")
    effective_decimal = decimal_at if decimal_at >= 0 else total
    min_int = effective_decimal - left
    exp_digits = None
    if e:
        if exponent == "" or exponent.strip("0"):
            raise ValueError("'E' must be followed by one or more '0'")
        if grouping > 0:
            raise ValueError("a scientific pattern cannot group digits")
        exp_digits = len(exponent)
    return {
        "min_int": min_int,
        "max_int": left + min_int,
        "grouping": max(grouping, 0),
        "min_frac": left + zeros - decimal_at if decimal_at >= 0 else 0,
        "max_frac": total - decimal_at if decimal_at >= 0 else 0,
        "decimal_always": decimal_at == 0 or decimal_at == total,
        "exp_digits": exp_digits,
    }


def _group(digits: str, size: int) -> str:
    if size <= 0 or len(digits) <= size:
        return digits
    head = len(digits) % size or size
    return digits[:head] + "".join("," + digits[i : i + size] for i in range(head, len(digits), size))


@dataclass(frozen=True)
class _NumberFormat(_Format):
    """A parsed DecimalFormat pattern (English symbols: ',' groups, '.' is the decimal point)."""

    prefix: str
    suffix: str
    neg_prefix: str
    neg_suffix: str
    multiplier: int
    min_int: int
    max_int: int
    grouping: int
    min_frac: int
    max_frac: int
    decimal_always: bool
    exp_digits: int | None

    def numbers(self, values: list[Any]) -> list[str]:
        one = self._one
        return [one(v) for v in values]

    def temporal(self, value: Any) -> str:
        return str(value)

    @property
    def _simple(self) -> bool:
        """Whether Python's own "," grouping and sign give Java's layout (most patterns)."""
        return self.exp_digits is None and self.min_int <= 1 and self.grouping in (0, 3) and not self.decimal_always

    def floats(self, values: list[float]) -> list[str]:
        if not self._simple:
            return self.numbers(values)
        spec = f"{',' if self.grouping else ''}.{self.max_frac}f"
        if self.multiplier != 1:
            values = [v * self.multiplier for v in values]
        trim, min_frac, strip_zero = self.max_frac > self.min_frac, self.min_frac, self.min_int == 0
        prefix, suffix, neg_prefix, neg_suffix = self.prefix, self.suffix, self.neg_prefix, self.neg_suffix
        out: list[str] = []
        append = out.append
        for value in values:
            # Python's "f" rounds the exact binary value half-even, as Java's HALF_EVEN does, and
            # keeps the sign of a negative value rounding to zero ("-0.00"), as Java does.
            text = format(value, spec)
            negative = text[0] == "-"
            if negative:
                text = text[1:]
            if text == "inf":
                text = "\u221e"  # Java's infinity symbol
            else:
                if trim:
                    digits, _, fraction = text.partition(".")
                    fraction = fraction.rstrip("0")
                    if len(fraction) < min_frac:
                        fraction = fraction.ljust(min_frac, "0")
                    text = f"{digits}.{fraction}" if fraction else digits
                if strip_zero and text[0] == "0" and text[1:2] == ".":
                    text = text[1:]  # "#,###.00" prints 0.5 as ".50", as Java does
            append(neg_prefix + text + neg_suffix if negative else prefix + text + suffix)
        return out

    def ints(self, values: list[int]) -> list[str]:
        if not self._simple:
            return self.numbers(values)
        spec = "," if self.grouping else ""
        fraction = "." + "0" * self.min_frac if self.min_frac else ""
        zero = fraction if self.min_int == 0 and fraction else "0" + fraction
        multiplier = self.multiplier
        prefix, suffix, neg_prefix, neg_suffix = self.prefix, self.suffix, self.neg_prefix, self.neg_suffix
        return [
            (neg_prefix + format(-v * multiplier, spec) + fraction + neg_suffix)
            if v < 0
            else (prefix + (format(v * multiplier, spec) + fraction if v else zero) + suffix)
            for v in values
        ]

    def _one(self, value: Any) -> str:
        if isinstance(value, int):
            negative = value < 0
            body = self._integer_body(abs(value) * self.multiplier)
        else:
            if math.isnan(value):
                return ""
            negative = value < 0 or (value == 0 and math.copysign(1.0, value) < 0)
            magnitude = abs(value) * self.multiplier
            if (
                isinstance(magnitude, float)
                and math.isinf(magnitude)
                or (isinstance(magnitude, decimal.Decimal) and magnitude.is_infinite())
            ):
                body = "\u221e"  # Java's infinity symbol
            elif self.exp_digits is not None:
                body = self._scientific_body(magnitude)
            else:
                body = self._fixed_body(magnitude)
        # Java keeps the sign of a negative value that rounds to zero ("-0", "-.00"): so do we.
        if negative:
            return self.neg_prefix + body + self.neg_suffix
        return self.prefix + body + self.suffix

    def _join(self, digits: str, fraction: str) -> str:
        """Integer digits (without grouping) and fraction digits -> the pattern's layout."""
        if len(digits) < self.min_int:
            digits = digits.rjust(self.min_int, "0")
        elif self.min_int == 0 and digits == "0" and fraction:
            digits = ""  # "#,###.00" prints 0.5 as ".50", as Java does
        if self.grouping:
            digits = _group(digits, self.grouping)
        if fraction or self.decimal_always:
            return f"{digits}.{fraction}"
        return digits

    def _trim(self, fraction: str) -> str:
        if self.max_frac > self.min_frac:
            fraction = fraction.rstrip("0")
            if len(fraction) < self.min_frac:
                fraction = fraction.ljust(self.min_frac, "0")
        return fraction

    def _integer_body(self, magnitude: int) -> str:
        if self.exp_digits is not None:
            return self._scientific_body(magnitude)
        return self._join(str(magnitude), "0" * self.min_frac)

    def _fixed_body(self, magnitude: float | decimal.Decimal) -> str:
        # Python's "f" format rounds the exact binary value half-even, as Java's HALF_EVEN does.
        text = format(magnitude, f".{self.max_frac}f")
        digits, _, fraction = text.partition(".")
        return self._join(digits, self._trim(fraction))

    def _scientific_body(self, magnitude: float | decimal.Decimal) -> str:
        engineering = self.max_int > self.min_int and self.max_int > 1
        min_int = 1 if engineering else max(self.min_int, 1)
        significant = min_int + self.max_frac
        if magnitude == 0:
            mantissa_digits, power = "0" * significant, 0
        else:
            # Decimal(float) is the exact binary value, rounded half-even like Java.
            text = format(decimal.Decimal(magnitude), f".{significant - 1}e")
            lead, _, exp_text = text.partition("e")
            mantissa_digits, power = lead.replace(".", ""), int(exp_text)
        if engineering:
            # The exponent is a multiple of the maximum integer digits: 12345 -> 12.345E3.
            exponent = (power // self.max_int) * self.max_int
            int_count = power - exponent + 1
        else:
            exponent = power - (min_int - 1)
            int_count = min_int
        mantissa_digits = mantissa_digits.ljust(int_count, "0")
        fraction = self._trim(mantissa_digits[int_count:].ljust(self.min_frac, "0"))
        mantissa = mantissa_digits[:int_count] + (f".{fraction}" if fraction or self.decimal_always else "")
        sign = "-" if exponent < 0 else ""
        return f"{mantissa}E{sign}{str(abs(exponent)).rjust(self.exp_digits or 1, '0')}"


# --- dates (java.time.format.DateTimeFormatter) -----------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_QUARTERS = ("1st quarter", "2nd quarter", "3rd quarter", "4th quarter")

# Letters DateTimeFormatter reserves that this formatter does not print; named in the error.
_UNSUPPORTED_LETTERS = {
    "Y": "week-based year", "w": "week of week-based year", "W": "week of month",
    "F": "day of week in month", "B": "day period", "g": "modified Julian day",
}  # fmt: skip
_MAX_COUNT = {"G": 5, "Q": 5, "q": 5, "M": 5, "L": 5, "d": 2, "D": 3, "E": 5, "e": 5, "c": 5,
              "a": 1, "h": 2, "K": 2, "k": 2, "H": 2, "m": 2, "s": 2, "S": 9, "V": 2, "z": 4,
              "O": 4, "X": 5, "x": 5, "Z": 5}  # fmt: skip

_Token = Callable[[Any], str]


def _padded(get: Callable[[Any], int], count: int) -> _Token:
    return lambda v: str(get(v)).rjust(count, "0")


def _day_of_year(v: Any) -> int:
    return v.toordinal() - dt.date(v.year, 1, 1).toordinal() + 1


def _nanos(v: Any) -> int:
    return v.microsecond * 1000 + getattr(v, "nanosecond", 0)


def _offset(v: Any) -> dt.timedelta:
    offset = v.utcoffset()
    if offset is None:
        raise ValueError("no time zone")  # caught: the cell prints the value as is
    return offset


def _zone_id(v: Any) -> str:
    _offset(v)
    tz = v.tzinfo
    return str(getattr(tz, "key", None) or getattr(tz, "zone", None) or v.tzname() or tz)


def _offset_text(v: Any, colon: bool, z_for_zero: bool, minutes: str) -> str:
    """'+01:00'-style offsets; `minutes` is 'always', 'if_nonzero' or 'never' (hours only)."""
    total = int(_offset(v).total_seconds()) // 60
    if total == 0 and z_for_zero:
        return "Z"
    sign = "-" if total < 0 else "+"
    hours, mins = divmod(abs(total), 60)
    text = f"{sign}{hours:02d}"
    if minutes == "always" or (minutes == "if_nonzero" and mins):
        text += (":" if colon else "") + f"{mins:02d}"
    return text


def _gmt_text(v: Any, full: bool) -> str:
    total = int(_offset(v).total_seconds()) // 60
    if total == 0:
        return "GMT"
    sign = "-" if total < 0 else "+"
    hours, mins = divmod(abs(total), 60)
    if full:
        return f"GMT{sign}{hours:02d}:{mins:02d}"
    return f"GMT{sign}{hours}" + (f":{mins:02d}" if mins else "")


def _date_token(letter: str, count: int) -> _Token:
    """The printer of one run of a pattern letter (English names, ISO chronology)."""
    if letter in _UNSUPPORTED_LETTERS:
        raise ValueError(f"pattern letter {letter!r} ({_UNSUPPORTED_LETTERS[letter]}) is not supported")
    if count > _MAX_COUNT.get(letter, 19):
        raise ValueError(f"too many pattern letters: {letter * count!r}")
    if letter in "yu":
        if count == 2:
            return lambda v: f"{v.year % 100:02d}"
        return _padded(lambda v: v.year, count)
    if letter in "ML":
        if count <= 2:
            return _padded(lambda v: v.month, count)
        return {3: lambda v: _MONTHS[v.month - 1][:3], 4: lambda v: _MONTHS[v.month - 1]}.get(
            count, lambda v: _MONTHS[v.month - 1][0]
        )
    if letter in "Qq":
        quarter: Callable[[Any], int] = lambda v: (v.month - 1) // 3 + 1
        if count <= 2:
            return _padded(quarter, count)
        return {3: lambda v: f"Q{quarter(v)}", 4: lambda v: _QUARTERS[quarter(v) - 1]}.get(
            count, lambda v: str(quarter(v))
        )
    if letter in "Eec":
        if letter != "E" and count <= 2:
            # Localized day-of-week number; an English (US) week starts on Sunday.
            return _padded(lambda v: (v.weekday() + 1) % 7 + 1, count)
        names = {4: lambda v: _DAYS[v.weekday()], 5: lambda v: _DAYS[v.weekday()][0]}
        return names.get(count, lambda v: _DAYS[v.weekday()][:3])
    simple: dict[str, Callable[[Any], int]] = {
        "d": lambda v: v.day,
        "D": _day_of_year,
        "H": lambda v: v.hour,
        "k": lambda v: v.hour or 24,
        "K": lambda v: v.hour % 12,
        "h": lambda v: v.hour % 12 or 12,
        "m": lambda v: v.minute,
        "s": lambda v: v.second,
        "n": _nanos,
        "N": lambda v: ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000_000 + _nanos(v),
        "A": lambda v: ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000,
    }
    if letter in simple:
        return _padded(simple[letter], count)
    if letter == "S":
        return lambda v: f"{_nanos(v):09d}"[:count]
    if letter == "a":
        return lambda v: "AM" if v.hour < 12 else "PM"
    if letter == "G":
        return {4: lambda v: "Anno Domini", 5: lambda v: "A"}.get(count, lambda v: "AD")
    if letter == "V":
        if count != 2:
            raise ValueError("pattern letter 'V' must appear twice ('VV')")
        return _zone_id
    if letter == "z":
        return lambda v: v.tzname() if _offset(v) is not None else ""
    if letter == "O":
        if count not in (1, 4):
            raise ValueError("pattern letter 'O' must appear once or four times")
        return lambda v: _gmt_text(v, full=count == 4)
    if letter in "Xx":
        z = letter == "X"
        minutes = "if_nonzero" if count == 1 else "always"
        return lambda v: _offset_text(v, colon=count in (3, 5), z_for_zero=z, minutes=minutes)
    if letter == "Z":
        if count == 4:
            return lambda v: _gmt_text(v, full=True)
        if count == 5:
            return lambda v: _offset_text(v, colon=True, z_for_zero=True, minutes="always")
        return lambda v: _offset_text(v, colon=False, z_for_zero=False, minutes="always")
    raise ValueError(f"unknown pattern letter {letter!r}")


def _parse_date_pattern(body: str) -> tuple[str | _Token, ...]:
    """Literal strings and field printers, in order."""
    parts: list[str | _Token] = []
    literal: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "'":
            text, i = _read_quoted(body, i)
            literal.append(text)
            continue
        if char.isascii() and char.isalpha():
            count = 1
            while i + count < len(body) and body[i + count] == char:
                count += 1
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_date_token(char, count))
            i += count
            continue
        if char in "{}#":
            raise ValueError(f"{char!r} is reserved in date patterns")
        if char not in "[]":  # optional sections: every field here is always present
            literal.append(char)
        i += 1
    if literal:
        parts.append("".join(literal))
    if not parts:
        raise ValueError("empty date pattern")
    return tuple(parts)


@dataclass(frozen=True)
class _DateFormat(_Format):
    pattern: str
    parts: tuple[str | _Token, ...]

    def temporal(self, value: Any) -> str:
        try:
            return "".join(p if isinstance(p, str) else p(value) for p in self.parts)
        except (AttributeError, TypeError, ValueError):
            # The value lacks a field of the pattern (a time under DATE[yyyy]): print it as is.
            return str(value)
