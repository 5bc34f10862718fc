"""KeyIndex against a plain dict: inserts of batches of keys, duplicates, probes, layout switches."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from atoti_lab._engine.store.key_index import PAGE, HashIndex, KeyIndex, PagedIndex


def _reference_insert(ref: dict[int, int], keys: list[int], first_row: int) -> int:
    """Position of the first key already in `ref` or earlier in `keys`; else inserts all, -1."""
    seen: set[int] = set()
    for i, k in enumerate(keys):
        if k in ref or k in seen:
            return i
        seen.add(k)
    for i, k in enumerate(keys):
        ref[k] = first_row + i
    return -1


# Keys come in runs from a few bases (ids 1..N, ids continuing far away, negative codes) plus
# some scattered ones, so that both layouts and the switch between them are exercised.
_bases = st.sampled_from([0, 5 * PAGE - 3, 10**9, -(10**6), 2**40])
_run = st.tuples(_bases, st.integers(0, 3 * PAGE), st.integers(1, 300)).map(
    lambda t: list(range(t[0] + t[1], t[0] + t[1] + t[2])))
_scattered = st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=20)
_batch = st.one_of(_run, _run, _scattered, st.lists(st.integers(0, 50), min_size=1, max_size=30))


@settings(max_examples=150, deadline=None)
@given(st.lists(_batch, min_size=1, max_size=12))
def test_key_index_matches_a_dict(batches: list[list[int]]) -> None:
    index, ref, rows = KeyIndex(1), {}, 0
    for keys in batches:
        parts = np.asarray(keys, np.int64).reshape(1, -1)
        expected = _reference_insert(ref, keys, rows)
        assert index.try_insert_range(parts, rows) == expected
        if expected < 0:
            rows += len(keys)
        assert index.count == len(ref)
        probe_keys = list(ref)[-50:] + [k + 1 for k in keys[:20]] + [-7, 3 * 2**50]
        got = index.probe(np.asarray(probe_keys, np.int64).reshape(1, -1))
        assert got.tolist() == [ref.get(k, -1) for k in probe_keys]


def test_runs_of_ids_far_apart_stay_paged() -> None:
    """Ids 1..N then ids continuing from a far base (a streaming producer) keep direct addressing."""
    index = KeyIndex(1)
    assert index.try_insert_range(np.arange(1, 100_001, dtype=np.int64).reshape(1, -1), 0) == -1
    for b in range(10):
        keys = np.arange(10**9 + b * 10_000, 10**9 + (b + 1) * 10_000, dtype=np.int64).reshape(1, -1)
        assert index.try_insert_range(keys, 100_000 + b * 10_000) == -1
    assert isinstance(index.impl, PagedIndex)
    probe = np.array([[1, 100_000, 10**9, 10**9 + 99_999, 10**9 + 100_000, 0]], np.int64)
    assert index.probe(probe).tolist() == [0, 99_999, 100_000, 199_999, -1, -1]


def test_sparse_keys_switch_to_hashing() -> None:
    index = KeyIndex(1)
    keys = np.arange(0, 2**40, 2**40 // 1000, dtype=np.int64)[:1000]
    assert index.try_insert_range(keys.reshape(1, -1), 0) == -1
    assert isinstance(index.impl, HashIndex)
    assert index.probe(keys[::-1].reshape(1, -1)).tolist() == list(range(999, -1, -1))


def test_a_duplicate_inserts_nothing() -> None:
    index = KeyIndex(1)
    index.try_insert_range(np.array([[10, 11, 12]], np.int64), 0)
    assert index.try_insert_range(np.array([[20, 21, 11, 22]], np.int64), 3) == 2
    assert index.probe(np.array([[20, 21, 22, 10]], np.int64)).tolist() == [-1, -1, -1, 0]
    assert index.count == 3
