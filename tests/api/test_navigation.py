"""Hierarchy navigation and scopes, checked against pandas computations on the same data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt


def _frame(seed: int = 0, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    return pd.DataFrame({
        "id": np.arange(n),
        "cat": rng.choice(["A", "B", "C"], n),
        "year": days.year.astype("int64"),
        "month": days.month.astype("int64"),
        "date": [d.date() for d in days],
        "qty": rng.integers(-5, 50, n).astype("int64"),
    })


@pytest.fixture(scope="module")
def session():
    s = tt.Session.start()
    yield s
    s.close()


def _cube(session, df: pd.DataFrame, name: str):
    table = session.read_pandas(df, table_name=name, keys=["id"])
    cube = session.create_cube(table, mode="manual")
    h, l, m = cube.hierarchies, cube.levels, cube.measures
    h["cat"] = [table["cat"]]
    h["time"] = [table["year"], table["month"]]
    h["date"] = [table["date"]]
    m["qty"] = tt.agg.sum(table["qty"])
    return cube, h, l, m


@pytest.fixture(scope="module")
def sales(session):
    df = _frame()
    return (df, *_cube(session, df, "sales"))


def _values(result: pd.DataFrame, column: str) -> dict:
    return {k: v for k, v in result[column].items() if not pd.isna(v)}


def test_parent_value_share_and_total(sales):
    df, cube, h, l, m = sales
    m["year qty"] = tt.parent_value(m["qty"], degrees={h["time"]: 1})
    m["share"] = m["qty"] / m["year qty"]
    m["all time"] = tt.total(m["qty"], h["time"])
    got = cube.query(m["qty"], m["year qty"], m["share"], m["all time"], levels=[l["cat"], l["month"]], mode="raw")
    got = got.set_index(["cat", "year", "month"])
    year = df.groupby(["cat", "year"]).qty.sum()
    cat = df.groupby("cat").qty.sum()
    cell = df.groupby(["cat", "year", "month"]).qty.sum()
    for (c, y, mo), row in got.iterrows():
        assert row["year qty"] == year[(c, y)]
        assert row["all time"] == cat[c]
        if year[(c, y)] != 0:
            assert row["share"] == pytest.approx(cell[(c, y, mo)] / year[(c, y)])
        else:  # a double division by zero, as Java computes it: NaN for 0/0, else ±Infinity
            expected = np.float64(cell[(c, y, mo)]) / np.float64(0.0) if cell[(c, y, mo)] else np.nan
            assert row["share"] == expected or (np.isnan(expected) and np.isnan(row["share"]))


def test_parent_value_above_the_top_gives_total_value(sales):
    _, cube, h, l, m = sales
    m["parent or -1"] = tt.parent_value(m["qty"], degrees={h["time"]: 1}, total_value=-1)
    got = cube.query(m["parent or -1"], levels=[l["year"]], include_totals=True)
    assert got.loc["Total", "parent or -1"] == -1  # no parent above the top
    assert set(got.drop(index="Total")["parent or -1"]) == {int(cube.query(m["qty"]).iloc[0, 0])}


def test_parent_value_filters(sales):
    df, cube, h, l, m = sales
    m["p unfiltered"] = tt.parent_value(m["qty"], degrees={h["time"]: 1})
    m["p filtered"] = tt.parent_value(m["qty"], degrees={h["time"]: 1}, apply_filters=True)
    got = cube.query(m["p unfiltered"], m["p filtered"], levels=[l["month"]], filter=l["month"].isin(1, 2),
                     mode="raw").set_index(["year", "month"])
    for (y, _), row in got.iterrows():
        assert row["p unfiltered"] == df[df.year == y].qty.sum()
        assert row["p filtered"] == df[(df.year == y) & df.month.isin([1, 2])].qty.sum()


def _paths_series(df: pd.DataFrame) -> pd.Series:
    return df.groupby(["cat", "year", "month"]).qty.sum()


def test_shift_on_hierarchy_both_modes(sales):
    df, cube, h, l, m = sales
    m["prev"] = tt.shift(m["qty"], h["time"], offset=-1, mode="hierarchy")
    m["next lax"] = tt.shift(m["qty"], h["time"], offset=1)
    got = cube.query(m["qty"], m["prev"], m["next lax"], levels=[l["cat"], l["month"]], mode="raw")
    got = got.set_index(["cat", "year", "month"])
    cells = _paths_series(df)
    paths = sorted({(y, mo) for _, y, mo in cells.index})
    for (c, y, mo), row in got.iterrows():
        i = paths.index((y, mo))
        expected_prev = cells.get((c, *paths[i - 1])) if i > 0 else None
        assert (pd.isna(row["prev"]) and expected_prev is None) or row["prev"] == expected_prev
        # Lax: the next month where the category has a value.
        later = [cells[(c, *p)] for p in paths[i + 1:] if (c, *p) in cells.index]
        assert (pd.isna(row["next lax"]) and not later) or row["next lax"] == later[0]


def test_cumulative_sum_and_window(sales):
    df, cube, h, l, m = sales
    m["running"] = tt.agg.sum(m["qty"], scope=tt.CumulativeScope(l["month"]))
    m["last 3"] = tt.agg.sum(m["qty"], scope=tt.CumulativeScope(l["month"], window=range(-2, 1)))
    m["ytd"] = tt.agg.sum(m["qty"], scope=tt.CumulativeScope(l["month"], partitioning=l["year"]))
    got = cube.query(m["running"], m["last 3"], m["ytd"], levels=[l["cat"], l["month"]], mode="raw")
    got = got.set_index(["cat", "year", "month"])
    cells = _paths_series(df)
    for c in "ABC":
        series = cells.loc[c].sort_index()
        running = series.cumsum()
        last3 = series.rolling(3, min_periods=1).sum()
        ytd = series.groupby(level=0).cumsum()
        for (y, mo) in series.index:
            row = got.loc[(c, y, mo)]
            assert row["running"] == running[(y, mo)]
            assert row["last 3"] == last3[(y, mo)]
            assert row["ytd"] == ytd[(y, mo)]


def test_cumulative_above_its_level_is_the_value_at_the_last_member(sales):
    df, cube, h, l, m = sales
    m["running"] = tt.agg.sum(m["qty"], scope=tt.CumulativeScope(l["month"]))
    got = cube.query(m["running"], levels=[l["year"]], include_totals=True)
    by_year = df.groupby("year").qty.sum().sort_index().cumsum()
    for y, v in by_year.items():
        assert got.loc[y, "running"] == v
    assert got.loc["Total", "running"] == df.qty.sum()


def test_rank_among_siblings(sales):
    df, cube, h, l, m = sales
    m["rank"] = tt.rank(m["qty"], h["time"], ascending=False)
    got = cube.query(m["qty"], m["rank"], levels=[l["month"]], include_totals=True, mode="raw")
    leaf = got.dropna(subset=["month"]) if "month" in got else got
    cells = df.groupby(["year", "month"]).qty.sum()
    for (y, mo), v in cells.items():
        siblings = cells.loc[y]
        # Descending: 1 for the greatest; ties broken by member order.
        expected = 1 + sum(1 for k, w in siblings.items() if w > v or (w == v and k < mo))
        row = leaf[(leaf.year == y) & (leaf.month == mo)]
        assert int(row["rank"].iloc[0]) == expected


def test_origin_and_siblings_scopes(sales):
    df, cube, h, l, m = sales
    m["mean monthly"] = tt.agg.mean(m["qty"], scope=tt.OriginScope({l["month"]}))
    m["max monthly"] = tt.agg.max(m["qty"], scope=tt.OriginScope({l["month"]}))
    m["other cats"] = tt.agg.sum(m["qty"], scope=tt.SiblingsScope(h["cat"], exclude_self=True))
    got = cube.query(m["mean monthly"], m["max monthly"], m["other cats"], levels=[l["cat"]], include_totals=True)
    monthly = df.groupby(["cat", "year", "month"]).qty.sum()
    for c in "ABC":
        assert got.loc[c, "mean monthly"] == pytest.approx(monthly.loc[c].mean())
        assert got.loc[c, "max monthly"] == monthly.loc[c].max()
        assert got.loc[c, "other cats"] == df[df.cat != c].qty.sum()
    overall = df.groupby(["year", "month"]).qty.sum()
    assert got.loc["Total", "mean monthly"] == pytest.approx(overall.mean())


def test_at_filter_and_level_conditions(sales):
    df, cube, h, l, m = sales
    m["in 2022"] = tt.at(m["qty"], {l["year"]: 2022})
    m["cat A"] = tt.filter(m["qty"], l["cat"] == "A")
    m["A or not"] = tt.where(l["cat"] == "A", m["qty"], 0)
    m["has month"] = tt.where(~l["month"].isnull(), 1, 0)
    got = cube.query(m["in 2022"], m["cat A"], m["A or not"], m["has month"], levels=[l["cat"]],
                     include_totals=True)
    for c in "ABC":
        assert got.loc[c, "in 2022"] == df[(df.cat == c) & (df.year == 2022)].qty.sum()
        assert got.loc[c, "A or not"] == (df[df.cat == "A"].qty.sum() if c == "A" else 0)
        assert got.loc[c, "has month"] == 0
    assert got.loc["Total", "cat A"] == df[df.cat == "A"].qty.sum()
    assert pd.isna(got.loc["B", "cat A"]) or got.loc["B", "cat A"] == ""
    by_month = cube.query(m["has month"], levels=[l["month"]], mode="raw")
    assert set(by_month["has month"]) == {1}


def test_date_shift_first_last_and_date_diff(session):
    days = [dt.date(2024, 1, 1), dt.date(2024, 1, 15), dt.date(2024, 2, 1), dt.date(2024, 2, 20), dt.date(2024, 3, 1)]
    df = pd.DataFrame({"d": days, "v": [1, 2, 4, 8, 16]})
    table = session.read_pandas(df, table_name="dates", keys=["d"])
    cube = session.create_cube(table, mode="manual")
    h, l, m = cube.hierarchies, cube.levels, cube.measures
    h["d"] = [table["d"]]
    m["v"] = tt.agg.sum(table["v"])
    m["month ago"] = tt.date_shift(m["v"], h["d"], offset="-1M")
    m["month ago or before"] = tt.date_shift(m["v"], h["d"], offset="-1M", method="previous")
    m["first"] = tt.first(m["v"], l["d"])
    m["last"] = tt.last(m["v"], l["d"])
    m["age"] = tt.date_diff(l["d"], dt.date(2024, 3, 1))
    got = cube.query(m["v"], m["month ago"], m["month ago or before"], m["first"], m["last"], m["age"],
                     levels=[l["d"]], include_totals=True, mode="raw")
    got = got.set_index("d")
    assert got.loc[dt.date(2024, 2, 1), "month ago"] == 1  # exactly 2024-01-01
    assert pd.isna(got.loc[dt.date(2024, 2, 20), "month ago"])  # 2024-01-20 has no member
    assert got.loc[dt.date(2024, 2, 20), "month ago or before"] == 2  # 2024-01-15
    assert got.loc[dt.date(2024, 3, 1), "month ago or before"] == 4  # 2024-02-01
    assert set(got["first"]) == {1} and set(got["last"]) == {16}
    for d in days:
        assert got.loc[d, "age"] == (dt.date(2024, 3, 1) - d).days


def test_navigation_rejects_bad_arguments(sales):
    _, cube, h, l, m = sales
    with pytest.raises(TypeError, match="hierarchy"):
        tt.shift(m["qty"], l["month"])
    with pytest.raises(ValueError, match="period"):
        tt.date_shift(m["qty"], h["date"], offset="one month")
    with pytest.raises(TypeError, match="scope"):
        tt.agg.sum(m["qty"])
    with pytest.raises(ValueError, match="window"):
        tt.CumulativeScope(l["month"], window=range(1, 3))
    with pytest.raises(ValueError, match="degrees"):
        tt.parent_value(m["qty"], degrees={h["time"]: 0})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80), offset=st.integers(-3, 3))
def test_random_running_sums_and_shifts_match_pandas(session, seed, n, offset):
    df = _frame(seed, n)
    cube, h, l, m = _cube(session, df, f"r{seed}_{n}_{offset + 3}")
    m["running"] = tt.agg.sum(m["qty"], scope=tt.CumulativeScope(l["month"]))
    m["shifted"] = tt.shift(m["qty"], h["time"], offset=offset, mode="hierarchy")
    got = cube.query(m["qty"], m["running"], m["shifted"], levels=[l["month"]], mode="raw")
    cells = df.groupby(["year", "month"]).qty.sum().sort_index()
    paths = list(cells.index)
    got = got.set_index(["year", "month"])
    running = cells.cumsum()
    for i, p in enumerate(paths):
        assert got.loc[p, "running"] == running[p]
        j = i + offset
        if 0 <= j < len(paths):
            assert got.loc[p, "shifted"] == cells[paths[j]]
        else:
            assert pd.isna(got.loc[p, "shifted"])
