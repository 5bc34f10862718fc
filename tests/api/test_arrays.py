"""Array measures (P&L scenario vectors) against the same computation done with numpy per group."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atoti_lab as tt

WIDTH = 6


def scenarios(seed: int, n: int, width: int = WIDTH) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "trade": [f"t{i:03d}" for i in range(n)],
        "desk": rng.choice(["rates", "fx", "credit"], n),
        "book": rng.choice(["b1", "b2"], n),
        "qty": rng.integers(1, 5, n),
        "pnl": list(np.round(rng.normal(0, 10, (n, width)), 3)),
        "hits": list(rng.integers(-5, 5, (n, width))),
    })


@pytest.fixture
def pnl():
    with tt.Session.start() as session:
        df = scenarios(7, 40)
        table = session.read_pandas(df, table_name="Trades", keys=["trade"])
        yield session.create_cube(table), table, df


def by_desk(df: pd.DataFrame, column: str) -> dict[str, np.ndarray]:
    return {desk: np.stack(group[column].tolist()) for desk, group in df.groupby("desk")}


def cells(result: pd.DataFrame, name: str) -> dict[str, np.ndarray]:
    return {key: np.asarray(v) for key, v in result[name].items()}


def test_array_columns_get_element_wise_sum_and_mean(pnl):
    cube, table, df = pnl
    m, l = cube.measures, cube.levels
    assert table["pnl"].data_type == "double[]" and table["hits"].data_type == "long[]"
    assert {"pnl.SUM", "pnl.MEAN", "hits.SUM", "hits.MEAN"} <= set(m)
    assert m["pnl.SUM"].data_type == "double[]" and m["hits.SUM"].data_type == "long[]"
    assert m["pnl.MEAN"].data_type == "double[]"
    got = cube.query(m["pnl.SUM"], m["pnl.MEAN"], m["hits.SUM"], levels=[l["desk"]], include_totals=True)
    groups = by_desk(df, "pnl")
    for desk, block in groups.items():
        np.testing.assert_allclose(got.loc[desk, "pnl.SUM"], block.sum(axis=0))
        np.testing.assert_allclose(got.loc[desk, "pnl.MEAN"], block.mean(axis=0))
        assert got.loc[desk, "hits.SUM"].tolist() == by_desk(df, "hits")[desk].sum(axis=0).tolist()
    np.testing.assert_allclose(got.loc["Total", "pnl.SUM"], np.stack(df["pnl"].tolist()).sum(axis=0))
    np.testing.assert_allclose(got.loc["Total", "pnl.MEAN"], np.stack(df["pnl"].tolist()).mean(axis=0))


def test_arrays_print_as_atoti_prints_vectors(pnl):
    cube, _, df = pnl
    m, l = cube.measures, cube.levels
    m["Worst 2 at"] = tt.array.n_lowest_indices(m["pnl.SUM"], 2)
    got = cube.query(m["pnl.SUM"], m["hits.SUM"], m["Worst 2 at"], levels=[l["desk"]])
    first = float(by_desk(df, "pnl")["fx"].sum(axis=0)[0])
    text = got.to_string()
    assert f"doubleVector[{WIDTH}]{{{first!r}, ...}}" in text
    assert f"longVector[{WIDTH}]{{" in text and "intVector[2]{" in text
    raw = cube.query(m["pnl.SUM"], levels=[l["desk"]], mode="raw")
    assert isinstance(raw["pnl.SUM"][0], np.ndarray) and raw["pnl.SUM"][0].shape == (WIDTH,)


def test_table_head_shows_arrays_as_lists(pnl):
    _, table, df = pnl
    head = table.head(3)
    assert list(head.loc["t000", "pnl"]) == list(df.loc[0, "pnl"])


@pytest.mark.parametrize(("name", "build", "check"), [
    ("sum", lambda x: tt.array.sum(x), lambda a: a.sum()),
    ("mean", lambda x: tt.array.mean(x), lambda a: a.mean()),
    ("min", lambda x: tt.array.min(x), lambda a: a.min()),
    ("max", lambda x: tt.array.max(x), lambda a: a.max()),
    ("prod", lambda x: tt.array.prod(x), lambda a: a.prod()),
    ("len", lambda x: tt.array.len(x), lambda a: len(a)),
    ("var", lambda x: tt.array.var(x), lambda a: a.var(ddof=1)),
    ("std population", lambda x: tt.array.std(x, mode="population"), lambda a: a.std()),
    ("2nd greatest", lambda x: tt.array.nth_greatest(x, 2), lambda a: np.sort(a)[-2]),
    ("3rd lowest", lambda x: tt.array.nth_lowest(x, 3), lambda a: np.sort(a)[2]),
    ("element", lambda x: x[2], lambda a: a[2]),
    ("last element", lambda x: x[-1], lambda a: a[-1]),
    ("median", lambda x: tt.array.quantile(x, 0.5), lambda a: np.quantile(a, 0.5)),
])
def test_functions_to_numbers(pnl, name, build, check):
    cube, _, df = pnl
    m, l = cube.measures, cube.levels
    m[name] = build(m["pnl.SUM"])
    got = cube.query(m[name], levels=[l["desk"]])
    for desk, block in by_desk(df, "pnl").items():
        assert got.loc[desk, name] == pytest.approx(check(block.sum(axis=0)))


@pytest.mark.parametrize(("name", "build", "check"), [
    ("sorted", lambda x: tt.array.sort(x), np.sort),
    ("sorted desc", lambda x: tt.array.sort(x, ascending=False), lambda a: np.sort(a)[::-1]),
    ("top 2", lambda x: tt.array.n_greatest(x, 2), lambda a: np.sort(a)[::-1][:2]),
    ("bottom 3", lambda x: tt.array.n_lowest(x, 3), lambda a: np.sort(a)[:3]),
    ("top 2 at", lambda x: tt.array.n_greatest_indices(x, 2), lambda a: np.argsort(-a, kind="stable")[:2]),
    ("losses", lambda x: tt.array.negative_values(x), lambda a: np.minimum(a, 0)),
    ("gains", lambda x: tt.array.positive_values(x), lambda a: np.maximum(a, 0)),
    ("running", lambda x: tt.array.prefix_sum(x), np.cumsum),
    ("slice", lambda x: x[1:4], lambda a: a[1:4]),
    ("every other", lambda x: x[::2], lambda a: a[::2]),
    ("scaled", lambda x: x * 2 - 1, lambda a: a * 2 - 1),
    ("squared", lambda x: x * x, lambda a: a * a),
])
def test_functions_to_arrays(pnl, name, build, check):
    cube, _, df = pnl
    m, l = cube.measures, cube.levels
    m[name] = build(m["pnl.SUM"])
    got = cube.query(m[name], levels=[l["desk"]], include_totals=True)
    for desk, block in by_desk(df, "pnl").items():
        np.testing.assert_allclose(got.loc[desk, name], check(block.sum(axis=0)))
    np.testing.assert_allclose(got.loc["Total", name], check(np.stack(df["pnl"].tolist()).sum(axis=0)))


def test_index_from_a_measure_and_an_empty_slice(pnl):
    cube, _, df = pnl
    m, l = cube.measures, cube.levels
    m["worst at"] = tt.array.n_lowest_indices(m["pnl.SUM"], 1)[0]
    m["worst"] = m["pnl.SUM"][m["worst at"]]
    m["Empty sum"] = tt.array.sum(m["pnl.SUM"][0:0])
    got = cube.query(m["worst at"], m["worst"], m["Empty sum"], levels=[l["desk"]])
    for desk, block in by_desk(df, "pnl").items():
        total = block.sum(axis=0)
        assert got.loc[desk, "worst at"] == int(np.argmin(total))
        assert got.loc[desk, "worst"] == pytest.approx(total.min())
        assert got.loc[desk, "Empty sum"] == 0


def test_scalar_measures_scale_arrays_element_wise(pnl):
    cube, _, df = pnl
    m, l = cube.measures, cube.levels
    m["per unit"] = m["pnl.SUM"] / m["qty.SUM"]
    got = cube.query(m["per unit"], levels=[l["desk"], l["book"]])
    for (desk, book), group in df.groupby(["desk", "book"]):
        expected = np.stack(group["pnl"].tolist()).sum(axis=0) / group["qty"].sum()
        np.testing.assert_allclose(got.loc[(desk, book), "per unit"], expected)


def test_division_by_zero_gives_infinity_and_replace_removes_it():
    """atoti's example of tt.array.replace, with our own prices."""
    with tt.Session.start() as session:
        df = pd.DataFrame({
            "Shop": ["A", "B"],
            "New": [[10, 4, 3, 8], [6, 9, 0, 2]],
            "Old": [[5, 0, 3, 4], [3, 3, 0, 1]],
        })
        cube = session.create_cube(session.read_pandas(df, keys={"Shop"}, table_name="Prices"))
        m, l = cube.measures, cube.levels
        m["ratio"] = m["New.SUM"] / m["Old.SUM"]
        m["ratio, finite"] = tt.array.replace(m["ratio"], {math.inf: 1.0, -math.inf: -1.0})
        m["ratio, no NaN"] = tt.array.replace(m["ratio"], {math.nan: 0.0})
        got = cube.query(m["ratio"], m["ratio, finite"], m["ratio, no NaN"], levels=[l["Shop"]])
        assert got.loc["A", "ratio"].tolist() == [2.0, math.inf, 1.0, 2.0]
        assert got.loc["A", "ratio, finite"].tolist() == [2.0, 1.0, 1.0, 2.0]
        assert np.isnan(got.loc["B", "ratio"][2]) and got.loc["B", "ratio, no NaN"].tolist() == [2.0, 3.0, 0.0, 2.0]
        m["ratio"].formatter = "ARRAY[',']"
        m["ratio, finite"].formatter = "ARRAY[' ; ']"
        text = cube.query(m["ratio"], m["ratio, finite"], levels=[l["Shop"]]).to_string()
        assert "2.0,Infinity,1.0,2.0" in text and "2.0 ; 1.0 ; 1.0 ; 2.0" in text and "NaN" in text


def test_quantiles_follow_numpy_for_the_matching_methods():
    rng = np.random.default_rng(3)
    values = rng.normal(size=11)
    with tt.Session.start() as session:
        table = session.read_pandas(pd.DataFrame({"k": ["x"], "v": [values]}), keys={"k"}, table_name="V")
        cube = session.create_cube(table)
        m = cube.measures
        methods = {"inc": "linear", "exc": "weibull", "centered": "hazen", "simple": "interpolated_inverted_cdf"}
        for q in (0.05, 0.25, 0.5, 0.9, 0.99):
            for mode, method in methods.items():
                m["q"] = tt.array.quantile(m["v.SUM"], q, mode=mode)
                got = cube.query(m["q"])["q"][0]
                assert got == pytest.approx(np.quantile(values, q, method=method)), (q, mode)
            for interpolation, method in (("lower", "lower"), ("higher", "higher"), ("midpoint", "midpoint")):
                m["q"] = tt.array.quantile(m["v.SUM"], q, interpolation=interpolation)
                m["i"] = tt.array.quantile_index(m["v.SUM"], q, interpolation=interpolation) \
                    if interpolation != "midpoint" else tt.array.len(m["v.SUM"])
                got = cube.query(m["q"], m["i"])
                assert got["q"][0] == pytest.approx(np.quantile(values, q, method=method)), (q, interpolation)
                if interpolation != "midpoint":
                    assert values[got["i"][0]] == got["q"][0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), width=st.integers(1, 8))
def test_sums_per_desk_and_book_match_numpy(session_for_hypothesis, seed, n, width):
    df = scenarios(seed, n, width)
    name = f"T{seed}_{n}_{width}"
    table = session_for_hypothesis.read_pandas(df, table_name=name, keys=["trade"])
    cube = session_for_hypothesis.create_cube(table, name)
    m, l = cube.measures, cube.levels
    m["q"] = tt.array.quantile(m["pnl.SUM"], 0.2)
    got = cube.query(m["pnl.SUM"], m["q"], levels=[l["desk"], l["book"]], include_totals=True)
    for (desk, book), group in df.groupby(["desk", "book"]):
        expected = np.stack(group["pnl"].tolist()).sum(axis=0)
        np.testing.assert_allclose(got.loc[(desk, book), "pnl.SUM"], expected)
        assert got.loc[(desk, book), "q"] == pytest.approx(np.quantile(expected, 0.2))
    for desk, group in df.groupby("desk"):
        np.testing.assert_allclose(got.loc[(desk, ""), "pnl.SUM"], np.stack(group["pnl"].tolist()).sum(axis=0))


@pytest.fixture(scope="module")
def session_for_hypothesis():
    with tt.Session.start() as session:
        yield session


def test_bad_definitions_fail_when_defined(pnl):
    cube, table, _ = pnl
    m = cube.measures
    with pytest.raises(TypeError, match="array measure"):
        m["bad"] = tt.array.sum(m["qty.SUM"])
    with pytest.raises(TypeError, match="element by element"):
        m["bad"] = tt.agg.max(table["pnl"])
    with pytest.raises(ValueError, match="positive integer"):
        tt.array.n_greatest(m["pnl.SUM"], 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        tt.array.quantile(m["pnl.SUM"], 1.5)
    with pytest.raises(TypeError, match="slice"):
        m["pnl.SUM"]["a":"b"]
    assert "bad" not in m


def test_loads_from_csv_arrow_and_appends(tmp_path):
    path = tmp_path / "pnl.csv"
    path.write_text("Continent,Country,PnL\nEurope,France,1.5;-2;3\nEurope,UK,4;5;6\nAsia,China,7;8;-9\n")
    with tt.Session.start() as session:
        table = session.read_csv(path, keys={"Continent", "Country"}, array_separator=";", table_name="PnL")
        cube = session.create_cube(table)
        m, l = cube.measures, cube.levels
        got = cube.query(m["PnL.SUM"], levels=[l["Continent"]])
        assert got.loc["Europe", "PnL.SUM"].tolist() == [5.5, 3.0, 9.0]
        table += ("Asia", "India", [1.0, 1.0, 1.0])  # the cached blocks take the new rows
        got = cube.query(m["PnL.SUM"], m["PnL.MEAN"], levels=[l["Continent"]])
        assert got.loc["Asia", "PnL.SUM"].tolist() == [8.0, 9.0, -8.0]
        assert got.loc["Asia", "PnL.MEAN"].tolist() == [4.0, 4.5, -4.0]
        table += ("Asia", "Japan", [1.0, 2.0])
        with pytest.raises(Exception, match="different lengths"):
            cube.query(m["PnL.SUM"])


def test_arrow_lists_of_any_layout_load_row_by_row():
    """Fixed-size lists, sliced tables, ragged lists, missing rows and missing elements."""
    import pyarrow as pa

    flat = pa.array(np.arange(12, dtype=np.float64))
    fixed = pa.table({"k": list(range(4)), "v": pa.FixedSizeListArray.from_arrays(flat, 3)}).slice(1, 3)
    ragged = pa.table({"k": [10, 11, 12, 13], "v": pa.array([[1.0], None, [2.0, 3.0], [4.0, None]])})
    with tt.Session.start() as session:
        got = session.read_arrow(fixed, keys={"k"}, table_name="V").head(10).sort_index()
        assert [list(v) for v in got["v"]] == [[3.0, 4.0, 5.0], [6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]
        other = session.read_arrow(ragged.slice(1, 3), keys={"k"}, table_name="W").head(10).sort_index()
        assert other.loc[11, "v"] is None or other["v"].isna().tolist()[0]
        assert list(other.loc[12, "v"]) == [2.0, 3.0] and other.loc[13, "v"][0] == 4.0
