"""Dictionary encoding of Arrow batches against a plain Python mapping of the values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from atoti_lab._engine import types as T
from atoti_lab._engine.store.dictionary import Dictionary

_text = st.one_of(st.sampled_from(["", "a", "b", "ab", "é", "日本", "a\x00b", "x" * 40]), st.text(max_size=6))


def _decoded(d: Dictionary, codes: np.ndarray) -> list:
    return [d.value(int(c)) for c in codes]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), _text), max_size=40), min_size=1, max_size=6),
       st.sampled_from([pa.string(), pa.large_string()]), st.integers(0, 3))
def test_string_batches_round_trip(batches: list[list], arrow_type: pa.DataType, cut: int) -> None:
    d = Dictionary(T.STRING)
    codes_of: dict[str, int] = {}
    for values in batches:
        array = pa.array(["pad"] * cut + values, arrow_type)[cut:]  # a slice: buffers with an offset
        chunked = pa.chunked_array([array[: len(values) // 2], array[len(values) // 2 :]], arrow_type)
        for data in (array, chunked):
            codes = d.encode_arrow(data, "N/A")
            assert codes.dtype == np.uint16
            assert _decoded(d, codes) == ["N/A" if v is None else v for v in values]
            for v, c in zip(values, codes.tolist()):
                # A value keeps its code across batches.
                assert codes_of.setdefault("N/A" if v is None else v, c) == c
    assert len(d) == len(codes_of)


def test_rollback_forgets_codes_and_encoding_still_matches() -> None:
    d = Dictionary(T.STRING)
    d.encode_arrow(pa.array(["a", "b"]), None)
    d.encode_arrow(pa.array(["c", "d"]), None)
    d.truncate(2)
    codes = d.encode_arrow(pa.array(["d", "a", "e", "b"]), None)
    assert _decoded(d, codes) == ["d", "a", "e", "b"]
    assert len(d) == 4


def test_many_distinct_strings_grow_the_table() -> None:
    d = Dictionary(T.STRING)
    for b in range(4):
        values = [f"id-{i}" for i in range(b * 30_000, (b + 1) * 30_000)]
        codes = d.encode_arrow(pa.array(values), None)
        assert codes.dtype == (np.uint16 if len(d) <= 1 << 16 else np.int32)
        assert codes.tolist() == list(range(b * 30_000, (b + 1) * 30_000))
    again = d.encode_arrow(pa.array(["id-5", "id-119999", "new"]), None)
    assert again.tolist() == [5, 119_999, 120_000]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)), min_size=1, max_size=30),
                min_size=1, max_size=5))
def test_date_batches_round_trip(batches: list[list[dt.date]]) -> None:
    d = Dictionary(T.LOCAL_DATE)
    codes_of: dict[dt.date, int] = {}
    for values in batches:
        codes = d.encode_arrow(pa.array(values, pa.date32()), None)
        assert _decoded(d, codes) == values
        for v, c in zip(values, codes.tolist()):
            assert codes_of.setdefault(v, c) == c


def test_a_batch_of_days_inside_the_known_range_with_unknown_days() -> None:
    """Known days with a gap: a later batch within their range holding a day of the gap."""
    d = Dictionary(T.LOCAL_DATE)
    first = [dt.date(2024, 1, 1), dt.date(2024, 1, 10)]
    d.encode_arrow(pa.array(first, pa.date32()), None)
    later = [dt.date(2024, 1, 5), dt.date(2024, 1, 1), dt.date(2024, 1, 10)]
    assert _decoded(d, d.encode_arrow(pa.array(later, pa.date32()), None)) == later
    again = [dt.date(2024, 1, 10), dt.date(2024, 1, 5)]
    assert _decoded(d, d.encode_arrow(pa.array(again, pa.date32()), None)) == again


def test_integer_keys_through_the_cached_index() -> None:
    """Keys found in the cached index, in the dictionary but not yet in the cache, and new ones."""
    d = Dictionary(T.LONG)
    rng = np.random.default_rng(0)
    expected: dict[int, int] = {}
    for _ in range(8):
        keys = rng.integers(-(10**12), 10**12, 900).tolist() + rng.choice(list(expected) or [1], 300).tolist()
        codes = d.codes_of_int_keys(np.asarray(keys, np.int64))
        for k, c in zip(keys, codes.tolist()):
            assert expected.setdefault(k, c) == c
            assert d.key(c) == k
    assert len(d) == len(expected)
