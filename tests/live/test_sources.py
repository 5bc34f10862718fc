"""Ticking sources and input tables, with their real background threads."""

from __future__ import annotations

import datetime as dt
import threading
import time

import numpy as np
import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab._engine.live.sources import InputTable, TableRef, TickingSource


def wait_until(predicate, timeout: float = 10.0, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


@pytest.fixture
def ticks(session):
    return session.create_table("Ticks", data_types={"Tick": "long", "Time": "LocalDateTime", "Qty": "int"})


# --- ticking source ----------------------------------------------------------------------------


def test_ticks_at_roughly_the_period_and_stops(ticks) -> None:
    period = 0.05
    source = TickingSource(ticks, period, lambda i, now: (i, now, 1))
    assert wait_until(lambda: source.ticks >= 10, timeout=5)
    source.stop()
    assert not source.running and source.error is None
    n = len(ticks)
    assert n == source.ticks == source.rows_added
    frame = ticks.query().sort_values("Tick")
    assert frame["Tick"].tolist() == list(range(n))
    gaps = np.diff(frame["Time"].to_numpy()).astype("timedelta64[us]").astype(float) / 1e6
    assert (gaps > 0).all()
    assert period * 0.5 < float(np.median(gaps)) < period * 2
    time.sleep(3 * period)
    assert len(ticks) == n  # stopped means stopped


def test_default_row_is_the_time(session) -> None:
    table = session.create_table("Clock", data_types={"Time": "LocalDateTime"})
    with TickingSource(table, 0.02) as source:
        assert wait_until(lambda: len(table) >= 2, timeout=5)
    assert not source.running
    stamps = table.query()["Time"]
    assert (dt.datetime.now() - stamps.max().to_pydatetime()) < dt.timedelta(seconds=5)


def test_a_tick_can_add_a_batch(ticks) -> None:
    with TickingSource(ticks, 0.02, lambda i, now: [(i, now, 1), (i, now, 2)]) as source:
        assert wait_until(lambda: source.ticks >= 3, timeout=5)
    assert len(ticks) == 2 * source.ticks


def test_a_failing_tick_stops_the_source(ticks) -> None:
    def make_row(i, now):
        if i == 2:
            raise ValueError("sensor unplugged")
        return (i, now, 1)

    source = TickingSource(ticks, 0.02, make_row)
    assert wait_until(lambda: not source.running, timeout=5)
    assert isinstance(source.error, ValueError) and len(ticks) == 2
    source.stop()


def test_late_ticks_are_skipped_not_bunched(ticks) -> None:
    def slow(i, now):
        if i == 1:
            time.sleep(0.25)  # five periods
        return (i, now, 1)

    with TickingSource(ticks, 0.05, slow) as source:
        assert wait_until(lambda: source.ticks >= 4, timeout=5)
    assert source.missed >= 3


def test_period_must_be_positive(ticks) -> None:
    with pytest.raises(ValueError, match="positive"):
        TickingSource(ticks, 0)


def test_tick_without_start(ticks) -> None:
    source = TickingSource(ticks, 0.01, lambda i, now: (i, now, 1), start=False)
    time.sleep(0.05)
    assert len(ticks) == 0 and not source.running
    source.start()
    assert wait_until(lambda: len(ticks) > 0, timeout=5)
    source.stop()


# --- input tables ------------------------------------------------------------------------------


def test_append_only(session, ticks) -> None:
    table = InputTable(ticks, "append_only")
    now = dt.datetime(2024, 1, 1)
    assert table.add([(1, now, 1), (1, now, 1)]) == 2
    table.add(pd.DataFrame({"Tick": [2], "Time": [now], "Qty": [5]}))
    assert len(ticks) == 3
    keyed = session.create_table("K", data_types={"Id": "String", "Qty": "int"}, keys=["Id"])
    with pytest.raises(ValueError, match="mode='keyed'"):
        InputTable(keyed, "append_only")


def test_keyed_upserts_and_deletes(session) -> None:
    prices = session.create_table("Prices", data_types={"Sym": "String", "Venue": "String", "Px": "double"},
                                  keys=["Sym", "Venue"])
    table = InputTable(prices, "keyed")
    table.add([("AAA", "X", 1.0), ("AAA", "Y", 2.0), ("BBB", "X", 3.0)])
    table.add([{"Sym": "AAA", "Venue": "X", "Px": 1.5}])
    assert len(prices) == 3
    assert table.delete([("AAA", "Y"), ("CCC", "Z")]) == 1
    assert sorted(map(tuple, prices.query().values.tolist())) == [("AAA", "X", 1.5), ("BBB", "X", 3.0)]
    with pytest.raises(ValueError, match="2 values"):
        table.delete(["AAA"])
    plain = session.create_table("Plain", data_types={"Sym": "String"})
    with pytest.raises(ValueError, match="no keys"):
        InputTable(plain, "keyed")
    with pytest.raises(ValueError, match="mode must be"):
        InputTable(plain, "streaming")


def test_blink_keeps_only_the_latest_batch(session, ticks) -> None:
    table = InputTable(ticks, "blink")
    now = dt.datetime(2024, 1, 1)
    table.add([(1, now, 1), (1, now, 2)])
    table.add([(2, now, 10)])
    assert ticks.query()["Qty"].tolist() == [10]
    with pytest.raises(ValueError):
        table.add([(3, now, "not a number")])
    assert ticks.query()["Qty"].tolist() == [10]  # a failed batch leaves the previous one
    assert table.clear() == 1 and len(ticks) == 0


def test_table_ref_needs_a_table() -> None:
    with pytest.raises(TypeError, match="table of a session"):
        TableRef.of("Ticks")


# --- concurrency: every query sees a committed state -------------------------------------------


BATCH = 10


def _sums(cube, stop_after: float) -> list[int]:
    m = cube.measures
    seen = []
    deadline = time.monotonic() + stop_after
    while time.monotonic() < deadline:
        frame = cube.query(m["Qty.SUM"])
        seen.append(int(frame.iloc[0, 0]) if len(frame) else 0)
    return seen


def test_queries_see_whole_batches_while_a_source_appends(session, ticks) -> None:
    cube = session.create_cube(ticks, mode="no_measures")
    cube.measures["Qty.SUM"] = tt.agg.sum(ticks["Qty"])
    cube.query(cube.measures["Qty.SUM"])  # compile the kernels before the race starts
    with TickingSource(ticks, 0.002, lambda i, now: [(i, now, 1)] * BATCH) as source:
        seen = _sums(cube, 1.0)
    assert source.error is None and source.ticks > 20
    assert len(seen) > 20
    assert all(total % BATCH == 0 for total in seen)
    assert len(set(seen)) > 3  # the queries did run while rows arrived
    assert seen == sorted(seen)  # never goes back
    assert int(cube.query(cube.measures["Qty.SUM"]).iloc[0, 0]) == BATCH * source.ticks


def test_queries_see_one_blink_batch_at_a_time(session, ticks) -> None:
    cube = session.create_cube(ticks, mode="no_measures")
    cube.measures["Qty.SUM"] = tt.agg.sum(ticks["Qty"])
    cube.query(cube.measures["Qty.SUM"])
    table = InputTable(ticks, "blink")
    table.add([(0, dt.datetime(2024, 1, 1), 1)] * BATCH)
    stop = threading.Event()
    batches = [0]

    def producer() -> None:
        while not stop.is_set():
            n = (1, 2, 5)[batches[0] % 3]  # batches of 1, 2 or 5 rows ...
            table.add([(batches[0], dt.datetime(2024, 1, 1), BATCH // n)] * n)
            batches[0] += 1

    thread = threading.Thread(target=producer)
    thread.start()
    try:
        seen = _sums(cube, 0.8)
    finally:
        stop.set()
        thread.join(5)
    assert batches[0] > 10 and len(seen) > 10
    assert set(seen) == {BATCH}  # ... all summing to one batch's total: never empty, never two
