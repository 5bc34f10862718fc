"""tt.where and tt.math against the same computation done with pandas on the query's cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import atoti_lab as tt


@pytest.fixture
def cube():
    with tt.Session.start() as session:
        df = pd.DataFrame({
            "id": range(8),
            "shop": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "qty": [1, 2, 3, 4, 5, 6, -2, -3],
            "price": [10.0, 20.0, 0.5, 1.5, 2.0, 8.0, 3.0, 1.0],
        })
        table = session.read_pandas(df, table_name="Sales", keys=["id"])
        cube = session.create_cube(table)
        yield cube, df


def expected(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby("shop").agg(qty=("qty", "sum"), price=("price", "sum"))


def test_where_picks_values_cell_by_cell(cube):
    cube, df = cube
    m, l = cube.measures, cube.levels
    m["Big"] = tt.where(m["qty.SUM"] > 4, m["price.SUM"], 0.0)
    m["Sign"] = tt.where({m["qty.SUM"] > 5: 1, m["qty.SUM"] < 0: -1}, default=0)
    m["OnlyBig"] = tt.where(m["qty.SUM"] > 4, m["qty.SUM"])
    got = cube.query(m["Big"], m["Sign"], m["OnlyBig"], levels=[l["shop"]], include_empty_rows=True)
    e = expected(df)
    assert got["Big"].tolist() == np.where(e["qty"] > 4, e["price"], 0.0).tolist()
    assert got["Sign"].tolist() == np.select([e["qty"] > 5, e["qty"] < 0], [1, -1], 0).tolist()
    assert m["Sign"].data_type == "long" and m["Big"].data_type == "double"
    only = got["OnlyBig"]
    assert only.isna().tolist() == (e["qty"] <= 4).tolist()  # no false value: empty cells


def test_math_functions_match_numpy(cube):
    cube, df = cube
    m, l = cube.measures, cube.levels
    m["Root"] = tt.math.sqrt(m["qty.SUM"])
    m["Up"] = tt.math.ceil(m["price.MEAN"])
    m["Low"] = tt.math.min(m["qty.SUM"], 4)
    m["Log"] = tt.math.log(m["price.SUM"])
    got = cube.query(m["Root"], m["Up"], m["Low"], m["Log"], levels=[l["shop"]], mode="raw").set_index("shop")
    e = expected(df)
    mean = df.groupby("shop")["price"].mean()
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got["Root"].to_numpy(float), np.sqrt(e["qty"].to_numpy(float)), equal_nan=True)
    assert got["Up"].tolist() == np.ceil(mean).astype(int).tolist()
    assert got["Low"].tolist() == np.minimum(e["qty"], 4).tolist()
    np.testing.assert_allclose(got["Log"], np.log(e["price"]))
    assert got.loc["d", "Root"] != got.loc["d", "Root"]  # sqrt of a negative sum is an empty cell


def test_where_rejects_what_it_cannot_compute(cube):
    cube, _ = cube
    m, l = cube.measures, cube.levels
    with pytest.raises(TypeError, match="conditions on measures"):
        tt.where(True, m["qty.SUM"], 0)
    with pytest.raises(KeyError, match="Nope"):
        m["Bad"] = tt.where(m["qty.SUM"] > 0, m["qty.SUM"], 0) + 0 * cube.measures["Nope"]
    assert "Bad" not in m
