"""Live queries: after any sequence of commits, the live result equals a fresh cube.query.

The reference is always an independent computation: a fresh (non-live) query of the same cube,
and for the incremental-only measures a pandas group-by of the rows the test itself tracks.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt

CITIES = ["Paris", "Lyon", "Nice", "Metz", "Brest", "Caen"]  # the first 3 exist at the start
COLORS = ["red", "blue", "green"]


def _rows(ids: list[int], cities: list[str], colors: list[str], qs: list[float | None], ns: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "city": cities, "color": colors, "q": pd.array(qs, dtype="Float64"),
                         "n": np.array(ns, np.int64)})


def _start(session: tt.Session, keyed: bool) -> tuple[tt.Table, tt.Cube]:
    first = _rows([0, 1, 2, 3], ["Paris", "Lyon", "Nice", "Paris"], ["red", "blue", "red", "green"],
                  [1.5, 2.0, None, 4.25], [1, 2, 3, 4])
    table = session.read_pandas(first, table_name="Sales", keys=["id"] if keyed else [],
                                data_types={"q": "double", "n": "long"})
    cube = session.create_cube(table)
    m = cube.measures
    m["q.MIN"] = tt.agg.min(table["q"])
    m["q.MAX"] = tt.agg.max(table["q"])
    m["n.MIN"] = tt.agg.min(table["n"])
    m["n.MAX"] = tt.agg.max(table["n"])
    m["n.DISTINCT"] = tt.agg.count_distinct(table["n"])
    m["q.MEDIAN"] = tt.agg.median(table["q"])
    m["n.Q90"] = tt.agg.quantile(table["n"], 0.9)
    m["n.PROD"] = tt.agg.prod(table["n"])
    m["q.VAR"] = tt.agg.var(table["q"])
    return table, cube


ALL = ["q.SUM", "q.MEAN", "n.SUM", "contributors.COUNT", "q.MIN", "q.MAX", "n.MIN", "n.MAX", "n.DISTINCT",
       "q.MEDIAN", "n.Q90", "n.PROD", "q.VAR"]
RETRACTABLE = ["q.SUM", "q.MEAN", "n.SUM", "n.MEAN", "contributors.COUNT", "q.VAR"]

row = st.tuples(st.integers(0, 11), st.sampled_from(CITIES), st.sampled_from(COLORS),
                st.one_of(st.none(), st.integers(-50, 50).map(lambda x: x / 4)), st.integers(-3, 9))
operation = st.one_of(
    st.tuples(st.just("load"), st.lists(row, min_size=1, max_size=5)),
    st.tuples(st.just("drop"), st.sampled_from(CITIES)),
    st.tuples(st.just("transaction"), st.lists(row, min_size=1, max_size=3), st.sampled_from(CITIES)),
)


def _apply(session: tt.Session, table: tt.Table, op: tuple, keyed: bool) -> None:
    kind = op[0]
    if kind in ("load", "transaction"):
        rows = op[1] if keyed else [(i + 100, *rest) for i, *rest in op[1]]
        batch = _rows(*map(list, zip(*rows)))
        if kind == "load":
            table.load(batch)
        else:
            # A drop and a load committed together, and a savepoint whose changes are undone.
            with session.tables.data_transaction():
                table.drop(table["city"] == op[2])
                table.load(batch)
                try:
                    with session.tables.data_transaction():
                        table.load(_rows([50], ["Caen"], ["red"], [99.0], [99]))
                        raise RuntimeError("undo the savepoint")
                except RuntimeError:
                    pass
    else:
        table.drop(table["city"] == op[1])


def _same(live: object, fresh: pd.DataFrame) -> None:
    got = live.result  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(fresh), check_exact=False, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=8), keyed=st.booleans(), two_levels=st.booleans(),
       check_every=st.booleans())
def test_live_result_equals_a_fresh_query(ops: list[tuple], keyed: bool, two_levels: bool, check_every: bool) -> None:
    with tt.Session.start() as session:
        table, cube = _start(session, keyed)
        l, m = cube.levels, cube.measures
        levels = [l["city"], l["color"]] if two_levels else [l["city"]]
        everything = [m[name] for name in ALL]
        sums = [m[name] for name in RETRACTABLE]
        queries = [
            ({"levels": levels, "include_totals": True}, everything),
            ({"levels": levels}, sums),
            ({}, everything),  # grand total only
            ({"levels": levels, "filter": l["city"].isin("Paris", "Lyon", "Metz")}, sums),
        ]
        lives = [cube.query(*ms, live=True, interval=0, **kw) for kw, ms in queries]
        # The same queries with an interval longer than the test: after (at most) one update for
        # the first commit, every later commit is applied in one go by refresh().
        queries += queries
        lives += [cube.query(*ms, live=True, interval=3600, **kw) for kw, ms in queries[:4]]
        try:
            for op in ops:
                _apply(session, table, op, keyed)
                if check_every:
                    for live, (kw, ms) in zip(lives[:4], queries):
                        assert live.wait(timeout=10)
                        _same(live, cube.query(*ms, **kw))
            for live in lives[4:]:
                live.refresh()
            for live, (kw, ms) in zip(lives, queries):
                assert live.wait(timeout=10)
                assert live.error is None
                _same(live, cube.query(*ms, **kw))
            # Sums, means and counts are maintained without ever querying the table again; the
            # other aggregates recompute only the cells that lost rows, never the whole result.
            assert all(live.stats.full == 0 for live in lives)
            assert all(lives[i].stats.partial == 0 for i in (1, 3, 5, 7))
        finally:
            for live in lives:
                live.stop()


def test_retraction_matches_pandas_and_stays_incremental() -> None:
    with tt.Session.start() as session:
        table, cube = _start(session, keyed=True)
        l, m = cube.levels, cube.measures
        rng = np.random.default_rng(7)
        rows = {0: ("Paris", 1.5, 1), 1: ("Lyon", 2.0, 2), 2: ("Nice", None, 3), 3: ("Paris", 4.25, 4)}
        with cube.query(m["q.SUM"], m["n.SUM"], m["contributors.COUNT"], levels=[l["city"]], live=True,
                        interval=0) as live:
            for step in range(30):
                ids = rng.integers(0, 20, size=4).tolist()
                batch = [(int(i), str(rng.choice(CITIES)), float(rng.integers(0, 40)) / 8, int(rng.integers(0, 9)))
                         for i in ids]
                table.load(_rows([b[0] for b in batch], [b[1] for b in batch], ["red"] * 4,
                                 [b[2] for b in batch], [b[3] for b in batch]))
                rows.update({b[0]: b[1:] for b in batch})
                if step % 7 == 6:
                    gone = str(rng.choice(CITIES))
                    table.drop(table["city"] == gone)
                    rows = {k: v for k, v in rows.items() if v[0] != gone}
            assert live.wait(timeout=10)
            frame = pd.DataFrame(rows.values(), columns=["city", "q", "n"])
            expected = frame.groupby("city").agg(q=("q", "sum"), n=("n", "sum"), c=("n", "size"))
            got = pd.DataFrame(live.result)
            assert list(got.index) == sorted(expected.index)
            np.testing.assert_allclose(got["q.SUM"].to_numpy(float), expected["q"].to_numpy(float))
            assert got["n.SUM"].tolist() == expected["n"].tolist()
            assert got["contributors.COUNT"].tolist() == expected["c"].tolist()
            assert live.stats.full == 0 and live.stats.incremental > 0


def test_new_members_renumber_cells_without_a_full_query() -> None:
    with tt.Session.start() as session:
        table, cube = _start(session, keyed=False)
        l, m = cube.levels, cube.measures
        with cube.query(m["q.SUM"], m["q.MAX"], levels=[l["city"], l["color"]], include_totals=True, live=True,
                        interval=0) as live:
            # "Brest" sorts before the existing cities, "yellow" after the colors: cells move.
            table.load(_rows([10, 11], ["Brest", "Nice"], ["yellow", "blue"], [3.0, 7.5], [1, 1]))
            assert live.wait(timeout=10)
            _same(live, cube.query(m["q.SUM"], m["q.MAX"], levels=[l["city"], l["color"]], include_totals=True))
            assert live.stats.renumbered == 1 and live.stats.full == 0
            assert "Brest" in pd.DataFrame(live.result).index.get_level_values("city")


def test_joined_table_and_multi_column_filters() -> None:
    with tt.Session.start() as session:
        table, cube = _start(session, keyed=True)
        regions = session.read_pandas(pd.DataFrame({"city": ["Paris", "Lyon"], "region": ["North", "South"]}),
                                      table_name="Regions", keys=["city"])
        table.join(regions, table["city"] == regions["city"])
        cube = session.create_cube(table, name="Joined")
        l, m = cube.levels, cube.measures
        spec = {"levels": [l["region"], l["color"]], "filter": (l["city"] == "Paris") | (l["color"] == "blue")}
        with cube.query(m["q.SUM"], m["contributors.COUNT"], live=True, interval=0, **spec) as live:
            table.load(_rows([7, 8, 1], ["Lyon", "Nice", "Paris"], ["blue", "red", "red"], [1.0, 2.0, 3.0], [1, 2, 3]))
            assert live.wait(timeout=10)
            _same(live, cube.query(m["q.SUM"], m["contributors.COUNT"], **spec))
            assert live.stats.full == 0
            # A change of the joined table can move facts to other members: the query starts over.
            regions.load(pd.DataFrame({"city": ["Nice", "Lyon"], "region": ["South", "North"]}))
            assert live.wait(timeout=10)
            _same(live, cube.query(m["q.SUM"], m["contributors.COUNT"], **spec))
            assert live.stats.reasons == {"joined table 'Regions' changed": 1}


def test_appends_from_a_thread_while_querying() -> None:
    with tt.Session.start() as session:
        table, cube = _start(session, keyed=False)
        l, m = cube.levels, cube.measures
        measures = [m["n.SUM"], m["contributors.COUNT"], m["n.MAX"]]
        with cube.query(*measures, levels=[l["city"]], include_totals=True, live=True, interval=0.005) as live:
            errors: list[BaseException] = []

            def produce() -> None:
                try:
                    for i in range(200):
                        table.load(_rows([1000 + 2 * i, 1001 + 2 * i], [CITIES[i % 6], CITIES[(i + 1) % 6]],
                                         ["red", "blue"], [1.0, None], [1, 2]))
                except BaseException as e:  # noqa: BLE001
                    errors.append(e)

            producer = threading.Thread(target=produce)
            producer.start()
            seen = 0
            while producer.is_alive():
                # Every result, live or not, is one committed state: the total is its rows' sum.
                for frame in (pd.DataFrame(live.result), pd.DataFrame(cube.query(*measures, levels=[l["city"]],
                                                                                   include_totals=True))):
                    assert frame["n.SUM"].iloc[0] == frame["n.SUM"].iloc[1:].sum()
                    assert frame["contributors.COUNT"].iloc[0] == frame["contributors.COUNT"].iloc[1:].sum()
                seen += 1
            producer.join()
            assert not errors
            assert live.wait(timeout=10)
            _same(live, cube.query(*measures, levels=[l["city"]], include_totals=True))
            assert int(pd.DataFrame(live.result)["contributors.COUNT"].iloc[0]) == 4 + 400
            assert seen > 0


def test_commits_are_coalesced_and_slow_callbacks_do_not_block_commits() -> None:
    import time

    with tt.Session.start() as session:
        table, cube = _start(session, keyed=False)
        l, m = cube.levels, cube.measures
        with cube.query(m["n.SUM"], levels=[l["city"]], live=True, interval=0.2) as live:
            calls: list[int] = []
            release = threading.Event()

            def slow(frame: pd.DataFrame) -> None:
                calls.append(int(frame["n.SUM"].sum()))
                release.wait(5)  # a callback stuck for a long time

            sub = live.subscribe(slow)
            start = time.monotonic()
            for i in range(50):
                table.load(_rows([100 + i], ["Paris"], ["red"], [1.0], [1]))
            committed = time.monotonic() - start
            # 50 commits in well under the 10 s the callbacks would take if they ran in line.
            assert committed < 3
            assert live.wait(timeout=10)
            assert int(pd.DataFrame(live.result)["n.SUM"].sum()) == 10 + 50
            updates = live.stats.updates
            # Leading update, then at most one per 0.2 s interval.
            assert updates <= 2 + committed / 0.2, (updates, committed)
            assert updates < 50
            assert len(calls) <= 1  # the callback is still stuck in its first call
            release.set()
            deadline = time.monotonic() + 5
            while calls[-1:] != [60] and time.monotonic() < deadline:
                time.sleep(0.01)
            # Once free, the callback got the latest result, not every intermediate one.
            assert calls[-1] == 60 and len(calls) <= 3
            sub.stop()
        assert not live.running
        before = live.version
        table.load(_rows([500], ["Paris"], ["red"], [1.0], [1]))
        assert live.version == before  # stopped: no more updates


def test_live_query_face() -> None:
    with tt.Session.start() as session:
        table, cube = _start(session, keyed=True)
        l, m = cube.levels, cube.measures
        live = cube.query(m["n.SUM"], levels=[l["city"]], live=True)
        try:
            fresh = cube.query(m["n.SUM"], levels=[l["city"]])
            pd.testing.assert_frame_equal(pd.DataFrame(live.to_pandas()), pd.DataFrame(fresh))
            assert len(live) == len(fresh) and list(live.index) == list(fresh.index)
            assert live["n.SUM"].tolist() == fresh["n.SUM"].tolist()
            assert "LiveQuery(live" in repr(live) and "<table" in live._repr_html_()
            got: list[pd.DataFrame] = []
            done = threading.Event()
            sub = cube.subscribe(m["n.SUM"], levels=[l["city"]], mode="raw", interval=0,
                                 callback=lambda f: (got.append(f), done.set()))
            table.load(_rows([9], ["Nice"], ["red"], [1.0], [5]))
            assert done.wait(10)
            assert dict(zip(got[-1]["city"], got[-1]["n.SUM"])) == {"Paris": 5, "Lyon": 2, "Nice": 8}
            sub.stop()
        finally:
            live.stop()
        with pytest.raises(ValueError, match="interval"):
            cube.query(m["n.SUM"], live=True, interval=-1)


def test_array_sums_follow_appends_upserts_and_new_members() -> None:
    """Element-wise sums of an array column are maintained (added and retracted cell by cell)."""
    def trades(ids: list[int], desks: list[str], seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        return pd.DataFrame({"id": ids, "desk": desks, "pnl": list(rng.integers(-9, 9, (len(ids), 4)))})

    with tt.Session.start() as session:
        table = session.read_pandas(trades([0, 1, 2], ["fx", "rates", "fx"], 0), table_name="T", keys=["id"])
        cube = session.create_cube(table)
        l, m = cube.levels, cube.measures
        live = cube.query(m["pnl.SUM"], m["pnl.MEAN"], levels=[l["desk"]], include_totals=True, live=True, interval=0)
        try:
            for step, (ids, desks) in enumerate([([3, 4], ["fx", "credit"]), ([0, 5], ["rates", "credit"]),
                                                 ([1], ["fx"])]):
                table.load(trades(ids, desks, step + 1))
                assert live.wait(timeout=10)
                fresh = cube.query(m["pnl.SUM"], m["pnl.MEAN"], levels=[l["desk"]], include_totals=True)
                assert list(live.result.index) == list(fresh.index)
                for column in fresh.columns:
                    for got, want in zip(live.result[column], fresh[column]):
                        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float))
            assert live.error is None
            assert live.stats.full == 0
        finally:
            live.stop()


def test_lost_extremes_recompute_only_their_cells_against_pandas() -> None:
    """Upserts and drops that take away minima, maxima, distinct values and medians: the live
    result recomputes the cells that lost rows (no full query) and matches a pandas group-by."""
    with tt.Session.start() as session:
        table, cube = _start(session, keyed=True)
        l, m = cube.levels, cube.measures
        rng = np.random.default_rng(11)
        rows = {0: ("Paris", "red", 1), 1: ("Lyon", "blue", 2), 2: ("Nice", "red", 3), 3: ("Paris", "green", 4)}
        names = ["n.MIN", "n.MAX", "n.DISTINCT", "n.PROD", "n.SUM"]
        with cube.query(*[m[n] for n in names], levels=[l["city"], l["color"]], live=True, interval=0) as live:
            for step in range(25):
                ids = rng.integers(0, 15, size=3).tolist()
                batch = {int(i): (str(rng.choice(CITIES[:4])), str(rng.choice(COLORS)), int(rng.integers(1, 9)))
                         for i in ids}
                table.load(_rows(list(batch), [b[0] for b in batch.values()], [b[1] for b in batch.values()],
                                 [1.0] * len(batch), [b[2] for b in batch.values()]))
                rows.update(batch)
                if step % 6 == 5:
                    table.drop(table["color"] == "green")
                    rows = {k: v for k, v in rows.items() if v[1] != "green"}
                assert live.wait(timeout=10)
                frame = pd.DataFrame(rows.values(), columns=["city", "color", "n"])
                expected = frame.groupby(["city", "color"])["n"].agg(["min", "max", "nunique", "prod", "sum"])
                got = pd.DataFrame(live.result)
                assert list(got.index) == list(expected.index)
                assert got[names].to_numpy(np.int64).tolist() == expected.to_numpy(np.int64).tolist()
            assert live.stats.full == 0 and live.stats.partial > 0
