"""The store against pandas: upserts, appends, drops, transactions, and a reader during writes."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atoti_lab._engine.expr.condition import ColumnRef, Compare, IsIn, Not
from atoti_lab._engine.store import table as table_module
from atoti_lab._engine.store.columns import ColumnSpec
from atoti_lab._engine.store.database import Store


def make_store(keys=("id",)) -> Store:
    store = Store()
    store.create_table(
        "t",
        [ColumnSpec("id", "long", 0), ColumnSpec("name", "String", "N/A"), ColumnSpec("v", "double", None)],
        keys,
    )
    return store


def frame(store: Store) -> pd.DataFrame:
    return store.tables["t"].to_arrow().to_pandas()


def batch(ids, names, values) -> pa.Table:
    return pa.table({"id": pa.array(ids, pa.int64()), "name": pa.array(names, pa.string()),
                     "v": pa.array(values, pa.float64())})


rows = st.lists(
    st.tuples(st.integers(0, 40), st.sampled_from(["a", "b", "c", None]), st.floats(-5, 5, allow_nan=False)),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=5), st.sampled_from(["a", "b"]))
def test_upserts_and_drop_match_pandas(batches, dropped_name):
    store = make_store()
    expected = pd.DataFrame({"id": pd.Series([], dtype="int64"), "name": pd.Series([], dtype=object),
                             "v": pd.Series([], dtype="float64")})
    for b in batches:
        ids, names, values = (list(x) for x in zip(*b)) if b else ([], [], [])
        store.load("t", batch(ids, names, values))
        new = pd.DataFrame({"id": ids, "name": [n if n is not None else "N/A" for n in names], "v": values})
        expected = pd.concat([expected, new]).drop_duplicates("id", keep="last")
    store.drop("t", Compare(ColumnRef("t", "name"), "==", dropped_name))
    expected = expected[expected["name"] != dropped_name]
    got = frame(store).sort_values("id").reset_index(drop=True)
    want = expected.sort_values("id").reset_index(drop=True)
    assert got["id"].tolist() == want["id"].tolist()
    assert got["name"].tolist() == want["name"].tolist()
    np.testing.assert_allclose(got["v"].to_numpy(float), want["v"].to_numpy(float))


def test_table_without_keys_appends_duplicates():
    store = make_store(keys=())
    store.load("t", batch([1, 1], ["a", "b"], [1.0, 2.0]))
    store.load("t", batch([1], ["c"], [3.0]))
    assert frame(store)["name"].tolist() == ["a", "b", "c"]


def test_many_small_appends_fill_tail_segments(monkeypatch):
    monkeypatch.setattr(table_module, "TAIL_ROWS", 64)
    monkeypatch.setattr(table_module, "FIRST_TAIL_ROWS", 8)
    store = make_store()
    for start in range(0, 500, 7):
        ids = list(range(start, start + 7))
        store.load("t", batch(ids, ["x"] * 7, [float(i) for i in ids]))
    store.load("t", batch([3, 250], ["y", "y"], [-1.0, -2.0]))  # overwrite rows in sealed segments
    df = frame(store).set_index("id")
    assert len(df) == 504 and len(store.tables["t"].segments) > 5
    assert df.loc[3, "v"] == -1.0 and df.loc[250, "name"] == "y" and df.loc[251, "v"] == 251.0


def test_transaction_rolls_back_everything():
    store = make_store()
    store.load("t", batch([1, 2], ["a", "b"], [1.0, 2.0]))
    before = frame(store)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.load("t", batch([2, 3], ["z", "z"], [9.0, 9.0]))
            store.drop("t", Compare(ColumnRef("t", "id"), "==", 1))
            raise RuntimeError("boom")
    pd.testing.assert_frame_equal(frame(store), before)
    # the key index was restored too: upserting key 2 replaces, key 3 is new
    store.load("t", batch([2, 3], ["q", "r"], [0.0, 0.0]))
    assert sorted(frame(store)["id"]) == [1, 2, 3]


def test_nested_transaction_is_a_savepoint():
    store = make_store()
    with store.transaction():
        store.load("t", batch([1], ["a"], [1.0]))
        with pytest.raises(ValueError):
            with store.transaction():
                store.load("t", batch([1, 2], ["b", "b"], [2.0, 2.0]))
                raise ValueError
        store.load("t", batch([3], ["c"], [3.0]))
    assert frame(store).sort_values("id")[["id", "name"]].values.tolist() == [[1, "a"], [3, "c"]]


def test_commit_notifies_once_per_transaction():
    store = make_store()
    commits = []
    store.subscribe(commits.append)
    with store.transaction():
        store.load("t", batch([1], ["a"], [1.0]))
        store.load("t", batch([2], ["a"], [1.0]))
    store.drop("t", Compare(ColumnRef("t", "id"), "==", 99))  # drops nothing: no commit
    assert [c.tables for c in commits] == [frozenset({"t"})]


def test_filters_on_dictionary_and_numeric_columns():
    store = make_store()
    store.load("t", batch([1, 2, 3, 4], ["a", "b", "c", None], [1.0, None, 3.0, 4.0]))
    name, v = ColumnRef("t", "name"), ColumnRef("t", "v")
    assert list(store.matching_rows("t", IsIn(name, ("a", "c")))) == [0, 2]
    assert list(store.matching_rows("t", Compare(v, ">=", 3.0))) == [2, 3]
    # the missing name became the default "N/A", which sorts before "b"
    assert list(store.matching_rows("t", Not(Compare(name, "<", "b")))) == [1, 2]


def test_reader_never_sees_half_a_transaction():
    store = make_store()
    store.load("t", batch(list(range(100)), ["a"] * 100, [1.0] * 100))
    stop = threading.Event()
    seen: list[float] = []

    def reader() -> None:
        while not stop.is_set():
            with store.read():
                snap = store.tables["t"].snapshot()
                seen.append(sum(float(np.nansum(part)) for part in snap.columns["v"]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            with store.transaction():  # each transaction keeps the total at 100
                store.load("t", batch(list(range(50)), ["b"] * 50, [2.0] * 50))
                store.load("t", batch(list(range(50, 100)), ["b"] * 50, [0.0] * 50))
    finally:
        stop.set()
        thread.join()
    assert seen and set(seen) == {100.0}
