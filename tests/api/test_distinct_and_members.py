"""tt.agg.distinct, tt.agg.max_member and tt.agg.min_member, checked against pandas on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt

_LEVEL_SETS = [[], ["cat"], ["cat", "sub"], ["g"], ["g", "cat"]]


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": np.arange(n),
        "cat": rng.choice(["A", "B", "C"], n),
        "sub": rng.choice(["s0", "s1", "s2", "s3"], n),
        "g": rng.choice(["x", "y"], n),
        "v": rng.integers(-3, 4, n).astype("int64"),  # small range: ties happen
        "w": rng.choice([1.5, 2.25, -4.0, np.nan], n),
    })


@pytest.fixture(scope="module")
def session():
    with tt.Session.start() as s:
        yield s


def _cube(session, df: pd.DataFrame, name: str):
    table = session.read_pandas(df, table_name=name, keys=["id"])
    cube = session.create_cube(table, mode="manual")
    h, l, m = cube.hierarchies, cube.levels, cube.measures
    h["geo"] = [table["cat"], table["sub"]]
    h["g"] = [table["g"]]
    m["v"] = tt.agg.sum(table["v"])
    m["max sub"] = tt.agg.max_member(m["v"], l["sub"])
    m["min sub"] = tt.agg.min_member(m["v"], l["sub"])
    with tt.experimental({"agg.distinct"}):
        m["subs"] = tt.agg.distinct(table["sub"])
        m["vs"] = tt.agg.distinct(table["v"])
        m["ws"] = tt.agg.distinct(table["w"])
    return table, cube, l, m


def _rows(result: pd.DataFrame, levels: list[str], column: str) -> dict:
    raw = result.reset_index() if levels else result
    keys = [tuple(r) for r in raw[levels].itertuples(index=False)] if levels else [()] * len(raw)
    return dict(zip(keys, raw[column]))


def _expected_member(df: pd.DataFrame, levels: list[str], largest: bool) -> dict:
    # Candidates: each (cell, path down to "sub") with its sum; a cell fixing "sub" has one candidate.
    path = [c for c in ["cat", "sub"] if c not in levels]
    sums = df.groupby(levels + path, sort=True)["v"].sum().reset_index()
    sums["key"] = -sums["v"] if largest else sums["v"]
    best = sums.sort_values(levels + ["key", "sub"], kind="stable").groupby(levels, sort=True).head(1) \
        if levels else sums.sort_values(["key", "sub"], kind="stable").head(1)
    if not levels:
        return {(): best["sub"].iloc[0]}
    return {tuple(r[:-1]): r[-1] for r in best[levels + ["sub"]].itertuples(index=False)}


def _expected_distinct(df: pd.DataFrame, levels: list[str], column: str) -> dict:
    def values(s: pd.Series) -> list:
        return sorted(s.dropna().unique().tolist())

    if not levels:
        return {(): values(df[column])}
    return {k if isinstance(k, tuple) else (k,): values(s) for k, s in df.groupby(levels, sort=True)[column]}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), which=st.sampled_from(range(len(_LEVEL_SETS))))
def test_max_and_min_member_match_pandas(session, seed, n, which):
    df = _frame(seed, n)
    _, cube, l, m = _cube(session, df, f"members_{seed}_{n}_{which}")
    levels = _LEVEL_SETS[which]
    result = cube.query(m["max sub"], m["min sub"], levels=[l[x] for x in levels])
    assert _rows(result, levels, "max sub") == _expected_member(df, levels, largest=True)
    assert _rows(result, levels, "min sub") == _expected_member(df, levels, largest=False)
    # With totals: each prefix of the levels, the rest aggregated (None in raw mode).
    totals = cube.query(m["max sub"], m["min sub"], levels=[l[x] for x in levels], include_totals=True, mode="raw")
    for column, largest in (("max sub", True), ("min sub", False)):
        got = {tuple(None if pd.isna(v) else v for v in row[:-1]): row[-1]
               for row in totals[levels + [column]].itertuples(index=False)}
        want = {}
        for p in range(len(levels) + 1):
            for key, member in _expected_member(df, levels[:p], largest).items():
                want[key + (None,) * (len(levels) - p)] = member
        assert got == want


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), which=st.sampled_from(range(len(_LEVEL_SETS))))
def test_distinct_matches_pandas(session, seed, n, which):
    df = _frame(seed, n)
    _, cube, l, m = _cube(session, df, f"distinct_{seed}_{n}_{which}")
    levels = _LEVEL_SETS[which]
    result = cube.query(m["subs"], m["vs"], m["ws"], levels=[l[x] for x in levels], mode="raw")
    for column, source in (("subs", "sub"), ("vs", "v"), ("ws", "w")):
        got = {k: (list(v) if v is not None else []) for k, v in _rows(result, levels, column).items()}
        want = _expected_distinct(df, levels, source)
        # A cell whose values are all missing has an empty distinct cell (None in the frame).
        assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}


def test_totals_rows_hold_the_members_and_values_under_them(session):
    df = pd.DataFrame({
        "id": range(6), "cat": ["A", "A", "A", "B", "B", "C"], "sub": ["s1", "s2", "s3", "s1", "s2", "s9"],
        "g": ["x"] * 6, "v": [5, 9, 9, 7, 1, -2], "w": [1.0, 2.0, 2.0, np.nan, 3.0, 1.0],
    })
    _, cube, l, m = _cube(session, df, "totals")
    result = cube.query(m["max sub"], m["min sub"], m["subs"], levels=[l["cat"]], include_totals=True, mode="raw")
    rows = {r.cat: r for r in result.itertuples(index=False)}
    # Ties (s2 and s3 both 9 in A) go to the first member in the level's order.
    assert rows["A"][1] == "s2" and rows["A"][2] == "s1"
    total = next(r for r in result.itertuples(index=False) if r.cat is None or pd.isna(r.cat))
    # At the top, sums per (cat, sub) path compete: A/s2 = 9 wins, C/s9 = -2 loses.
    assert total[1] == "s2" and total[2] == "s9"
    assert list(total[3]) == ["s1", "s2", "s3", "s9"]
    assert m["max sub"].data_type == "String"
    assert m["ws"].data_type == "double[]" and m["vs"].data_type == "long[]" and m["subs"].data_type == "Object[]"


def test_distinct_prints_with_the_array_formatter(session):
    df = pd.DataFrame({"id": [1, 2, 3, 4], "cat": ["Paris", "London", "New York", "Paris"], "sub": ["a"] * 4,
                       "g": ["x"] * 4, "v": [1, 2, 3, 4], "w": [0.5, 0.5, 1.0, 2.0]})
    table, cube, l, m = _cube(session, df, "printed")
    with tt.experimental({"agg.distinct"}):
        m["cities"] = tt.agg.distinct(table["cat"])
    m["cities"].formatter = "ARRAY[',']"
    text = repr(cube.query(m["cities"], levels=[l["cat"]], include_totals=True))
    lines = [line.split() for line in text.splitlines()[2:]]
    assert lines[0] == ["Total", "London,New", "York,Paris"]
    assert lines[1] == ["London", "London"]


def test_distinct_of_a_level_lists_its_members_under_each_cell(session):
    df = _frame(5, 30)
    _, cube, l, m = _cube(session, df, "level_distinct")
    with tt.experimental({"agg.distinct"}):
        m["sub members"] = tt.agg.distinct(l["sub"])
    result = cube.query(m["sub members"], m["subs"], levels=[l["g"]], mode="raw")
    for row in result.itertuples(index=False):
        assert list(row[1]) == list(row[2]) == sorted(df[df.g == row[0]]["sub"].unique())


def test_scoped_distinct_gathers_the_values_below(session):
    df = _frame(3, 40)
    _, cube, l, m = _cube(session, df, "scoped")
    with tt.experimental({"agg.distinct"}):
        m["sums by sub"] = tt.agg.distinct(m["v"], scope=tt.OriginScope({l["sub"]}))
    result = cube.query(m["sums by sub"], levels=[l["cat"]], mode="raw")
    want = df.groupby(["cat", "sub"])["v"].sum().groupby(level=0).apply(lambda s: sorted(set(s)))
    assert {r.cat: list(r[1]) for r in result.itertuples(index=False)} == want.to_dict()


def test_scoped_distinct_of_members_lists_the_members_below(session):
    df = _frame(9, 50)
    _, cube, l, m = _cube(session, df, "scoped_members")
    with tt.experimental({"agg.distinct"}):
        # For each g, the sub winning in each cat, gathered over the cats.
        m["winners"] = tt.agg.distinct(m["max sub"], scope=tt.OriginScope({l["cat"]}))
    assert m["winners"].data_type == "Object[]"
    result = cube.query(m["winners"], levels=[l["g"]], mode="raw")
    for row in result.itertuples(index=False):
        part = df[df.g == row[0]]
        want = sorted({next(iter(_expected_member(part[part.cat == c], ["cat"], True).values()))
                       for c in part.cat.unique()})
        assert list(row[1]) == want


def test_bad_uses_are_refused_at_definition(session):
    df = _frame(1, 10)
    table, _, l, m = _cube(session, df, "bad")
    with pytest.raises(RuntimeError, match="experimental"):
        tt.agg.distinct(table["sub"])
    with pytest.raises(TypeError, match="level"):
        tt.agg.max_member(m["v"], table["sub"])
    with pytest.raises(TypeError, match="measure"):
        tt.agg.max_member(table["v"], l["sub"])
    with pytest.raises(TypeError, match="String"):
        m["nonsense"] = m["max sub"] + 1
    with pytest.raises(TypeError, match="numbers"):
        m["nested"] = tt.agg.max_member(m["max sub"], l["cat"])
    assert "nonsense" not in m and "nested" not in m


def test_live_queries_keep_members_and_distinct_values_up_to_date(session):
    df = pd.DataFrame({"id": [1, 2, 3], "cat": ["A", "A", "B"], "sub": ["s1", "s2", "s1"], "g": ["x"] * 3,
                       "v": [1, 5, 2], "w": [1.0, 2.0, 3.0]})
    table, cube, l, m = _cube(session, df, "live")
    m["one sub"] = tt.agg.single_value(table["sub"])
    measures = [m["max sub"], m["min sub"], m["subs"], m["one sub"]]

    def frame(result: pd.DataFrame) -> list:
        return [tuple(list(v) if isinstance(v, np.ndarray) else v for v in row)
                for row in result.reset_index().astype(object).itertuples(index=False)]

    live = cube.query(*measures, levels=[l["cat"]], include_totals=True, live=True, interval=0)
    try:
        for change in (lambda: table.load(pd.DataFrame({"id": [4, 5], "cat": ["B", "C"], "sub": ["s3", "s3"],
                                                        "g": ["x", "x"], "v": [10, 1], "w": [0.5, 0.5]})),
                       lambda: table.drop(table["id"] == 4)):
            change()
            assert live.wait(timeout=10) and live.error is None
            assert frame(live.result) == frame(cube.query(*measures, levels=[l["cat"]], include_totals=True))
        assert frame(live.result)[2][1:] == ("s1", "s1", ["s1"], "s1")  # B after the drop
    finally:
        live.stop()


def test_members_of_a_date_level_compare_in_where_and_filters(session):
    import datetime as dt

    df = pd.DataFrame({"id": range(5), "cat": ["A", "A", "B", "B", "B"],
                       "day": [dt.date(2024, 1, d) for d in (1, 2, 3, 4, 5)], "v": [3, 5, 1, 0, 1]})
    cube = session.create_cube(session.read_pandas(df, table_name="days", keys=["id"]))
    l, m = cube.levels, cube.measures
    m["best day"] = tt.agg.max_member(m["v.SUM"], l["day"])
    m["best is Jan 2"] = tt.where(m["best day"] == dt.date(2024, 1, 2), 1, 0)
    assert m["best day"].data_type == "LocalDate"
    got = cube.query(m["best day"], m["best is Jan 2"], levels=[l["cat"]], include_totals=True)
    # B ties 1 on Jan 3 and Jan 5: the first in the level's order wins.
    assert got["best day"].tolist() == [dt.date(2024, 1, 2), dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    assert got["best is Jan 2"].tolist() == [1, 1, 0]
    only_b = cube.query(m["best day"], levels=[l["cat"]], filter=m["best day"] == dt.date(2024, 1, 3))
    assert only_b.index.tolist() == ["B"]
