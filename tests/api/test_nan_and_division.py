"""Division by zero and NaN as atoti computes them (Java doubles), tt.math.isnan, and
tt.agg.single_value of string and date columns, checked against pandas."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt


@pytest.fixture(scope="module")
def session():
    with tt.Session.start() as s:
        yield s


def test_zero_over_zero_is_a_nan_value_that_isnan_sees(session):
    # atoti's isnan example, in our own words: a row whose sums are all zero.
    df = pd.DataFrame({"Shop": ["North", "South", "East", "West"], "Sold": [12.0, 0.0, -6.0, 0.0],
                       "Stock": [4.0, 0.0, 3.0, 5.0], "Units": [3, 0, 2, 5]})
    table = session.read_pandas(df, keys={"Shop"}, table_name="Shops")
    cube = session.create_cube(table)
    l, m = cube.levels, cube.measures
    m["per stock"] = m["Sold.SUM"] / m["Stock.SUM"]
    m["per stock is NaN"] = tt.math.isnan(m["per stock"])
    m["stock per sold"] = m["Stock.SUM"] / m["Sold.SUM"]
    m["shop is NaN"] = tt.math.isnan(tt.agg.single_value(table["Shop"]))
    m["units // sold units"] = m["Units.SUM"] // (m["Units.SUM"] - m["Units.SUM"])
    m["NaN doubled"] = m["per stock"] * 2
    got = cube.query(m["per stock"], m["per stock is NaN"], m["stock per sold"], m["shop is NaN"],
                     m["units // sold units"], m["NaN doubled"], levels=[l["Shop"]], mode="raw").set_index("Shop")
    assert got.loc["North", "per stock"] == 3.0 and not got.loc["North", "per stock is NaN"]
    # 0/0: NaN, a value (the row stays, isnan is True); x/0: ±Infinity, as Java divides doubles.
    assert math.isnan(got.loc["South", "per stock"]) and got.loc["South", "per stock is NaN"]
    assert got.loc["West", "stock per sold"] == math.inf and not got.loc["West", "per stock is NaN"]
    assert math.isnan(got.loc["South", "NaN doubled"])
    # A string is never NaN.
    assert not got["shop is NaN"].any()
    # Integer division by zero has no value: an empty cell.
    assert got["units // sold units"].isna().all()


def test_integer_sums_divide_as_doubles(session):
    df = pd.DataFrame({"k": ["a", "b", "c"], "x": [0, 3, -3], "y": [0, 0, 2]})
    cube = session.create_cube(session.read_pandas(df, keys={"k"}, table_name="Ints"))
    m, l = cube.measures, cube.levels
    m["ratio"] = m["x.SUM"] / m["y.SUM"]
    got = cube.query(m["ratio"], levels=[l["k"]], mode="raw").set_index("k")["ratio"]
    with np.errstate(all="ignore"):
        want = df.set_index("k")["x"].astype(float) / df.set_index("k")["y"].astype(float)
    pd.testing.assert_series_equal(got, want, check_names=False)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), by=st.sampled_from([[], ["cat"], ["cat", "grp"]]))
def test_single_value_of_strings_and_dates_matches_pandas(session, seed, n, by):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.arange(n),
        "cat": rng.choice(["A", "B", "C"], n),
        "grp": rng.choice(["g1", "g2"], n),
        "label": rng.choice(["red", "blue"], n) if seed % 2 else np.full(n, "red"),
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 2, n)],
    })
    table = session.read_pandas(df, keys=["id"], table_name=f"single_{seed}_{n}_{len(by)}")
    cube = session.create_cube(table, mode="manual")
    h, l, m = cube.hierarchies, cube.levels, cube.measures
    h["cat"] = [table["cat"]]
    h["grp"] = [table["grp"]]
    m["label"] = tt.agg.single_value(table["label"])
    m["day"] = tt.agg.single_value(table["day"])
    assert m["label"].data_type == "String" and m["day"].data_type == "LocalDate"
    result = cube.query(m["label"], m["day"], levels=[l[x] for x in by], mode="raw")
    for column in ("label", "day"):
        def single(s: pd.Series) -> object:
            values = s.unique()
            return values[0] if len(values) == 1 else None

        if by:
            want = {k if isinstance(k, tuple) else (k,): single(s) for k, s in df.groupby(by)[column]}
            got = {tuple(r[:len(by)]): r[len(by)] for r in result[by + [column]].itertuples(index=False)}
        else:
            want = {(): single(df[column])}
            got = {(): result[column].iloc[0]} if len(result) else {}
        assert {k: v for k, v in got.items() if v is not None and not pd.isna(v)} == \
            {k: v for k, v in want.items() if v is not None}
